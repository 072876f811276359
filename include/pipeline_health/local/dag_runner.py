"""Run this repository's DAGs for a range of days through Airflow (`DAG.test`), in order.

Run it in a process configured by `local_airflow.airflow_env` (the demo and the
tests do): `python -m pipeline_health.local.dag_runner daily 2026-11-01 2026-11-07`.
Each run is a real Airflow DAG run with its data interval, task instances, retries
policy and logs in the metadata database; tasks execute in this process, one at a
time, which is what a single-writer DuckDB file needs. The dbt models render in Cosmos's
per-model LOCAL mode here (config.DAG_TEST_COSMOS_MODE), not the scheduler's watcher mode.
"""

from __future__ import annotations

import argparse
import json
import os
import sys
import time
from datetime import UTC, date, datetime, timedelta

DAG_IDS = {"daily": "pipeline_health_daily", "weekly": "pipeline_health_weekly"}


def _load_dag(dag_id: str):
    from airflow.dag_processing.dagbag import DagBag

    from pipeline_health.config import DAG_TEST_COSMOS_MODE, PROJECT_ROOT, cosmos_mode

    if cosmos_mode().startswith("watcher"):
        # Before the DAG files read it (cosmos_setup): see config.DAG_TEST_COSMOS_MODE.
        os.environ["PIPELINE_HEALTH_COSMOS_MODE"] = DAG_TEST_COSMOS_MODE

    bag = DagBag(dag_folder=str(PROJECT_ROOT / "dags"))
    if bag.import_errors:
        raise RuntimeError(f"DAG import errors: {bag.import_errors}")
    return bag.get_dag(dag_id)


def run_after_for(kind: str, day: date) -> datetime:
    """The moment whose last complete interval is the day (daily) or ISO week (weekly)."""
    if kind == "daily":
        return datetime(day.year, day.month, day.day, tzinfo=UTC) + timedelta(days=1)
    monday = day - timedelta(days=day.weekday())
    return datetime(monday.year, monday.month, monday.day, tzinfo=UTC) + timedelta(days=7)


def _record_wall_clock_start(dag_run, started_at: datetime) -> tuple[datetime, datetime]:
    """Give the run its real start time; return (start_date, end_date) as the web UI shows them.

    `DAG.test` records a run's start_date as its logical date (the end of the data interval),
    so the web UI would show a one-minute run as lasting days. The metadata database is the
    local one of this demo or test (local_airflow.airflow_env).
    """
    from airflow.models.dagrun import DagRun
    from airflow.utils.session import create_session

    with create_session() as session:
        row = session.get(DagRun, dag_run.id)
        row.start_date = started_at
        session.flush()
        return row.start_date, row.end_date


def run(kind: str, periods: list[date], conf: dict | None = None) -> list[dict]:
    dag = _load_dag(DAG_IDS[kind])
    results = []
    for period in periods:
        started = time.perf_counter()
        started_at = datetime.now(UTC)
        dag_run = dag.test(logical_date=run_after_for(kind, period), run_conf=conf)
        start_date, end_date = _record_wall_clock_start(dag_run, started_at)
        tis = dag_run.get_task_instances()
        results.append({
            "dag_id": dag.dag_id,
            "period": period.isoformat(),
            "data_interval_start": dag_run.data_interval_start.isoformat(),
            "data_interval_end": dag_run.data_interval_end.isoformat(),
            "state": str(dag_run.state),
            "seconds": round(time.perf_counter() - started, 1),
            # What the web UI shows for the run (start_date -> end_date).
            "start_date": start_date.isoformat(),
            "end_date": end_date.isoformat() if end_date else None,
            "tasks": {ti.task_id: str(ti.state) for ti in tis},
            "tries": {ti.task_id: ti.try_number for ti in tis},
        })
        if str(dag_run.state) != "success":
            break
    return results


def main(argv: list[str] | None = None) -> int:
    parser = argparse.ArgumentParser(description=__doc__)
    parser.add_argument("kind", choices=sorted(DAG_IDS))
    parser.add_argument("first", type=date.fromisoformat, help="first day (or a day of the first week)")
    parser.add_argument("last", type=date.fromisoformat, help="last day (or a day of the last week)")
    parser.add_argument("--conf", type=json.loads, default=None, help="DAG run conf (JSON)")
    parser.add_argument("--json-out", help="write the run results to this file")
    args = parser.parse_args(argv)
    step = timedelta(days=1 if args.kind == "daily" else 7)
    periods, current = [], args.first
    while current <= args.last:
        periods.append(current)
        current += step
    results = run(args.kind, periods, args.conf)
    if args.json_out:
        with open(args.json_out, "w") as fh:
            json.dump(results, fh, indent=2)
    for r in results:
        print(f"{r['dag_id']} {r['period']}: {r['state']} in {r['seconds']} s "
              f"({sum(s == 'success' for s in r['tasks'].values())}/{len(r['tasks'])} tasks ok)")
    ok = len(results) == len(periods) and all(r["state"] == "success" for r in results)
    return 0 if ok else 1


if __name__ == "__main__":
    sys.exit(main())

"""End to end under the real scheduler: `airflow backfill create` runs the daily DAG one day at a
time, in date order, and a reprocessing backfill leaves the rows of a clean sequential build.

Starts the stack of scripts/airflow_ui.sh (API server on a free loopback port, scheduler,
DAG processor, triggerer) on a throwaway state folder, never ~/airflow.
"""

from __future__ import annotations

import shutil
import time
import urllib.parse
from concurrent.futures import ThreadPoolExecutor
from datetime import date, timedelta
from pathlib import Path

import pytest
from e2e_support import AirflowStack, fingerprints, make_env, run

from pipeline_health.dbt_cli import NO_UNIT_TESTS, run_dbt
from pipeline_health.local.postgres_server import PostgresServer

# Six daily runs under the scheduler (watcher mode: one dbt build a run, its sensors in the
# triggerer) and the sequential reference beside them: 6-10 minutes on two cores. The stack's
# metadata database is PostgreSQL, as in production: on the local SQLite one, `airflow backfill
# create` failed now and then on a busy machine ("database is locked", a lock-upgrade deadlock
# with another Airflow process that SQLite reports at once; README, "Backfilling days").
pytestmark = pytest.mark.e2e

DAG_ID = "pipeline_health_daily"
FIRST_DAY = date(2026, 10, 5)  # a Monday
DAYS = [FIRST_DAY + timedelta(days=n) for n in range(3)]
SETTINGS = {
    "PIPELINE_HEALTH_POPULATION": "300",
    # Cohorts from June: progress reviews (every 12 weeks) exist before the backfilled days.
    "PIPELINE_HEALTH_FIRST_COHORT": "2026-06",
    "PIPELINE_HEALTH_LAST_COHORT": "2027-03",
    # Only the backfill's runs: the scheduler must not add its own run of the latest day.
    "AIRFLOW__SCHEDULER__USE_JOB_SCHEDULE": "False",
}
BACKFILL = ["backfill", "create", "--dag-id", DAG_ID, "--from-date", str(DAYS[0]),
            "--to-date", str(DAYS[-1]), "--max-active-runs", "1"]
RUN_TIMEOUT = 40 * 60  # per backfill; about 25 tasks a run, each a fresh task process


def _runs(stack: AirflowStack) -> dict[str, dict]:
    """Backfill runs of the daily DAG by their day (data interval start)."""
    runs = stack.api(f"/api/v2/dags/{DAG_ID}/dagRuns?limit=100")["dag_runs"]
    return {r["data_interval_start"][:10]: r for r in runs if r["run_type"] == "backfill"}


def _all_succeeded_after(stack: AirflowStack, since: float):
    runs = _runs(stack)
    failed = {d: r["state"] for d, r in runs.items() if r["state"] == "failed"}
    assert not failed, f"backfill runs failed: {failed}; logs in {stack.env['AIRFLOW_HOME']}/logs"
    done = [r for r in runs.values() if r["state"] == "success" and _ts(r["end_date"]) > since]
    return runs if len(done) == len(DAYS) else None


def _task_spans(stack: AirflowStack, runs: dict[str, dict]) -> list[tuple[str, str, str]]:
    """(start, end, day) of every task instance that ran, across the runs."""
    spans = []
    for day, dag_run in runs.items():
        run_id = urllib.parse.quote(dag_run["dag_run_id"], safe="")
        tis = stack.api(f"/api/v2/dags/{DAG_ID}/dagRuns/{run_id}/taskInstances?limit=500")
        spans += [(ti["start_date"], ti["end_date"], day) for ti in tis["task_instances"]
                  if ti["start_date"] and ti["end_date"]]
    return sorted(spans)


def _check_one_at_a_time_in_date_order(spans: list[tuple[str, str, str]]) -> float:
    """Returns the backfill's wall time (first task start to last task end), in seconds."""
    days = [str(d) for d in DAYS]
    order = [day for i, (_, _, day) in enumerate(spans) if i == 0 or spans[i - 1][2] != day]
    assert order == days, f"runs started or interleaved in this order: {order}"
    bounds = {d: (min(s for s, _, x in spans if x == d), max(e for _, e, x in spans if x == d))
              for d in days}
    for earlier, later in zip(days, days[1:], strict=False):
        assert bounds[earlier][1] <= bounds[later][0], f"run {later} overlapped run {earlier}"
    first, last = _ts(bounds[days[0]][0]), _ts(bounds[days[-1]][1])
    for d in days:
        print(f"  {d}: {_ts(bounds[d][1]) - _ts(bounds[d][0]):.0f} s")
    return last - first


def _ts(iso: str) -> float:
    from datetime import datetime

    return datetime.fromisoformat(iso.replace("Z", "+00:00")).timestamp()


def _history(tmp_path_factory) -> Path:
    """A warehouse with the history before the backfilled days (as in production, where a
    backfill fills gaps in a running pipeline): on an empty one the source freshness check
    rightly fails the first days, whose weekly feeds (progress reviews) have no rows yet."""
    state = tmp_path_factory.mktemp("history")
    env = make_env(state, **SETTINGS)
    done = run(["-m", "pipeline_health.cli", "initial-load", "--until",
                str(DAYS[0] - timedelta(days=1))], env, state / "initial-load.log")
    assert done.returncode == 0, (state / "initial-load.log").read_text()[-3000:]
    return state / "warehouse.duckdb"


def _from_history(history: Path, state: Path) -> Path:
    shutil.copyfile(history, state / "warehouse.duckdb")
    return state


# The data the DAG builds (ops holds the run ledger and freshness checks of DAG runs only).
COMPARED = ("raw", "staging", "marts", "snapshots")


def _sequential_build(state) -> tuple[dict, float]:
    """The reference: the same days one after the other, each loaded then built by a bare
    `dbt build --selector daily` (the DAG's selection; the DAG.test path has e2e tests of its
    own, and is three times slower beside the stack on two cores)."""
    started = time.monotonic()
    env = make_env(state, **SETTINGS)
    for day in DAYS:
        loaded = run(["-m", "pipeline_health.cli", "load", "--start", str(day), "--end", str(day)],
                     env, state / "load.log")
        assert loaded.returncode == 0, (state / "load.log").read_text()[-3000:]
        run_dbt(["build", "--selector", "daily", *NO_UNIT_TESTS], work_dir=state / "dbt",
                duckdb_path=state / "warehouse.duckdb", run_dates=(day, day), target="duckdb")
    return fingerprints(state / "warehouse.duckdb", schemas=COMPARED), time.monotonic() - started


def test_backfill_runs_days_one_at_a_time_in_order_and_reprocessing_matches_a_sequential_build(
        tmp_path_factory):
    history = _history(tmp_path_factory)
    state = _from_history(history, tmp_path_factory.mktemp("backfill"))
    # The reference is built meanwhile (its own state folder and a copy of the history): the
    # two share nothing, and the test takes the longer of the two instead of their sum.
    with PostgresServer() as metadata, ThreadPoolExecutor(1) as pool:
        env = make_env(state, metadata_url=metadata.url, **SETTINGS)
        reference = pool.submit(_sequential_build,
                                _from_history(history, tmp_path_factory.mktemp("sequential")))
        with AirflowStack(env, state / "processes") as stack:
            started = time.monotonic()
            dag = stack.wait_until("the DAG processor to serialise the daily DAG",
                                   lambda: stack.api(f"/api/v2/dags/{DAG_ID}"), timeout=180)
            print(f"\nstack up, DAG serialised after {time.monotonic() - started:.0f} s")
            assert dag["is_paused"] is False, "the local set-up must leave the DAGs unpaused"

            for label, extra in (("backfill", []), ("reprocessing backfill",
                                                    ["--reprocess-behavior", "completed"])):
                since = time.time()
                created = stack.airflow(*BACKFILL, *extra)  # the README's command, unpaused
                assert created.returncode == 0, created.stdout + created.stderr
                runs = stack.wait_until(f"the {label} runs",
                                        lambda s=since: _all_succeeded_after(stack, s),
                                        timeout=RUN_TIMEOUT, every=5)
                assert sorted(runs) == [str(d) for d in DAYS]
                print(f"{label} of {len(DAYS)} days, per run:")
                wall = _check_one_at_a_time_in_date_order(_task_spans(stack, runs))
                print(f"{label} wall time (first task start to last task end): {wall:.0f} s")
                # The next backfill is refused until the scheduler marks this one complete.
                stack.wait_until("the backfill to be marked complete", lambda: all(
                    b["completed_at"]
                    for b in stack.api(f"/api/v2/backfills?dag_id={DAG_ID}")["backfills"]),
                    timeout=120)
        expected, seconds = reference.result()
    print(f"sequential load + bare dbt build of the same {len(DAYS)} days: {seconds:.0f} s")
    assert fingerprints(state / "warehouse.duckdb", schemas=COMPARED) == expected

"""A built warehouse for tests that read the marts: raw history, daily models, weekly weeks.

It is built the way production builds it (simulated days loaded by the DuckDB loader,
`dbt build --selector daily` over the history, then `dbt build --selector weekly` one ISO
week at a time, in order), with dbt's data tests on, and the coach emails of each week
sent to a real SMTP server, so ops.sent_coach_alerts is filled as in production. Unit
tests of dbt run elsewhere (tests/test_weekly_dbt.py). The dbt commands run in one worker
process that parses the project once (tests/dbt_worker.py).
"""

from __future__ import annotations

import json
import os
from dataclasses import dataclass, field
from datetime import date, timedelta
from pathlib import Path

from dbt_worker import DbtWorker

from pipeline_health.config import SimulationConfig
from pipeline_health.ingest import days_between, ingest_days
from pipeline_health.loaders.duckdb_loader import DuckDBLoader
from pipeline_health.run_ledger import DAILY, WEEKLY, DuckDBRunLedger

# The shared test warehouse: small enough to build in about a minute, large enough that
# every programme has apprentices and some demographic groups are too small to show.
BUILT_CONFIG = SimulationConfig(seed=7, population=1500, first_cohort="2025-01", last_cohort="2026-12")
# The last ISO week the test warehouses score (Monday), and how many weeks they snapshot.
LAST_WEEK = date(2026, 11, 16)
WEEKS = 3


@dataclass
class BuiltWarehouse:
    root: Path
    config: SimulationConfig
    weeks: list[date]
    emails: dict[date, list] = field(default_factory=dict)  # week -> accepted messages

    @property
    def path(self) -> Path:
        return self.root / "warehouse.duckdb"


def run_dbt(dbt: DbtWorker, root: Path, *args: str, start: date, end: date) -> None:
    """`dbt <args>` on the warehouse in `root` for the days [start, end] (the DAGs' vars)."""
    dates = json.dumps({"run_start_date": start.isoformat(), "run_end_date": end.isoformat()})
    code, output = dbt.run([*args, "--no-write-json", "--target", "duckdb", "--vars", dates],
                           env={"PIPELINE_HEALTH_DUCKDB_PATH": str(root / "warehouse.duckdb")})
    if code != 0:
        raise RuntimeError(f"dbt {' '.join(args)} ({start} .. {end}) failed:\n{output[-6000:]}")


def build_warehouse(root: Path, config: SimulationConfig, *, last_week: date = LAST_WEEK,
                    weeks: int = WEEKS, send_emails: bool = True) -> BuiltWarehouse:
    root.mkdir(parents=True, exist_ok=True)
    built = BuiltWarehouse(root, config, [last_week - timedelta(weeks=n)
                                          for n in range(weeks - 1, -1, -1)])
    first_day = date.fromisoformat(f"{config.first_cohort}-01")
    last_day = last_week + timedelta(days=6)
    days = days_between(first_day, last_day)
    ingest_days(DuckDBLoader(built.path), config, days)
    # One parse for the four builds. They run the dbt unit tests too (no pipeline run does:
    # dbt_cli.NO_UNIT_TESTS): a failing one fails the build, and every test that uses it.
    with DbtWorker(root) as dbt:
        run_dbt(dbt, root, "build", "--selector", "daily",
                start=first_day, end=last_day)
        ledger = DuckDBRunLedger(built.path)
        ledger.record_many(DAILY, days, "test-build")
        for monday in built.weeks:
            run_dbt(dbt, root, "build", "--selector", "weekly",
                    start=monday, end=monday + timedelta(days=6))
            ledger.record(WEEKLY, monday, "test-build")
            if send_emails:
                built.emails[monday] = _send_coach_emails(built.path, monday)
    return built


def _send_coach_emails(path: Path, monday: date) -> list:
    """The weekly notifier against a real SMTP server; returns the accepted messages."""
    from smtp_sink import SmtpSink

    from pipeline_health.notifier.alert_log import DuckDBAlertLog
    from pipeline_health.notifier.send import notify_newly_red
    from pipeline_health.notifier.source import DuckDBNewlyRedSource

    sink = SmtpSink().start()
    # A connection id of this sink's own: builds may run beside other set-ups (heavy_setups.py)
    # that read the environment, and none of them must see this server as smtp_default.
    conn_id = f"smtp_test_build_{sink.port}"
    os.environ[f"AIRFLOW_CONN_{conn_id.upper()}"] = sink.connection_json()
    try:
        notify_newly_red(monday, source=DuckDBNewlyRedSource(path), alert_log=DuckDBAlertLog(path),
                         smtp_conn_id=conn_id)
        return [r.message for r in sink.received]
    finally:
        sink.stop()
        os.environ.pop(f"AIRFLOW_CONN_{conn_id.upper()}", None)

"""Initial load: the history before the first scheduled daily run.

A new warehouse needs the apprentices' past (who started when, the last feedback,
the status changes) or the first weeks of metrics are wrong: "days since last
feedback" would count from the start of the programme. Running the daily DAG for
years of days would take hours, so the initial load simulates and loads every day
from the first cohort's start, runs the daily dbt selection once over that range
(the incremental models give the same rows as day-by-day runs, which the tests
check), and records the days as complete for the weekly DAG's sensor.
"""

from __future__ import annotations

import logging
from datetime import date

from pipeline_health.config import Settings, SimulationConfig
from pipeline_health.dbt_cli import NO_UNIT_TESTS, run_dbt
from pipeline_health.ingest import days_between, ingest_days
from pipeline_health.loaders import make_loader
from pipeline_health.run_ledger import DAILY, ledger_from_settings
from pipeline_health.simulator import build_population

log = logging.getLogger(__name__)


def history_start(config: SimulationConfig) -> date:
    return date.fromordinal(int(build_population(config).start.min()))


def initial_load(settings: Settings, config: SimulationConfig, until: date,
                 start: date | None = None) -> dict:
    """Load raw history [start, until], build the daily models over it, mark the days done."""
    start = start or history_start(config)
    days = days_between(start, until)
    summary = ingest_days(make_loader(settings), config, days)
    run_dbt(["build", "--selector", "daily", *NO_UNIT_TESTS], work_dir=settings.state_dir / "dbt",
            duckdb_path=settings.duckdb_path, run_dates=(start, until), target=settings.warehouse)
    ledger_from_settings(settings).record_many(DAILY, days, "initial-load")
    return {"first_day": start.isoformat(), "last_day": until.isoformat(), "days": len(days),
            "event_rows": sum(summary.event_rows.values())}

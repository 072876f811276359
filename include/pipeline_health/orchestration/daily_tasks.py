"""Callables of the daily DAG's Python tasks (unit-testable without a scheduler)."""

from __future__ import annotations

import dataclasses
import logging
from datetime import date, datetime, timedelta
from typing import Any

from pipeline_health.config import Settings, SimulationConfig
from pipeline_health.orchestration.preflight import PermanentError, check_ready, fail_fast

# The DAG file imports this module: the simulator (numpy, Faker) and the loaders (duckdb,
# pyarrow) are imported inside the task callables, so parsing the DAG stays cheap.

log = logging.getLogger(__name__)


def interval_days(data_interval_start: datetime, data_interval_end: datetime) -> list[date]:
    """The calendar days a run covers: [start, end) in whole days, at least one."""
    first = data_interval_start.date()
    last = max(first, (data_interval_end - timedelta(microseconds=1)).date())
    return [first + timedelta(days=n) for n in range((last - first).days + 1)]


def simulation_config_from_params(params: dict[str, Any] | None) -> SimulationConfig:
    """Environment defaults, overridden by the DAG run's params (validated)."""
    config = SimulationConfig.from_env()
    params = params or {}
    overrides = {}
    if params.get("population") is not None:
        overrides["population"] = int(params["population"])
    if params.get("malformed_rate") is not None:
        overrides["malformed_rate"] = float(params["malformed_rate"])
    return dataclasses.replace(config, **overrides)


@fail_fast
def simulate_and_load(data_interval_start: datetime, data_interval_end: datetime,
                      params: dict[str, Any] | None = None) -> dict[str, Any]:
    """Check the settings, manifest and warehouse, then simulate the interval's day(s) and
    replace their raw partitions."""
    from pipeline_health.ingest import ingest_days
    from pipeline_health.loaders import make_loader

    settings = check_ready()
    config = simulation_config_from_params(params)
    days = interval_days(data_interval_start, data_interval_end)
    summary = ingest_days(make_loader(settings), config, days)
    result = summary.as_dict()
    log.info("raw load for %s..%s: %s", days[0], days[-1], result["event_rows"])
    if summary.malformed:
        log.warning("malformed rows injected on purpose (malformed_rate=%s): %s",
                    config.malformed_rate, result["malformed_injected"])
    return result


@fail_fast
def check_source_freshness(data_interval_start: datetime, data_interval_end: datetime) -> dict[str, Any]:
    """`dbt source freshness` on the raw event tables, right after the load (one dbt invocation).

    The result replaces ops.source_freshness (the dashboard's Pipeline tab) and dbt's
    sources.json under the state folder. A table past its warn threshold is logged; one past
    its error threshold (or that dbt could not query) fails the task without retries (a
    retry reads the same rows), naming each table and its age. The DuckDB page is published
    first, so it shows the stale table. See pipeline_health.source_freshness for what the
    age means (time since a load last delivered rows to the table, not the simulated day).
    """
    from pipeline_health import source_freshness

    settings = Settings.from_env()
    day = interval_days(data_interval_start, data_interval_end)[0]
    results = source_freshness.check(settings, run_day=day)
    source_freshness.record(settings, results)
    for r in results:
        level = {"pass": logging.INFO, "warn": logging.WARNING}.get(r.status, logging.ERROR)
        log.log(level, "source freshness %s: %s", r.status, r.describe())
    message = source_freshness.failure_message(results)
    if message:
        if settings.warehouse == "duckdb":
            from pipeline_health.dashboard.publish import publish_from_settings

            publish_from_settings(settings)
        raise PermanentError(message)
    return {r.source_table: r.status for r in results}


@fail_fast
def record_and_summarise(data_interval_start: datetime, data_interval_end: datetime,
                         run_id: str) -> dict[str, Any]:
    """Mark the interval's days complete (the weekly DAG waits for this), then summarise
    what the run produced: rows per layer, rejected rows by reason, apprentices per status."""
    from pipeline_health.run_ledger import DAILY, ledger_from_settings
    from pipeline_health.warehouse_summary import daily_summary

    days = interval_days(data_interval_start, data_interval_end)
    ledger = ledger_from_settings()
    for day in days:
        ledger.record(DAILY, day, run_id)
    summary = daily_summary(Settings.from_env(), days[0], days[-1])
    log.info("daily summary %s..%s: %s", days[0], days[-1], summary)
    return summary

"""A DuckDB warehouse of simulated history for fitting and evaluating the risk score.

Simulates every day from the first cohort's start to the day the last apprentice leaves
(a full history, so every withdrawal and its truth is known), loads it with the DuckDB
loader, runs the daily models over the whole range (no tests: this is a laboratory, not
production) and builds the weekly risk mart in one full refresh (every week at once; the
incremental weekly runs give the same rows, see the risk mart's docs).
"""

from __future__ import annotations

import json
import logging
import time
from dataclasses import dataclass
from datetime import date, timedelta
from pathlib import Path

from pipeline_health import dbt_cli
from pipeline_health.config import SimulationConfig
from pipeline_health.ingest import days_between, ingest_days
from pipeline_health.loaders.duckdb_loader import DuckDBLoader
from pipeline_health.simulator import build_population
from pipeline_health.warehouse import open_duckdb

log = logging.getLogger(__name__)

DBT_DIR = dbt_cli.DBT_PROJECT_DIR


@dataclass(frozen=True)
class History:
    root: Path
    config: SimulationConfig
    first_day: date
    last_day: date  # a Sunday

    @property
    def path(self) -> Path:
        return self.root / "warehouse.duckdb"


def history_config(seed: int, population: int, first_cohort: str = "2024-01",
                   last_cohort: str = "2024-12") -> SimulationConfig:
    return SimulationConfig(seed=seed, population=population, first_cohort=first_cohort,
                            last_cohort=last_cohort)


def history_range(config: SimulationConfig) -> tuple[date, date]:
    """First cohort's month start to the Sunday after the last apprentice leaves."""
    population = build_population(config)
    last = max(row["end_date"] for row in population.outcomes)
    last_sunday = last + timedelta(days=(6 - last.weekday()) % 7)
    return date.fromisoformat(f"{config.first_cohort}-01"), last_sunday


def run_dbt(history: History, *args: str, extra_vars: dict | None = None) -> float:
    """One dbt command against the history's warehouse; returns its wall time in seconds."""
    started = time.perf_counter()
    dbt_cli.run_dbt([*args, "--no-partial-parse"], work_dir=history.root, duckdb_path=history.path,
                    run_dates=(history.first_day, history.last_day), extra_vars=extra_vars,
                    target="duckdb", timeout=3600)
    return time.perf_counter() - started


def build_history(root: Path, config: SimulationConfig, *, reuse: bool = True) -> tuple[History, dict]:
    """Raw history + daily models (skipped when `reuse` and the warehouse exists) + risk mart.

    Returns the history and the timings of each step in seconds.
    """
    root.mkdir(parents=True, exist_ok=True)
    first_day, last_day = history_range(config)
    history = History(root, config, first_day, last_day)
    timings: dict[str, float] = {}
    marker = root / "daily_built.json"
    expected = {"seed": config.seed, "population": config.population,
                "first_cohort": config.first_cohort, "last_cohort": config.last_cohort,
                "last_day": last_day.isoformat()}
    if not (reuse and marker.exists() and json.loads(marker.read_text()) == expected):
        history.path.unlink(missing_ok=True)
        started = time.perf_counter()
        ingest_days(DuckDBLoader(history.path), config, days_between(first_day, last_day))
        timings["simulate_and_load_s"] = time.perf_counter() - started
        log.info("loaded %s .. %s in %.0f s", first_day, last_day, timings["simulate_and_load_s"])
        timings["dbt_daily_s"] = run_dbt(history, "run", "--selector", "daily")
        marker.write_text(json.dumps(expected))
    timings["dbt_risk_mart_s"] = refresh_risk_mart(history)
    return history, timings


def refresh_risk_mart(history: History) -> float:
    """Rebuild fct_apprentice_risk_weekly (every week) with the current var risk_scoring,
    up to the last Sunday anyone is in learning."""
    con = open_duckdb(history.path, read_only=True)
    try:
        last_sunday = con.sql("select max(as_of_date) from marts.fct_apprentice_daily "
                              "where is_iso_week_end").fetchall()[0][0]
    finally:
        con.close()
    return run_dbt(history, "run", "--select", "fct_apprentice_risk_weekly", "--full-refresh",
                   extra_vars={"run_end_date": last_sunday.isoformat()})

"""Score an imported warehouse with the pipeline's own dbt models (DuckDB).

Two dbt processes, both --full-refresh so a re-import never keeps rows of an earlier one:
  1. `dbt build --selector daily` over every load day: staging, star schema, daily mart;
  2. the weekly risk mart for every ISO week whose Sunday the daily mart holds: the weekly
     nodes upstream of fct_apprentice_risk_weekly, without the status snapshot (an SCD2
     snapshot records one week per run, in order, and scoring does not read it).
Data tests run with both (dbt unit tests are the test suite's business).
"""

from __future__ import annotations

import tempfile
import time
from dataclasses import dataclass, field
from datetime import date, timedelta
from pathlib import Path

from pipeline_health import dbt_cli
from pipeline_health.warehouse import open_duckdb

WEEKLY_SELECT = ["+fct_apprentice_risk_weekly,tag:weekly"]
WEEKLY_EXCLUDE = ["snap_apprentice_weekly_status", "test_type:unit"]
# Tests whose other parents (e.g. the trends mart) are not built here are left out.
WEEKLY_INDIRECT = ["--indirect-selection", "buildable"]


def run_dbt(warehouse: Path, args: list[str], start: date, end: date, work_dir: Path) -> str:
    """Run dbt; returns its closing summary line ('PASS=.. WARN=.. ERROR=..')."""
    output = dbt_cli.run_dbt(args, work_dir=work_dir, duckdb_path=warehouse, run_dates=(start, end),
                             target="duckdb")
    done = [line for line in output.splitlines() if "Done. PASS=" in line]
    return done[-1].split("Done. ", 1)[1].strip() if done else ""


def last_scorable_sunday(warehouse: Path) -> date | None:
    with open_duckdb(warehouse, read_only=True) as con:
        return con.execute("SELECT max(as_of_date) FROM marts.fct_apprentice_daily "
                           "WHERE is_iso_week_end").fetchone()[0]


@dataclass
class ScoringRun:
    seconds: dict[str, float] = field(default_factory=dict)  # per step
    dbt_results: dict[str, str] = field(default_factory=dict)  # per step: PASS=.. WARN=.. ERROR=..


def score_warehouse(warehouse: Path | str, first_day: date, last_day: date) -> ScoringRun:
    """Build the daily mart over [first_day, last_day], then every week of the risk mart."""
    warehouse = Path(warehouse)
    run = ScoringRun()
    seconds = run.seconds
    with tempfile.TemporaryDirectory(prefix="oulad-dbt-") as tmp:
        work = Path(tmp)
        started = time.perf_counter()
        run.dbt_results["dbt_daily"] = run_dbt(
            warehouse, ["build", "--selector", "daily", *dbt_cli.NO_UNIT_TESTS, "--full-refresh"],
            first_day, last_day, work)
        seconds["dbt_daily"] = round(time.perf_counter() - started, 2)
        sunday = last_scorable_sunday(warehouse)
        if sunday is None:
            raise RuntimeError("the daily mart holds no Sunday with anyone in learning: nothing to score")
        first_monday = first_day - timedelta(days=first_day.weekday())
        started = time.perf_counter()
        run.dbt_results["dbt_weekly"] = run_dbt(
            warehouse, ["build", "--select", *WEEKLY_SELECT, "--exclude", *WEEKLY_EXCLUDE, *WEEKLY_INDIRECT,
                        "--full-refresh"], first_monday, sunday, work)
        seconds["dbt_weekly"] = round(time.perf_counter() - started, 2)
    return run

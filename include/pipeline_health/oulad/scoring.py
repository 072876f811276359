"""Score an imported warehouse with the pipeline's own dbt models (DuckDB).

Two dbt processes, both --full-refresh so a re-import never keeps rows of an earlier one:
  1. `dbt build --selector daily` over every load day: staging, star schema, daily mart;
  2. the weekly risk mart for every ISO week whose Sunday the daily mart holds: the weekly
     nodes upstream of fct_apprentice_risk_weekly, without the status snapshot (an SCD2
     snapshot records one week per run, in order, and scoring does not read it).
Data tests run with both (dbt unit tests are the test suite's business).
"""

from __future__ import annotations

import json
import os
import shutil
import subprocess
import sys
import tempfile
import time
from dataclasses import dataclass, field
from datetime import date, timedelta
from pathlib import Path

import duckdb

from pipeline_health.config import PROJECT_ROOT

DBT_PROJECT_DIR = PROJECT_ROOT / "dbt"
WEEKLY_SELECT = ["+fct_apprentice_risk_weekly,tag:weekly"]
WEEKLY_EXCLUDE = ["snap_apprentice_weekly_status", "test_type:unit"]
# Tests whose other parents (e.g. the trends mart) are not built here are left out.
WEEKLY_INDIRECT = ["--indirect-selection", "buildable"]


def _dbt_executable() -> str:
    beside = Path(sys.executable).with_name("dbt")
    found = str(beside) if beside.exists() else shutil.which("dbt")
    if not found:
        raise RuntimeError("dbt is not installed next to this Python or on PATH")
    return found


def run_dbt(warehouse: Path, args: list[str], start: date, end: date, work_dir: Path) -> str:
    """Run dbt; returns its closing summary line ('Done. PASS=.. WARN=.. ERROR=..')."""
    env = {**os.environ, "PIPELINE_HEALTH_DUCKDB_PATH": str(warehouse.resolve()),
           "DBT_SEND_ANONYMOUS_USAGE_STATS": "false"}
    command = [_dbt_executable(), *args, "--project-dir", str(DBT_PROJECT_DIR),
               "--profiles-dir", str(DBT_PROJECT_DIR), "--target", "duckdb",
               # Own target/log folders: never clobber the manifest Cosmos or a colleague reads.
               "--target-path", str(work_dir / "target"), "--log-path", str(work_dir / "logs"),
               "--vars", json.dumps({"run_start_date": start.isoformat(), "run_end_date": end.isoformat()})]
    result = subprocess.run(command, env=env, cwd=PROJECT_ROOT, capture_output=True, text=True)
    if result.returncode != 0:
        raise RuntimeError(f"dbt {' '.join(args)} ({start} .. {end}) failed:\n"
                           f"{result.stdout[-6000:]}\n{result.stderr[-2000:]}")
    done = [line for line in result.stdout.splitlines() if "Done. PASS=" in line]
    return done[-1].split("Done. ", 1)[1].strip() if done else ""


def last_scorable_sunday(warehouse: Path) -> date | None:
    with duckdb.connect(str(warehouse), read_only=True) as con:
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
            warehouse, ["build", "--selector", "daily", "--exclude", "test_type:unit", "--full-refresh"],
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

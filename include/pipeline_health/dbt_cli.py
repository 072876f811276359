"""The one way to run dbt as a child process on this project's dbt folder.

Used where no Airflow task runs dbt: the initial load, OULAD scoring, the score's fitting
tool and the tests' warehouses. Each caller gives its own work folder, so its target and
logs never clobber the manifest Cosmos reads (dbt/target) or another run's files.
"""

from __future__ import annotations

import json
import os
import shutil
import subprocess
import sys
from datetime import date
from pathlib import Path

from pipeline_health.config import PROJECT_ROOT, dbt_project_dir

DBT_PROJECT_DIR = dbt_project_dir()


def dbt_executable() -> str:
    beside = Path(sys.executable).with_name("dbt")
    found = str(beside) if beside.exists() else shutil.which("dbt")
    if not found:
        raise RuntimeError("dbt is not installed next to this Python or on PATH")
    return found


def run_dbt(args: list[str], *, work_dir: Path, duckdb_path: Path | None = None,
            run_dates: tuple[date, date] | None = None, extra_vars: dict | None = None,
            target: str | None = None, timeout: float | None = None) -> str:
    """Run `dbt <args>`; return its output, or raise RuntimeError with the output's tail.

    run_dates become the vars run_start_date / run_end_date (the DAGs' contract), which
    extra_vars may override; duckdb_path points the duckdb target at that file; without
    `target` the profile's default (PIPELINE_HEALTH_DBT_TARGET, else duckdb) is used.
    """
    # The child's environment: this process's, plus what dbt needs (settings are read in config).
    env = {**os.environ, "DBT_SEND_ANONYMOUS_USAGE_STATS": "false"}
    if duckdb_path is not None:
        env["PIPELINE_HEALTH_DUCKDB_PATH"] = str(Path(duckdb_path).resolve())
    dbt_vars: dict = {}
    if run_dates is not None:
        dbt_vars.update(run_start_date=run_dates[0].isoformat(), run_end_date=run_dates[1].isoformat())
    dbt_vars.update(extra_vars or {})
    command = [dbt_executable(), *args, "--project-dir", str(DBT_PROJECT_DIR),
               "--profiles-dir", str(DBT_PROJECT_DIR), "--target-path", str(work_dir / "target"),
               "--log-path", str(work_dir / "logs")]
    if target is not None:
        command += ["--target", target]
    if dbt_vars:
        command += ["--vars", json.dumps(dbt_vars)]
    result = subprocess.run(command, env=env, cwd=PROJECT_ROOT, capture_output=True, text=True,
                            timeout=timeout)
    if result.returncode != 0:
        dates = f" ({run_dates[0]} .. {run_dates[1]})" if run_dates else ""
        raise RuntimeError(f"dbt {' '.join(args)}{dates} failed:\n"
                           f"{result.stdout[-6000:]}\n{result.stderr[-2000:]}")
    return result.stdout

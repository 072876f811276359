"""The one way to run dbt on this project's dbt folder outside Cosmos's task groups.

A child process by default: the initial load, OULAD scoring, the score's fitting tool and
the tests' warehouses. Each caller gives its own work folder, so its target and logs never
clobber the manifest Cosmos reads (dbt/target) or another run's files.

`in_process=True` runs dbt in this process (dbtRunner), as Cosmos runs its tasks; an Airflow
task needs it on DuckDB: dbt-duckdb keeps the file open in the process that ran dbt until
that process exits, so under `dag.test` (the demo, the tests), where every task runs in one
process after Cosmos's, a child dbt process would find the file locked.
"""

from __future__ import annotations

import json
import os
import shutil
import subprocess
import sys
from datetime import date
from pathlib import Path
from typing import Any

from pipeline_health.config import PROJECT_ROOT, dbt_project_dir

DBT_PROJECT_DIR = dbt_project_dir()
# What `make setup` parses and the DAGs run (Cosmos reads it; so do the freshness thresholds).
MANIFEST_PATH = DBT_PROJECT_DIR / "target" / "manifest.json"
# dbt unit tests check SQL logic, not data: the test suite runs them (tests/warehouse_build.py),
# no pipeline run does. With --selector, dbt ignores --exclude (and --select): a resource-type
# flag is the exclusion that holds.
NO_UNIT_TESTS = ["--exclude-resource-type", "unit_test"]
# The profile in dbt/profiles.yml. Always named: dbt's saved parse (partial_parse.msgpack,
# Makefile) is reused only by commands that name the same profile and target.
DBT_PROFILE = "pipeline_health"
# The environment variables macros/run/run_window.sql reads for the run's first and last day.
RUN_DATE_ENV = ("PIPELINE_HEALTH_RUN_START_DATE", "PIPELINE_HEALTH_RUN_END_DATE")


def dbt_executable() -> str:
    beside = Path(sys.executable).with_name("dbt")
    found = str(beside) if beside.exists() else shutil.which("dbt")
    if not found:
        raise RuntimeError("dbt is not installed next to this Python or on PATH")
    return found


def run_dates_env(run_dates: tuple[date, date]) -> dict[str, str]:
    """The run's days (inclusive) as the environment variables macros/run/run_window.sql reads,
    as the DAGs pass them (cosmos_setup.run_dates_env): as dbt vars they would make dbt parse
    the whole project again whenever the days change (~10 s a command)."""
    return dict(zip(RUN_DATE_ENV, (run_dates[0].isoformat(), run_dates[1].isoformat()), strict=True))


def dbt_arguments(args: list[str], *, work_dir: Path, extra_vars: dict | None = None,
                  target: str | None = None) -> list[str]:
    """`args` plus this project's folders and profile, the work folder's target and logs, target
    and vars (the run's days go in the environment: run_dates_env)."""
    dbt_vars = dict(extra_vars or {})
    command = [*args, "--project-dir", str(DBT_PROJECT_DIR), "--profiles-dir", str(DBT_PROJECT_DIR),
               "--profile", DBT_PROFILE,
               "--target-path", str(work_dir / "target"), "--log-path", str(work_dir / "logs")]
    if target is not None:
        command += ["--target", target]
    if dbt_vars:
        command += ["--vars", json.dumps(dbt_vars)]
    return command


def run_dbt(args: list[str], *, work_dir: Path, duckdb_path: Path | None = None,
            run_dates: tuple[date, date] | None = None, extra_vars: dict | None = None,
            target: str | None = None, timeout: float | None = None, in_process: bool = False,
            allow_node_failures: bool = False) -> str:
    """Run `dbt <args>`; return its output, or raise RuntimeError with the output's tail.

    run_dates become the environment variables PIPELINE_HEALTH_RUN_START_DATE / _END_DATE (the
    DAGs' contract: run_dates_env), which the vars run_start_date / run_end_date in extra_vars
    would override; duckdb_path points the duckdb target at that file; without
    `target` the profile's default (PIPELINE_HEALTH_DBT_TARGET, else duckdb) is used.
    allow_node_failures: dbt finished but some node failed or erred (exit code 1, e.g. a
    source past its freshness error_after): return instead of raising; the caller reads
    dbt's result file. A dbt that could not run (exit code 2) always raises.
    in_process: run in this process (see the module's docstring and invoke_dbt); nothing is
    captured (dbt logs to this process's output, i.e. the task log) and "" is returned; no timeout.
    """
    if in_process:
        if timeout is not None:
            raise ValueError("run_dbt: no timeout in process")
        invoke_dbt(args, work_dir=work_dir, duckdb_path=duckdb_path, run_dates=run_dates,
                   extra_vars=extra_vars, target=target, allow_node_failures=allow_node_failures)
        return ""
    env, arguments, dates = _invocation(args, work_dir, duckdb_path, run_dates, extra_vars, target)
    result = subprocess.run([dbt_executable(), *arguments], env={**os.environ, **env}, cwd=PROJECT_ROOT,
                            capture_output=True, text=True, timeout=timeout)
    if result.returncode != 0 and not (allow_node_failures and result.returncode == 1):
        raise RuntimeError(f"dbt {' '.join(args)}{dates} failed:\n"
                           f"{result.stdout[-6000:]}\n{result.stderr[-2000:]}")
    return result.stdout


def invoke_dbt(args: list[str], *, work_dir: Path, duckdb_path: Path | None = None,
               run_dates: tuple[date, date] | None = None, extra_vars: dict | None = None,
               target: str | None = None, allow_node_failures: bool = False) -> Any:
    """`dbt <args>` in this process (dbtRunner), as run_dbt's arguments say; returns dbt's own
    result object (e.g. the freshness results), for a caller that needs no file from dbt."""
    from dbt.cli.main import dbtRunner  # a second of imports: only when dbt runs

    env, arguments, dates = _invocation(args, work_dir, duckdb_path, run_dates, extra_vars, target)
    saved = os.environ.copy()  # dbt reads its settings from the environment: restore it after
    os.environ.update(env)
    try:
        result = dbtRunner().invoke(arguments)
    finally:
        os.environ.clear()
        os.environ.update(saved)
    if result.exception is not None:
        raise RuntimeError(f"dbt {' '.join(args)}{dates} could not run: {result.exception}") \
            from result.exception
    if not result.success and not allow_node_failures:
        raise RuntimeError(f"dbt {' '.join(args)}{dates} failed (see the dbt output above)")
    return result.result


def _invocation(args: list[str], work_dir: Path, duckdb_path: Path | None,
                run_dates: tuple[date, date] | None, extra_vars: dict | None,
                target: str | None) -> tuple[dict[str, str], list[str], str]:
    """(environment, dbt arguments, the days for messages) of one dbt command."""
    env = {"DBT_SEND_ANONYMOUS_USAGE_STATS": "false"}
    seed_partial_parse(work_dir)
    if duckdb_path is not None:
        env["PIPELINE_HEALTH_DUCKDB_PATH"] = str(Path(duckdb_path).resolve())
    if run_dates is not None:
        env.update(run_dates_env(run_dates))
    arguments = dbt_arguments(args, work_dir=work_dir, extra_vars=extra_vars, target=target)
    return env, arguments, f" ({run_dates[0]} .. {run_dates[1]})" if run_dates else ""


def seed_partial_parse(work_dir: Path) -> None:
    """Start a new work folder from the project's saved parse (`dbt parse` at set-up).

    Without it a work folder's first dbt call parses the whole project (15-30 s on this
    machine; the daily DAG's first freshness check after a deploy paid it). dbt checks the
    saved parse against the project, profile, vars and environment, and parses again
    whatever changed, so a stale copy costs only the time it would have cost anyway. A work
    folder's own parse is replaced when the set-up's is newer (a new deploy): the older one
    would be parsed again in full, once per folder.
    """
    saved = DBT_PROJECT_DIR / "target" / "partial_parse.msgpack"
    seeded = work_dir / "target" / "partial_parse.msgpack"
    if saved.is_file() and (not seeded.exists() or seeded.stat().st_mtime < saved.stat().st_mtime):
        seeded.parent.mkdir(parents=True, exist_ok=True)
        shutil.copyfile(saved, seeded)

"""Fail fast on what a retry cannot fix; let Airflow retry what can heal.

Permanent: a bad setting (`ConfigError`), a corrupted or unreadable warehouse file, a
missing dbt manifest. Retrying those only delays the alert (two retries with back-off
took about five minutes), so the task fails at once with the message
(`AirflowFailException` skips the retries).
Transient, left to Airflow's retries: the DuckDB file locked by another process, the
mail server refusing or unreachable, a network error.
"""

from __future__ import annotations

import functools
import re
from collections.abc import Callable
from pathlib import Path
from typing import ParamSpec, TypeVar

from airflow.sdk.exceptions import AirflowFailException

from pipeline_health.config import ConfigError, Settings, SimulationConfig

P = ParamSpec("P")
R = TypeVar("R")

# DuckDB's "Could not set lock on file ... Conflicting lock is held": another writer, transient.
# A word match, so "checksum ... in block at location" (corruption) is not taken for a lock.
_LOCK = re.compile(r"\block\b", re.IGNORECASE)


class PermanentError(RuntimeError):
    """A fault that the same task will hit again on every try."""


def fail_fast(func: Callable[P, R]) -> Callable[P, R]:
    """Turn permanent faults raised by a task callable into a failure without retries."""

    @functools.wraps(func)
    def wrapper(*args: P.args, **kwargs: P.kwargs) -> R:
        try:
            return func(*args, **kwargs)
        except ConfigError as exc:
            raise AirflowFailException(f"configuration error, not retried: {exc}") from exc
        except PermanentError as exc:
            raise AirflowFailException(f"{exc} (not retried)") from exc

    return wrapper


def check_manifest(manifest: Path) -> None:
    if not manifest.is_file():
        raise PermanentError(
            f"dbt manifest {manifest} is missing: build it with `make setup` (locally) or "
            f"`dbt parse --project-dir dbt --profiles-dir dbt` (the image's build does it)")


def check_duckdb_warehouse(path: Path) -> None:
    """Open the file and read its catalog: cheap, and it finds a file that is not a DuckDB
    database, a truncated one, or a damaged header or catalog. A missing file is fine
    (the first load creates it); a lock held by another process is transient."""
    import duckdb  # here, not at module level: DAG files import this module

    if not path.exists():
        return
    if not path.is_file():
        raise PermanentError(f"DuckDB warehouse {path} is not a file")
    try:
        try:
            con = duckdb.connect(str(path), read_only=True)
        except duckdb.ConnectionException as exc:
            # This process already holds the file read-write (`dag.test` runs every task
            # in one process): that handle's database is the one to query.
            if "different configuration" not in str(exc):
                raise
            con = duckdb.connect(str(path))
        try:
            con.execute("SELECT count(*) FROM duckdb_tables()").fetchone()
        finally:
            con.close()
    except duckdb.Error as exc:
        message = str(exc)
        if isinstance(exc, duckdb.IOException) and _LOCK.search(message):
            raise  # another writer holds the file: Airflow's retries wait for it
        raise PermanentError(
            f"DuckDB warehouse {path} is corrupted or unreadable ({message.strip()[:300]}); "
            f"restore it from backup (README, Operations) or move it aside to start a new "
            f"warehouse") from exc


def check_ready(settings: Settings | None = None) -> Settings:
    """The first task of each DAG calls this before any work; raises on a permanent fault."""
    from pipeline_health.orchestration.cosmos_setup import MANIFEST_PATH

    settings = settings or Settings.from_env()
    SimulationConfig.from_env()  # every setting is read once here, so a bad one fails now
    check_manifest(MANIFEST_PATH)
    if settings.warehouse == "duckdb":
        check_duckdb_warehouse(settings.duckdb_path)
    return settings

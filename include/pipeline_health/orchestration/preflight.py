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
from collections.abc import Callable
from pathlib import Path
from typing import ParamSpec, TypeVar

from airflow.sdk.exceptions import AirflowFailException

from pipeline_health.config import ConfigError, Settings, SimulationConfig
from pipeline_health.warehouse import WarehouseError, duckdb_error, open_duckdb

P = ParamSpec("P")
R = TypeVar("R")


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
        con = open_duckdb(path, read_only=True)
        try:
            con.execute("SELECT count(*) FROM duckdb_tables()").fetchone()
        except duckdb.Error as exc:
            raise duckdb_error(path, exc) from exc
        finally:
            con.close()
    except WarehouseError as exc:
        if exc.transient:
            raise  # another writer holds the file: Airflow's retries wait for it
        raise PermanentError(f"{exc}; restore it from backup (README, Operations) or move it "
                             f"aside to start a new warehouse") from exc


def check_ready(settings: Settings | None = None) -> Settings:
    """The first task of each DAG calls this before any work; raises on a permanent fault."""
    from pipeline_health.orchestration.cosmos_setup import MANIFEST_PATH

    settings = settings or Settings.from_env()
    SimulationConfig.from_env()  # every setting is read once here, so a bad one fails now
    check_manifest(MANIFEST_PATH)
    if settings.warehouse == "duckdb":
        check_duckdb_warehouse(settings.duckdb_path)
    return settings

"""The one way into the warehouse: open DuckDB, build BigQuery clients, check identifiers,
name datasets.

Every production module goes through here, so a fault reads the same everywhere
(`WarehouseError`, naming the file and what is wrong) and a dataset's name is computed one
way: the way dbt computes it (dbt/macros/generate_schema_name.sql, the sources' schemas).
Cosmos passes `dbt_vars(settings)` to dbt, so dbt takes the prefix from these settings;
tests/test_warehouse.py checks dbt's rendered schemas against `dataset_name`.

Heavy imports (duckdb, Google, Airflow) happen inside the functions: DAG files import
this module, and the BigQuery loader must import without Airflow.
"""

from __future__ import annotations

import re
from pathlib import Path
from typing import TYPE_CHECKING

from pipeline_health.config import ConfigError, Settings
from pipeline_health.loaders.base import LoadError

if TYPE_CHECKING:
    import duckdb
    from google.cloud import bigquery

# dbt schemas whose datasets follow the raw dataset (the dbt sources), not the prefix.
RAW, TRUTH = "raw", "truth"

# Identifiers (schema, dataset, table, project) cannot be query parameters: they are checked
# against these patterns before being quoted into a statement. Values always travel as parameters.
_NAME = re.compile(r"^[A-Za-z_][A-Za-z0-9_]{0,1023}$")
# Google Cloud project ids: 6-30 lowercase letters, digits and hyphens, starting with a
# letter, not ending with a hyphen; legacy domain-scoped ids add a "domain:" prefix.
_PROJECT = re.compile(r"^(?:[a-z][a-z0-9.-]*[a-z0-9]:)?[a-z][a-z0-9-]{4,28}[a-z0-9]$")
# DuckDB's "Could not set lock on file ... Conflicting lock is held": another writer, transient.
# A word match, so "checksum ... in block at location" (corruption) is not taken for a lock.
_LOCK = re.compile(r"\block\b", re.IGNORECASE)
# What DuckDB says of a file that is not a database, truncated, damaged or of another version.
_CORRUPT = re.compile(r"not a valid DuckDB database|corrupt|checksum|could not read enough bytes"
                      r"|serializ|version number", re.IGNORECASE)


class WarehouseError(LoadError):
    """The warehouse could not be opened; the message names the file and what is wrong.

    `transient` is True only for a lock held by another process: a retry may succeed.
    A LoadError, so the CLI and the loaders' callers report it as before.
    """

    def __init__(self, message: str, *, transient: bool = False) -> None:
        super().__init__(message)
        self.transient = transient


# --------------------------------------------------------------------------- identifiers


def check_name(value: str, what: str) -> str:
    """`value` if it is a plain identifier (schema, dataset, table), else ConfigError."""
    if not isinstance(value, str) or not _NAME.match(value):
        raise ConfigError(f"{what} {value!r} is not a plain identifier "
                          f"(letters, digits and underscores, not starting with a digit)")
    return value


def check_project(value: str) -> str:
    """`value` if it is a valid Google Cloud project id, else ConfigError."""
    if not isinstance(value, str) or not _PROJECT.match(value):
        raise ConfigError(f"BigQuery project id {value!r} is not valid: 6-30 lowercase letters, "
                          f"digits or hyphens, starting with a letter (PIPELINE_HEALTH_BQ_PROJECT)")
    return value


def duckdb_relation(schema: str, table: str) -> str:
    return f'"{check_name(schema, "schema")}"."{check_name(table, "table")}"'


def bigquery_relation(project: str, dataset: str, table: str) -> str:
    return (f"`{check_project(project)}.{check_name(dataset, 'dataset')}"
            f".{check_name(table, 'table')}`")


# --------------------------------------------------------------------------- dataset names


def dataset_prefix(settings: Settings) -> str:
    """`<prefix>` of the BigQuery datasets dbt builds (`<prefix>staging`, `<prefix>marts`, ...).

    PIPELINE_HEALTH_BQ_DATASET_PREFIX when set, else the raw dataset's name without its
    trailing "raw" ("pipeline_health_raw" -> "pipeline_health_"), else the raw dataset's
    name and "_". dbt's `dataset_prefix` macro falls back to the same rule when it runs
    without the var (a hand-run dbt); tests/test_warehouse.py keeps the two equal.
    """
    if settings.bq_dataset_prefix:
        return settings.bq_dataset_prefix
    raw = settings.bq_raw_dataset
    return raw[: -len("raw")] if raw.endswith("raw") else f"{raw}_"


def bigquery_dataset(prefix: str, raw_dataset: str, schema: str) -> str:
    """The BigQuery dataset of dbt schema `schema` (sources: raw and truth; models: prefixed)."""
    if schema == RAW:
        name = raw_dataset
    elif schema == TRUTH:
        name = truth_dataset(raw_dataset)
    else:
        name = f"{prefix}{schema}"
    return check_name(name, "dataset")


def truth_dataset(raw_dataset: str) -> str:
    """The simulated truth lives beside the raw dataset, never in it (dbt source `simulation_truth`)."""
    return f"{raw_dataset}_truth"


def dataset_name(settings: Settings, schema: str) -> str:
    """The schema (DuckDB) or dataset (BigQuery) that dbt uses for schema `schema`."""
    if settings.warehouse != "bigquery":
        return check_name(schema, "schema")  # one file is one environment: no prefix
    return bigquery_dataset(dataset_prefix(settings), settings.bq_raw_dataset, schema)


def dbt_vars(settings: Settings) -> dict[str, str]:
    """dbt vars that make dbt name datasets from these settings (Cosmos passes them)."""
    return {"dataset_prefix": dataset_prefix(settings)} if settings.warehouse == "bigquery" else {}


# --------------------------------------------------------------------------- BigQuery


def bigquery_project(settings: Settings) -> str:
    """The configured project, checked. Explicit rather than the connection's default:
    table ids are built from it before any client exists, and a wrong default would write
    elsewhere."""
    if not settings.bq_project:
        raise ConfigError("PIPELINE_HEALTH_BQ_PROJECT must be set when "
                          "PIPELINE_HEALTH_WAREHOUSE=bigquery")
    return check_project(settings.bq_project)


def bigquery_client(settings: Settings) -> bigquery.Client:
    """A client from the Airflow Google connection `settings.gcp_conn_id`: credentials never
    come from the repository."""
    project = bigquery_project(settings)
    from airflow.providers.google.cloud.hooks.bigquery import BigQueryHook

    hook = BigQueryHook(gcp_conn_id=settings.gcp_conn_id)
    return hook.get_client(project_id=project, location=settings.bq_location)


# --------------------------------------------------------------------------- DuckDB


def open_duckdb(path: Path | str, *, read_only: bool = False) -> duckdb.DuckDBPyConnection:
    """Open the warehouse file, read-only when we only read; WarehouseError on any fault.

    A writer creates the file's folder (the first load creates the warehouse); a reader
    needs the file to exist.
    """
    import duckdb

    path = Path(path)
    if path.is_dir():
        raise WarehouseError(f"DuckDB warehouse {path} is a directory, not a database file")
    if not path.parent.is_dir():
        if read_only:
            raise WarehouseError(f"DuckDB warehouse {path}: its folder {path.parent} does not exist")
        try:
            path.parent.mkdir(parents=True, exist_ok=True)
        except OSError as exc:
            raise WarehouseError(f"cannot create the folder {path.parent} for DuckDB warehouse "
                                 f"{path}: {exc.strerror or exc}") from exc
    if read_only and not path.exists():
        raise WarehouseError(f"DuckDB warehouse {path} does not exist (run a daily load first)")
    try:
        return duckdb.connect(str(path), read_only=read_only)
    except duckdb.ConnectionException as exc:
        # This process already holds the file read-write (`dag.test` runs dbt and every task in
        # one process) and DuckDB refuses a second, read-only handle: that handle's database is
        # the one to read, and its writer is not running concurrently.
        if read_only and "different configuration" in str(exc):
            return duckdb.connect(str(path))
        raise duckdb_error(path, exc) from exc
    except duckdb.Error as exc:
        raise duckdb_error(path, exc) from exc


def duckdb_error(path: Path, exc: Exception) -> WarehouseError:
    """DuckDB's error on opening or first reading `path`, as a WarehouseError saying what is wrong."""
    import duckdb

    message = str(exc).strip()
    if isinstance(exc, duckdb.IOException) and _LOCK.search(message):
        return WarehouseError(
            f"DuckDB warehouse {path} is locked by another process (one writer at a time: is a "
            f"dbt run or another load still going?): {message}", transient=True)
    if _CORRUPT.search(message):
        return WarehouseError(f"cannot open DuckDB warehouse {path}: it is corrupted or unreadable "
                              f"(not a DuckDB database, truncated or damaged): {message[:300]}")
    return WarehouseError(f"cannot open DuckDB warehouse {path}: {message[:300]}")

"""Publish the tables the page reads into a separate, read-only DuckDB file.

DuckDB allows one writer per file, and a reader opened on the warehouse file would
both fail while a DAG writes it and, if it got in first, block the DAG's writer. So
the page never opens the warehouse: the last task of each daily and weekly DAG run
(in the one-slot writer pool, so nothing writes meanwhile) copies these tables into
`$PIPELINE_HEALTH_STATE_DIR/dashboard/published.duckdb`. The copy is written to a temporary
file in the same folder and moved over the old one with `os.replace`, which is atomic:
a request sees the previous complete file or the new complete file, never a half-written
one, and a request that already opened the old file keeps reading it.

Tables keep their schema and name, so the page's SQL (queries.py) runs unchanged on
the published copy and on the warehouse itself. The raw tables are reduced to what the
freshness query reads (latest `loaded_at` per `load_date`); names and demographics of
raw_apprentices are never copied.

`python -m pipeline_health.dashboard.publish` publishes by hand (e.g. after `initial-load`).
"""

from __future__ import annotations

import logging
import os
import time
import uuid
from dataclasses import dataclass, field
from datetime import UTC, datetime
from pathlib import Path

from pipeline_health.config import Settings
from pipeline_health.dashboard.queries import EVENT_RAW_TABLES, TABLES

log = logging.getLogger(__name__)

# Not "marts.duckdb": DuckDB names the catalog after the file, which would clash with schema marts.
PUBLISHED_NAME = "published.duckdb"
META_SCHEMA, META_TABLE = "dashboard_meta", "published"

# How each table is copied; `{src}` is the warehouse table. Default: every row and column.
_PROJECTIONS = {
    "snapshot": "select apprentice_id, current_progression_status, dbt_valid_from, dbt_valid_to "
                "from {src}",
    **{t: "select load_date, max(loaded_at) as loaded_at from {src} group by load_date"
       for t in EVENT_RAW_TABLES},
}
_REFERENCE_PROJECTION = "select max(loaded_at) as loaded_at from {src}"


def published_path(settings: Settings | None = None) -> Path:
    settings = settings or Settings.from_env()
    return settings.state_dir / "dashboard" / PUBLISHED_NAME


@dataclass
class PublishResult:
    path: Path
    tables: dict[str, int] = field(default_factory=dict)  # "schema.table" -> rows copied
    missing: list[str] = field(default_factory=list)  # not built yet in the warehouse
    seconds: float = 0.0

    def as_dict(self) -> dict:
        return {"path": str(self.path), "tables": self.tables, "missing": self.missing,
                "seconds": round(self.seconds, 2)}


def _projection(logical: str, schema: str) -> str:
    if logical in _PROJECTIONS:
        return _PROJECTIONS[logical]
    return _REFERENCE_PROJECTION if schema == "raw" else "select * from {src}"


def _copy(con, alias: str, warehouse: Path, result: PublishResult) -> None:
    catalog = con.execute("select current_database()").fetchone()[0]
    present = set(con.execute("select table_schema, table_name from information_schema.tables "
                              "where table_catalog = ?", [catalog]).fetchall())
    for logical, (schema, table) in TABLES.items():
        if (schema, table) not in present:
            result.missing.append(f"{schema}.{table}")
            continue
        src = f'"{catalog}"."{schema}"."{table}"'
        dst = f'{alias}."{schema}"."{table}"'
        con.execute(f'create schema if not exists {alias}."{schema}"')
        con.execute(f"create table {dst} as " + _projection(logical, schema).format(src=src))
        result.tables[f"{schema}.{table}"] = con.execute(f"select count(*) from {dst}").fetchone()[0]
    con.execute(f'create schema {alias}."{META_SCHEMA}"')
    con.execute(f'create table {alias}."{META_SCHEMA}"."{META_TABLE}" as '
                "select cast(? as timestamp) as published_at, ? as source",
                [datetime.now(UTC).replace(tzinfo=None), str(warehouse)])


def publish(warehouse: Path, target: Path) -> PublishResult:
    """Copy the page's tables from `warehouse` into `target`, replacing it atomically."""
    from pipeline_health.warehouse import open_duckdb

    started = time.perf_counter()
    result = PublishResult(path=target)
    target.parent.mkdir(parents=True, exist_ok=True)
    tmp = target.with_name(f".{target.name}.{os.getpid()}.tmp")
    tmp.unlink(missing_ok=True)
    # The warehouse is the connection's own database (read-only), the new file is attached
    # read-write; `open_duckdb` copes with a dbt run in the same process (under `dag.test`),
    # hence an alias of our own and a DETACH whatever happens.
    alias = f"dashboard_publish_{os.getpid()}_{uuid.uuid4().hex[:8]}"
    con = open_duckdb(warehouse, read_only=True)
    try:
        escaped = str(tmp).replace("'", "''")
        con.execute(f"ATTACH '{escaped}' AS {alias} (READ_WRITE)")
        try:
            _copy(con, alias, warehouse, result)
        finally:
            con.execute(f"DETACH {alias}")
    except BaseException:
        tmp.unlink(missing_ok=True)
        raise
    finally:
        con.close()
    os.replace(tmp, target)
    result.seconds = time.perf_counter() - started
    log.info("published the dashboard's tables to %s in %.1f s: %s (not built yet: %s)",
             target, result.seconds, result.tables, result.missing or "none")
    return result


def publish_from_settings(settings: Settings | None = None) -> PublishResult | None:
    """Publish for the configured warehouse; BigQuery needs no copy (the page reads it)."""
    settings = settings or Settings.from_env()
    if settings.warehouse != "duckdb":
        log.info("warehouse is %s: the page reads it directly, nothing to publish",
                 settings.warehouse)
        return None
    if not settings.duckdb_path.exists():
        log.warning("no DuckDB warehouse at %s yet: nothing to publish", settings.duckdb_path)
        return None
    return publish(settings.duckdb_path, published_path(settings))


def main() -> None:
    result = publish_from_settings()
    print(result.as_dict() if result else "nothing published (see the log)")


if __name__ == "__main__":
    main()

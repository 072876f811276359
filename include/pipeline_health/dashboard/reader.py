"""Run the page's queries: on the published DuckDB file (local) or on BigQuery (production)."""

from __future__ import annotations

import re
import threading
from dataclasses import dataclass
from datetime import date, datetime
from pathlib import Path
from typing import Any, Protocol

# Imported here, not per request: the first import takes about 0.4 s.
import duckdb

from pipeline_health.dashboard.queries import QUERIES, TABLES, Relations

Row = dict[str, Any]


class NotPublished(RuntimeError):
    """The published file does not exist yet (no DAG run has finished since setup)."""


class Reader(Protocol):
    def missing(self, query: str) -> list[str]:
        """Tables `query` reads that do not exist yet ("schema.table")."""

    def rows(self, query: str, **params: Any) -> list[Row]: ...

    def published_at(self) -> datetime | None:
        """When the data was published (None: read live, as on BigQuery)."""

    def close(self) -> None: ...


def used(query: str, params: dict[str, Any]) -> dict[str, Any]:
    """The parameters `query` refers to (both engines reject unused named parameters)."""
    sql = QUERIES[query].sql
    return {k: v for k, v in params.items() if re.search(rf"@{k}\b", sql)}


@dataclass
class _Generation:
    """One published file, attached read-only to its own in-memory DuckDB instance."""

    key: tuple[int, int]  # (inode, mtime): os.replace gives the new file a new inode
    con: Any
    present: frozenset[str]


_generations: list[_Generation] = []
_generations_lock = threading.Lock()


def _generation(path: Path) -> _Generation:
    """The instance for the file now at `path`, created once per published file.

    Creating a DuckDB instance costs about 30 ms, a third of a page, so each published
    file gets one, shared by requests through cursors. The file is attached to an
    in-memory instance rather than opened with `duckdb.connect(path)`, whose per-path
    instance cache would keep serving a replaced file. The previous generation stays
    referenced so requests still running on it finish; older ones are released.
    """
    try:
        st = path.stat()
    except FileNotFoundError:
        raise NotPublished(str(path)) from None
    key = (st.st_ino, st.st_mtime_ns)
    with _generations_lock:
        for generation in _generations:
            if generation.key == key:
                return generation
        con = duckdb.connect(":memory:")
        escaped = str(path).replace("'", "''")
        con.execute(f"ATTACH '{escaped}' AS published (READ_ONLY)")
        present = frozenset(f"{s}.{t}" for s, t in con.execute(
            "select table_schema, table_name from information_schema.tables "
            "where table_catalog = 'published'").fetchall())
        generation = _Generation(key, con, present)
        _generations[:] = [generation, *_generations[:1]]
        return generation


class DuckDBReader:
    """A read-only cursor on the published file, for one request."""

    def __init__(self, path: Path) -> None:
        generation = _generation(path)
        self._con = generation.con.cursor()
        self._con.execute("USE published")
        self._present = generation.present
        self._relations = Relations.duckdb()

    def missing(self, query: str) -> list[str]:
        wanted = (".".join(TABLES[t]) for t in QUERIES[query].tables)
        return [name for name in wanted if name not in self._present]

    def rows(self, query: str, **params: Any) -> list[Row]:
        cursor = self._con.execute(QUERIES[query].render(self._relations), used(query, params))
        columns = [d[0] for d in cursor.description]
        return [dict(zip(columns, r, strict=True)) for r in cursor.fetchall()]

    def published_at(self) -> datetime | None:
        if "dashboard_meta.published" not in self._present:
            return None
        return self._con.execute("select max(published_at) from dashboard_meta.published").fetchone()[0]

    def close(self) -> None:
        self._con.close()


class BigQueryReader:
    """The same queries on the BigQuery datasets (no copy needed: BigQuery has no writer lock)."""

    def __init__(self, client, relations: Relations, location: str) -> None:
        self.client, self.relations, self.location = client, relations, location

    def missing(self, query: str) -> list[str]:
        return []

    def published_at(self) -> datetime | None:
        return None

    def rows(self, query: str, **params: Any) -> list[Row]:
        from google.cloud import bigquery

        def param(name: str, value: Any):
            kind = "DATE" if isinstance(value, date) else "STRING"
            return bigquery.ScalarQueryParameter(name, kind, value)

        config = bigquery.QueryJobConfig(
            query_parameters=[param(k, v) for k, v in used(query, params).items()])
        job = self.client.query(QUERIES[query].render(self.relations), job_config=config,
                                location=self.location)
        return [dict(row.items()) for row in job.result()]

    def close(self) -> None:
        pass


def reader_from_settings() -> Reader:
    from pipeline_health.config import Settings

    settings = Settings.from_env()
    if settings.warehouse == "duckdb":
        from pipeline_health.dashboard.publish import published_path

        return DuckDBReader(published_path(settings))
    from pipeline_health.warehouse import bigquery_client, dataset_prefix

    relations = Relations.bigquery(settings.bq_project, dataset_prefix(settings),
                                   settings.bq_raw_dataset)
    return BigQueryReader(bigquery_client(settings), relations, settings.bq_location)

"""DuckDB raw loader: the embedded default warehouse, one file on disk.

A day's load deletes and re-inserts that day's partition of every event table in
one transaction, so a re-run or a backfill in any order leaves exactly the same
rows, and a failure leaves the previous state intact. DuckDB allows one writer
per file: callers (Airflow tasks) must not write concurrently (see the DAGs' pool).
"""

from __future__ import annotations

from collections.abc import Iterable, Iterator, Mapping
from contextlib import contextmanager
from datetime import UTC, date, datetime
from pathlib import Path

import duckdb
import pyarrow as pa

from pipeline_health.loaders.base import LoadError, Rows
from pipeline_health.schemas import (
    ALL_TABLES,
    LOAD_DATE,
    LOADED_AT,
    RAW_SCHEMA,
    TABLES_BY_NAME,
    TRUTH_SCHEMA,
    Kind,
    Table,
    schema_for,
)
from pipeline_health.warehouse import open_duckdb

DUCKDB_TYPES = {"STRING": "VARCHAR", "INT64": "BIGINT", "FLOAT64": "DOUBLE", "BOOL": "BOOLEAN",
                "DATE": "DATE", "TIMESTAMP": "TIMESTAMPTZ"}
ARROW_TYPES = {"STRING": pa.string(), "INT64": pa.int64(), "FLOAT64": pa.float64(),
               "BOOL": pa.bool_(), "DATE": pa.date32(), "TIMESTAMP": pa.timestamp("us", "UTC")}


class DuckDBLoader:
    def __init__(self, path: Path | str) -> None:
        self.path = Path(path)

    @contextmanager
    def _connection(self) -> Iterator[duckdb.DuckDBPyConnection]:
        con = open_duckdb(self.path)
        try:
            yield con
        finally:
            con.close()

    def ensure_tables(self) -> None:
        with self._connection() as con:
            self._ensure(con)

    def _ensure(self, con: duckdb.DuckDBPyConnection) -> None:
        for schema in (RAW_SCHEMA, TRUTH_SCHEMA):
            con.execute(f"CREATE SCHEMA IF NOT EXISTS {schema}")
        for table in ALL_TABLES:
            qualified = f"{schema_for(table)}.{table.name}"
            cols = ", ".join(
                f"{c.name} {DUCKDB_TYPES[c.type]}{' NOT NULL' if _not_null(table, c.name) else ''}"
                for c in table.columns)
            con.execute(f"CREATE TABLE IF NOT EXISTS {qualified} ({cols})")
            existing = [r[0] for r in con.execute(
                "SELECT column_name FROM information_schema.columns "
                "WHERE table_schema = ? AND table_name = ? ORDER BY ordinal_position",
                [schema_for(table), table.name]).fetchall()]
            if existing != table.column_names:
                raise LoadError(
                    f"table {qualified} in {self.path} has columns {existing}, expected "
                    f"{table.column_names}; migrate or remove the file before loading")

    def load_day(self, day: date, tables: Mapping[str, Rows]) -> dict[str, int]:
        return self.load_days([(day, tables)])

    def load_days(self, batches: Iterable[tuple[date, Mapping[str, Rows]]]) -> dict[str, int]:
        """Load several days over one connection; each day is its own transaction."""
        totals: dict[str, int] = {}
        with self._connection() as con:
            self._ensure(con)
            for day, tables in batches:
                prepared = {name: _to_arrow(_table(name, Kind.EVENT), rows)
                            for name, rows in tables.items()}
                loaded_at = datetime.now(UTC)
                con.execute("BEGIN TRANSACTION")
                try:
                    for name, arrow in prepared.items():
                        table = TABLES_BY_NAME[name]
                        con.execute(f"DELETE FROM {RAW_SCHEMA}.{name} WHERE {LOAD_DATE} = ?",
                                    [day])
                        self._insert(con, table, arrow, {LOAD_DATE: day, LOADED_AT: loaded_at})
                    con.execute("COMMIT")
                except Exception:
                    con.execute("ROLLBACK")
                    raise
                for name, arrow in prepared.items():
                    totals[name] = totals.get(name, 0) + arrow.num_rows
        return totals

    def load_reference(self, tables: Mapping[str, Rows]) -> dict[str, int]:
        prepared = {}
        for name, rows in tables.items():
            table = TABLES_BY_NAME.get(name)
            if table is None or table.kind is Kind.EVENT:
                raise LoadError(f"{name!r} is not a reference or truth table")
            prepared[name] = _to_arrow(table, rows)
        loaded_at = datetime.now(UTC)
        with self._connection() as con:
            self._ensure(con)
            con.execute("BEGIN TRANSACTION")
            try:
                for name, arrow in prepared.items():
                    table = TABLES_BY_NAME[name]
                    con.execute(f"DELETE FROM {schema_for(table)}.{name}")
                    self._insert(con, table, arrow, {LOADED_AT: loaded_at})
                con.execute("COMMIT")
            except Exception:
                con.execute("ROLLBACK")
                raise
        return {name: arrow.num_rows for name, arrow in prepared.items()}

    @staticmethod
    def _insert(con: duckdb.DuckDBPyConnection, table: Table, arrow: pa.Table,
                constants: dict[str, object]) -> None:
        if arrow.num_rows == 0:
            return
        select = ", ".join("?" if c in constants else c for c in table.column_names)
        params = [constants[c] for c in table.column_names if c in constants]
        con.register("incoming", arrow)
        try:
            con.execute(f"INSERT INTO {schema_for(table)}.{table.name} "
                        f"SELECT {select} FROM incoming", params)
        finally:
            con.unregister("incoming")


def _not_null(table: Table, column: str) -> bool:
    # Event payloads are raw: nulls land as they arrived and staging rejects them.
    return column in (LOAD_DATE, LOADED_AT) or (table.kind is not Kind.EVENT and
                                                 any(c.name == column and c.required
                                                     for c in table.columns))


def _table(name: str, kind: Kind) -> Table:
    table = TABLES_BY_NAME.get(name)
    if table is None or table.kind is not kind:
        raise LoadError(f"{name!r} is not a raw {kind.value} table; expected one of "
                        f"{sorted(t.name for t in ALL_TABLES if t.kind is kind)}")
    return table


def _to_arrow(table: Table, rows: Rows) -> pa.Table:
    """Validate rows against the table's payload columns and build an Arrow table."""
    columns = table.payload_columns
    names = {c.name for c in columns}
    for n, row in enumerate(rows):
        extra = set(row) - names
        if extra:
            raise LoadError(f"{table.name} row {n}: unknown column(s) {sorted(extra)}")
    schema = pa.schema([(c.name, ARROW_TYPES[c.type]) for c in columns])
    try:
        return pa.Table.from_pylist([dict(r) for r in rows], schema=schema)
    except (pa.ArrowInvalid, pa.ArrowTypeError, TypeError) as exc:
        raise LoadError(f"{table.name}: a value does not fit the column type: {exc}") from exc

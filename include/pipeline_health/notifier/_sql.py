"""Identifier checks shared by the DuckDB and BigQuery statements.

Values always travel as query parameters. Identifiers (dataset, schema, table,
project) cannot be parameters, so they are checked against a strict pattern
before being quoted into the statement.
"""

from __future__ import annotations

import re

_NAME = re.compile(r"^[A-Za-z_][A-Za-z0-9_]{0,1023}$")
# BigQuery project ids: lowercase letters, digits, hyphens (plus legacy "domain:" prefixes).
_PROJECT = re.compile(r"^(?:[a-z][a-z0-9.-]*:)?[a-z][a-z0-9-]{4,61}[a-z0-9]$")


def check_name(value: str, what: str) -> str:
    if not _NAME.match(value):
        raise ValueError(f"{what} {value!r} is not a plain identifier (letters, digits, _)")
    return value


def check_project(value: str) -> str:
    if not _PROJECT.match(value):
        raise ValueError(f"BigQuery project id {value!r} is not valid")
    return value


def duckdb_relation(schema: str, table: str) -> str:
    return f'"{check_name(schema, "schema")}"."{check_name(table, "table")}"'


def bigquery_relation(project: str, dataset: str, table: str) -> str:
    return (
        f"`{check_project(project)}.{check_name(dataset, 'dataset')}"
        f".{check_name(table, 'table')}`"
    )

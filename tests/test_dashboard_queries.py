"""The page's SQL: one text per query, valid on BigQuery and run on DuckDB, reading only what it says."""

from __future__ import annotations

import re

import pytest
import sqlglot
from dashboard_sample import WEEK, build

from pipeline_health.config import PROJECT_ROOT
from pipeline_health.dashboard.queries import QUERIES, REJECTION_REASONS, TABLES, Relations
from pipeline_health.dashboard.reader import DuckDBReader, used

PARAMS = {"week": WEEK, "coach": "C1", "programme": "", "cohort": ""}
BIGQUERY = Relations.bigquery("my-project-1", "pipeline_health_", "pipeline_health_raw")


@pytest.mark.parametrize("name", sorted(QUERIES))
def test_every_query_renders_and_parses_as_bigquery(name: str) -> None:
    sql = QUERIES[name].render(BIGQUERY)
    statements = sqlglot.parse(sql, read="bigquery")
    assert len(statements) == 1 and statements[0] is not None
    assert "$" not in sql and "{" not in sql
    # Only the datasets of this project, each table through its relation.
    for ref in re.findall(r"`([^`]+)`", sql):
        project, dataset, _ = ref.split(".")
        assert project == "my-project-1"
        assert dataset in {"pipeline_health_marts", "pipeline_health_ops", "pipeline_health_snapshots",
                           "pipeline_health_raw"}


@pytest.mark.parametrize("name", sorted(QUERIES))
def test_every_query_reads_only_the_tables_it_declares(name: str) -> None:
    query = QUERIES[name]
    rendered = query.render(Relations.duckdb())
    for logical, (schema, table) in TABLES.items():
        if f'"{schema}"."{table}"' in rendered:
            assert logical in query.tables, f"{name} reads {schema}.{table} without declaring it"


def test_every_query_runs_on_duckdb(tmp_path) -> None:
    from pipeline_health.dashboard.publish import publish

    path = publish(build(tmp_path / "w.duckdb"), tmp_path / "p.duckdb").path
    reader = DuckDBReader(path)
    try:
        for name in QUERIES:
            assert reader.missing(name) == []
            reader.rows(name, **PARAMS)
    finally:
        reader.close()


def test_parameters_are_bound_never_formatted_into_the_sql() -> None:
    for name, query in QUERIES.items():
        bound = used(name, PARAMS)
        for param in bound:
            assert f"@{param}" in query.sql
        assert "'{" not in query.sql and "%s" not in query.sql
    assert set(used("caseload_rows", PARAMS)) == {"week", "coach", "programme", "cohort"}
    assert used("caseload_weeks", PARAMS) == {}


def test_rejection_reasons_match_the_dbt_macro() -> None:
    macro = (PROJECT_ROOT / "dbt/macros/validation/event_table_rules.sql").read_text()
    body = macro.split("macro rejection_reasons()", 1)[1].split("endmacro", 1)[0]
    assert tuple(re.findall(r"'(\w+)'", body)) == REJECTION_REASONS


def test_no_query_recomputes_scores_bands_or_gaps() -> None:
    # The marts own scoring, suppression and equity maths; the page only selects them.
    for name, query in QUERIES.items():
        sql = query.sql.lower()
        assert not re.search(r"\b(risk_score|gap_\w+)\s*[-+*/]", sql), name
        assert "stddev" not in sql and "sqrt" not in sql and "percentile" not in sql, name
        assert not re.search(r"case when risk_score", sql), name


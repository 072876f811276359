"""Read-only summaries of what a run produced, for task logs, the demo and on-call checks.

Only counts and status/band/reason labels: never names or demographics.
"""

from __future__ import annotations

from datetime import date
from typing import Any

from pipeline_health.config import Settings

LAYERS = ("raw", "staging", "marts")


def _query(settings: Settings, sql: str, params: list[Any]) -> list[tuple]:
    from pipeline_health.loaders.duckdb_loader import connect

    con = connect(settings.duckdb_path, read_only=True)
    try:
        return con.execute(sql, params).fetchall()
    finally:
        con.close()


def _tables_with_column(settings: Settings, column: str) -> list[tuple[str, str]]:
    rows = _query(settings, "SELECT table_schema, table_name FROM information_schema.columns "
                  "WHERE column_name = ? AND table_schema IN ('raw', 'staging', 'marts') "
                  "ORDER BY 1, 2", [column])
    return [(s, t) for s, t in rows]


def daily_summary(settings: Settings, first: date, last: date) -> dict[str, Any]:
    if settings.warehouse != "duckdb":
        # On BigQuery the run's figures are in the job history and the dashboard.
        return {"first_day": first.isoformat(), "last_day": last.isoformat(),
                "note": "row summary is computed for the DuckDB warehouse only"}
    out: dict[str, Any] = {"first_day": first.isoformat(), "last_day": last.isoformat(),
                           "rows_per_layer": {}, "rejected_by_reason": {},
                           "apprentices_by_status": {}}
    for schema, table in _tables_with_column(settings, "load_date"):
        n = _query(settings, f"SELECT count(*) FROM {schema}.{table} "
                   "WHERE load_date BETWEEN ? AND ?", [first, last])[0][0]
        out["rows_per_layer"].setdefault(schema, {})[table] = n
    if ("staging", "stg_rejected_rows") in _tables_with_column(settings, "reason"):
        out["rejected_by_reason"] = dict(_query(
            settings, "SELECT source_table || ': ' || reason, count(*) "
            "FROM staging.stg_rejected_rows WHERE load_date BETWEEN ? AND ? "
            "GROUP BY 1 ORDER BY 1", [first, last]))
    if ("marts", "fct_apprentice_daily") in _tables_with_column(settings, "as_of_date"):
        out["apprentices_by_status"] = dict(_query(
            settings, "SELECT current_progression_status, count(*) "
            "FROM marts.fct_apprentice_daily WHERE as_of_date = ? GROUP BY 1 ORDER BY 1",
            [last]))
    return out

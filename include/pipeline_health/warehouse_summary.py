"""Read-only summaries of what a run produced, for task logs, the demo and on-call checks.

Only counts and status/band/reason labels: never names or demographics.
"""

from __future__ import annotations

from datetime import date
from typing import Any

from pipeline_health.config import Settings

LAYERS = ("raw", "staging", "marts")


def _query(settings: Settings, sql: str, params: list[Any]) -> list[tuple]:
    from pipeline_health.warehouse import open_duckdb

    con = open_duckdb(settings.duckdb_path, read_only=True)
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
    if _has_table(settings, "staging", "stg_apprenticeship__rejected_rows"):
        out["rejected_by_reason"] = dict(_query(
            settings, "SELECT source_table || ': ' || rejection_reason, count(*) "
            "FROM staging.stg_apprenticeship__rejected_rows WHERE load_date BETWEEN ? AND ? "
            "GROUP BY 1 ORDER BY 1", [first, last]))
    if _has_table(settings, "marts", "fct_apprentice_daily"):
        out["apprentices_by_status"] = dict(_query(
            settings, "SELECT current_progression_status, count(*) "
            "FROM marts.fct_apprentice_daily WHERE as_of_date = ? GROUP BY 1 ORDER BY 1",
            [last]))
    return out


def _has_table(settings: Settings, schema: str, table: str) -> bool:
    return bool(_query(settings, "SELECT count(*) FROM information_schema.tables "
                       "WHERE table_schema = ? AND table_name = ?", [schema, table])[0][0])


def weekly_summary(settings: Settings, since: date | None = None) -> dict[str, Any]:
    """Per scored week from `since`: apprentices per risk band, newly Red, coach emails sent."""
    out: dict[str, Any] = {"weeks": [], "snapshot_versions": 0, "snapshot_apprentices": 0}
    if settings.warehouse != "duckdb" or not settings.duckdb_path.exists():
        return out
    emails: dict = {}
    if _has_table(settings, "ops", "sent_coach_alerts"):
        emails = dict(_query(settings, "SELECT week_start_date, count(*) FROM "
                             "ops.sent_coach_alerts GROUP BY 1", []))
    if _has_table(settings, "marts", "fct_apprentice_risk_weekly"):
        rows = _query(settings, "SELECT week_start_date, risk_band, count(*), "
                      "count(*) FILTER (WHERE is_newly_red) FROM marts.fct_apprentice_risk_weekly "
                      "WHERE week_start_date >= ? GROUP BY 1, 2 ORDER BY 1, 2",
                      [since or date(1900, 1, 1)])
        weeks: dict = {}
        for week, band, n, newly in rows:
            w = weeks.setdefault(week, {"week_start_date": week.isoformat(), "bands": {},
                                        "newly_red": 0, "emails_sent": emails.get(week, 0)})
            w["bands"][band] = n
            w["newly_red"] += newly
        out["weeks"] = list(weeks.values())
    if _has_table(settings, "snapshots", "snap_apprentice_weekly_status"):
        versions, apprentices = _query(
            settings, "SELECT count(*), count(DISTINCT apprentice_id) "
            "FROM snapshots.snap_apprentice_weekly_status", [])[0]
        out.update(snapshot_versions=versions, snapshot_apprentices=apprentices)
    return out

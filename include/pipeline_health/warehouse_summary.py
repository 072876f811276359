"""Read-only summaries of what a run produced, for task logs, the demo and on-call checks.

Only counts and status/band/reason labels: never names or demographics.
"""

from __future__ import annotations

from datetime import date
from typing import Any

from pipeline_health.config import Settings

LAYERS = ("raw", "staging", "marts")


class _Reader:
    """One read-only connection to the DuckDB warehouse for all of a summary's queries (opening
    the file reads its catalog: a connection per query cost a second of a daily run)."""

    def __init__(self, settings: Settings):
        from pipeline_health.warehouse import open_duckdb

        self.con = open_duckdb(settings.duckdb_path, read_only=True)

    def __enter__(self) -> _Reader:
        return self

    def __exit__(self, *exc: object) -> None:
        self.con.close()

    def query(self, sql: str, params: list[Any]) -> list[tuple]:
        return self.con.execute(sql, params).fetchall()

    def tables_with_column(self, column: str) -> list[tuple[str, str]]:
        rows = self.query("SELECT table_schema, table_name FROM information_schema.columns "
                          "WHERE column_name = ? AND table_schema IN ('raw', 'staging', 'marts') "
                          "ORDER BY 1, 2", [column])
        return [(s, t) for s, t in rows]

    def has_table(self, schema: str, table: str) -> bool:
        return bool(self.query("SELECT count(*) FROM information_schema.tables "
                               "WHERE table_schema = ? AND table_name = ?", [schema, table])[0][0])


def daily_summary(settings: Settings, first: date, last: date) -> dict[str, Any]:
    if settings.warehouse != "duckdb":
        # On BigQuery the run's figures are in the job history and the dashboard.
        return {"first_day": first.isoformat(), "last_day": last.isoformat(),
                "note": "row summary is computed for the DuckDB warehouse only"}
    out: dict[str, Any] = {"first_day": first.isoformat(), "last_day": last.isoformat(),
                           "rows_per_layer": {}, "rejected_by_reason": {},
                           "apprentices_by_status": {}}
    with _Reader(settings) as db:
        for schema, table in db.tables_with_column("load_date"):
            n = db.query(f"SELECT count(*) FROM {schema}.{table} "
                         "WHERE load_date BETWEEN ? AND ?", [first, last])[0][0]
            out["rows_per_layer"].setdefault(schema, {})[table] = n
        if db.has_table("staging", "stg_apprenticeship__rejected_rows"):
            out["rejected_by_reason"] = dict(db.query(
                "SELECT source_table || ': ' || rejection_reason, count(*) "
                "FROM staging.stg_apprenticeship__rejected_rows WHERE load_date BETWEEN ? AND ? "
                "GROUP BY 1 ORDER BY 1", [first, last]))
        if db.has_table("marts", "fct_apprentice_daily"):
            out["apprentices_by_status"] = dict(db.query(
                "SELECT current_progression_status, count(*) "
                "FROM marts.fct_apprentice_daily WHERE as_of_date = ? GROUP BY 1 ORDER BY 1",
                [last]))
    return out


def weekly_summary(settings: Settings, since: date | None = None) -> dict[str, Any]:
    """Per scored week from `since`: apprentices per risk band, newly Red, coach emails sent."""
    out: dict[str, Any] = {"weeks": [], "snapshot_versions": 0, "snapshot_apprentices": 0}
    if settings.warehouse != "duckdb" or not settings.duckdb_path.exists():
        return out
    emails: dict = {}
    with _Reader(settings) as db:
        if db.has_table("ops", "sent_coach_alerts"):
            emails = dict(db.query("SELECT week_start_date, count(*) FROM "
                                   "ops.sent_coach_alerts GROUP BY 1", []))
        if db.has_table("marts", "fct_apprentice_risk_weekly"):
            rows = db.query("SELECT week_start_date, risk_band, count(*), "
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
        if db.has_table("snapshots", "snap_apprentice_weekly_status"):
            versions, apprentices = db.query(
                "SELECT count(*), count(DISTINCT apprentice_id) "
                "FROM snapshots.snap_apprentice_weekly_status", [])[0]
            out.update(snapshot_versions=versions, snapshot_apprentices=apprentices)
    return out

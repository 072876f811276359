"""`ops.pipeline_run_log`: which days and weeks the pipeline has finished, in the warehouse.

The daily DAG's last task records its day once everything before it succeeded;
the weekly DAG records its week once the snapshot is taken. The weekly DAG reads
the log to check that a week's seven days are in, and to refuse snapshotting a
week out of order. Keeping it in the warehouse (not Airflow's metadata database)
means it survives an Airflow reinstall and describes the data, not the scheduler.
"""

from __future__ import annotations

from datetime import UTC, date, datetime
from pathlib import Path
from typing import Protocol

from pipeline_health.config import Settings
from pipeline_health.warehouse import bigquery_client, bigquery_relation, dataset_name, open_duckdb

TABLE = "pipeline_run_log"
DAILY, WEEKLY = "daily", "weekly"


class RunLedger(Protocol):
    def record(self, kind: str, period_start: date, run_id: str) -> None: ...

    def record_many(self, kind: str, periods: list[date], run_id: str) -> None: ...

    def periods(self, kind: str, first: date, last: date) -> set[date]: ...

    def latest(self, kind: str) -> date | None: ...


class DuckDBRunLedger:
    def __init__(self, path: Path | str) -> None:
        self.path = Path(path)

    def _con(self, read_only: bool):
        return open_duckdb(self.path, read_only=read_only)

    def _ensure(self, con) -> None:
        con.execute("CREATE SCHEMA IF NOT EXISTS ops")
        con.execute(f"CREATE TABLE IF NOT EXISTS ops.{TABLE} (kind VARCHAR NOT NULL, "
                    "period_start DATE NOT NULL, run_id VARCHAR, completed_at TIMESTAMPTZ NOT NULL)")

    def record(self, kind: str, period_start: date, run_id: str) -> None:
        self.record_many(kind, [period_start], run_id)

    def record_many(self, kind: str, periods: list[date], run_id: str) -> None:
        """Record several periods in one transaction (an initial load records hundreds)."""
        con = self._con(read_only=False)
        try:
            self._ensure(con)
            now = datetime.now(UTC)
            con.execute("BEGIN TRANSACTION")
            con.executemany(f"DELETE FROM ops.{TABLE} WHERE kind = ? AND period_start = ?",
                            [[kind, p] for p in periods])
            con.executemany(f"INSERT INTO ops.{TABLE} VALUES (?, ?, ?, ?)",
                            [[kind, p, run_id, now] for p in periods])
            con.execute("COMMIT")
        finally:
            con.close()

    def _select(self, sql: str, params: list) -> list[tuple]:
        if not self.path.exists():
            return []
        con = self._con(read_only=True)
        try:
            exists = con.execute("SELECT count(*) FROM information_schema.tables "
                                 "WHERE table_schema = 'ops' AND table_name = ?",
                                 [TABLE]).fetchone()[0]
            return con.execute(sql, params).fetchall() if exists else []
        finally:
            con.close()

    def periods(self, kind: str, first: date, last: date) -> set[date]:
        rows = self._select(f"SELECT period_start FROM ops.{TABLE} WHERE kind = ? "
                            "AND period_start BETWEEN ? AND ?", [kind, first, last])
        return {r[0] for r in rows}

    def latest(self, kind: str) -> date | None:
        rows = self._select(f"SELECT max(period_start) FROM ops.{TABLE} WHERE kind = ?", [kind])
        return rows[0][0] if rows else None


class BigQueryRunLedger:
    """Same log in BigQuery (`<prefix>ops.pipeline_run_log`); values travel as parameters."""

    def __init__(self, client, project: str, dataset: str, location: str) -> None:
        self.client, self.location = client, location
        self.relation = bigquery_relation(project, dataset, TABLE)
        self.dataset = f"{project}.{dataset}"

    def _run(self, sql: str, params: list[tuple[str, str, object]]) -> list[tuple]:
        from google.cloud import bigquery

        config = bigquery.QueryJobConfig(query_parameters=[
            bigquery.ScalarQueryParameter(name, kind, value) for name, kind, value in params])
        job = self.client.query(sql, job_config=config, location=self.location)
        return [tuple(row.values()) for row in job.result()]

    def _ensure(self) -> None:
        self.client.create_dataset(self.dataset, exists_ok=True)
        self._run(f"CREATE TABLE IF NOT EXISTS {self.relation} (kind STRING NOT NULL, "
                  "period_start DATE NOT NULL, run_id STRING, completed_at TIMESTAMP NOT NULL)", [])

    def record(self, kind: str, period_start: date, run_id: str) -> None:
        self._ensure()
        self._run(render_bigquery_record(self.relation), [
            ("kind", "STRING", kind), ("period_start", "DATE", period_start),
            ("run_id", "STRING", run_id)])

    def record_many(self, kind: str, periods: list[date], run_id: str) -> None:
        for period_start in periods:
            self.record(kind, period_start, run_id)

    def periods(self, kind: str, first: date, last: date) -> set[date]:
        self._ensure()
        rows = self._run(f"SELECT period_start FROM {self.relation} WHERE kind = @kind "
                         "AND period_start BETWEEN @first AND @last",
                         [("kind", "STRING", kind), ("first", "DATE", first),
                          ("last", "DATE", last)])
        return {r[0] for r in rows}

    def latest(self, kind: str) -> date | None:
        self._ensure()
        rows = self._run(f"SELECT max(period_start) FROM {self.relation} WHERE kind = @kind",
                         [("kind", "STRING", kind)])
        return rows[0][0] if rows else None


def render_bigquery_record(relation: str) -> str:
    # One MERGE: re-recording a period replaces its row atomically.
    return (
        f"MERGE {relation} AS t USING (SELECT @kind AS kind, @period_start AS period_start, "
        "@run_id AS run_id, CURRENT_TIMESTAMP() AS completed_at) AS s "
        "ON t.kind = s.kind AND t.period_start = s.period_start "
        "WHEN MATCHED THEN UPDATE SET run_id = s.run_id, completed_at = s.completed_at "
        "WHEN NOT MATCHED THEN INSERT (kind, period_start, run_id, completed_at) "
        "VALUES (s.kind, s.period_start, s.run_id, s.completed_at)"
    )


def ledger_from_settings(settings: Settings | None = None) -> RunLedger:
    settings = settings or Settings.from_env()
    if settings.warehouse == "duckdb":
        return DuckDBRunLedger(settings.duckdb_path)
    return BigQueryRunLedger(bigquery_client(settings), settings.bq_project,
                             dataset_name(settings, "ops"), settings.bq_location)

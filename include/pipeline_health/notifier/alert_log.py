"""The sent-alerts log, `ops.sent_coach_alerts`: one row per email the mail server accepted.

A row is written right after the server accepts a coach's email, in its own
transaction, so a crash later in the run leaves earlier coaches logged. Before
sending, the notifier asks which apprentices each coach has already been told
about this week and sends only the rest: a retry or re-run sends nothing twice.
"""

from __future__ import annotations

from datetime import UTC, date
from pathlib import Path
from typing import TYPE_CHECKING, Protocol

from pipeline_health.notifier.models import SentAlert, parse_id_list
from pipeline_health.warehouse import bigquery_relation, duckdb_relation, open_duckdb

if TYPE_CHECKING:
    from google.cloud import bigquery

LOG_TABLE = "sent_coach_alerts"


class AlertLog(Protocol):
    def ensure(self) -> None:
        """Create the log table (and its schema or dataset) if missing."""

    def notified(self, week_start: date) -> dict[str, frozenset[str]]:
        """Apprentice ids already emailed for `week_start`, per coach id."""

    def record(self, alert: SentAlert) -> None:
        """Durably add one sent email; committed before returning."""


def _merge(rows: list[tuple[str, str]]) -> dict[str, frozenset[str]]:
    out: dict[str, frozenset[str]] = {}
    for coach_id, csv in rows:
        out[coach_id] = out.get(coach_id, frozenset()) | parse_id_list(csv)
    return out


class DuckDBAlertLog:
    def __init__(self, path: str | Path, *, schema: str = "ops", table: str = LOG_TABLE):
        self.path = Path(path)
        self.schema = schema
        self.relation = duckdb_relation(schema, table)

    def ensure(self) -> None:
        con = open_duckdb(self.path)
        try:
            con.execute(f'create schema if not exists "{self.schema}"')
            con.execute(
                f"create table if not exists {self.relation} (\n"
                "    week_start_date date not null,\n"
                "    coach_id varchar not null,\n"
                "    apprentice_ids varchar not null,\n"
                "    recipient varchar not null,\n"
                "    message_id varchar not null,\n"
                "    sent_at timestamp not null\n"  # UTC
                ")"
            )
        finally:
            con.close()

    def notified(self, week_start: date) -> dict[str, frozenset[str]]:
        con = open_duckdb(self.path)
        try:
            rows = con.execute(
                f"select coach_id, apprentice_ids from {self.relation} where week_start_date = ?",
                [week_start],
            ).fetchall()
        finally:
            con.close()
        return _merge(rows)

    def record(self, alert: SentAlert) -> None:
        # A short connection per row: the row is committed and the file lock
        # released before the next coach's email goes out.
        con = open_duckdb(self.path)
        try:
            con.execute("begin transaction")
            con.execute(
                f"insert into {self.relation} "
                "(week_start_date, coach_id, apprentice_ids, recipient, message_id, sent_at) "
                "values (?, ?, ?, ?, ?, ?)",
                [
                    alert.week_start_date,
                    alert.coach_id,
                    alert.apprentice_ids_csv,
                    alert.recipient,
                    alert.message_id,
                    alert.sent_at.astimezone(UTC).replace(tzinfo=None),
                ],
            )
            con.execute("commit")
        finally:
            con.close()


def render_bigquery_statements(project: str, dataset: str, table: str = LOG_TABLE) -> dict[str, str]:
    """The log's statements; every value is a named query parameter."""
    relation = bigquery_relation(project, dataset, table)
    schema_ref = relation.rsplit(".", 1)[0] + "`"
    return {
        # No location option: the dataset is created where the query job runs.
        "create_schema": f"create schema if not exists {schema_ref}",
        "create_table": (
            f"create table if not exists {relation} (\n"
            "    week_start_date DATE not null,\n"
            "    coach_id STRING not null,\n"
            "    apprentice_ids STRING not null,\n"
            "    recipient STRING not null,\n"
            "    message_id STRING not null,\n"
            "    sent_at TIMESTAMP not null\n"
            ")"
        ),
        "select": (
            f"select coach_id, apprentice_ids from {relation} "
            "where week_start_date = @week_start"
        ),
        "insert": (
            f"insert into {relation} "
            "(week_start_date, coach_id, apprentice_ids, recipient, message_id, sent_at)\n"
            "values (@week_start_date, @coach_id, @apprentice_ids, @recipient, @message_id,"
            " @sent_at)"
        ),
    }


class BigQueryAlertLog:
    """The log as a BigQuery table; each insert is one DML statement, atomic on its own."""

    def __init__(
        self,
        client: bigquery.Client,
        *,
        dataset: str,
        project: str | None = None,
        table: str = LOG_TABLE,
        location: str | None = None,
    ):
        self.client = client
        self.location = location
        self.statements = render_bigquery_statements(project or client.project, dataset, table)

    def _run(self, sql: str, params: list | None = None) -> list:
        from google.cloud import bigquery

        config = bigquery.QueryJobConfig(query_parameters=params or [])
        job = self.client.query(sql, job_config=config, location=self.location)
        return list(job.result())

    def ensure(self) -> None:
        self._run(self.statements["create_schema"])
        self._run(self.statements["create_table"])

    def notified(self, week_start: date) -> dict[str, frozenset[str]]:
        from google.cloud import bigquery

        rows = self._run(
            self.statements["select"],
            [bigquery.ScalarQueryParameter("week_start", "DATE", week_start)],
        )
        return _merge([(r["coach_id"], r["apprentice_ids"]) for r in rows])

    def record(self, alert: SentAlert) -> None:
        from google.cloud import bigquery

        p = bigquery.ScalarQueryParameter
        self._run(
            self.statements["insert"],
            [
                p("week_start_date", "DATE", alert.week_start_date),
                p("coach_id", "STRING", alert.coach_id),
                p("apprentice_ids", "STRING", alert.apprentice_ids_csv),
                p("recipient", "STRING", alert.recipient),
                p("message_id", "STRING", alert.message_id),
                p("sent_at", "TIMESTAMP", alert.sent_at),
            ],
        )

"""Read the newly Red apprentices of one week from the risk mart, grouped by coach.

The contract is `marts.fct_apprentice_risk_weekly` (DuckDB schema `marts`;
BigQuery dataset `<prefix>marts`), one row per apprentice per ISO week. Only the
columns in `MART_COLUMNS` are selected.
"""

from __future__ import annotations

from datetime import date
from pathlib import Path
from typing import TYPE_CHECKING, Protocol

from pipeline_health.notifier.models import (
    MART_COLUMNS,
    CoachAlert,
    check_week_start,
    group_by_coach,
)
from pipeline_health.warehouse import bigquery_relation, duckdb_relation, open_duckdb

if TYPE_CHECKING:
    from google.cloud import bigquery

MART_TABLE = "fct_apprentice_risk_weekly"


class SourceError(RuntimeError):
    """The risk mart could not be read."""


class NewlyRedSource(Protocol):
    def newly_red_by_coach(self, week_start: date) -> list[CoachAlert]:
        """Coaches with at least one apprentice newly Red in the week starting `week_start`."""


def _select(relation: str, week_param: str) -> str:
    columns = ",\n    ".join(MART_COLUMNS)
    return (
        f"select\n    {columns}\nfrom {relation}\n"
        f"where week_start_date = {week_param}\n"
        "  and is_newly_red\n"
        "  and risk_band = 'Red'\n"
        "order by coach_id, risk_score desc, apprentice_id"
    )


def render_duckdb_query(schema: str = "marts", table: str = MART_TABLE) -> str:
    return _select(duckdb_relation(schema, table), "?")


def render_bigquery_query(project: str, dataset: str, table: str = MART_TABLE) -> str:
    return _select(bigquery_relation(project, dataset, table), "@week_start")


class DuckDBNewlyRedSource:
    def __init__(self, path: str | Path, *, schema: str = "marts", table: str = MART_TABLE):
        self.path = Path(path)
        self.sql = render_duckdb_query(schema, table)

    def newly_red_by_coach(self, week_start: date) -> list[CoachAlert]:
        import duckdb

        check_week_start(week_start)
        if not self.path.exists():
            raise SourceError(f"warehouse file {self.path} does not exist; has the risk mart been built?")
        con = open_duckdb(self.path, read_only=True)
        try:
            cursor = con.execute(self.sql, [week_start])
            names = [d[0] for d in cursor.description]
            rows = [dict(zip(names, r, strict=True)) for r in cursor.fetchall()]
        except duckdb.CatalogException as exc:
            raise SourceError(f"risk mart not readable in {self.path}: {exc}") from exc
        finally:
            con.close()
        return group_by_coach(rows)


class BigQueryNewlyRedSource:
    """Reads the mart with one parameterised query; the week is never put in the SQL text."""

    def __init__(
        self,
        client: bigquery.Client,
        *,
        dataset: str,
        project: str | None = None,
        table: str = MART_TABLE,
        location: str | None = None,
    ):
        self.client = client
        self.location = location
        self.sql = render_bigquery_query(project or client.project, dataset, table)

    def job_config(self, week_start: date) -> bigquery.QueryJobConfig:
        from google.cloud import bigquery

        return bigquery.QueryJobConfig(
            query_parameters=[bigquery.ScalarQueryParameter("week_start", "DATE", week_start)]
        )

    def newly_red_by_coach(self, week_start: date) -> list[CoachAlert]:
        check_week_start(week_start)
        job = self.client.query(
            self.sql, job_config=self.job_config(week_start), location=self.location
        )
        return group_by_coach(dict(row.items()) for row in job.result())

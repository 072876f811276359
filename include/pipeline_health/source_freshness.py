"""dbt source freshness of the raw event tables: run it, read dbt's sources.json, record it.

**What "fresh" means here.** Every loader stamps the rows it writes with `loaded_at`, the
wall-clock time of the load (`datetime.now(UTC)`), not the simulated day (`load_date`).
dbt's freshness is the age of `max(loaded_at)` when the check runs: how long since a load
last delivered rows to the table. The daily DAG checks right after its own load, so a table
that received rows in that load is minutes old whatever day it describes; a backfill of
old days stamps them with the time it loads them, so backfills never look stale. A table
is stale when loads keep succeeding but deliver nothing to it: the feed behind it stopped.
The thresholds (dbt/models/staging/_apprenticeship__sources.yml) follow the simulated
source's weekly rhythm (no sessions on Fridays and weekends, no activity at weekends,
reviews on Mondays). Reference tables are not checked: every load replaces them whole.

The result of the last check is kept in two places: dbt's own `sources.json` under the
state folder (`$PIPELINE_HEALTH_STATE_DIR/dbt-freshness/target/sources.json`) and the table
`ops.source_freshness` (BigQuery: `<prefix>ops.source_freshness`), one row per event table,
replaced by every check, which the Pipeline tab of the dashboard shows.
"""

from __future__ import annotations

import json
import logging
from dataclasses import asdict, dataclass
from datetime import UTC, date, datetime
from pathlib import Path
from typing import Any

from pipeline_health.config import Settings
from pipeline_health.schemas import EVENT_TABLES
from pipeline_health.warehouse import bigquery_client, bigquery_project, dataset_name, open_duckdb

log = logging.getLogger(__name__)

SOURCE = "apprenticeship"  # the dbt source of the raw tables
TABLE = "source_freshness"  # in the ops schema (DuckDB) / <prefix>ops dataset (BigQuery)
CHECKED_TABLES = tuple(t.name for t in EVENT_TABLES)  # the tables with thresholds
FAILED = ("error", "runtime error")  # statuses that fail the daily run
_HOURS = {"minute": 1 / 60, "hour": 1.0, "day": 24.0}

COLUMNS = (  # (name, DuckDB type, BigQuery type)
    ("source_table", "VARCHAR", "STRING"),
    ("status", "VARCHAR", "STRING"),
    ("max_loaded_at", "TIMESTAMPTZ", "TIMESTAMP"),
    ("age_hours", "DOUBLE", "FLOAT64"),
    ("warn_after_hours", "DOUBLE", "FLOAT64"),
    ("error_after_hours", "DOUBLE", "FLOAT64"),
    ("checked_at", "TIMESTAMPTZ", "TIMESTAMP"),
    ("run_day", "DATE", "DATE"),
    ("message", "VARCHAR", "STRING"),
)


@dataclass(frozen=True)
class Freshness:
    """One raw table's freshness at the time of the check."""

    source_table: str
    status: str  # pass | warn | error | runtime error (dbt could not query the table)
    max_loaded_at: datetime | None  # None: the table has no row
    age_hours: float | None  # at checked_at; None when never loaded or not checked
    warn_after_hours: float | None
    error_after_hours: float | None
    checked_at: datetime
    run_day: date | None = None
    message: str | None = None

    def describe(self) -> str:
        """e.g. "raw_coach_feedback: last rows loaded 2026-11-20 00:05 UTC, 80 h before the check
        (warn after 54 h, error after 78 h)"."""
        limits = f"warn after {_hours(self.warn_after_hours)}, error after {_hours(self.error_after_hours)}"
        if self.status == "runtime error":
            return f"{self.source_table}: not checked, {self.message} ({limits})"
        if self.max_loaded_at is None:
            return f"{self.source_table}: no rows loaded yet ({limits})"
        return (f"{self.source_table}: last rows loaded {self.max_loaded_at:%Y-%m-%d %H:%M} UTC, "
                f"{format_age(self.age_hours)} before the check ({limits})")


def format_age(hours: float | None) -> str:
    if hours is None:
        return "–"
    if hours < 1:
        return f"{hours * 60:.0f} min"
    if hours < 48:
        return f"{hours:.1f} h"
    return f"{int(hours // 24)} d {hours % 24:.0f} h"


def _hours(value: float | None) -> str:
    return "–" if value is None else f"{value:g} h"


def _criterion_hours(criterion: dict | None) -> float | None:
    if not criterion or criterion.get("count") is None or criterion.get("period") is None:
        return None
    return float(criterion["count"]) * _HOURS[criterion["period"]]


def _timestamp(text: str | None) -> datetime | None:
    if not text:
        return None
    value = datetime.fromisoformat(text.replace("Z", "+00:00"))
    value = value if value.tzinfo else value.replace(tzinfo=UTC)
    # dbt reports an empty table as loaded at 0001-01-01 (an age of 2,000 years).
    return None if value.year <= 1 else value.astimezone(UTC)


def parse_sources(data: dict[str, Any], run_day: date | None = None,
                  expected: tuple[str, ...] = CHECKED_TABLES,
                  thresholds: dict[str, tuple[float | None, float | None]] | None = None) -> list[Freshness]:
    """dbt's sources.json, one Freshness per expected table, sorted by table.

    dbt leaves a table it could not query (missing table, failed query) out of sources.json
    (its error is in the dbt log): such a table comes back with status "runtime error" and
    the thresholds given for it (table -> (warn, error) hours, from the manifest).
    """
    checked_at = _timestamp(data.get("metadata", {}).get("generated_at")) or datetime.now(UTC)
    found: dict[str, Freshness] = {}
    for r in data.get("results", []):
        parts = r.get("unique_id", "").split(".")
        if len(parts) != 4 or parts[0] != "source" or parts[2] != SOURCE:
            continue
        table = parts[3]
        criteria = r.get("criteria") or {}
        max_loaded_at = _timestamp(r.get("max_loaded_at"))
        snapshotted_at = _timestamp(r.get("snapshotted_at")) or checked_at
        age = r.get("max_loaded_at_time_ago_in_s")
        status = r.get("status", "runtime error")
        found[table] = Freshness(
            source_table=table, status=status, max_loaded_at=max_loaded_at,
            age_hours=None if max_loaded_at is None or age is None else age / 3600,
            warn_after_hours=_criterion_hours(criteria.get("warn_after")),
            error_after_hours=_criterion_hours(criteria.get("error_after")),
            checked_at=snapshotted_at, run_day=run_day,
            message=r.get("error") or (r.get("message") if status == "runtime error" else None))
    for table in expected:
        if table not in found:
            warn, error = (thresholds or {}).get(table, (None, None))
            found[table] = Freshness(table, "runtime error", None, None, warn, error, checked_at,
                                     run_day, "dbt could not query the table (its error is in the "
                                              "task log)")
    return [found[t] for t in sorted(found)]


def failure_message(results: list[Freshness]) -> str | None:
    """The message that fails the task, naming every table in error with its age; None if none."""
    failed = [r for r in results if r.status in FAILED]
    if not failed:
        return None
    return ("dbt source freshness: " + "; ".join(r.describe() for r in failed)
            + ". A table is stale when loads deliver no rows to it (its feed stopped); "
              "the thresholds are in dbt/models/staging/_apprenticeship__sources.yml")


def work_dir(settings: Settings) -> Path:
    return settings.state_dir / "dbt-freshness"


def sources_json_path(settings: Settings) -> Path:
    """Where dbt writes the last check's sources.json (its target folder)."""
    return work_dir(settings) / "target" / "sources.json"


def check(settings: Settings, run_day: date | None = None) -> list[Freshness]:
    """Run `dbt source freshness` on the raw source (one dbt invocation, in this process) and
    read its result.

    dbt is told not to write its JSON files: by default it writes the whole manifest.json
    twice, about half of the check's time, for nothing this check reads. Its sources.json is
    written from dbt's own result instead, where `dbt source freshness` writes it. The
    thresholds of a table dbt could not query come from the manifest the DAGs run (make setup).
    """
    from pipeline_health.dbt_cli import MANIFEST_PATH, invoke_dbt

    output = sources_json_path(settings)
    output.unlink(missing_ok=True)  # never report an earlier check's file
    # A source in error is a node failure: its result is still read.
    result = invoke_dbt(["source", "freshness", "--select", f"source:{SOURCE}", "--no-write-json"],
                        work_dir=work_dir(settings),
                        duckdb_path=settings.duckdb_path if settings.warehouse == "duckdb" else None,
                        target=settings.warehouse, allow_node_failures=True)
    if result is None or not hasattr(result, "write"):
        raise RuntimeError("dbt source freshness returned no results; the dbt output above says why")
    output.parent.mkdir(parents=True, exist_ok=True)
    result.write(str(output))
    return parse_sources(json.loads(output.read_text()), run_day,
                         thresholds=manifest_thresholds(MANIFEST_PATH))


def manifest_thresholds(manifest: Path) -> dict[str, tuple[float | None, float | None]]:
    """table -> (warn, error) hours of the raw source, as configured (dbt's manifest)."""
    if not manifest.is_file():
        return {}
    out = {}
    for node in json.loads(manifest.read_text()).get("sources", {}).values():
        if node.get("source_name") == SOURCE and node.get("freshness"):
            freshness = node["freshness"]
            out[node["name"]] = (_criterion_hours(freshness.get("warn_after")),
                                 _criterion_hours(freshness.get("error_after")))
    return out


def rows(results: list[Freshness]) -> list[dict[str, Any]]:
    return [asdict(r) for r in results]


def record(settings: Settings, results: list[Freshness]) -> None:
    """Replace ops.source_freshness with this check's rows (the dashboard reads it)."""
    if settings.warehouse == "duckdb":
        record_duckdb(settings.duckdb_path, results)
    else:
        record_bigquery(settings, results)


def record_duckdb(path: Path, results: list[Freshness]) -> None:
    names = [c[0] for c in COLUMNS]
    con = open_duckdb(path)
    try:
        con.execute("CREATE SCHEMA IF NOT EXISTS ops")
        con.execute(f"CREATE TABLE IF NOT EXISTS ops.{TABLE} ("
                    + ", ".join(f"{n} {t}" for n, t, _ in COLUMNS) + ")")
        con.execute("BEGIN TRANSACTION")
        try:
            con.execute(f"DELETE FROM ops.{TABLE}")
            con.executemany(f"INSERT INTO ops.{TABLE} ({', '.join(names)}) VALUES "
                            f"({', '.join('?' * len(names))})",
                            [[row[n] for n in names] for row in rows(results)])
            con.execute("COMMIT")
        except Exception:
            con.execute("ROLLBACK")
            raise
    finally:
        con.close()


def record_bigquery(settings: Settings, results: list[Freshness], client: Any = None) -> None:
    """A load job with WRITE_TRUNCATE: the table holds the last check only."""
    from google.cloud import bigquery

    if client is None:
        client = bigquery_client(settings)
    dataset = f"{bigquery_project(settings)}.{dataset_name(settings, 'ops')}"
    client.create_dataset(dataset, exists_ok=True)
    config = bigquery.LoadJobConfig(
        schema=[bigquery.SchemaField(n, t) for n, _, t in COLUMNS],
        write_disposition=bigquery.WriteDisposition.WRITE_TRUNCATE)
    payload = [{k: (v.isoformat() if isinstance(v, datetime | date) else v) for k, v in row.items()}
               for row in rows(results)]
    client.load_table_from_json(payload, f"{dataset}.{TABLE}", job_config=config,
                                location=settings.bq_location).result()

"""BigQuery raw loader: production warehouse.

A day's load replaces exactly that day's partition of each event table with one
load job (``WRITE_TRUNCATE`` on ``table$YYYYMMDD``), so a re-run or a backfill in
any order leaves the same rows, and a failed job changes nothing (a load job is
atomic per table). Reference and truth tables are replaced whole the same way.
Rows are validated and serialised for every table before anything is written.

Credentials never come from the repo: ``from_airflow`` builds the client from the
Airflow Google connection; tests pass their own client (e.g. one pointed at a local
emulator).

Pure helpers (schema mapping, partition target, job config, NDJSON) are module-level
functions so they can be checked without a server.
"""

from __future__ import annotations

import io
import json
import logging
import math
import uuid
from collections.abc import Callable, Iterable, Mapping
from datetime import UTC, date, datetime, timedelta
from typing import TYPE_CHECKING, Any

from google.api_core import exceptions as google_exceptions
from google.cloud import bigquery

from pipeline_health.config import ConfigError
from pipeline_health.loaders.base import LoadError, Rows
from pipeline_health.schemas import (
    ALL_TABLES,
    LOAD_DATE,
    LOAD_METADATA,
    LOADED_AT,
    TABLES_BY_NAME,
    Kind,
    Table,
)
from pipeline_health.warehouse import (
    bigquery_client,
    bigquery_project,
    check_name,
    check_project,
)
from pipeline_health.warehouse import truth_dataset as default_truth_dataset

if TYPE_CHECKING:
    from pipeline_health.config import Settings

log = logging.getLogger(__name__)

# Logical types in schemas.py are already BigQuery standard SQL names; the map
# makes an unknown logical type fail loudly instead of reaching the API.
BQ_TYPES = {t: t for t in ("STRING", "INT64", "FLOAT64", "BOOL", "DATE", "TIMESTAMP")}

STAGING_TTL = timedelta(hours=1)
DEFAULT_JOB_TIMEOUT_S = 900.0


# --------------------------------------------------------------------------- pure helpers


def schema_fields(table: Table) -> list[bigquery.SchemaField]:
    """The table's BigQuery schema, column for column, from schemas.py."""
    return [
        bigquery.SchemaField(
            c.name,
            BQ_TYPES[c.type],
            mode="REQUIRED" if c.required else "NULLABLE",
            description=c.description,
        )
        for c in table.columns
    ]


def table_ref(project: str, dataset: str, table: str) -> str:
    return f"{project}.{dataset}.{table}"


def partition_target(project: str, dataset: str, table: str, day: date) -> str:
    """Load target for one day partition: ``project.dataset.table$YYYYMMDD``."""
    return f"{table_ref(project, dataset, table)}${day:%Y%m%d}"


def table_definition(project: str, dataset: str, table: Table) -> bigquery.Table:
    """The table as ensure_tables creates it: schema, description, partitioning."""
    bq_table = bigquery.Table(table_ref(project, dataset, table.name), schema=schema_fields(table))
    bq_table.description = table.description
    if table.kind is Kind.EVENT:
        bq_table.time_partitioning = bigquery.TimePartitioning(
            type_=bigquery.TimePartitioningType.DAY, field=LOAD_DATE)
        # Every reader must name the days it wants: a forgotten filter would scan
        # (and bill) the whole history.
        bq_table.require_partition_filter = True
    return bq_table


def load_job_config(
    table: Table, write_disposition: str = bigquery.WriteDisposition.WRITE_TRUNCATE
) -> bigquery.LoadJobConfig:
    """Load job settings: NDJSON with the explicit schema, nothing guessed or dropped."""
    return bigquery.LoadJobConfig(
        source_format=bigquery.SourceFormat.NEWLINE_DELIMITED_JSON,
        schema=schema_fields(table),
        write_disposition=write_disposition,
        # Tables come from ensure_tables (with partitioning and descriptions); a load
        # must never create a bare one.
        create_disposition=bigquery.CreateDisposition.CREATE_NEVER,
        ignore_unknown_values=False,
        max_bad_records=0,
        autodetect=False,
        labels={"pipeline": "pipeline_health", "table": table.name},
    )


def timestamp_json(value: datetime) -> str:
    """RFC 3339 in UTC with microseconds, e.g. ``2026-11-24T06:00:00.000000Z``."""
    return value.astimezone(UTC).strftime("%Y-%m-%dT%H:%M:%S.%fZ")


def json_value(column: str, logical_type: str, value: Any) -> Any:
    """A Python value as its JSON form for a BigQuery column; LoadError if it does not fit."""
    if value is None:
        return None
    ok: bool
    if logical_type == "STRING":
        ok = isinstance(value, str)
    elif logical_type == "INT64":
        ok = isinstance(value, int) and not isinstance(value, bool) and -(2**63) <= value < 2**63
    elif logical_type == "FLOAT64":
        ok = (isinstance(value, int | float) and not isinstance(value, bool)
              and math.isfinite(value))  # JSON has no NaN/Infinity
    elif logical_type == "BOOL":
        ok = isinstance(value, bool)
    elif logical_type == "DATE":
        ok = isinstance(value, date) and not isinstance(value, datetime)
        value = value.isoformat() if ok else value
    elif logical_type == "TIMESTAMP":
        # A naive datetime has no zone: refuse rather than guess.
        ok = isinstance(value, datetime) and value.utcoffset() is not None
        value = timestamp_json(value) if ok else value
    else:
        raise LoadError(f"column {column!r}: unsupported logical type {logical_type!r}")
    if not ok:
        raise LoadError(f"column {column!r}: {type(value).__name__} value {value!r} "
                        f"does not fit a {logical_type} column")
    return value


def to_ndjson(table: Table, rows: Rows, constants: Mapping[str, Any] | None = None) -> bytes:
    """Validate rows against the table's payload columns and serialise them as NDJSON.

    ``constants`` are the load metadata columns the loader adds to every row. Raises
    LoadError naming the table, row and column for an unknown or missing column, a
    null in a required column or a value that does not fit its type.
    """
    constants = dict(constants or {})
    payload = table.payload_columns
    allowed = {c.name for c in payload}
    lines: list[str] = []
    for n, row in enumerate(rows):
        unknown = set(row) - allowed
        if unknown:
            owned = sorted(unknown & set(LOAD_METADATA))
            hint = f" ({', '.join(owned)} is set by the loader)" if owned else ""
            raise LoadError(f"{table.name} row {n}: unknown column(s) {sorted(unknown)}{hint}; "
                            f"expected only {sorted(allowed)}")
        record: dict[str, Any] = {}
        for column in payload:
            value = row.get(column.name)
            if value is None and column.required:
                raise LoadError(f"{table.name} row {n}: required column {column.name!r} "
                                f"is missing or null")
            try:
                record[column.name] = json_value(column.name, column.type, value)
            except LoadError as exc:
                raise LoadError(f"{table.name} row {n}: {exc}") from None
        record.update(constants)
        lines.append(json.dumps(record, ensure_ascii=False, allow_nan=False,
                                separators=(",", ":")))
    text = "".join(line + "\n" for line in lines)
    try:
        return text.encode("utf-8")
    except UnicodeEncodeError as exc:  # e.g. a lone surrogate from a bad decode upstream
        raise LoadError(f"{table.name}: a value is not valid Unicode text: {exc}") from exc


def job_errors(job: Any) -> str:
    """A job's error list as one readable string (BigQuery reports one entry per problem)."""
    errors = list(getattr(job, "errors", None) or [])
    if not errors and getattr(job, "error_result", None):
        errors = [job.error_result]
    if not errors:
        return "no error details reported"
    return "; ".join(
        f"{e.get('reason', 'error')}: {e.get('message', e)}" if isinstance(e, Mapping) else str(e)
        for e in errors)


def _table(name: str, kinds: Iterable[Kind]) -> Table:
    kinds = tuple(kinds)
    table = TABLES_BY_NAME.get(name)
    if table is None or table.kind not in kinds:
        expected = sorted(t.name for t in ALL_TABLES if t.kind in kinds)
        kind_names = " or ".join(k.value for k in kinds)
        raise LoadError(f"{name!r} is not a raw {kind_names} table; expected one of {expected}")
    return table


# --------------------------------------------------------------------------- the loader


ClientOrFactory = bigquery.Client | Callable[[], bigquery.Client]


class BigQueryLoader:
    """RawLoader for BigQuery.

    ``partition_decorator=True`` (production) writes a day with one load job to
    ``table$YYYYMMDD``. ``False`` is for backends that reject partition decorators
    (the local emulator): the day's rows are loaded into a short-lived staging table
    and swapped in with one MERGE that deletes the day and inserts the new rows,
    which is equally atomic (one statement) but costs a query job.
    """

    def __init__(
        self,
        client: ClientOrFactory,
        project: str,
        raw_dataset: str,
        truth_dataset: str | None = None,
        location: str = "EU",
        *,
        partition_decorator: bool = True,
        job_timeout_s: float = DEFAULT_JOB_TIMEOUT_S,
    ) -> None:
        self.project = check_project(project)
        self.raw_dataset = check_name(raw_dataset, "raw dataset")
        self.truth_dataset = check_name(truth_dataset or default_truth_dataset(raw_dataset),
                                        "truth dataset")
        if self.truth_dataset == self.raw_dataset:
            raise ConfigError("the truth dataset must differ from the raw dataset "
                              "(marts must never be able to read the simulated truth)")
        self.location = location
        self.partition_decorator = partition_decorator
        self.job_timeout_s = job_timeout_s
        self._client_or_factory = client
        self._client: bigquery.Client | None = None

    @classmethod
    def from_airflow(cls, settings: Settings, **kwargs: Any) -> BigQueryLoader:
        """Loader using the Airflow Google connection ``settings.gcp_conn_id``.

        The client is built on first use, so constructing the loader (e.g. while a
        DAG file is parsed) touches neither the connection nor the network.
        """
        project = bigquery_project(settings)  # checked now: table ids are built from it
        return cls(lambda: bigquery_client(settings), project, settings.bq_raw_dataset,
                   location=settings.bq_location, **kwargs)

    @property
    def client(self) -> bigquery.Client:
        if self._client is None:
            c = self._client_or_factory
            self._client = c if isinstance(c, bigquery.Client) else c()
        return self._client

    def dataset_for(self, table: Table) -> str:
        return self.truth_dataset if table.kind is Kind.TRUTH else self.raw_dataset

    def table_id(self, table: Table) -> str:
        return table_ref(self.project, self.dataset_for(table), table.name)

    # ------------------------------------------------------------------ ensure_tables

    def ensure_tables(self) -> None:
        descriptions = {
            self.raw_dataset: "Pipeline Health raw landing tables: simulator output, "
                              "one partition per load day.",
            self.truth_dataset: "Pipeline Health simulated truth, for evaluating the risk "
                                "model only. Marts never read it.",
        }
        try:
            for name, description in descriptions.items():
                self._ensure_dataset(name, description)
            for table in ALL_TABLES:
                self._ensure_table(table)
        except google_exceptions.GoogleAPICallError as exc:
            raise LoadError(f"BigQuery: cannot create datasets/tables in project "
                            f"{self.project}: {exc}") from exc

    def _ensure_dataset(self, name: str, description: str) -> None:
        ds = bigquery.Dataset(f"{self.project}.{name}")
        ds.location = self.location
        ds.description = description
        ds = self.client.create_dataset(ds, exists_ok=True)
        # create_dataset(exists_ok) returns the existing dataset unchanged: a dataset in
        # another location would make every load and query in ours fail later.
        if ds.location and self.location and ds.location.upper() != self.location.upper():
            raise LoadError(f"BigQuery dataset {self.project}.{name} is in {ds.location}, "
                            f"expected {self.location} (PIPELINE_HEALTH_BQ_LOCATION)")

    def _ensure_table(self, table: Table) -> None:
        dataset = self.dataset_for(table)
        existing = self.client.create_table(
            table_definition(self.project, dataset, table), exists_ok=True)
        names = [f.name for f in existing.schema]
        if names != table.column_names:
            raise LoadError(f"BigQuery table {self.table_id(table)} has columns {names}, expected "
                            f"{table.column_names}; migrate or drop it before loading")

    # ------------------------------------------------------------------ loads

    def load_day(self, day: date, tables: Mapping[str, Rows]) -> dict[str, int]:
        loaded_at = timestamp_json(datetime.now(UTC))
        constants = {LOAD_DATE: day.isoformat(), LOADED_AT: loaded_at}
        # Validate and serialise everything first: a bad row in the last table must
        # not leave the earlier tables already replaced.
        prepared = {}
        for name, rows in tables.items():
            table = _table(name, [Kind.EVENT])
            try:
                prepared[name] = (table, to_ndjson(table, rows, constants), len(rows))
            except LoadError as exc:
                raise LoadError(f"load of {day}: {exc}") from None
        for name, (table, data, count) in prepared.items():
            context = f"{self.table_id(table)} for {day}"
            if count == 0:
                # An empty day must still clear the partition. A DML DELETE on the
                # partitioning column covering the whole partition is atomic and, on
                # BigQuery, a metadata-only (free) operation; an empty load file would
                # rely on a zero-byte upload, which the client's resumable upload and
                # the emulator do not reliably accept.
                self._query(f"DELETE FROM `{self.table_id(table)}` WHERE {LOAD_DATE} = @day",
                            [bigquery.ScalarQueryParameter("day", "DATE", day)], context)
            elif self.partition_decorator:
                target = partition_target(self.project, self.raw_dataset, name, day)
                self._load(table, data, target, bigquery.WriteDisposition.WRITE_TRUNCATE,
                           context, job_id_prefix=f"ph_{name}_{day:%Y%m%d}_")
            else:
                self._stage_and_merge(table, data, day, context)
            log.info("BigQuery: %s rows into %s", count, context)
        return {name: count for name, (_, _, count) in prepared.items()}

    def load_reference(self, tables: Mapping[str, Rows]) -> dict[str, int]:
        constants = {LOADED_AT: timestamp_json(datetime.now(UTC))}
        prepared = {}
        for name, rows in tables.items():
            table = _table(name, [Kind.REFERENCE, Kind.TRUTH])
            prepared[name] = (table, to_ndjson(table, rows, constants), len(rows))
        for name, (table, data, count) in prepared.items():
            context = f"{self.table_id(table)} (whole table)"
            if count == 0:
                # Same reason as an empty day: a statement, not a zero-byte upload.
                self._query(f"DELETE FROM `{self.table_id(table)}` WHERE TRUE", [], context)
            else:
                self._load(table, data, self.table_id(table),
                           bigquery.WriteDisposition.WRITE_TRUNCATE, context,
                           job_id_prefix=f"ph_{name}_")
            log.info("BigQuery: %s rows into %s", count, context)
        return {name: count for name, (_, _, count) in prepared.items()}

    # ------------------------------------------------------------------ jobs

    def _load(self, table: Table, data: bytes, destination: str, write_disposition: str,
              context: str, job_id_prefix: str | None = None) -> None:
        config = load_job_config(table, write_disposition)
        self._run(lambda: self.client.load_table_from_file(
            io.BytesIO(data), destination, job_config=config, location=self.location,
            job_id_prefix=job_id_prefix, rewind=True), f"load into {context}")

    def _query(self, sql: str, params: list[bigquery.ScalarQueryParameter], context: str) -> None:
        config = bigquery.QueryJobConfig(query_parameters=params,
                                         labels={"pipeline": "pipeline_health"})
        self._run(lambda: self.client.query(sql, job_config=config, location=self.location),
                  f"statement on {context}")

    def _run(self, submit: Callable[[], Any], what: str) -> None:
        """Submit a job and wait for it; any failure becomes a LoadError with the job's errors."""
        job = None
        try:
            job = submit()
            job.result(timeout=self.job_timeout_s)
        except TimeoutError as exc:
            # The job goes on server-side after the client stops waiting: cancel it, so a
            # retry does not race a late write.
            if job is not None:
                try:
                    job.cancel()
                except google_exceptions.GoogleAPICallError:
                    pass
            raise LoadError(f"BigQuery {what} did not finish within {self.job_timeout_s:.0f} s "
                            f"(job {getattr(job, 'job_id', '?')} cancel requested)") from exc
        except google_exceptions.GoogleAPICallError as exc:
            details = job_errors(job) if job is not None else "the job was not accepted"
            raise LoadError(f"BigQuery {what} failed: {exc}; job errors: {details}") from exc
        if job.error_result:  # result() raises on failure; belt and braces
            raise LoadError(f"BigQuery {what} failed: {job_errors(job)}")

    def _stage_and_merge(self, table: Table, data: bytes, day: date, context: str) -> None:
        """Replace a day without a partition decorator: stage, then one atomic MERGE."""
        stage_name = f"_stage_{table.name}_{day:%Y%m%d}_{uuid.uuid4().hex[:8]}"
        stage_id = table_ref(self.project, self.raw_dataset, stage_name)
        stage = bigquery.Table(stage_id, schema=schema_fields(table))
        # Expires by itself if this process dies before the drop below.
        stage.expires = datetime.now(UTC) + STAGING_TTL
        try:
            self.client.create_table(stage)
        except google_exceptions.GoogleAPICallError as exc:
            raise LoadError(f"BigQuery: cannot create staging table {stage_id} for "
                            f"{context}: {exc}") from exc
        try:
            self._load(table, data, stage_id, bigquery.WriteDisposition.WRITE_TRUNCATE, context)
            columns = ", ".join(f"`{c}`" for c in table.column_names)
            values = ", ".join(f"s.`{c}`" for c in table.column_names)
            # ON FALSE: no row matches, so target rows of the day are deleted (not matched
            # by source) and every staged row is inserted, in one statement.
            sql = (f"MERGE `{self.table_id(table)}` t USING `{stage_id}` s ON FALSE "
                   f"WHEN NOT MATCHED BY SOURCE AND t.{LOAD_DATE} = @day THEN DELETE "
                   f"WHEN NOT MATCHED THEN INSERT ({columns}) VALUES ({values})")
            self._query(sql, [bigquery.ScalarQueryParameter("day", "DATE", day)], context)
        finally:
            try:
                self.client.delete_table(stage_id, not_found_ok=True)
            except google_exceptions.GoogleAPICallError:
                log.warning("BigQuery: could not drop staging table %s (it expires in %s)",
                            stage_id, STAGING_TTL)

"""Build the reader and the log for the configured warehouse, and run the notifier."""

from __future__ import annotations

from datetime import date

from pipeline_health.config import ConfigError, Settings
from pipeline_health.notifier.alert_log import AlertLog, BigQueryAlertLog, DuckDBAlertLog
from pipeline_health.notifier.send import DEFAULT_SMTP_CONN_ID, NotifySummary, notify_newly_red
from pipeline_health.notifier.source import (
    BigQueryNewlyRedSource,
    DuckDBNewlyRedSource,
    NewlyRedSource,
)


def bigquery_dataset_prefix(settings: Settings) -> str:
    """`<prefix>` of the `<prefix>marts` and `<prefix>ops` datasets.

    Defaults to the raw dataset's name without its trailing "raw"
    ("pipeline_health_raw" -> "pipeline_health_"); PIPELINE_HEALTH_BQ_DATASET_PREFIX
    (`settings.bq_dataset_prefix`) overrides.
    """
    if settings.bq_dataset_prefix:
        return settings.bq_dataset_prefix
    raw = settings.bq_raw_dataset
    return raw[: -len("raw")] if raw.endswith("raw") else f"{raw}_"


def build_from_settings(settings: Settings) -> tuple[NewlyRedSource, AlertLog]:
    if settings.warehouse == "duckdb":
        return DuckDBNewlyRedSource(settings.duckdb_path), DuckDBAlertLog(settings.duckdb_path)
    if not settings.bq_project:
        raise ConfigError("PIPELINE_HEALTH_BQ_PROJECT must be set when the warehouse is bigquery")
    # Imported here so the DuckDB path never needs the Google provider.
    from airflow.providers.google.cloud.hooks.bigquery import BigQueryHook

    client = BigQueryHook(gcp_conn_id=settings.gcp_conn_id).get_client(
        project_id=settings.bq_project, location=settings.bq_location
    )
    prefix = bigquery_dataset_prefix(settings)
    source = BigQueryNewlyRedSource(
        client, project=settings.bq_project, dataset=f"{prefix}marts", location=settings.bq_location
    )
    alert_log = BigQueryAlertLog(
        client, project=settings.bq_project, dataset=f"{prefix}ops", location=settings.bq_location
    )
    return source, alert_log


def notify_from_settings(
    week_start: date, *, smtp_conn_id: str = DEFAULT_SMTP_CONN_ID
) -> NotifySummary:
    """The DAG task's entry point: warehouse from `Settings.from_env()`, mail via `smtp_conn_id`."""
    source, alert_log = build_from_settings(Settings.from_env())
    return notify_newly_red(
        week_start, source=source, alert_log=alert_log, smtp_conn_id=smtp_conn_id
    )

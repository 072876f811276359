"""Build the reader and the log for the configured warehouse, and run the notifier."""

from __future__ import annotations

from datetime import date

from pipeline_health.config import Settings
from pipeline_health.notifier.alert_log import AlertLog, BigQueryAlertLog, DuckDBAlertLog
from pipeline_health.notifier.send import DEFAULT_SMTP_CONN_ID, NotifySummary, notify_newly_red
from pipeline_health.notifier.source import (
    BigQueryNewlyRedSource,
    DuckDBNewlyRedSource,
    NewlyRedSource,
)
from pipeline_health.warehouse import bigquery_client, dataset_name


def build_from_settings(settings: Settings) -> tuple[NewlyRedSource, AlertLog]:
    if settings.warehouse == "duckdb":
        return DuckDBNewlyRedSource(settings.duckdb_path), DuckDBAlertLog(settings.duckdb_path)
    client = bigquery_client(settings)  # the Google provider is imported only here
    source = BigQueryNewlyRedSource(client, project=settings.bq_project,
                                    dataset=dataset_name(settings, "marts"),
                                    location=settings.bq_location)
    alert_log = BigQueryAlertLog(client, project=settings.bq_project,
                                 dataset=dataset_name(settings, "ops"),
                                 location=settings.bq_location)
    return source, alert_log


def notify_from_settings(
    week_start: date, *, smtp_conn_id: str = DEFAULT_SMTP_CONN_ID
) -> NotifySummary:
    """The DAG task's entry point: warehouse from `Settings.from_env()`, mail via `smtp_conn_id`."""
    source, alert_log = build_from_settings(Settings.from_env())
    return notify_newly_red(
        week_start, source=source, alert_log=alert_log, smtp_conn_id=smtp_conn_id
    )

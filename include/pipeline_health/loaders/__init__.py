"""Raw loaders: DuckDB (embedded default) and BigQuery (production), one interface."""

from __future__ import annotations

from pipeline_health.config import Settings
from pipeline_health.loaders.base import LoadError, RawLoader

__all__ = ["LoadError", "RawLoader", "make_loader"]


def make_loader(settings: Settings) -> RawLoader:
    """The loader for the configured warehouse."""
    if settings.warehouse == "bigquery":
        from pipeline_health.loaders.bigquery import BigQueryLoader

        return BigQueryLoader.from_airflow(settings)
    from pipeline_health.loaders.duckdb_loader import DuckDBLoader

    return DuckDBLoader(settings.duckdb_path)

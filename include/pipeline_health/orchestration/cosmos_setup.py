"""The one place the Cosmos/dbt configuration lives, shared by the daily and weekly DAGs.

Measured choices (see README, "Performance"): the graph comes from a manifest built
at setup (`dbt parse`), never `dbt ls` at parse time; dbt runs in-process
(LOCAL + dbtRunner); each model runs with its tests in one task (TestBehavior.BUILD).
"""

from __future__ import annotations

import os
from pathlib import Path

from cosmos import (
    ExecutionConfig,
    ProfileConfig,
    ProjectConfig,
    RenderConfig,
)
from cosmos.constants import ExecutionMode, InvocationMode, LoadMode, TestBehavior

from pipeline_health.config import PROJECT_ROOT, Settings

DBT_PROJECT_DIR = Path(os.environ.get("PIPELINE_HEALTH_DBT_DIR", PROJECT_ROOT / "dbt"))
MANIFEST_PATH = DBT_PROJECT_DIR / "target" / "manifest.json"

# Every task that writes the DuckDB file runs in this pool; locally it has one slot
# because DuckDB allows one writer per file. In production (BigQuery) widen it.
WRITER_POOL = os.environ.get("PIPELINE_HEALTH_WRITER_POOL", "pipeline_health_warehouse_writer")


def project_config() -> ProjectConfig:
    return ProjectConfig(
        dbt_project_path=DBT_PROJECT_DIR,
        manifest_path=MANIFEST_PATH,
        project_name="pipeline_health",
        install_dbt_deps=False,  # no dbt packages: the package hub is not reachable
    )


def profile_config(settings: Settings | None = None) -> ProfileConfig:
    settings = settings or Settings.from_env()
    if settings.warehouse == "bigquery":
        from cosmos.profiles import GoogleCloudOauthProfileMapping

        # Credentials come from the Airflow Google connection, never from the repository.
        return ProfileConfig(
            profile_name="pipeline_health",
            target_name="bigquery",
            profile_mapping=GoogleCloudOauthProfileMapping(
                conn_id=settings.gcp_conn_id,
                profile_args={
                    "project": settings.bq_project,
                    "dataset": os.environ.get("PIPELINE_HEALTH_BQ_DATASET", "pipeline_health"),
                    "location": settings.bq_location,
                },
            ),
        )
    return ProfileConfig(
        profile_name="pipeline_health",
        target_name="duckdb",
        profiles_yml_filepath=DBT_PROJECT_DIR / "profiles.yml",
    )


def execution_config() -> ExecutionConfig:
    return ExecutionConfig(
        execution_mode=ExecutionMode.LOCAL,
        invocation_mode=InvocationMode.DBT_RUNNER,
    )


def render_config(select: list[str], exclude: list[str] | None = None) -> RenderConfig:
    return RenderConfig(
        load_method=LoadMode.DBT_MANIFEST,
        select=select,
        exclude=exclude or [],
        test_behavior=TestBehavior.BUILD,
    )


def dbt_vars_for_interval() -> dict[str, str]:
    """dbt vars templated from the run's data interval (inclusive dates)."""
    return {
        "run_start_date": "{{ data_interval_start | ds }}",
        "run_end_date": "{{ macros.ds_add(data_interval_end | ds, -1) }}",
    }


def operator_args(**extra: object) -> dict[str, object]:
    args: dict[str, object] = {
        "vars": dbt_vars_for_interval(),
        "pool": WRITER_POOL,
        "retries": 2,
    }
    args.update(extra)
    return args

"""The one place the Cosmos/dbt configuration lives, shared by the daily and weekly DAGs.

Measured choices (see README, "Performance"): the graph comes from a manifest built
at setup (`dbt parse`), never `dbt ls` at parse time; dbt runs in-process
(LOCAL + dbtRunner), one task per model, then the tests (TestBehavior.AFTER_ALL).
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
from cosmos.constants import (
    ExecutionMode,
    InvocationMode,
    LoadMode,
    TestBehavior,
    TestIndirectSelection,
)

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


# How Cosmos renders dbt; README "Performance" has the measurements behind the default:
#   after_all  LOCAL, one task per model, then one task running every test (default)
#   build      LOCAL, one task per model running it and its tests; multi-parent tests detached
#   watcher    one `dbt build` producer and a sensor per model (did not finish under dag.test)
COSMOS_MODE = os.environ.get("PIPELINE_HEALTH_COSMOS_MODE", "after_all").lower()
TEST_BEHAVIOR = {
    "build": TestBehavior.BUILD,
    "after_all": TestBehavior.AFTER_ALL,
    # WATCHER's single producer runs `dbt build`; its per-model sensors report tests.
    "watcher": TestBehavior.AFTER_EACH,
}
if COSMOS_MODE not in TEST_BEHAVIOR:
    raise ValueError(f"PIPELINE_HEALTH_COSMOS_MODE={COSMOS_MODE!r}: expected one of {sorted(TEST_BEHAVIOR)}")


def execution_config() -> ExecutionConfig:
    return ExecutionConfig(
        execution_mode=ExecutionMode.WATCHER if COSMOS_MODE == "watcher" else ExecutionMode.LOCAL,
        invocation_mode=InvocationMode.DBT_RUNNER,
        # A model's task runs only the tests whose parents are all selected; the others
        # are detached into their own tasks (render_config).
        test_indirect_selection=TestIndirectSelection.CAUTIOUS,
    )


def render_config(select: list[str], exclude: list[str] | None = None) -> RenderConfig:
    return RenderConfig(
        load_method=LoadMode.DBT_MANIFEST,
        select=select,
        exclude=exclude or [],
        test_behavior=TEST_BEHAVIOR[COSMOS_MODE],
        # A test reading several models (relationships, reconciliations) runs in its own
        # task once all its parents are built, not inside the first parent's task.
        should_detach_multiple_parents_tests=True,
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
    if COSMOS_MODE == "watcher":
        # Deferrable consumer sensors can start before the producer under `dag.test`.
        args.update({"deferrable": False, "mode": "reschedule", "poke_interval": 2})
    args.update(extra)
    return args


def dbt_task_group(group_id: str, select: list[str]):
    """The Cosmos task group both DAGs use; only the group id and dbt selection differ."""
    from cosmos import DbtTaskGroup

    if not MANIFEST_PATH.is_file():
        return _manifest_missing(group_id)

    return DbtTaskGroup(
        group_id=group_id,
        project_config=project_config(),
        profile_config=profile_config(),
        execution_config=execution_config(),
        render_config=render_config(select=select),
        operator_args=operator_args(),
    )


def _manifest_missing(group_id: str):
    """Stands in for the dbt group when the manifest is missing.

    Cosmos cannot render the graph without it, and a DAG import error would stop every
    run with no failed task to alert on; instead the DAG loads and its run fails at once
    (the first task's check, or this one) with the message saying how to build it.
    """
    from airflow.sdk import TaskGroup, task

    with TaskGroup(group_id) as group:
        task(task_id="dbt_manifest_missing", retries=0)(_require_manifest)()
    return group


def _require_manifest() -> None:
    from pipeline_health.orchestration import preflight

    preflight.fail_fast(preflight.check_manifest)(MANIFEST_PATH)

"""The one place the Cosmos/dbt configuration lives, shared by the daily and weekly DAGs.

Measured choices (README "Performance", docs/benchmarks.md): the graph comes from a manifest
built at setup (`dbt parse`), never `dbt ls` at parse time; dbt runs in-process (dbtRunner).
By default (watcher) one producer task runs the DAG's `dbt build` and each model and each
model's tests are sensor tasks that start and end in the triggerer (triggered_sensors);
`DAG.test` runs render after_all: one task per model, then the tests.
"""

from __future__ import annotations

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

from pipeline_health.config import Settings, cosmos_mode, dbt_project_dir, writer_pool
from pipeline_health.dbt_cli import DBT_PROFILE, MANIFEST_PATH, RUN_DATE_ENV
from pipeline_health.warehouse import dbt_vars

DBT_PROJECT_DIR = dbt_project_dir()

# Every task that writes the DuckDB file runs in this pool; locally it has one slot
# because DuckDB allows one writer per file. In production (BigQuery) widen it.
WRITER_POOL = writer_pool()


def project_config() -> ProjectConfig:
    config = ProjectConfig(
        dbt_project_path=DBT_PROJECT_DIR,
        manifest_path=MANIFEST_PATH,
        project_name="pipeline_health",
        install_dbt_deps=False,  # no dbt packages: the package hub is not reachable
        # Cosmos passes these to every dbt task as its (templated) environment.
        env_vars=run_dates_env(),
    )
    # Cosmos wraps the manifest in Airflow's ObjectStoragePath, whose first use loads every
    # provider's filesystem (Google's SDK) and the plugins (FastAPI): about 2 s of each fresh
    # parse, in the DAG processor and in every task process. The manifest is a local file.
    if "://" not in str(MANIFEST_PATH):
        config.manifest_path = MANIFEST_PATH
    return config


def profile_config(settings: Settings | None = None) -> ProfileConfig:
    settings = settings or Settings.from_env()
    if settings.warehouse == "bigquery":
        from cosmos.profiles import GoogleCloudOauthProfileMapping

        # Credentials come from the Airflow Google connection, never from the repository.
        return ProfileConfig(
            profile_name=DBT_PROFILE,
            target_name="bigquery",
            profile_mapping=GoogleCloudOauthProfileMapping(
                conn_id=settings.gcp_conn_id,
                profile_args={
                    "project": settings.bq_project,
                    "dataset": settings.bq_dataset,
                    "location": settings.bq_location,
                },
            ),
        )
    return ProfileConfig(
        profile_name=DBT_PROFILE,
        target_name="duckdb",
        profiles_yml_filepath=DBT_PROJECT_DIR / "profiles.yml",
    )


# How Cosmos renders dbt; README "Performance" / docs/benchmarks.md have the measurements:
#   watcher      one `dbt build` producer (the only writer) and a deferrable sensor per model and
#                per model's tests, waiting in the triggerer
#   watcher_after_all  one `dbt run` producer, a sensor per model, then one task running every test
#   after_all    LOCAL: one dbt process per model, then one task running every test
#   build        LOCAL: one task per model running it and its tests; multi-parent tests detached
# config.cosmos_mode() checks the setting against config.COSMOS_MODES, the keys below.
COSMOS_MODE = cosmos_mode()
TEST_BEHAVIOR = {
    "build": TestBehavior.BUILD,
    "after_all": TestBehavior.AFTER_ALL,
    "watcher": TestBehavior.AFTER_EACH,
    "watcher_after_all": TestBehavior.AFTER_ALL,
}
WATCHER = COSMOS_MODE.startswith("watcher")


def execution_config() -> ExecutionConfig:
    return ExecutionConfig(
        execution_mode=ExecutionMode.WATCHER if WATCHER else ExecutionMode.LOCAL,
        invocation_mode=InvocationMode.DBT_RUNNER,
        # A model's task runs only the tests whose parents are all selected; the others
        # are detached into their own tasks (render_config).
        test_indirect_selection=TestIndirectSelection.CAUTIOUS,
        # The watcher's producer is the one process that writes the warehouse.
        setup_operator_args={"pool": WRITER_POOL} if WATCHER else None,
    )


# dbt unit tests check SQL logic, not the day's data: they run in the test suite, never in a
# scheduled run. Cosmos forwards this exclusion to every dbt command it runs (test task, producer).
NO_UNIT_TESTS = "resource_type:unit_test"


def render_config(select: list[str], exclude: list[str] | None = None) -> RenderConfig:
    return RenderConfig(
        load_method=LoadMode.DBT_MANIFEST,
        select=select,
        exclude=[*(exclude or []), NO_UNIT_TESTS],
        test_behavior=TEST_BEHAVIOR[COSMOS_MODE],
        # A test reading several models (relationships, reconciliations) runs in its own
        # task once all its parents are built, not inside the first parent's task. Under the
        # watcher they are reported by their last parent's test sensor instead (fewer sensors).
        should_detach_multiple_parents_tests=not WATCHER,
    )


def run_dates_env() -> dict[str, str]:
    """The run's days (inclusive), templated from its data interval, for dbt's run window.

    Environment variables rather than dbt vars (macros/run/run_window.sql reads either):
    dbt's partial parsing re-parses the whole project when any var changes, i.e. in the first
    dbt task of every run (~10 s), but only the files that read an environment variable
    when its value changes: on DuckDB none (the macros read it only at execution), on
    BigQuery the models whose static partitions need the days.
    """
    start, end = RUN_DATE_ENV
    return {start: "{{ data_interval_start | ds }}", end: "{{ macros.ds_add(data_interval_end | ds, -1) }}"}


def operator_args(settings: Settings | None = None, **extra: object) -> dict[str, object]:
    settings = settings or Settings.from_env()
    args: dict[str, object] = {
        # The dataset prefix comes from the same settings as the Python side's dataset names.
        "vars": dbt_vars(settings),
        "pool": WRITER_POOL,
        "retries": 2,
    }
    # Cosmos's lineage assets: Airflow 3 rejects their OpenLineage URIs (a warning in every task
    # log) and no DAG is scheduled on them; the watcher's producer computed them for every node.
    args["emit_datasets"] = False
    # dbt's debug log file lands in Cosmos's temporary copy of the project, deleted when the
    # task ends; writing it cost ~10 % of a daily `dbt build` (a line and its SQL per event).
    # The task log keeps dbt's info lines.
    args["dbt_cmd_flags"] = ["--log-level-file", "none"]
    if not WATCHER:
        # Each model task is its own dbt invocation: writing manifest.json, run_results.json
        # and graph.gpickle into a temporary folder that is deleted at once costs about 1 s
        # a task (half its dbt time). Nothing reads them: dbtRunner returns the results.
        args["dbt_cmd_flags"].append("--no-write-json")
    else:
        # Sensors wait in the triggerer (triggered_sensors), polling the producer's reports.
        # A sensor's first poll is at once; later ones every few seconds: a node finishing
        # while the producer still runs is reported up to 5 s late, which costs nothing, and
        # each poll is a request to the API server, which competes with the producer's build.
        args.update({"deferrable": True, "poke_interval": 5})
    args.update(extra)
    return args


def dbt_task_group(group_id: str, select: list[str], exclude: list[str] | None = None):
    """The Cosmos task group both DAGs use; only the group id and dbt selection differ."""
    from cosmos import DbtTaskGroup

    if not MANIFEST_PATH.is_file():
        return _manifest_missing(group_id)

    settings = Settings.from_env()
    group = DbtTaskGroup(
        group_id=group_id,
        project_config=project_config(),
        profile_config=profile_config(settings),
        execution_config=execution_config(),
        render_config=render_config(select=select, exclude=exclude),
        operator_args=operator_args(settings),
    )
    if WATCHER:
        from pipeline_health.orchestration.triggered_sensors import start_in_triggerer, tests_beside_models

        tasks = list(group.iter_tasks())  # models' groups hold their run and test tasks
        # The sensors wait in the triggerer and end there when their node succeeded; a retried
        # one runs its node with dbt, so it queues with the other writers (triggered_sensors).
        start_in_triggerer(tasks, pool=WRITER_POOL)
        tests_beside_models(tasks)
        # Tasks that run dbt themselves (not the producer's sensors), e.g. watcher_after_all's
        # test task, open the warehouse file: they queue with the other writers.
        for task in tasks:
            if type(task).__name__.endswith("LocalOperator"):
                task.pool = WRITER_POOL
    return group


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

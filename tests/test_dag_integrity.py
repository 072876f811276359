"""DAG integrity: the whole DagBag imports, and every DAG is operable as documented."""

from __future__ import annotations

import json
import subprocess
import sys
from datetime import UTC, datetime, timedelta

import pytest

from pipeline_health.config import PROJECT_ROOT
from pipeline_health.orchestration.cosmos_setup import WRITER_POOL

EXPECTED = {"pipeline_health_daily", "pipeline_health_weekly"}

_PARSE = """
import json, time
from airflow.dag_processing.dagbag import DagBag
t = time.perf_counter()
bag = DagBag(dag_folder={folder!r})
print(json.dumps({{"total": time.perf_counter() - t,
    "errors": {{k: str(v) for k, v in bag.import_errors.items()}},
    "files": [[s.file, s.duration.total_seconds(), s.dag_num, s.task_num]
              for s in bag.dagbag_stats]}}))
"""


@pytest.fixture(scope="module")
def dagbag():
    from airflow.dag_processing.dagbag import DagBag

    return DagBag(dag_folder=str(PROJECT_ROOT / "dags"))


def test_dagbag_has_no_import_errors_and_reports_parse_times():
    """Parse in a fresh process (as the DAG processor does) and print each file's time."""
    out = subprocess.run([sys.executable, "-c", _PARSE.format(folder=str(PROJECT_ROOT / "dags"))],
                         capture_output=True, text=True, check=True)
    report = json.loads(out.stdout.strip().splitlines()[-1])
    assert report["errors"] == {}
    for file, seconds, dags, tasks in report["files"]:
        print(f"parse time {file}: {seconds:.3f} s ({dags} DAG, {tasks} tasks)")
    print(f"DagBag total in a fresh process: {report['total']:.2f} s")
    assert {f[0].rsplit("/", 1)[-1] for f in report["files"]} >= {
        "pipeline_health_daily.py", "pipeline_health_weekly.py"}


_HEAVY = """
import importlib.util, json, sys, time
import airflow.sdk  # what every DAG file needs anyway
t = time.perf_counter()
spec = importlib.util.spec_from_file_location("dag_under_test", {path!r})
spec.loader.exec_module(importlib.util.module_from_spec(spec))
print(json.dumps({{"seconds": time.perf_counter() - t,
    "heavy": [m for m in ("numpy", "faker", "duckdb", "pyarrow", "pandas", "scipy")
              if m in sys.modules]}}))
"""


@pytest.mark.parametrize("name", ["pipeline_health_daily.py", "pipeline_health_weekly.py"])
def test_dag_file_parse_imports_nothing_heavy(name):
    """The simulator (numpy, Faker) and the warehouse clients load in the task callables only."""
    out = subprocess.run([sys.executable, "-c", _HEAVY.format(path=str(PROJECT_ROOT / "dags" / name))],
                         capture_output=True, text=True, check=True)
    report = json.loads(out.stdout.strip().splitlines()[-1])
    print(f"{name}: {report['seconds']:.2f} s in a fresh process after `import airflow.sdk`")
    assert report["heavy"] == []


def test_no_dag_file_is_named_like_a_dbt_plugin():
    # Cosmos 1.15 loads files named dbt_*.py as dbt plugins.
    assert not list((PROJECT_ROOT / "dags").glob("dbt_*.py"))


def test_expected_dags_with_owner_tags_docs_and_retries(dagbag):
    assert dagbag.import_errors == {}
    assert EXPECTED <= set(dagbag.dag_ids)
    for dag_id in EXPECTED:
        dag = dagbag.dags[dag_id]
        assert "pipeline-health" in dag.tags
        assert dag.doc_md and "When it fails" in dag.doc_md
        assert dag.max_active_runs == 1
        assert dag.catchup is False
        for t in dag.tasks:
            assert t.owner == "data-insights", t.task_id
            assert t.retries >= 2, t.task_id
            assert t.retry_exponential_backoff, t.task_id


@pytest.mark.parametrize("dag_id, start, expected", [
    # A daily run's data interval is exactly one UTC day.
    ("pipeline_health_daily", datetime(2026, 11, 10, 5, tzinfo=UTC),
     (datetime(2026, 11, 9, tzinfo=UTC), datetime(2026, 11, 10, tzinfo=UTC))),
    # A weekly run covers the previous ISO week, Monday to Monday.
    ("pipeline_health_weekly", datetime(2026, 11, 18, tzinfo=UTC),
     (datetime(2026, 11, 9, tzinfo=UTC), datetime(2026, 11, 16, tzinfo=UTC))),
])
def test_schedules_give_whole_day_and_iso_week_intervals(dagbag, dag_id, start, expected):
    from airflow.serialization.encoders import coerce_to_core_timetable

    timetable = coerce_to_core_timetable(dagbag.dags[dag_id].timetable)
    interval = timetable.infer_manual_data_interval(run_after=start)
    assert (interval.start, interval.end) == expected
    assert interval.start.weekday() == 0 or dag_id.endswith("daily")
    assert interval.end - interval.start == timedelta(days=1 if dag_id.endswith("daily") else 7)


def test_every_warehouse_writer_is_in_the_one_slot_pool(dagbag):
    writers = {
        # publish_dashboard only reads, but DuckDB refuses a reader while a writer holds the file.
        "pipeline_health_daily": {"simulate_and_load_raw", "check_source_freshness", "record_and_summarise",
                                  "publish_dashboard"},
        "pipeline_health_weekly": {"check_snapshot_order", "record_week", "notify_coaches",
                                   "publish_dashboard"},
    }
    for dag_id, python_writers in writers.items():
        dag = dagbag.dags[dag_id]
        # Cosmos renders ephemeral models as EmptyOperator: they touch no warehouse. In watcher
        # mode the per-model sensors only read what the producer (a writer) reports.
        dbt_tasks = [t for t in dag.tasks if t.task_id.startswith("dbt_")
                     and type(t).__name__ != "EmptyOperator"
                     and not (type(t).__name__.endswith("WatcherOperator")
                              and "Producer" not in type(t).__name__)]
        assert dbt_tasks, f"{dag_id} has no dbt tasks"
        for t in dbt_tasks + [dag.get_task(tid) for tid in python_writers]:
            assert t.pool == WRITER_POOL, t.task_id


def test_source_freshness_is_checked_after_the_load_and_gates_the_recorded_day(dagbag):
    dag = dagbag.dags["pipeline_health_daily"]
    check = dag.get_task("check_source_freshness")
    assert check.upstream_task_ids == {"simulate_and_load_raw"}
    # Beside the dbt models (a stale source does not stop them), before the day is recorded.
    assert check.downstream_task_ids == {"record_and_summarise"}
    assert check.retries >= 2  # a failing dbt process is retried; a stale source fails at once


def test_daily_and_weekly_dbt_groups_split_the_project(dagbag):
    daily = {t.task_id for t in dagbag.dags["pipeline_health_daily"].tasks}
    weekly = {t.task_id for t in dagbag.dags["pipeline_health_weekly"].tasks}
    assert any("fct_apprentice_daily" in t for t in daily)
    assert not any("snapshot" in t for t in daily)
    assert any("snapshot" in t for t in weekly)
    # dbt runs get the run's days from the data interval, not the wall clock.
    dbt_task = next(t for t in dagbag.dags["pipeline_health_daily"].tasks
                    if "fct_apprentice_daily" in t.task_id)
    assert dbt_task.env == {"PIPELINE_HEALTH_RUN_START_DATE": "{{ data_interval_start | ds }}",
                            "PIPELINE_HEALTH_RUN_END_DATE": "{{ macros.ds_add(data_interval_end | ds, -1) }}"}


def test_no_task_runs_a_dbt_unit_test(dagbag):
    """Unit tests check SQL logic and belong in the test suite, not in a scheduled run."""
    from pipeline_health.orchestration.cosmos_setup import MANIFEST_PATH, NO_UNIT_TESTS

    unit_tests = {u["name"] for u in json.loads(MANIFEST_PATH.read_text())["unit_tests"].values()}
    assert unit_tests, "the dbt project is expected to have unit tests (run by the test suite)"
    from cosmos.operators.base import AbstractDbtBase

    for dag_id in EXPECTED:
        for t in dagbag.dags[dag_id].tasks:
            if not isinstance(t, AbstractDbtBase):  # Cosmos's operators, and our subclasses of them
                continue
            selected = str(getattr(t, "select", "") or "").replace(",", " ").split()
            assert not unit_tests & {*selected, t.task_id.rsplit(".", 1)[-1]}, t.task_id
            # `dbt run` never runs unit tests; `dbt test`/`dbt build` (test tasks, the watcher
            # producer) would, unless told not to.
            if any(k in type(t).__name__ for k in ("Test", "Build", "Producer")):
                assert NO_UNIT_TESTS in str(getattr(t, "exclude", "") or ""), t.task_id


def test_the_initial_load_runs_no_dbt_unit_test(tmp_path):
    """The initial load (and the benchmarks' bare builds) use a selector, with which dbt ignores
    `--exclude`: the exclusion they pass must still leave out every unit test, and nothing else."""
    from pipeline_health.dbt_cli import NO_UNIT_TESTS, run_dbt

    def listed(*extra: str) -> list[dict]:
        out = run_dbt(["ls", "--selector", "daily", *extra, "--output", "json", "--output-keys",
                       "resource_type", "unique_id", "--quiet"], work_dir=tmp_path,
                      duckdb_path=tmp_path / "warehouse.duckdb")  # ls opens no warehouse
        return [json.loads(line) for line in out.splitlines() if line.startswith("{")]

    everything, loaded = listed(), listed(*NO_UNIT_TESTS)
    assert any(n["resource_type"] == "unit_test" for n in everything)
    assert loaded == [n for n in everything if n["resource_type"] != "unit_test"]
    assert listed("--exclude", "resource_type:unit_test") == everything  # what the old flag did

"""Permanent faults fail a task at once (no retries); transient ones keep Airflow's retries."""

from __future__ import annotations

import os
import subprocess
import sys
import time
from datetime import UTC, datetime
from pathlib import Path

import duckdb
import pytest
from airflow.sdk.exceptions import AirflowFailException
from e2e_support import make_env, run

from pipeline_health.orchestration import cosmos_setup, daily_tasks, preflight, weekly_tasks
from pipeline_health.warehouse import WarehouseError

START, END = datetime(2026, 11, 9, tzinfo=UTC), datetime(2026, 11, 10, tzinfo=UTC)


@pytest.fixture
def valid_warehouse(tmp_path: Path) -> Path:
    path = tmp_path / "warehouse.duckdb"
    with duckdb.connect(str(path)) as con:
        con.execute("CREATE SCHEMA raw; CREATE TABLE raw.t AS SELECT range AS i FROM range(200000)")
    return path


def _damage_catalog(path: Path) -> None:
    with open(path, "r+b") as fh:  # the first block after the two headers
        fh.seek(8192)
        fh.write(b"\xff" * 4096)


def _truncate(path: Path) -> None:
    os.truncate(path, path.stat().st_size // 2)


def _not_duckdb(path: Path) -> None:
    path.write_text("not a database")


@pytest.mark.parametrize("damage", [_not_duckdb, _damage_catalog, _truncate])
def test_a_corrupted_warehouse_is_permanent(valid_warehouse: Path, damage) -> None:
    damage(valid_warehouse)
    with pytest.raises(preflight.PermanentError, match="corrupted or unreadable"):
        preflight.check_duckdb_warehouse(valid_warehouse)


def test_a_healthy_or_missing_warehouse_passes(valid_warehouse: Path, tmp_path: Path) -> None:
    preflight.check_duckdb_warehouse(valid_warehouse)
    preflight.check_duckdb_warehouse(tmp_path / "first-run.duckdb")  # the first load creates it


def test_a_lock_held_by_another_process_is_transient(valid_warehouse: Path) -> None:
    holder = subprocess.Popen(
        [sys.executable, "-c", "import duckdb, sys, time; c = duckdb.connect(sys.argv[1]); "
         "print('held', flush=True); time.sleep(60)", str(valid_warehouse)],
        stdout=subprocess.PIPE, text=True)
    try:
        assert holder.stdout.readline().strip() == "held"
        with pytest.raises(WarehouseError, match="locked by another process") as raised:
            preflight.check_duckdb_warehouse(valid_warehouse)
        assert raised.value.transient and not isinstance(raised.value, preflight.PermanentError)
    finally:
        holder.kill()
        holder.wait()


def test_first_daily_task_fails_without_retry_on_a_bad_setting(monkeypatch) -> None:
    monkeypatch.setenv("PIPELINE_HEALTH_POPULATION", "abc")
    with pytest.raises(AirflowFailException, match="PIPELINE_HEALTH_POPULATION='abc'"):
        daily_tasks.simulate_and_load(START, END)


def test_first_daily_task_fails_without_retry_on_a_corrupted_warehouse(
        monkeypatch, valid_warehouse: Path) -> None:
    _not_duckdb(valid_warehouse)
    monkeypatch.setenv("PIPELINE_HEALTH_DUCKDB_PATH", str(valid_warehouse))
    with pytest.raises(AirflowFailException, match="corrupted or unreadable.*not retried"):
        daily_tasks.simulate_and_load(START, END)


def test_first_weekly_task_fails_without_retry_on_a_missing_manifest(monkeypatch, tmp_path) -> None:
    monkeypatch.setattr(cosmos_setup, "MANIFEST_PATH", tmp_path / "target" / "manifest.json")
    monkeypatch.setenv("PIPELINE_HEALTH_DUCKDB_PATH", str(tmp_path / "warehouse.duckdb"))
    with pytest.raises(AirflowFailException, match="dbt manifest .* is missing: build it"):
        weekly_tasks.poke_daily_loads("2026-11-09")


def test_without_a_manifest_the_dag_still_loads_and_its_dbt_group_fails_at_once(
        monkeypatch, tmp_path) -> None:
    from airflow.sdk import DAG

    monkeypatch.setattr(cosmos_setup, "MANIFEST_PATH", tmp_path / "manifest.json")
    with DAG("manifest_missing_check", schedule=None) as dag:
        cosmos_setup.dbt_task_group("dbt_daily", select=["tag:daily"])
    task = dag.get_task("dbt_daily.dbt_manifest_missing")
    assert task.retries == 0
    with pytest.raises(AirflowFailException, match="dbt manifest"):
        task.python_callable()


def test_a_locked_warehouse_keeps_its_retries(monkeypatch, valid_warehouse: Path) -> None:
    monkeypatch.setenv("PIPELINE_HEALTH_DUCKDB_PATH", str(valid_warehouse))

    def locked(path: Path) -> None:
        raise duckdb.IOException(f'IO Error: Could not set lock on file "{path}": Conflicting '
                                 "lock is held in python (PID 1)")

    monkeypatch.setattr(preflight, "check_duckdb_warehouse", locked)
    with pytest.raises(duckdb.IOException):  # a plain error: Airflow retries it
        daily_tasks.simulate_and_load(START, END)


def test_a_mail_server_fault_keeps_its_retries_and_a_missing_sender_does_not(monkeypatch) -> None:
    import pipeline_health.notifier as notifier
    from pipeline_health.config import ConfigError
    from pipeline_health.notifier.send import NotifyError

    def refused(week_start):
        raise NotifyError("451 try again later", summary=None)  # type: ignore[arg-type]

    monkeypatch.setattr(notifier, "notify_from_settings", refused)
    with pytest.raises(RuntimeError, match="451") as raised:
        weekly_tasks.notify_coaches(START.date())
    assert not isinstance(raised.value, AirflowFailException)

    def no_sender(week_start):
        raise ConfigError("no sender address: set PIPELINE_HEALTH_ALERT_FROM")

    monkeypatch.setattr(notifier, "notify_from_settings", no_sender)
    with pytest.raises(AirflowFailException, match="PIPELINE_HEALTH_ALERT_FROM"):
        weekly_tasks.notify_coaches(START.date())


@pytest.mark.e2e
def test_a_bad_setting_fails_the_daily_run_in_one_try(tmp_path: Path) -> None:
    """Through Airflow (`DAG.test`): the first task fails once, nothing downstream runs."""
    env = make_env(tmp_path, PIPELINE_HEALTH_POPULATION="abc")
    started = time.monotonic()
    result = run(["-m", "pipeline_health.local.dag_runner", "daily", "2026-11-09", "2026-11-09",
                  "--json-out", str(tmp_path / "runs.json")], env, tmp_path / "run.log")
    seconds = time.monotonic() - started
    print(f"\nfailed daily run with a bad setting: {seconds:.1f} s")
    assert result.returncode == 1
    import json

    (only,) = json.loads((tmp_path / "runs.json").read_text())
    assert only["state"] == "failed"
    assert only["tasks"]["simulate_and_load_raw"] == "failed"
    assert only["tries"]["simulate_and_load_raw"] == 1
    assert "success" not in set(only["tasks"].values())
    # Failed after one try: with retries left it would be up_for_retry (retry in a minute).
    assert "PIPELINE_HEALTH_POPULATION='abc'" in (tmp_path / "run.log").read_text()

"""The local Airflow environment: every process of one stack shares its keys, and no key is in
the repository (processes started together once each generated their own, and the stack
refused every task)."""

from __future__ import annotations

import stat
from pathlib import Path

from cryptography.fernet import Fernet

from pipeline_health.config import PROJECT_ROOT
from pipeline_health.local.local_airflow import airflow_env


def test_one_state_folder_gives_every_process_the_same_keys(tmp_path: Path) -> None:
    first, second = airflow_env(tmp_path / "a"), airflow_env(tmp_path / "a")
    other = airflow_env(tmp_path / "b")
    for key in ("AIRFLOW__API_AUTH__JWT_SECRET", "AIRFLOW__CORE__FERNET_KEY"):
        assert first[key] and first[key] == second[key]
        assert other[key] != first[key]  # random per state folder, never a constant
        assert first[key] not in (PROJECT_ROOT / "include" / "pipeline_health" / "local"
                                  / "local_airflow.py").read_text()
    Fernet(first["AIRFLOW__CORE__FERNET_KEY"])  # raises unless a valid Fernet key
    assert len(first["AIRFLOW__API_AUTH__JWT_SECRET"]) >= 64  # HS512 wants 64 bytes or more
    for kept in (tmp_path / "a" / "airflow").glob(".*"):
        assert stat.S_IMODE(kept.stat().st_mode) == 0o600, kept


def test_the_sqlite_metadata_database_waits_for_its_writer_lock(tmp_path: Path) -> None:
    """A reprocessing backfill's clear waited more than SQLite's default 5 s and failed."""
    from importlib import import_module

    env = airflow_env(tmp_path)
    for key in ("AIRFLOW__DATABASE__SQL_ALCHEMY_CONNECT_ARGS",
                "AIRFLOW__DATABASE__SQL_ALCHEMY_CONNECT_ARGS_ASYNC"):
        module, name = env[key].rsplit(".", 1)
        assert getattr(import_module(module), name)["timeout"] >= 30

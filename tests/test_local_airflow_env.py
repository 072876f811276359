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


def test_a_postgresql_metadata_database_replaces_sqlite_and_its_lock_wait(tmp_path: Path) -> None:
    """psycopg2 refuses SQLite's `timeout` connect argument, so none may be left behind."""
    url = "postgresql+psycopg2://airflow:secret@127.0.0.1:5999/airflow"
    env = airflow_env(tmp_path, base={"AIRFLOW__DATABASE__SQL_ALCHEMY_CONNECT_ARGS": "x.y"},
                      metadata_url=url)
    assert env["AIRFLOW__DATABASE__SQL_ALCHEMY_CONN"] == url
    assert not {"AIRFLOW__DATABASE__SQL_ALCHEMY_CONNECT_ARGS",
                "AIRFLOW__DATABASE__SQL_ALCHEMY_CONNECT_ARGS_ASYNC"} & set(env)
    assert not (tmp_path / "airflow" / "airflow.db").exists()


def test_the_throwaway_postgresql_server_takes_concurrent_writers_and_leaves_nothing() -> None:
    """Two open transactions write at once (SQLite refused the second: "database is locked");
    the server listens with a password only, and stopping it removes its folder."""
    import psycopg2
    import sqlalchemy

    from pipeline_health.local.postgres_server import PostgresServer

    with PostgresServer() as server:
        url = sqlalchemy.engine.make_url(server.url)
        assert url.host == "127.0.0.1" and url.password
        connect = {"host": url.host, "port": url.port, "user": url.username, "dbname": url.database}
        try:
            psycopg2.connect(**connect, password="wrong").close()
            raise AssertionError("the server accepted a wrong password")
        except psycopg2.OperationalError as refused:
            assert "password authentication failed" in str(refused)
        first, second = (psycopg2.connect(**connect, password=url.password) for _ in range(2))
        with first.cursor() as cur:
            cur.execute("create table runs (day date primary key)")
        first.commit()
        with first.cursor() as a, second.cursor() as b:
            a.execute("insert into runs values ('2026-10-05')")
            b.execute("insert into runs values ('2026-10-06')")  # while the first is open
        first.commit()
        second.commit()
        with first.cursor() as cur:
            cur.execute("select count(*) from runs")
            assert cur.fetchone() == (2,)
        first.close()
        second.close()
        root = server.root
        assert root is not None and root.exists()
    assert not root.exists()

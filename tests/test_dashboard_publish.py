"""The published copy: what it holds, atomic replacement, and serving while a DAG writes the warehouse."""

from __future__ import annotations

import subprocess
import sys
import time
from pathlib import Path

import duckdb
import pytest
from dashboard_sample import WEEK, build
from fastapi.testclient import TestClient

from pipeline_health.dashboard.app import AUTHENTICATED, create_app
from pipeline_health.dashboard.publish import publish, publish_from_settings, published_path
from pipeline_health.dashboard.reader import DuckDBReader
from pipeline_health.loaders import LoadError

# Holds the warehouse open read-write (DuckDB's file lock, as a DAG task does), says so,
# then on "write" inserts a row and commits, and reports how long that took.
_WRITER = """
import sys, time, duckdb
con = duckdb.connect(sys.argv[1])
print("locked", flush=True)
sys.stdin.readline()
t = time.perf_counter()
con.execute("insert into ops.pipeline_run_log values ('daily', DATE '2026-11-23', 'writer', now())")
con.execute("checkpoint")
print(f"wrote {time.perf_counter() - t:.3f}", flush=True)
sys.stdin.readline()
con.close()
"""


@pytest.fixture
def warehouse(tmp_path: Path) -> Path:
    return build(tmp_path / "warehouse.duckdb")


def _client(path: Path) -> TestClient:
    app = create_app(lambda: DuckDBReader(path))
    app.dependency_overrides[AUTHENTICATED] = lambda: None
    return TestClient(app)


def test_publish_copies_the_page_tables_and_no_demographics(warehouse: Path, tmp_path: Path) -> None:
    result = publish(warehouse, tmp_path / "dash" / "published.duckdb")
    assert result.missing == []
    assert result.tables["marts.fct_coach_caseload_weekly"] == 6
    assert result.tables["raw.raw_quiz_attempts"] == 2  # one row per load day
    with duckdb.connect(str(result.path), read_only=True) as con:
        columns = [r[0] for r in con.execute("describe raw.raw_apprentices").fetchall()]
        assert columns == ["loaded_at"]
        assert con.execute("select count(*) from dashboard_meta.published").fetchone()[0] == 1
    assert [p.name for p in result.path.parent.iterdir()] == ["published.duckdb"]  # no temp file left


def test_publish_from_settings_uses_the_state_dir(warehouse: Path, tmp_path: Path,
                                                  monkeypatch: pytest.MonkeyPatch) -> None:
    monkeypatch.setenv("PIPELINE_HEALTH_STATE_DIR", str(tmp_path / "state"))
    monkeypatch.setenv("PIPELINE_HEALTH_DUCKDB_PATH", str(warehouse))
    monkeypatch.delenv("PIPELINE_HEALTH_WAREHOUSE", raising=False)
    result = publish_from_settings()
    assert result.path == published_path() == tmp_path / "state" / "dashboard" / "published.duckdb"
    monkeypatch.setenv("PIPELINE_HEALTH_DUCKDB_PATH", str(tmp_path / "none.duckdb"))
    assert publish_from_settings() is None


def test_republishing_replaces_the_file_atomically_under_an_open_reader(warehouse: Path,
                                                                         tmp_path: Path) -> None:
    target = publish(warehouse, tmp_path / "published.duckdb").path
    old = DuckDBReader(target)
    with duckdb.connect(str(warehouse)) as con:
        con.execute("delete from marts.fct_coach_caseload_weekly where apprentice_id = 'A1'")
    publish(warehouse, target)
    try:
        # The open reader still sees the complete old file; a new one sees the new file.
        assert len(old.rows("caseload_rows", week=WEEK, coach="C1", programme="", cohort="")) == 3
        new = DuckDBReader(target)
        assert len(new.rows("caseload_rows", week=WEEK, coach="C1", programme="", cohort="")) == 2
        new.close()
    finally:
        old.close()


def test_page_serves_while_a_writer_holds_the_warehouse_and_the_writer_is_not_blocked(
        warehouse: Path, tmp_path: Path) -> None:
    target = publish(warehouse, tmp_path / "published.duckdb").path
    client = _client(target)
    writer = subprocess.Popen([sys.executable, "-c", _WRITER, str(warehouse)], stdin=subprocess.PIPE,
                              stdout=subprocess.PIPE, text=True)
    try:
        assert writer.stdout.readline().strip() == "locked"
        # The lock is real: nobody else can open the warehouse now, not even read-only.
        with pytest.raises(duckdb.IOException, match="lock"):
            duckdb.connect(str(warehouse), read_only=True)
        # Publishing cannot run now (it would in the writer pool, after the writer) and
        # leaves the previous published file as it was.
        with pytest.raises(LoadError, match="locked"):
            publish(warehouse, target)
        held = DuckDBReader(target)  # a request in flight while the DAG writes
        started = time.perf_counter()
        for route in ("/", "/trends", "/equity", "/pipeline"):
            response = client.get(route, params={"coach": "C1", "week": WEEK.isoformat()})
            assert response.status_code == 200 and 'class="error"' not in response.text, route
        assert "Ada Red" in client.get("/", params={"coach": "C1"}).text
        served = time.perf_counter() - started
        writer.stdin.write("write\n")
        writer.stdin.flush()
        line = writer.stdout.readline().strip()
        assert line.startswith("wrote "), line
        held.close()
        print(f"4 pages served in {served:.3f} s while the writer held the lock; writer commit {line}")
    finally:
        writer.stdin.write("done\n")
        writer.stdin.flush()
        assert writer.wait(timeout=30) == 0
    assert list(tmp_path.glob(".published.duckdb.*.tmp")) == []


"""DuckDB raw loads: idempotent by day, atomic, and clear about unusable warehouses."""

from __future__ import annotations

import dataclasses
from datetime import date, timedelta

import duckdb
import pytest
from conftest import table_fingerprints

from pipeline_health.cli import main as cli_main
from pipeline_health.ingest import days_between, ingest_days
from pipeline_health.loaders.base import LoadError
from pipeline_health.loaders.duckdb_loader import DuckDBLoader
from pipeline_health.simulator import generate_day

START = date(2026, 3, 2)
DAYS = days_between(START, START + timedelta(days=5))


def _count(path, table: str, day: date | None = None) -> int:
    with duckdb.connect(str(path), read_only=True) as con:
        where = f" WHERE load_date = '{day}'" if day else ""
        return con.execute(f"SELECT count(*) FROM raw.{table}{where}").fetchone()[0]


def test_reloading_a_day_and_out_of_order_loads_give_identical_tables(small_config, tmp_path):
    config = dataclasses.replace(small_config, malformed_rate=0.03)
    sequential, shuffled = tmp_path / "seq.duckdb", tmp_path / "shuffled.duckdb"
    ingest_days(DuckDBLoader(sequential), config, DAYS)
    before = table_fingerprints(sequential)
    ingest_days(DuckDBLoader(sequential), config, [DAYS[2]])  # re-run one day
    assert table_fingerprints(sequential) == before

    order = [DAYS[i] for i in (4, 1, 5, 0, 3, 2, 1)]  # any order, with a repeat
    ingest_days(DuckDBLoader(shuffled), config, order)
    assert table_fingerprints(shuffled) == before
    assert before["raw_session_attendance"][0] > 200  # the check saw real data


def test_a_day_load_replaces_only_that_day(small_config, warehouse):
    loader = DuckDBLoader(warehouse)
    ingest_days(loader, small_config, DAYS[:2])
    other_day = _count(warehouse, "raw_otj_hours", DAYS[0])
    # An empty re-load of day 2 clears that day's partition and nothing else.
    loader.load_day(DAYS[1], {"raw_otj_hours": []})
    assert _count(warehouse, "raw_otj_hours", DAYS[1]) == 0
    assert _count(warehouse, "raw_otj_hours", DAYS[0]) == other_day > 0


def test_malformed_rows_land_in_raw_as_they_are(small_config, warehouse):
    config = dataclasses.replace(small_config, malformed_rate=0.1)
    batch = generate_day(config, DAYS[1])
    loaded = ingest_days(DuckDBLoader(warehouse), config, [DAYS[1]]).event_rows
    assert dict(loaded) == batch.row_counts  # nothing dropped
    expected = {name: sum(1 for r in rows if r["event_id"] is None or r["apprentice_id"] is None)
                for name, rows in batch.tables.items()}
    with duckdb.connect(str(warehouse), read_only=True) as con:
        nulls = {name: con.execute(f"SELECT count(*) FROM raw.{name} "
                                   "WHERE event_id IS NULL OR apprentice_id IS NULL").fetchone()[0]
                 for name in batch.tables}
    assert nulls == expected
    assert sum(expected.values()) > 0


def test_a_failed_load_changes_nothing(small_config, warehouse):
    loader = DuckDBLoader(warehouse)
    ingest_days(loader, small_config, DAYS[:1])
    before = table_fingerprints(warehouse)
    good = generate_day(small_config, DAYS[0]).tables
    bad = dict(good, raw_quiz_attempts=[{"event_id": "x", "score": 12}])  # int, not a string
    with pytest.raises(LoadError, match="raw_quiz_attempts"):
        loader.load_day(DAYS[0], bad)
    with pytest.raises(LoadError, match="unknown column"):
        loader.load_day(DAYS[0], {"raw_otj_hours": [{"event_id": "x", "colour": "red"}]})
    with pytest.raises(LoadError, match="not a raw event table"):
        loader.load_day(DAYS[0], {"raw_apprentices": []})
    assert table_fingerprints(warehouse) == before


def test_unusable_warehouse_paths_get_clear_errors(tmp_path, small_config):
    with pytest.raises(LoadError, match="is a directory"):
        DuckDBLoader(tmp_path).ensure_tables()
    not_a_db = tmp_path / "notes.duckdb"
    not_a_db.write_text("this is not a database\n" * 100)
    with pytest.raises(LoadError, match="cannot open DuckDB warehouse"):
        DuckDBLoader(not_a_db).ensure_tables()
    blocker = tmp_path / "file"
    blocker.write_text("")
    with pytest.raises(LoadError, match="cannot create the folder"):
        DuckDBLoader(blocker / "sub" / "w.duckdb").ensure_tables()


def test_cli_reports_bad_input_without_a_traceback(tmp_path, capsys):
    assert cli_main(["load", "--days", "1", "--duckdb-path", str(tmp_path)]) == 2
    assert "is a directory" in capsys.readouterr().err
    assert cli_main(["load", "--start", "2026-03-05", "--end", "2026-03-01",
                     "--duckdb-path", str(tmp_path / "w.duckdb")]) == 2
    assert "before start date" in capsys.readouterr().err


def test_cli_loads_and_summarises(tmp_path, capsys, monkeypatch):
    monkeypatch.setenv("PIPELINE_HEALTH_POPULATION", "400")
    path = tmp_path / "w.duckdb"
    assert cli_main(["load", "--start", "2026-03-02", "--end", "2026-03-03",
                     "--duckdb-path", str(path)]) == 0
    out = capsys.readouterr().out
    assert "Loaded 2 day(s) 2026-03-02 .. 2026-03-03" in out
    assert f"{_count(path, 'raw_session_attendance'):,}" in out

"""dbt source freshness of the raw tables: dbt's result file, the task's verdict, the thresholds."""

from __future__ import annotations

import json
import logging
from datetime import UTC, date, datetime, timedelta
from pathlib import Path

import duckdb
import pytest

from pipeline_health import source_freshness
from pipeline_health.config import Settings
from pipeline_health.orchestration.cosmos_setup import MANIFEST_PATH
from pipeline_health.schemas import EVENT_TABLES, REFERENCE_TABLES
from pipeline_health.source_freshness import Freshness, failure_message, parse_sources

CHECKED = datetime(2026, 11, 23, 0, 10, tzinfo=UTC)


def _result(table: str, status: str, hours_ago: float | None, warn=(30, "hour"), error=(2, "day")) -> dict:
    loaded = "0001-01-01T00:00:00+00:00" if hours_ago is None else \
        (CHECKED - timedelta(hours=hours_ago)).isoformat()
    age = 63931301742.4 if hours_ago is None else hours_ago * 3600
    return {"unique_id": f"source.pipeline_health.apprenticeship.{table}", "max_loaded_at": loaded,
            "snapshotted_at": CHECKED.isoformat(), "max_loaded_at_time_ago_in_s": age, "status": status,
            "criteria": {"warn_after": {"count": warn[0], "period": warn[1]},
                         "error_after": {"count": error[0], "period": error[1]}, "filter": None},
            "execution_time": 0.02, "timing": []}


# As dbt 1.11 writes it: a table it could not query (raw_otj_hours) is left out.
SOURCES_JSON = {
    "metadata": {"dbt_schema_version": "https://schemas.getdbt.com/dbt/sources/v3.json",
                 "generated_at": "2026-11-23T00:10:01Z"},
    "results": [
        _result("raw_coach_feedback", "pass", 0.1),
        _result("raw_quiz_attempts", "warn", 60, warn=(54, "hour"), error=(78, "hour")),
        _result("raw_status_changes", "error", 100, warn=(30, "hour"), error=(54, "hour")),
        _result("raw_progress_reviews", "error", None, warn=(150, "hour"), error=(174, "hour")),
        _result("raw_session_attendance", "pass", 30, warn=(90, "minute"), error=(1, "day")),
    ],
    "elapsed_time": 0.5,
}


def test_sources_json_gives_status_age_and_thresholds_in_hours_per_table() -> None:
    results = {r.source_table: r for r in parse_sources(SOURCES_JSON, date(2026, 11, 22))}
    assert sorted(results) == sorted(t.name for t in EVENT_TABLES)
    stale = results["raw_status_changes"]
    assert (stale.status, stale.age_hours, stale.warn_after_hours, stale.error_after_hours) == \
        ("error", 100.0, 30.0, 54.0)
    assert stale.max_loaded_at == CHECKED - timedelta(hours=100) and stale.checked_at == CHECKED
    assert stale.run_day == date(2026, 11, 22)
    attendance = results["raw_session_attendance"]
    assert (attendance.warn_after_hours, attendance.error_after_hours) == (1.5, 24.0)
    # An empty table: dbt says "loaded at year 1"; here it is never loaded, no age.
    never = results["raw_progress_reviews"]
    assert never.status == "error" and never.max_loaded_at is None and never.age_hours is None
    # Left out by dbt (the query failed): a runtime error, with the thresholds from the manifest.
    missing = results["raw_otj_hours"]
    assert missing.status == "runtime error" and missing.max_loaded_at is None
    with_thresholds = {r.source_table: r for r in parse_sources(
        SOURCES_JSON, thresholds={"raw_otj_hours": (54.0, 78.0)})}["raw_otj_hours"]
    assert (with_thresholds.warn_after_hours, with_thresholds.error_after_hours) == (54.0, 78.0)


def test_the_failure_message_names_each_table_in_error_with_its_age() -> None:
    message = failure_message(parse_sources(SOURCES_JSON))
    assert message is not None
    assert "raw_status_changes: last rows loaded 2026-11-18 20:10 UTC, 4 d 4 h before the check " \
           "(warn after 30 h, error after 54 h)" in message
    assert "raw_progress_reviews: no rows loaded yet" in message
    assert "raw_otj_hours: not checked, dbt could not query the table" in message
    # Warnings and passes do not fail the run.
    assert "raw_quiz_attempts" not in message and "raw_coach_feedback" not in message


def test_warnings_alone_do_not_fail() -> None:
    ok = [r for r in parse_sources(SOURCES_JSON) if r.status in ("pass", "warn")]
    assert {r.status for r in ok} == {"pass", "warn"} and failure_message(ok) is None


@pytest.mark.parametrize("hours, text", [(0.1, "6 min"), (5.25, "5.2 h"), (47.9, "47.9 h"),
                                         (100, "4 d 4 h"), (None, "–")])
def test_ages_read_as_minutes_hours_or_days(hours, text) -> None:
    assert source_freshness.format_age(hours) == text


def _settings(tmp_path: Path, warehouse: Path) -> Settings:
    return Settings(warehouse="duckdb", state_dir=tmp_path, duckdb_path=warehouse, bq_project="",
                    bq_raw_dataset="pipeline_health_raw", bq_location="EU", gcp_conn_id="x")


def test_the_task_fails_without_retries_on_an_error_and_publishes_it_first(tmp_path, monkeypatch,
                                                                            caplog) -> None:
    from airflow.sdk.exceptions import AirflowFailException

    from pipeline_health.dashboard import publish
    from pipeline_health.orchestration import daily_tasks

    calls = []
    monkeypatch.setattr(source_freshness, "check",
                        lambda settings, run_day: parse_sources(SOURCES_JSON, run_day))
    monkeypatch.setattr(source_freshness, "record",
                        lambda settings, results: calls.append(("record", results)))
    monkeypatch.setattr(publish, "publish_from_settings", lambda settings: calls.append(("publish", None)))
    monkeypatch.setenv("PIPELINE_HEALTH_WAREHOUSE", "duckdb")
    start = datetime(2026, 11, 22, tzinfo=UTC)
    with caplog.at_level(logging.WARNING), pytest.raises(AirflowFailException) as failed:
        daily_tasks.check_source_freshness(start, start + timedelta(days=1))
    assert "raw_status_changes" in str(failed.value) and "4 d 4 h" in str(failed.value)
    assert "not retried" in str(failed.value)
    assert [c[0] for c in calls] == ["record", "publish"]  # recorded, then shown on the page
    assert calls[0][1][0].run_day == date(2026, 11, 22)
    assert any("raw_quiz_attempts" in r.message and r.levelno == logging.WARNING for r in caplog.records)


def test_the_task_passes_and_logs_a_warning(monkeypatch, caplog) -> None:
    from pipeline_health.orchestration import daily_tasks

    warned = [r for r in parse_sources(SOURCES_JSON) if r.status in ("pass", "warn")]
    monkeypatch.setattr(source_freshness, "check", lambda settings, run_day: warned)
    monkeypatch.setattr(source_freshness, "record", lambda settings, results: None)
    start = datetime(2026, 11, 22, tzinfo=UTC)
    with caplog.at_level(logging.WARNING):
        result = daily_tasks.check_source_freshness(start, start + timedelta(days=1))
    assert result["raw_quiz_attempts"] == "warn" and result["raw_coach_feedback"] == "pass"
    assert any("raw_quiz_attempts" in r.message for r in caplog.records if r.levelno == logging.WARNING)


def test_recording_replaces_the_last_check(tmp_path) -> None:
    warehouse = tmp_path / "w.duckdb"
    first = parse_sources(SOURCES_JSON, date(2026, 11, 22))
    source_freshness.record_duckdb(warehouse, first)
    second = [Freshness("raw_quiz_attempts", "pass", CHECKED, 0.2, 54.0, 78.0, CHECKED, date(2026, 11, 23))]
    source_freshness.record_duckdb(warehouse, second)
    with duckdb.connect(str(warehouse), read_only=True) as con:
        assert con.execute("select source_table, status, run_day from ops.source_freshness").fetchall() == \
            [("raw_quiz_attempts", "pass", date(2026, 11, 23))]


def test_event_tables_have_thresholds_reference_tables_none() -> None:
    """The manifest Cosmos reads (make setup) carries the thresholds of sources.yml."""
    thresholds = source_freshness.manifest_thresholds(MANIFEST_PATH)
    assert set(thresholds) == {t.name for t in EVENT_TABLES}
    assert not {t.name for t in REFERENCE_TABLES} & set(thresholds)
    for table, (warn, error) in thresholds.items():
        assert warn is not None and error is not None and 24 < warn < error, table
    # Weekdays-only tables tolerate the weekend (a check on Monday sees 48 h without rows).
    assert thresholds["raw_quiz_attempts"][0] > 48 and thresholds["raw_session_attendance"][0] > 72
    assert thresholds["raw_progress_reviews"][0] > 6 * 24


def test_dbt_source_freshness_on_a_duckdb_warehouse(tmp_path) -> None:
    """The real dbt, in a child process (dbt keeps the DuckDB file open in the process that ran it)."""
    import subprocess
    import sys

    from pipeline_health.loaders.duckdb_loader import DuckDBLoader

    warehouse = tmp_path / "w.duckdb"
    DuckDBLoader(warehouse).ensure_tables()
    now = datetime.now(UTC)
    hours_ago = {"raw_status_changes": 60, "raw_quiz_attempts": 60, "raw_progress_reviews": None}
    with duckdb.connect(str(warehouse)) as con:
        for t in EVENT_TABLES:
            if hours_ago.get(t.name, 1) is not None:
                con.execute(f"insert into raw.{t.name} (event_id, load_date, loaded_at) values ('e', ?, ?)",
                            [now.date(), now - timedelta(hours=hours_ago.get(t.name, 1))])
        con.execute("drop table raw.raw_otj_hours")
    script = (
        "import json, sys; from pathlib import Path; from pipeline_health import source_freshness as f; "
        "from pipeline_health.config import Settings; "
        "s = Settings('duckdb', Path(sys.argv[1]), Path(sys.argv[2]), '', 'r', 'EU', 'x'); "
        "r = f.check(s); print(json.dumps({x.source_table: [x.status, x.age_hours, x.error_after_hours] "
        "for x in r}))")
    done = subprocess.run([sys.executable, "-c", script, str(tmp_path), str(warehouse)],
                          capture_output=True, text=True, timeout=300)
    assert done.returncode == 0, done.stdout[-3000:] + done.stderr[-3000:]
    found = json.loads(done.stdout.strip().splitlines()[-1])
    thresholds = source_freshness.manifest_thresholds(MANIFEST_PATH)
    assert found["raw_status_changes"][0] == "error" and 59.9 < found["raw_status_changes"][1] < 60.5
    assert found["raw_quiz_attempts"][0] == "warn"
    assert found["raw_progress_reviews"][:2] == ["error", None]
    # A table dbt could not query still shows the limits it is held to (the DAGs' manifest).
    assert found["raw_otj_hours"] == ["runtime error", None, thresholds["raw_otj_hours"][1]]
    assert found["raw_coach_feedback"][0] == "pass"
    # dbt's own sources.json, where `dbt source freshness` writes it (the check tells dbt to
    # write no JSON: it would write the whole manifest twice).
    written = source_freshness.sources_json_path(_settings(tmp_path, warehouse))
    assert written == tmp_path / "dbt-freshness" / "target" / "sources.json"
    assert {r["unique_id"].split(".")[-1] for r in json.loads(written.read_text())["results"]} == \
        set(found) - {"raw_otj_hours"}
    assert not (written.parent / "manifest.json").exists()


def test_bigquery_record_truncates_the_ops_table_with_a_typed_load_job(monkeypatch) -> None:
    """Offline: the load job the BigQuery path sends (its table, schema, disposition, rows)."""
    from google.cloud import bigquery

    class FakeClient:
        def __init__(self):
            self.datasets, self.loads = [], []

        def create_dataset(self, dataset, exists_ok):
            self.datasets.append((dataset, exists_ok))

        def load_table_from_json(self, rows, destination, job_config, location):
            self.loads.append((rows, destination, job_config, location))
            return type("Job", (), {"result": lambda self: None})()

    monkeypatch.delenv("PIPELINE_HEALTH_BQ_DATASET_PREFIX", raising=False)
    settings = Settings(warehouse="bigquery", state_dir=Path("/nowhere"), duckdb_path=Path("/nowhere/w"),
                        bq_project="my-project-1", bq_raw_dataset="pipeline_health_raw", bq_location="EU",
                        gcp_conn_id="google_cloud_default")
    client = FakeClient()
    source_freshness.record_bigquery(settings, parse_sources(SOURCES_JSON, date(2026, 11, 22)), client)
    assert client.datasets == [("my-project-1.pipeline_health_ops", True)]
    (rows, destination, config, location), = client.loads
    assert destination == "my-project-1.pipeline_health_ops.source_freshness" and location == "EU"
    assert config.write_disposition == bigquery.WriteDisposition.WRITE_TRUNCATE
    assert [(f.name, f.field_type) for f in config.schema] == [(n, t) for n, _, t in source_freshness.COLUMNS]
    json.dumps(rows)  # plain JSON values: ISO timestamps and dates
    stale = next(r for r in rows if r["source_table"] == "raw_status_changes")
    assert stale["status"] == "error" and stale["run_day"] == "2026-11-22"
    assert stale["max_loaded_at"] == "2026-11-18T20:10:00+00:00" and stale["age_hours"] == 100.0

"""BigQuery raw loader: pure helpers offline, then real loads against a local emulator.

Offline tests need no server. The ``test_emulator_*`` tests run bqemulator (see
tests/bq_emulator.py and scripts/setup_bq_emulator.sh) on 127.0.0.1; they fail
loudly if it cannot start, unless PIPELINE_HEALTH_SKIP_BQ_EMULATOR=1.

The emulator rejects loads to a ``table$YYYYMMDD`` decorator, so emulator tests use
the loader's ``partition_decorator=False`` path (stage + MERGE); the decorator path is
checked offline (target, job config) and by the emulator's own rejection of it.
"""

from __future__ import annotations

import dataclasses
import hashlib
import json
import os
import socket
import subprocess
import sys
import time
import uuid
from collections.abc import Iterator
from datetime import UTC, date, datetime, timedelta
from pathlib import Path

import bq_emulator
import pytest
from google.api_core import exceptions as google_exceptions
from google.auth.credentials import AnonymousCredentials
from google.cloud import bigquery

from pipeline_health.config import PROJECT_ROOT, ConfigError, SimulationConfig
from pipeline_health.loaders.base import LoadError
from pipeline_health.loaders.bigquery import (
    BigQueryLoader,
    load_job_config,
    partition_target,
    schema_fields,
    table_definition,
    to_ndjson,
)
from pipeline_health.schemas import (
    ALL_TABLES,
    EVENT_TABLES,
    LOAD_DATE,
    LOADED_AT,
    REFERENCE_TABLES,
    TABLES_BY_NAME,
    TRUTH_TABLES,
    Kind,
)
from pipeline_health.simulator import generate_day, generate_reference

PROJECT = "ph-test"
DAY = date(2026, 11, 24)
NASTY_NOTE = 'Said "great\tjob",\nthen left.\r\nBack\\slash — café ☕ 😀 \u2028 end'


def offline_client() -> bigquery.Client:
    # Anonymous and pointed at a closed loopback port: building it sends nothing.
    return bigquery.Client(project=PROJECT, credentials=AnonymousCredentials(),
                           client_options={"api_endpoint": "http://127.0.0.1:9"})


def no_client() -> bigquery.Client:
    raise AssertionError("the loader reached for BigQuery before validating its input")


def feedback_row(**overrides: object) -> dict:
    row = {"event_id": "FB-1", "apprentice_id": "APP-1", "coach_id": "COA-1",
           "feedback_at": "2026-11-24T09:00:00Z", "feedback_type": "feedback",
           "channel": "phone", "note": "ok"}
    row.update(overrides)
    return row


def apprentice_row(**overrides: object) -> dict:
    row = {"apprentice_id": "APP-1", "first_name": "Zoë", "last_name": "O'Brien",
           "email": "zoe@example.org", "employer_id": "EMP-1", "coach_id": "COA-1",
           "cohort_id": "COH-1", "programme_id": "PRG-1", "start_date": date(2025, 9, 1),
           "planned_end_date": date(2027, 3, 1), "gender": "Female",
           "ethnicity_group": "Mixed or Multiple ethnic groups", "imd_quintile": 2,
           "has_ldd": False, "ldd_category": None}
    row.update(overrides)
    return row


GOOD_ROWS = {
    "raw_coach_feedback": feedback_row(),
    "raw_apprentices": apprentice_row(),
    "raw_programmes": {"programme_id": "P", "programme_name": "Data Analyst", "level": 4,
                       "duration_months": 18, "otj_hours_per_week": 6.0},
}


# --------------------------------------------------------------------------- offline


@pytest.mark.parametrize("table", ALL_TABLES, ids=lambda t: t.name)
def test_schema_fields_follow_schemas_py(table):
    fields = schema_fields(table)
    assert [(f.name, f.field_type, f.mode, f.description) for f in fields] == [
        (c.name, c.type, "REQUIRED" if c.required else "NULLABLE", c.description)
        for c in table.columns]
    assert {f.field_type for f in fields} <= {"STRING", "INT64", "FLOAT64", "BOOL", "DATE",
                                              "TIMESTAMP"}


@pytest.mark.parametrize("table", ALL_TABLES, ids=lambda t: t.name)
def test_table_definition_partitions_event_tables_by_load_day(table):
    bq_table = table_definition(PROJECT, "raw", table)
    assert bq_table.description == table.description
    assert bq_table.table_id == table.name
    if table.kind is Kind.EVENT:
        assert bq_table.time_partitioning.type_ == "DAY"
        assert bq_table.time_partitioning.field == LOAD_DATE
        assert bq_table.require_partition_filter is True
        modes = {f.name: f.mode for f in bq_table.schema}
        assert modes[LOAD_DATE] == modes[LOADED_AT] == "REQUIRED"
    else:
        assert bq_table.time_partitioning is None
        assert not bq_table.require_partition_filter


def test_truth_tables_live_in_their_own_dataset():
    loader = BigQueryLoader(no_client, PROJECT, "ph_raw")
    assert loader.truth_dataset == "ph_raw_truth"
    for table in TRUTH_TABLES:
        assert loader.table_id(table) == f"{PROJECT}.ph_raw_truth.{table.name}"
    for table in EVENT_TABLES + REFERENCE_TABLES:
        assert loader.table_id(table) == f"{PROJECT}.ph_raw.{table.name}"
    assert BigQueryLoader(no_client, PROJECT, "a", "b").table_id(TRUTH_TABLES[0]).startswith(
        f"{PROJECT}.b.")
    with pytest.raises(ConfigError, match="truth dataset must differ"):
        BigQueryLoader(no_client, PROJECT, "same", "same")
    with pytest.raises(ConfigError, match="raw dataset"):
        BigQueryLoader(no_client, PROJECT, "bad-name")
    with pytest.raises(ConfigError, match="PIPELINE_HEALTH_BQ_PROJECT"):
        BigQueryLoader(no_client, "", "raw")


def test_partition_target_names_the_day_partition():
    assert partition_target("p", "d", "t", date(2026, 11, 24)) == "p.d.t$20261124"
    assert partition_target("my-proj", "raw", "raw_otj_hours", date(2027, 1, 5)) == (
        "my-proj.raw.raw_otj_hours$20270105")


@pytest.mark.parametrize("table", [EVENT_TABLES[0], REFERENCE_TABLES[0], TRUTH_TABLES[0]],
                         ids=lambda t: t.name)
def test_load_job_config_truncates_with_explicit_ndjson_schema(table):
    config = load_job_config(table)
    assert config.write_disposition == "WRITE_TRUNCATE"
    assert config.source_format == "NEWLINE_DELIMITED_JSON"
    assert config.schema == schema_fields(table)
    assert config.ignore_unknown_values is False
    assert config.create_disposition == "CREATE_NEVER"
    # What is actually sent to the API:
    wire = config.to_api_repr()["load"]
    assert wire["writeDisposition"] == "WRITE_TRUNCATE"
    assert wire["sourceFormat"] == "NEWLINE_DELIMITED_JSON"
    assert wire["ignoreUnknownValues"] is False
    assert wire["autodetect"] is False
    assert wire["maxBadRecords"] == 0
    assert [f["name"] for f in wire["schema"]["fields"]] == table.column_names
    assert load_job_config(table, "WRITE_APPEND").write_disposition == "WRITE_APPEND"


def test_ndjson_round_trips_event_rows_with_awkward_strings():
    table = TABLES_BY_NAME["raw_coach_feedback"]
    rows = [feedback_row(note=NASTY_NOTE), feedback_row(event_id=None, note=None, channel=""),
            feedback_row(note="x" * 5000)]
    data = to_ndjson(table, rows, {LOAD_DATE: "2026-11-24", LOADED_AT: "2026-11-25T06:00:00Z"})
    lines = data.split(b"\n")
    assert lines[-1] == b"" and len(lines) == len(rows) + 1  # one line per row, no raw newline
    decoded = [json.loads(line) for line in lines[:-1]]
    for row, back in zip(rows, decoded, strict=True):
        assert back == {**row, LOAD_DATE: "2026-11-24", LOADED_AT: "2026-11-25T06:00:00Z"}
    assert NASTY_NOTE.encode("utf-8") not in data  # escaped, yet decodes back exactly
    assert "café ☕ 😀".encode() in data  # UTF-8 as is, not \u escapes


def test_ndjson_round_trips_typed_reference_rows():
    table = TABLES_BY_NAME["raw_apprentices"]
    rows = [apprentice_row(), apprentice_row(apprentice_id="APP-2", has_ldd=True,
                                             ldd_category="Dyslexia", imd_quintile=5)]
    decoded = [json.loads(line) for line in to_ndjson(table, rows).splitlines()]
    assert decoded[0]["start_date"] == "2025-09-01"
    assert decoded[0]["has_ldd"] is False and decoded[1]["has_ldd"] is True
    assert decoded[0]["ldd_category"] is None and decoded[1]["ldd_category"] == "Dyslexia"
    assert decoded[1]["imd_quintile"] == 5 and decoded[0]["last_name"] == "O'Brien"
    outcome = TABLES_BY_NAME["apprentice_outcomes"]
    line = to_ndjson(outcome, [{"apprentice_id": "A", "outcome": "achieved",
                                "engagement_baseline": 0.1 + 0.2, "end_date": date(2027, 1, 1)}])
    back = json.loads(line)
    assert back["engagement_baseline"] == 0.1 + 0.2  # full float precision
    assert back["withdrawal_date"] is None  # missing nullable column -> NULL


@pytest.mark.parametrize(("table", "row", "message"), [
    ("raw_coach_feedback", feedback_row(bogus="1"),
     r"raw_coach_feedback row 1: unknown column\(s\) \['bogus'\]"),
    ("raw_coach_feedback", feedback_row(load_date="2026-11-24"),
     r"unknown column\(s\) \['load_date'\] \(load_date is set by the loader\)"),
    ("raw_coach_feedback", feedback_row(note=42),
     r"raw_coach_feedback row 1: column 'note': int value 42 does not fit a STRING column"),
    ("raw_apprentices", apprentice_row(imd_quintile="2"),
     r"raw_apprentices row 1: column 'imd_quintile': str value '2' .*INT64"),
    ("raw_apprentices", apprentice_row(imd_quintile=True),
     r"column 'imd_quintile': bool value True .*INT64"),
    ("raw_apprentices", apprentice_row(has_ldd=1), r"column 'has_ldd': int value 1 .*BOOL"),
    ("raw_apprentices", apprentice_row(start_date="2025-09-01"),
     r"column 'start_date': str .*DATE"),
    ("raw_apprentices", apprentice_row(start_date=datetime(2025, 9, 1, tzinfo=UTC)),
     r"column 'start_date': datetime .*DATE"),
    ("raw_apprentices", apprentice_row(email=None),
     r"raw_apprentices row 1: required column 'email' is missing or null"),
    ("raw_programmes", {**GOOD_ROWS["raw_programmes"], "otj_hours_per_week": float("nan")},
     r"raw_programmes row 1: column 'otj_hours_per_week': float value nan .*FLOAT64"),
])
def test_bad_rows_are_refused_with_a_clear_message_before_any_write(table, row, message):
    loader = BigQueryLoader(no_client, PROJECT, "raw")  # any BigQuery call would fail the test
    rows = [GOOD_ROWS[table], row]  # the bad row is row 1
    with pytest.raises(LoadError, match=message):
        if TABLES_BY_NAME[table].kind is Kind.EVENT:
            # A valid table first: it must not be written either.
            loader.load_day(DAY, {"raw_otj_hours": [], table: rows})
        else:
            loader.load_reference({"raw_coaches": [], table: rows})


def test_unknown_or_wrong_kind_tables_are_refused():
    loader = BigQueryLoader(no_client, PROJECT, "raw")
    with pytest.raises(LoadError, match=r"'raw_nope' is not a raw event table; expected one of"):
        loader.load_day(DAY, {"raw_otj_hours": [], "raw_nope": []})
    with pytest.raises(LoadError, match=r"'raw_coaches' is not a raw event table"):
        loader.load_day(DAY, {"raw_coaches": []})
    with pytest.raises(LoadError, match=r"'raw_otj_hours' is not a raw reference or truth"):
        loader.load_reference({"raw_otj_hours": []})
    with pytest.raises(LoadError, match="2026-11-24"):
        loader.load_day(DAY, {"raw_otj_hours": [{"hourz": "1"}]})


class FailedJob:
    """Stands in for a Google server error only: a load job that BigQuery failed."""

    def __init__(self) -> None:
        self.errors = [
            {"reason": "invalid", "message": "Error while reading data, error message: "
             "JSON parsing error in row starting at position 0"},
            {"reason": "invalid", "message": "Provided Schema does not match Table"},
        ]
        self.error_result = self.errors[0]

    def result(self, timeout=None):
        raise google_exceptions.BadRequest("Error while reading data", errors=self.errors)


def test_a_failed_load_job_raises_load_error_naming_table_day_and_errors(monkeypatch):
    client = offline_client()
    calls = []

    def load_table_from_file(file_obj, destination, job_config=None, **kwargs):
        calls.append((destination, job_config, file_obj.read()))
        return FailedJob()

    monkeypatch.setattr(client, "load_table_from_file", load_table_from_file)
    loader = BigQueryLoader(client, PROJECT, "raw")
    with pytest.raises(LoadError) as caught:
        loader.load_day(DAY, {"raw_coach_feedback": [feedback_row()]})
    message = str(caught.value)
    assert "ph-test.raw.raw_coach_feedback" in message and "2026-11-24" in message
    assert "JSON parsing error" in message and "Provided Schema does not match" in message
    # The production path: one WRITE_TRUNCATE load to the day's partition.
    [(destination, config, data)] = calls
    assert destination == "ph-test.raw.raw_coach_feedback$20261124"
    assert config.write_disposition == "WRITE_TRUNCATE"
    assert json.loads(data)[LOAD_DATE] == "2026-11-24"


def test_a_failed_delete_for_an_empty_day_raises_load_error(monkeypatch):
    client = offline_client()
    statements = []

    def query(sql, job_config=None, **kwargs):
        statements.append((sql, job_config.query_parameters))
        return FailedJob()

    monkeypatch.setattr(client, "query", query)
    with pytest.raises(LoadError, match=r"raw_otj_hours for 2026-11-24 failed.*JSON parsing"):
        BigQueryLoader(client, PROJECT, "raw").load_day(DAY, {"raw_otj_hours": []})
    [(sql, params)] = statements
    assert sql == "DELETE FROM `ph-test.raw.raw_otj_hours` WHERE load_date = @day"
    assert (params[0].name, params[0].type_, params[0].value) == ("day", "DATE", DAY)


def test_a_load_job_that_does_not_finish_is_cancelled_and_reported(monkeypatch):
    client = offline_client()

    class SlowJob:  # stands in for a job BigQuery has not finished in time
        job_id = "job-123"
        cancelled = False

        def result(self, timeout=None):
            raise TimeoutError

        def cancel(self):
            SlowJob.cancelled = True

    monkeypatch.setattr(client, "load_table_from_file", lambda *a, **k: SlowJob())
    loader = BigQueryLoader(client, PROJECT, "raw", job_timeout_s=3)
    with pytest.raises(LoadError, match=r"raw_otj_hours for 2026-11-24 did not finish within 3 s "
                                        r"\(job job-123 cancel requested\)"):
        loader.load_day(DAY, {"raw_otj_hours": [{"event_id": "OTJ-1"}]})
    assert SlowJob.cancelled


def test_from_airflow_builds_the_client_from_the_connection_lazily(tmp_path):
    """In a fresh process: the module imports without Airflow, and from_airflow uses the hook."""
    script = """
import sys
from pipeline_health.config import Settings
from pipeline_health.loaders import make_loader
loader = make_loader(Settings.from_env())
assert "airflow" not in sys.modules, "Airflow imported before the client was needed"
client = loader.client
print(type(loader).__name__, loader.project, loader.raw_dataset, loader.truth_dataset,
      client.project, client.location, type(client._credentials).__name__)
"""
    env = {**os.environ, "AIRFLOW_HOME": str(tmp_path),
           "PIPELINE_HEALTH_WAREHOUSE": "bigquery", "PIPELINE_HEALTH_BQ_PROJECT": PROJECT,
           "PIPELINE_HEALTH_BQ_RAW_DATASET": "ph_raw", "PIPELINE_HEALTH_BQ_LOCATION": "EU",
           "PIPELINE_HEALTH_GCP_CONN_ID": "ph_test_gcp",
           # An anonymous Google connection: exercises the hook without any credential.
           "AIRFLOW_CONN_PH_TEST_GCP": json.dumps(
               {"conn_type": "google_cloud_platform", "extra": {"is_anonymous": True}})}
    done = subprocess.run([sys.executable, "-c", script], env=env, capture_output=True,
                          text=True, timeout=120, check=False)
    assert done.returncode == 0, done.stderr[-3000:]
    assert done.stdout.split() == ["BigQueryLoader", PROJECT, "ph_raw", "ph_raw_truth", PROJECT,
                                   "EU", "AnonymousCredentials"]


def test_from_airflow_requires_a_project():
    from pipeline_health.config import Settings

    settings = Settings("bigquery", Path("."), Path("x.duckdb"), "", "raw", "EU", "gcp")
    with pytest.raises(ConfigError, match="PIPELINE_HEALTH_BQ_PROJECT"):
        BigQueryLoader.from_airflow(settings)


# --------------------------------------------------------------------------- emulator


@pytest.fixture(scope="session")
def emulator(tmp_path_factory) -> Iterator[bq_emulator.Emulator]:
    if os.environ.get("PIPELINE_HEALTH_SKIP_BQ_EMULATOR") == "1":
        pytest.skip("PIPELINE_HEALTH_SKIP_BQ_EMULATOR=1")
    try:
        emu = bq_emulator.start(PROJECT, tmp_path_factory.mktemp("bqemu"))
    except bq_emulator.EmulatorUnavailable as exc:
        pytest.fail(f"BigQuery emulator unavailable: {exc}", pytrace=False)
    yield emu
    emu.stop()
    assert emu.process.returncode is not None
    assert bq_emulator.group_members(emu.pgid) == [], "emulator left processes behind"


@pytest.fixture(scope="session")
def bq(emulator) -> bigquery.Client:
    return bigquery.Client(project=PROJECT, credentials=AnonymousCredentials(),
                           client_options={"api_endpoint": emulator.endpoint})


@pytest.fixture
def loader(bq) -> BigQueryLoader:
    """A loader on fresh datasets (one per test), tables created."""
    loader = BigQueryLoader(bq, PROJECT, f"raw_{uuid.uuid4().hex[:10]}", location="EU",
                            partition_decorator=False)
    loader.ensure_tables()
    return loader


@pytest.fixture(scope="module")
def sim() -> SimulationConfig:
    return SimulationConfig(seed=11, population=600, first_cohort="2025-06",
                            last_cohort="2026-12", malformed_rate=0.05)


def rows_of(client: bigquery.Client, table_id: str, where: str = "TRUE",
            params: list | None = None) -> list[tuple]:
    config = bigquery.QueryJobConfig(query_parameters=params or [])
    return [tuple(r.values()) for r in client.query(
        f"SELECT * FROM `{table_id}` WHERE {where}", job_config=config).result()]


def day_snapshot(loader: BigQueryLoader, day: date) -> dict[str, tuple[int, str, set]]:
    """Per event table: rows of the day, a checksum ignoring loaded_at, and the loaded_at set."""
    out = {}
    for table in EVENT_TABLES:
        rows = rows_of(loader.client, loader.table_id(table), f"{LOAD_DATE} = @d",
                       [bigquery.ScalarQueryParameter("d", "DATE", day)])
        at = table.column_names.index(LOADED_AT)
        content = sorted(repr(r[:at] + r[at + 1:]) for r in rows)
        out[table.name] = (len(rows), hashlib.sha256("\n".join(content).encode()).hexdigest(),
                           {r[at] for r in rows})
    return out


_LEGACY_TYPES = {"INTEGER": "INT64", "FLOAT": "FLOAT64", "BOOLEAN": "BOOL"}


def test_emulator_ensure_tables_creates_datasets_and_tables(loader, bq):
    loader.ensure_tables()  # a second call is a no-op
    for name in (loader.raw_dataset, loader.truth_dataset):
        dataset = bq.get_dataset(f"{PROJECT}.{name}")
        assert dataset.location == "EU" and dataset.description
    raw = {t.table_id for t in bq.list_tables(f"{PROJECT}.{loader.raw_dataset}")}
    truth = {t.table_id for t in bq.list_tables(f"{PROJECT}.{loader.truth_dataset}")}
    assert raw == {t.name for t in EVENT_TABLES + REFERENCE_TABLES}
    assert truth == {t.name for t in TRUTH_TABLES}
    for table in ALL_TABLES:
        got = bq.get_table(loader.table_id(table))
        assert got.description == table.description
        assert [(f.name, _LEGACY_TYPES.get(f.field_type, f.field_type), f.mode, f.description)
                for f in got.schema] == [
            (c.name, c.type, "REQUIRED" if c.required else "NULLABLE", c.description)
            for c in table.columns]
        if table.kind is Kind.EVENT:
            assert (got.time_partitioning.type_, got.time_partitioning.field) == ("DAY", LOAD_DATE)
        else:
            assert got.time_partitioning is None


def test_emulator_load_reference_replaces_whole_tables(loader, bq, sim):
    reference = generate_reference(sim)
    started = datetime.now(UTC) - timedelta(seconds=5)
    assert loader.load_reference(reference) == {n: len(r) for n, r in reference.items()}
    for name, rows in reference.items():
        table = TABLES_BY_NAME[name]
        assert len(rows_of(bq, loader.table_id(table))) == len(rows) > 0
    # Typed values come back as they went in (dates, bools, NULLs, ints).
    apprentices = TABLES_BY_NAME["raw_apprentices"]
    first = reference["raw_apprentices"][0]
    [back] = rows_of(bq, loader.table_id(apprentices), "apprentice_id = @id",
                     [bigquery.ScalarQueryParameter("id", "STRING", first["apprentice_id"])])
    back = dict(zip(apprentices.column_names, back, strict=True))
    assert back.pop(LOADED_AT) >= started
    assert back == first
    # A second load replaces the table whole: fewer rows, nothing left over.
    coaches = reference["raw_coaches"][:2]
    assert loader.load_reference({"raw_coaches": coaches}) == {"raw_coaches": 2}
    ids = sorted(r[0] for r in rows_of(bq, loader.table_id(TABLES_BY_NAME["raw_coaches"])))
    assert ids == sorted(c["coach_id"] for c in coaches)
    loader.load_reference({"raw_coaches": []})
    assert rows_of(bq, loader.table_id(TABLES_BY_NAME["raw_coaches"])) == []
    assert len(rows_of(bq, loader.table_id(apprentices))) == len(reference["raw_apprentices"])


def test_emulator_load_day_is_idempotent_and_touches_only_its_day(loader, sim):
    day1, day2 = date(2026, 3, 3), date(2026, 3, 4)
    batch1, batch2 = generate_day(sim, day1), generate_day(sim, day2)
    assert loader.load_day(day1, batch1.tables) == batch1.row_counts
    assert loader.load_day(day2, batch2.tables) == batch2.row_counts
    first1, first2 = day_snapshot(loader, day1), day_snapshot(loader, day2)
    assert {n: s[0] for n, s in first1.items()} == batch1.row_counts
    assert {n: s[0] for n, s in first2.items()} == batch2.row_counts
    assert sum(batch1.row_counts.values()) > 100  # the check saw real data

    time.sleep(0.01)  # so a re-load's loaded_at differs
    assert loader.load_day(day1, generate_day(sim, day1).tables) == batch1.row_counts
    again1, again2 = day_snapshot(loader, day1), day_snapshot(loader, day2)
    assert {n: s[:2] for n, s in again1.items()} == {n: s[:2] for n, s in first1.items()}
    assert again2 == first2  # day 2 untouched, down to its loaded_at
    reloaded = [n for n, s in again1.items() if s[0]]
    assert all(again1[n][2] != first1[n][2] for n in reloaded)  # day 1 really was rewritten

    # An empty re-load clears only that day's partition.
    assert loader.load_day(day1, {"raw_otj_hours": []}) == {"raw_otj_hours": 0}
    assert day_snapshot(loader, day1)["raw_otj_hours"][0] == 0
    assert day_snapshot(loader, day2) == first2
    # No staging table is left behind.
    names = {t.table_id for t in loader.client.list_tables(f"{PROJECT}.{loader.raw_dataset}")}
    assert not [n for n in names if n.startswith("_stage_")]


def test_emulator_round_trips_awkward_strings_and_nulls(loader):
    table = TABLES_BY_NAME["raw_coach_feedback"]
    rows = [feedback_row(note=NASTY_NOTE), feedback_row(event_id="FB-2", note=None, coach_id="")]
    loader.load_day(DAY, {table.name: rows})
    got = rows_of(loader.client, loader.table_id(table), f"{LOAD_DATE} = @d",
                  [bigquery.ScalarQueryParameter("d", "DATE", DAY)])
    by_id = {r[0]: dict(zip(table.column_names, r, strict=True)) for r in got}
    assert by_id["FB-1"]["note"] == NASTY_NOTE
    assert by_id["FB-2"]["note"] is None and by_id["FB-2"]["coach_id"] == ""
    assert by_id["FB-1"][LOAD_DATE] == DAY


def test_emulator_rejected_load_raises_load_error_and_keeps_the_day(loader, bq, sim):
    """A real server-side refusal: this emulator rejects partition-decorator loads."""
    batch = generate_day(sim, DAY)
    loader.load_day(DAY, batch.tables)
    before = day_snapshot(loader, DAY)
    decorated = BigQueryLoader(bq, PROJECT, loader.raw_dataset, location="EU",
                               partition_decorator=True)
    with pytest.raises(LoadError) as caught:
        decorated.load_day(DAY, {"raw_session_attendance": batch.tables["raw_session_attendance"]})
    message = str(caught.value)
    assert f"{loader.raw_dataset}.raw_session_attendance" in message and "2026-11-24" in message
    assert "raw_session_attendance$20261124" in message  # the server's own words
    assert day_snapshot(loader, DAY) == before


def test_emulator_setup_script_is_idempotent(emulator):
    started = time.monotonic()
    done = subprocess.run(["bash", str(PROJECT_ROOT / "scripts" / "setup_bq_emulator.sh")],
                          env={**os.environ, "PIPELINE_HEALTH_STATE_DIR": str(
                              bq_emulator.state_dir())},
                          capture_output=True, text=True, timeout=60, check=False)
    assert done.returncode == 0, done.stderr
    assert done.stdout.strip() == str(bq_emulator.state_dir() / "bqemu-venv")
    assert time.monotonic() - started < 5  # already installed: nothing done


def test_emulator_stop_leaves_no_process_behind(emulator, tmp_path):
    extra = bq_emulator.start(PROJECT, tmp_path)
    assert bq_emulator.group_members(extra.pgid) == [extra.process.pid]
    extra.stop()
    assert extra.process.returncode is not None
    assert bq_emulator.group_members(extra.pgid) == []
    with pytest.raises(OSError):  # and its port is closed
        socket.create_connection(("127.0.0.1", extra.port), timeout=2).close()


def test_emulator_lands_malformed_rows_as_they_are(loader, sim):
    """The simulator's malformed rows (NULL ids, unparseable values) are loaded, not dropped."""
    batch = generate_day(dataclasses.replace(sim, malformed_rate=0.2), DAY)
    assert loader.load_day(DAY, batch.tables) == batch.row_counts
    params = [bigquery.ScalarQueryParameter("d", "DATE", DAY)]
    null_ids = {t.name: len(rows_of(loader.client, loader.table_id(t),
                                    f"{LOAD_DATE} = @d AND event_id IS NULL", params))
                for t in EVENT_TABLES}
    assert null_ids == {name: sum(1 for r in rows if r["event_id"] is None)
                        for name, rows in batch.tables.items()}
    assert sum(null_ids.values()) > 0  # the check saw malformed rows

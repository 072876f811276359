"""BigQuery reader and log, offline: rendered SQL checked with sqlglot, a fake client for jobs."""

from __future__ import annotations

import json
from datetime import UTC, date, datetime
from typing import Any

import pytest
import sqlglot
from google.cloud import bigquery
from smtp_sink import SmtpSink
from sqlglot import exp

from pipeline_health.config import ConfigError, Settings
from pipeline_health.notifier import (
    BigQueryAlertLog,
    BigQueryNewlyRedSource,
    build_from_settings,
    notify_newly_red,
)
from pipeline_health.notifier.alert_log import render_bigquery_statements
from pipeline_health.notifier.models import MART_COLUMNS, SentAlert
from pipeline_health.notifier.source import render_bigquery_query

WEEK = date(2026, 11, 16)
PROJECT = "my-proj-123"
DEMOGRAPHIC_COLUMNS = {"gender", "ethnicity", "ethnicity_group", "imd", "imd_quintile", "ldd",
                       "has_ldd", "ldd_category"}


def parse(sql: str) -> exp.Expression:
    return sqlglot.parse_one(sql, read="bigquery")


def parameters(tree: exp.Expression) -> list[str]:
    return [p.this.name for p in tree.find_all(exp.Parameter)]


def literals(tree: exp.Expression) -> list[str]:
    return [lit.this for lit in tree.find_all(exp.Literal)]


def test_mart_query_selects_explicit_columns_and_takes_the_week_as_a_parameter() -> None:
    sql = render_bigquery_query(PROJECT, "pipeline_health_marts")
    tree = parse(sql)
    assert isinstance(tree, exp.Select)
    assert [c.alias_or_name for c in tree.selects] == list(MART_COLUMNS)
    assert not list(tree.find_all(exp.Star))
    assert not DEMOGRAPHIC_COLUMNS & {c.name for c in tree.find_all(exp.Column)}
    table = tree.find(exp.Table)
    assert (table.catalog, table.db, table.name) == (
        PROJECT, "pipeline_health_marts", "fct_apprentice_risk_weekly"
    )
    assert parameters(tree) == ["week_start"]
    assert literals(tree) == ["Red"]  # a constant of the contract, not a run value
    assert "is_newly_red" in {c.name for c in tree.find(exp.Where).find_all(exp.Column)}


def test_log_statements_parse_and_bind_every_value() -> None:
    stmts = render_bigquery_statements(PROJECT, "pipeline_health_ops")
    trees = {name: parse(sql) for name, sql in stmts.items()}
    assert isinstance(trees["create_schema"], exp.Create)
    assert isinstance(trees["create_table"], exp.Create)
    assert isinstance(trees["select"], exp.Select)
    assert isinstance(trees["insert"], exp.Insert)
    assert parameters(trees["select"]) == ["week_start"]
    assert parameters(trees["insert"]) == [
        "week_start_date", "coach_id", "apprentice_ids", "recipient", "message_id", "sent_at"
    ]
    for name, tree in trees.items():
        assert literals(tree) == []
        if name != "create_schema":
            table = tree.find(exp.Table)
            assert (table.catalog, table.db, table.name) == (
                PROJECT, "pipeline_health_ops", "sent_coach_alerts"
            )


@pytest.mark.parametrize(
    ("project", "dataset"),
    [(PROJECT, "marts`; drop table x; --"), ("Bad Project", "ok"), (PROJECT, "a.b")],
)
def test_identifiers_are_checked_not_interpolated_blindly(project: str, dataset: str) -> None:
    with pytest.raises(ValueError):
        render_bigquery_query(project, dataset)
    with pytest.raises(ValueError):
        render_bigquery_statements(project, dataset)


class FakeJob:
    def __init__(self, rows: list[dict[str, Any]]):
        self.rows = rows

    def result(self) -> list[bigquery.Row]:
        names = list(self.rows[0]) if self.rows else []
        index = {n: i for i, n in enumerate(names)}
        return [bigquery.Row(tuple(r[n] for n in names), index) for r in self.rows]


class FakeBigQuery:
    """Just enough of `bigquery.Client` to run the notifier: mart rows in, log rows kept."""

    project = PROJECT

    def __init__(self, mart_rows: list[dict[str, Any]]):
        self.mart_rows = mart_rows
        self.log: list[dict[str, Any]] = []
        self.calls: list[tuple[str, list[bigquery.ScalarQueryParameter], str | None]] = []

    def query(self, sql: str, *, job_config: bigquery.QueryJobConfig, location: str | None):
        params = list(job_config.query_parameters)
        self.calls.append((sql, params, location))
        values = {p.name: p.value for p in params}
        tree = parse(sql)
        if isinstance(tree, exp.Create):
            return FakeJob([])
        if isinstance(tree, exp.Insert):
            self.log.append(values)
            return FakeJob([])
        table = tree.find(exp.Table).name
        if table == "sent_coach_alerts":
            rows = [r for r in self.log if r["week_start_date"] == values["week_start"]]
            return FakeJob([{k: r[k] for k in ("coach_id", "apprentice_ids")} for r in rows])
        rows = [
            {c: r[c] for c in MART_COLUMNS}
            for r in self.mart_rows
            if r["week_start_date"] == values["week_start"] and r["is_newly_red"]
        ]
        return FakeJob(rows)


def mart_row(apprentice_id: str, coach_id: str, email: str | None, score: int) -> dict[str, Any]:
    row = {c: None for c in MART_COLUMNS}
    row.update(
        week_start_date=WEEK, apprentice_id=apprentice_id, apprentice_name=f"Name {apprentice_id}",
        coach_id=coach_id, coach_name=f"Coach {coach_id}", coach_email=email, risk_score=score,
        current_progression_status="At Risk", is_newly_red=True, points_attendance=30,
        points_quiz=0, points_feedback=20, points_status=15, points_otj=0, gender="DEMO-G",
    )
    return row


ROWS = [
    mart_row("A1", "C1", "c1@example.org", 70),
    mart_row("A2", "C1", "c1@example.org", 90),
    mart_row("A3", "C2", None, 80),
    mart_row("A4", "C3", "c3@example.org", 75),
]


def test_source_sends_the_week_as_a_date_parameter_and_groups_rows() -> None:
    client = FakeBigQuery(ROWS)
    source = BigQueryNewlyRedSource(client, dataset="pipeline_health_marts", location="EU")
    alerts = source.newly_red_by_coach(WEEK)

    (sql, params, location), = client.calls
    assert params == [bigquery.ScalarQueryParameter("week_start", "DATE", WEEK)]
    assert location == "EU"
    assert WEEK.isoformat() not in sql
    assert [(a.coach_id, [x.apprentice_id for x in a.apprentices]) for a in alerts] == [
        ("C1", ["A2", "A1"]), ("C2", ["A3"]), ("C3", ["A4"])
    ]


def test_log_binds_values_as_typed_parameters() -> None:
    client = FakeBigQuery([])
    log = BigQueryAlertLog(client, dataset="pipeline_health_ops")
    sent_at = datetime(2026, 11, 23, 7, 0, tzinfo=UTC)
    log.record(SentAlert(WEEK, "C1", ("A2", "A1"), "c1@example.org", "<m1@example.org>", sent_at))

    sql, params, _ = client.calls[-1]
    assert {(p.name, p.type_, p.value) for p in params} == {
        ("week_start_date", "DATE", WEEK),
        ("coach_id", "STRING", "C1"),
        ("apprentice_ids", "STRING", "A1,A2"),
        ("recipient", "STRING", "c1@example.org"),
        ("message_id", "STRING", "<m1@example.org>"),
        ("sent_at", "TIMESTAMP", sent_at),
    }
    for value in ("C1", "c1@example.org", "m1@example.org", WEEK.isoformat()):
        assert value not in sql
    assert log.notified(WEEK) == {"C1": frozenset({"A1", "A2"})}
    assert log.notified(date(2026, 11, 23)) == {}


def test_notifier_runs_on_the_bigquery_classes_and_is_idempotent(
    monkeypatch: pytest.MonkeyPatch,
) -> None:
    sink = SmtpSink().start()
    try:
        monkeypatch.setenv("AIRFLOW_CONN_SMTP_DEFAULT", sink.connection_json())
        client = FakeBigQuery(ROWS)
        source = BigQueryNewlyRedSource(client, dataset="pipeline_health_marts")
        log = BigQueryAlertLog(client, dataset="pipeline_health_ops")

        first = notify_newly_red(WEEK, source=source, alert_log=log)
        second = notify_newly_red(WEEK, source=source, alert_log=log)
    finally:
        sink.stop()

    assert first.coaches_notified == ("C1", "C3")
    assert [c.coach_id for c in first.coaches_without_email] == ["C2"]
    assert second.coaches_notified == () and second.skipped_already_sent == ("C1", "C3")
    assert sorted(r for m in sink.received for r in m.rcpt_tos) == [
        "c1@example.org", "c3@example.org"
    ]
    assert [(r["coach_id"], r["apprentice_ids"]) for r in client.log] == [
        ("C1", "A1,A2"), ("C3", "A4")
    ]
    for sql, _, _ in client.calls:
        assert "DEMO-G" not in sql and "gender" not in sql


class FakeBigQueryHook:
    made: list[dict[str, Any]] = []

    def __init__(self, gcp_conn_id: str):
        self.gcp_conn_id = gcp_conn_id

    def get_client(self, project_id: str, location: str | None = None) -> FakeBigQuery:
        self.made.append({"conn": self.gcp_conn_id, "project": project_id, "location": location})
        return FakeBigQuery([])


def test_settings_pick_bigquery_datasets_and_connection(monkeypatch: pytest.MonkeyPatch) -> None:
    import airflow.providers.google.cloud.hooks.bigquery as bq_hooks

    monkeypatch.setattr(bq_hooks, "BigQueryHook", FakeBigQueryHook)
    monkeypatch.setenv("PIPELINE_HEALTH_WAREHOUSE", "bigquery")
    monkeypatch.setenv("PIPELINE_HEALTH_BQ_PROJECT", PROJECT)
    monkeypatch.setenv("PIPELINE_HEALTH_GCP_CONN_ID", "gcp_ph")
    monkeypatch.delenv("PIPELINE_HEALTH_BQ_RAW_DATASET", raising=False)
    monkeypatch.delenv("PIPELINE_HEALTH_BQ_DATASET_PREFIX", raising=False)
    FakeBigQueryHook.made.clear()

    source, log = build_from_settings(Settings.from_env())

    assert FakeBigQueryHook.made == [{"conn": "gcp_ph", "project": PROJECT, "location": "EU"}]
    assert isinstance(source, BigQueryNewlyRedSource) and isinstance(log, BigQueryAlertLog)
    assert f"`{PROJECT}.pipeline_health_marts.fct_apprentice_risk_weekly`" in source.sql
    assert f"`{PROJECT}.pipeline_health_ops.sent_coach_alerts`" in log.statements["insert"]

    monkeypatch.setenv("PIPELINE_HEALTH_BQ_DATASET_PREFIX", "ph_dev_")
    source, log = build_from_settings(Settings.from_env())
    assert "`my-proj-123.ph_dev_marts." in source.sql
    assert "`my-proj-123.ph_dev_ops." in log.statements["select"]

    monkeypatch.delenv("PIPELINE_HEALTH_BQ_PROJECT")
    with pytest.raises(ConfigError, match="PIPELINE_HEALTH_BQ_PROJECT"):
        build_from_settings(Settings.from_env())


def test_summary_is_json_friendly() -> None:
    client = FakeBigQuery([mart_row("A3", "C2", None, 80)])
    summary = notify_newly_red(
        WEEK,
        source=BigQueryNewlyRedSource(client, dataset="m"),
        alert_log=BigQueryAlertLog(client, dataset="o"),
    )
    assert json.loads(json.dumps(summary.as_dict())) == summary.as_dict()
    assert summary.as_dict()["coaches_without_email"] == [
        {"coach_id": "C2", "apprentice_ids": ["A3"]}
    ]

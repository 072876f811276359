"""End to end: a real DuckDB file with a hand-made risk mart, a real SMTP server on 127.0.0.1."""

from __future__ import annotations

import json
import logging
import re
from collections import Counter
from datetime import date
from pathlib import Path
from typing import Any

import duckdb
import pytest
from smtp_sink import Received, SmtpSink

from pipeline_health.notifier import (
    DuckDBAlertLog,
    DuckDBNewlyRedSource,
    NotifyError,
    SourceError,
    notify_from_settings,
    notify_newly_red,
)
from pipeline_health.notifier.models import SentAlert

WEEK = date(2026, 11, 16)  # a Monday
PREV_WEEK = date(2026, 11, 9)
FROM = "pipeline-health@example.org"

# Distinctive values, so a leak anywhere is found by a plain substring search.
DEMOGRAPHICS = {
    "gender": "DEMO-GENDER-q7x",
    "ethnicity": "DEMO-ETHNICITY-z3p",
    "imd": "DEMO-IMD-k9w",
    "ldd": "DEMO-LDD-v2m",
}
EVIL_NAME = "Aoife O'Brien <script>alert(1)</script>"

MART_DDL = """
create schema if not exists marts;
create table marts.fct_apprentice_risk_weekly (
    week_start_date date, week_end_date date,
    apprentice_id varchar, apprentice_name varchar,
    coach_id varchar, coach_name varchar, coach_email varchar,
    programme_name varchar, cohort_name varchar, current_progression_status varchar,
    attendance_rate_last_30d double, quiz_score_avg_last_30d double,
    days_since_last_feedback integer,
    otj_hours_last_30d double, otj_hours_planned_last_30d double,
    points_attendance integer, points_quiz integer, points_feedback integer,
    points_status integer, points_otj integer,
    days_since_last_contact integer,
    attendance_rate_last_4_weeks double, attendance_rate_prior_8_weeks double,
    attendance_change_vs_prior double, attendance_trend_6_weeks double, sessions_missed_in_a_row integer,
    quiz_score_avg_last_4_weeks double, quiz_score_avg_prior_8_weeks double, quiz_change_vs_prior double,
    quiz_attempts_ratio_vs_prior double, points_quiz_activity integer,
    otj_plan_attainment_last_4_weeks double, otj_plan_attainment_prior_8_weeks double,
    otj_ratio_vs_prior double, otj_trend_6_weeks double, weeks_without_otj_in_a_row integer,
    weeks_inactive_in_a_row integer,
    points_attendance_drop integer, points_attendance_trend integer, points_missed_sessions integer,
    points_quiz_drop integer, points_otj_drop integer, points_otj_trend integer, points_otj_gap integer,
    points_inactivity integer,
    risk_score integer, risk_band varchar, is_newly_red boolean,
    gender varchar, ethnicity varchar, imd varchar, ldd varchar
)
"""

COACHES = {
    "C001": ("Priya Shah", "priya.shah@example.org"),
    "C002": ("Tom & Jerry <b>", "tom@example.org"),
    "C003": ("Nora NoMail", None),
    "C004": ("Bill Blank", "   "),
    "C005": ("Zoe Quiet", "zoe@example.org"),
    "C006": ("Uma Patel", "uma@example.org"),
}


def mart_row(apprentice_id: str, name: str, coach_id: str, **kw: Any) -> dict[str, Any]:
    coach_name, coach_email = COACHES[coach_id]
    row = {
        "week_start_date": WEEK,
        "week_end_date": date(2026, 11, 22),
        "apprentice_id": apprentice_id,
        "apprentice_name": name,
        "coach_id": coach_id,
        "coach_name": coach_name,
        "coach_email": coach_email,
        "programme_name": "Data Analyst L4",
        "cohort_name": "Data Analyst L4 - 2026-01",
        "current_progression_status": "At Risk",
        "attendance_rate_last_30d": 0.42,
        "quiz_score_avg_last_30d": 55.0,
        "days_since_last_feedback": 35,
        "otj_hours_last_30d": 10.5,
        "otj_hours_planned_last_30d": 25.7,
        "points_attendance": 30,
        "points_quiz": 10,
        "points_feedback": 20,
        "points_status": 15,
        "points_otj": 10,
        "days_since_last_contact": 35,
        "attendance_rate_last_4_weeks": 0.4,
        "attendance_rate_prior_8_weeks": 0.9,
        "attendance_change_vs_prior": -0.5,
        "attendance_trend_6_weeks": -0.12,
        "sessions_missed_in_a_row": 3,
        "quiz_score_avg_last_4_weeks": 55.0,
        "quiz_score_avg_prior_8_weeks": 70.0,
        "quiz_change_vs_prior": -15.0,
        "quiz_attempts_ratio_vs_prior": 0.5,
        "points_quiz_activity": 0,
        "otj_plan_attainment_last_4_weeks": 0.4,
        "otj_plan_attainment_prior_8_weeks": 1.0,
        "otj_ratio_vs_prior": 0.4,
        "otj_trend_6_weeks": -0.1,
        "weeks_without_otj_in_a_row": 0,
        "weeks_inactive_in_a_row": 0,
        "points_attendance_drop": 5,
        "points_attendance_trend": 3,
        "points_missed_sessions": 7,
        "points_quiz_drop": 0,
        "points_otj_drop": 0,
        "points_otj_trend": 0,
        "points_otj_gap": 0,
        "points_inactivity": 0,
        "risk_score": 85,
        "risk_band": "Red",
        "is_newly_red": True,
        **DEMOGRAPHICS,
    }
    row.update(kw)
    return row


ROWS = [
    mart_row("A001", EVIL_NAME, "C001", risk_score=85),
    mart_row("A002", "Ben Carter", "C001", risk_score=92, attendance_rate_last_30d=None),
    mart_row("A003", "Cara Stillred", "C001", is_newly_red=False),  # Red last week already
    mart_row("A004", "Dev Amber", "C001", risk_band="Amber", is_newly_red=False, risk_score=45),
    mart_row("A005", "Eve Lee", "C002", risk_score=70),
    mart_row("A006", "Finn Nomail", "C003"),
    mart_row("A007", "Gus Blank", "C004"),
    mart_row("A008", "Hal Green", "C005", risk_band="Green", is_newly_red=False, risk_score=5),
    mart_row("A009", "Ida Lastweek", "C005", week_start_date=PREV_WEEK),
    mart_row("A010", "Hana Ito", "C006", risk_score=64),
]
EXPECTED = {  # recipient -> apprentice ids, for WEEK
    "priya.shah@example.org": {"A001", "A002"},
    "tom@example.org": {"A005"},
    "uma@example.org": {"A010"},
}
NOT_EMAILED_NAMES = ["Cara Stillred", "Dev Amber", "Finn Nomail", "Gus Blank", "Hal Green",
                     "Ida Lastweek"]


def write_mart(path: Path, rows: list[dict[str, Any]]) -> None:
    with duckdb.connect(str(path)) as con:
        con.execute(MART_DDL)
        cols = list(rows[0])
        con.executemany(
            f"insert into marts.fct_apprentice_risk_weekly ({', '.join(cols)}) "
            f"values ({', '.join('?' for _ in cols)})",
            [[r[c] for c in cols] for r in rows],
        )


def log_rows(path: Path) -> list[tuple]:
    with duckdb.connect(str(path), read_only=True) as con:
        return con.execute(
            "select week_start_date, coach_id, apprentice_ids, recipient, message_id, sent_at "
            "from ops.sent_coach_alerts order by sent_at, coach_id"
        ).fetchall()


def ids_in(received: Received) -> set[str]:
    return set(re.findall(r"\((A\d{3})\)", received.message.get_body(("plain",)).get_content()))


def by_recipient(received: list[Received]) -> Counter[str]:
    return Counter(r for m in received for r in m.rcpt_tos)


@pytest.fixture
def db(tmp_path: Path) -> Path:
    path = tmp_path / "warehouse.duckdb"
    write_mart(path, ROWS)
    return path


@pytest.fixture
def sink(monkeypatch: pytest.MonkeyPatch):
    server = SmtpSink().start()
    monkeypatch.setenv("AIRFLOW_CONN_SMTP_DEFAULT", server.connection_json(FROM))
    monkeypatch.delenv("PIPELINE_HEALTH_ALERT_FROM", raising=False)
    monkeypatch.delenv("PIPELINE_HEALTH_DASHBOARD_URL", raising=False)
    yield server
    server.stop()


def run(db: Path, **kw: Any):
    return notify_newly_red(
        WEEK, source=DuckDBNewlyRedSource(db), alert_log=DuckDBAlertLog(db), **kw
    )


def test_sends_exactly_the_newly_red_apprentices_to_each_coach(db: Path, sink: SmtpSink) -> None:
    summary = run(db)

    got = {m.rcpt_tos[0]: ids_in(m) for m in sink.received}
    assert got == EXPECTED
    assert all(len(m.rcpt_tos) == 1 for m in sink.received)
    for m in sink.received:
        assert m.mail_from == FROM
        assert m.message["To"].addresses[0].addr_spec == m.rcpt_tos[0]
        text = m.message.get_body(("plain",)).get_content()
        for name in NOT_EMAILED_NAMES:
            assert name not in text
    assert summary.coaches_notified == ("C001", "C002", "C006")
    assert summary.apprentices_notified == 4
    assert summary.failures == () and summary.skipped_already_sent == ()
    assert [(r[1], r[2], r[3]) for r in sorted(log_rows(db), key=lambda r: r[1])] == [
        ("C001", "A001,A002", "priya.shah@example.org"),
        ("C002", "A005", "tom@example.org"),
        ("C006", "A010", "uma@example.org"),
    ]
    ids = {m.message["Message-ID"].strip() for m in sink.received}
    assert {r[4] for r in log_rows(db)} == ids


def test_rerun_sends_nothing_and_leaves_the_log_unchanged(db: Path, sink: SmtpSink) -> None:
    run(db)
    before = log_rows(db)
    assert len(sink.received) == 3

    again = run(db)

    assert len(sink.received) == 3
    assert log_rows(db) == before
    assert again.coaches_notified == () and again.apprentices_notified == 0
    assert again.skipped_already_sent == ("C001", "C002", "C006")


def test_server_failing_after_first_coach_then_retry_sends_only_the_rest(
    db: Path, sink: SmtpSink
) -> None:
    sink.handler.accept_limit = 1  # accepts C001's message, then answers 451

    with pytest.raises(NotifyError) as failed:
        run(db)

    assert [m.rcpt_tos[0] for m in sink.received] == ["priya.shah@example.org"]
    assert [r[1] for r in log_rows(db)] == ["C001"]  # logged before the failure
    assert [f.coach_id for f in failed.value.summary.failures] == ["C002", "C006"]
    assert "451" in failed.value.summary.failures[0].error
    message = str(failed.value)  # what the on-call engineer reads in the task log
    assert f"SMTP server 127.0.0.1:{sink.port} (connection 'smtp_default')" in message
    assert "first failure: coach C002: SMTPDataError: 451 4.3.0 Temporary local problem" in message
    assert "Not emailed: C002, C006 (failed: C002, C006; not attempted: none)" in message

    sink.handler.heal()
    retry = run(db)

    assert retry.coaches_notified == ("C002", "C006")
    assert retry.skipped_already_sent == ("C001",)
    assert by_recipient(sink.received) == Counter({r: 1 for r in EXPECTED})
    assert sorted(r[1] for r in log_rows(db)) == ["C001", "C002", "C006"]


def test_server_dropping_the_connection_is_a_failure_and_the_session_is_reopened(
    db: Path, sink: SmtpSink
) -> None:
    sink.handler.accept_limit = 1
    sink.handler.disconnect_on_fail = True

    with pytest.raises(NotifyError) as failed:
        run(db)

    # Both later coaches were attempted (a fresh session each), and both failed.
    assert [f.coach_id for f in failed.value.summary.failures] == ["C002", "C006"]
    assert [r[1] for r in log_rows(db)] == ["C001"]

    sink.handler.heal()
    run(db)
    assert by_recipient(sink.received) == Counter({r: 1 for r in EXPECTED})


def test_one_refused_address_does_not_hold_back_the_other_coaches(
    db: Path, sink: SmtpSink
) -> None:
    sink.handler.refuse_recipients.add("tom@example.org")

    with pytest.raises(NotifyError) as failed:
        run(db)

    assert [f.coach_id for f in failed.value.summary.failures] == ["C002"]
    assert failed.value.summary.coaches_notified == ("C001", "C006")
    assert set(by_recipient(sink.received)) == {"priya.shah@example.org", "uma@example.org"}

    sink.handler.heal()
    run(db)
    assert by_recipient(sink.received) == Counter({r: 1 for r in EXPECTED})


class StopServerAfterFirstRecord:
    """An alert log that takes the mail server down right after the first coach is logged."""

    def __init__(self, inner: DuckDBAlertLog, sink: SmtpSink):
        self.inner, self.sink = inner, sink

    def ensure(self) -> None:
        self.inner.ensure()

    def notified(self, week_start: date) -> dict[str, frozenset[str]]:
        return self.inner.notified(week_start)

    def record(self, alert: SentAlert) -> None:
        self.inner.record(alert)
        self.sink.stop()


def test_server_gone_mid_run_stops_and_a_retry_completes(
    db: Path, sink: SmtpSink, monkeypatch: pytest.MonkeyPatch
) -> None:
    with pytest.raises(NotifyError) as failed:
        notify_newly_red(
            WEEK,
            source=DuckDBNewlyRedSource(db),
            alert_log=StopServerAfterFirstRecord(DuckDBAlertLog(db), sink),
        )
    summary = failed.value.summary
    assert summary.coaches_notified == ("C001",)
    assert [f.coach_id for f in summary.failures] == ["C002"]
    assert summary.not_attempted == ("C006",)
    assert [r[1] for r in log_rows(db)] == ["C001"]
    message = str(failed.value)
    assert f"SMTP server 127.0.0.1:{sink.port}" in message
    assert "the session could not be reopened (ConnectionRefusedError" in message
    assert "first failure: coach C002: " in message
    assert "Not emailed: C002, C006 (failed: C002; not attempted: C006)" in message
    first = sink.received

    healthy = SmtpSink().start()
    try:
        monkeypatch.setenv("AIRFLOW_CONN_SMTP_DEFAULT", healthy.connection_json(FROM))
        run(db)
        assert by_recipient(first + healthy.received) == Counter({r: 1 for r in EXPECTED})
    finally:
        healthy.stop()


class FailingRecord:
    def __init__(self, inner: DuckDBAlertLog):
        self.inner = inner

    def ensure(self) -> None:
        self.inner.ensure()

    def notified(self, week_start: date) -> dict[str, frozenset[str]]:
        return self.inner.notified(week_start)

    def record(self, alert: SentAlert) -> None:
        raise duckdb.IOException("disk full")


def test_log_write_failure_stops_at_once(db: Path, sink: SmtpSink) -> None:
    with pytest.raises(NotifyError, match="could not be logged") as failed:
        notify_newly_red(WEEK, source=DuckDBNewlyRedSource(db), alert_log=FailingRecord(
            DuckDBAlertLog(db)))
    assert len(sink.received) == 1  # no further coach emailed after an unlogged send
    assert failed.value.summary.not_attempted == ("C002", "C006")


def test_coach_without_email_is_reported_not_fatal(
    db: Path, sink: SmtpSink, caplog: pytest.LogCaptureFixture
) -> None:
    caplog.set_level(logging.INFO)
    summary = run(db)

    assert [(c.coach_id, c.apprentice_ids) for c in summary.coaches_without_email] == [
        ("C003", ("A006",)),
        ("C004", ("A007",)),
    ]
    assert set(by_recipient(sink.received)) == set(EXPECTED)
    assert "coach C003 has no email address; 1 newly Red apprentices not notified" in caplog.text
    assert "C003" not in {r[1] for r in log_rows(db)}


def test_no_demographics_or_names_in_messages_or_logs(
    db: Path, sink: SmtpSink, caplog: pytest.LogCaptureFixture
) -> None:
    caplog.set_level(logging.DEBUG)
    sink.handler.refuse_recipients.add("uma@example.org")  # exercise the error log path too
    with pytest.raises(NotifyError):
        run(db)
    assert "coach C003 has no email address" in caplog.text  # the capture works

    texts = []
    for m in sink.received:
        msg = m.message
        texts.append(str(msg))  # headers and raw parts
        texts += [part.get_content() for part in msg.walk() if not part.is_multipart()]
    assert texts
    logged = caplog.text + "\n".join(r.getMessage() for r in caplog.records)
    for value in DEMOGRAPHICS.values():
        for text in texts:
            assert value not in text
        assert value not in logged
    ours = "\n".join(
        r.getMessage() for r in caplog.records if r.name.startswith("pipeline_health")
    )
    assert "A001" in ours  # ids are logged ...
    for name in ["O'Brien", "Ben Carter", "Eve Lee", "Hana Ito", "Finn Nomail", "Gus Blank"]:
        assert name not in ours  # ... names are not


def test_follow_up_carries_only_apprentices_who_became_red_after_the_first_email(
    db: Path, sink: SmtpSink
) -> None:
    run(db)
    with duckdb.connect(str(db)) as con:  # the mart is rebuilt with a late change
        con.execute(
            "update marts.fct_apprentice_risk_weekly set is_newly_red = true "
            "where apprentice_id = 'A003'"
        )

    follow_up = run(db)

    assert follow_up.coaches_notified == ("C001",)
    assert follow_up.skipped_already_sent == ("C002", "C006")
    last = sink.received[-1]
    assert last.rcpt_tos == ("priya.shah@example.org",) and ids_in(last) == {"A003"}
    assert len(sink.received) == 4
    run(db)
    assert len(sink.received) == 4


def test_entry_point_from_settings_uses_the_duckdb_warehouse(
    db: Path, sink: SmtpSink, monkeypatch: pytest.MonkeyPatch
) -> None:
    monkeypatch.setenv("PIPELINE_HEALTH_WAREHOUSE", "duckdb")
    monkeypatch.setenv("PIPELINE_HEALTH_DUCKDB_PATH", str(db))
    monkeypatch.setenv("PIPELINE_HEALTH_ALERT_FROM", "Pipeline Health <alerts@example.org>")
    summary = notify_from_settings(WEEK)
    assert summary.as_dict()["coaches_notified"] == ["C001", "C002", "C006"]
    assert summary.as_dict()["week_start_date"] == "2026-11-16"
    assert {m.mail_from for m in sink.received} == {"alerts@example.org"}
    assert len(log_rows(db)) == 3


def test_unreachable_server_fails_before_sending_and_logs_nothing(
    db: Path, monkeypatch: pytest.MonkeyPatch
) -> None:
    down = SmtpSink()  # never started: connection refused
    conn = json.loads(down.connection_json(FROM)) | {"login": "alerts", "password": "s3cret-pw"}
    monkeypatch.setenv("AIRFLOW_CONN_SMTP_DEFAULT", json.dumps(conn))
    with pytest.raises(NotifyError) as failed:
        run(db)
    assert log_rows(db) == []
    assert failed.value.summary.not_attempted == ("C001", "C002", "C006")
    message = str(failed.value)
    assert f"SMTP server 127.0.0.1:{down.port} (connection 'smtp_default')" in message
    assert "no session could be opened (ConnectionRefusedError" in message
    assert "Not emailed: C001, C002, C006 (failed: none; not attempted: C001, C002, C006)" in message
    assert "s3cret-pw" not in message and "alerts@" not in message


def test_missing_sender_is_a_clear_error(
    db: Path, sink: SmtpSink, monkeypatch: pytest.MonkeyPatch
) -> None:
    monkeypatch.setenv("AIRFLOW_CONN_SMTP_DEFAULT", sink.connection_json(from_email=""))
    with pytest.raises(ValueError, match="PIPELINE_HEALTH_ALERT_FROM"):
        run(db)
    assert sink.received == []


def test_week_must_be_a_monday(db: Path) -> None:
    with pytest.raises(ValueError, match="not a Monday"):
        notify_newly_red(
            date(2026, 11, 17), source=DuckDBNewlyRedSource(db), alert_log=DuckDBAlertLog(db)
        )


def test_duckdb_source_groups_sorts_and_reads_beside_an_open_writer(db: Path) -> None:
    with duckdb.connect(str(db)) as writer:  # same process holds a read-write handle
        writer.execute("select 1")
        alerts = DuckDBNewlyRedSource(db).newly_red_by_coach(WEEK)
    assert [a.coach_id for a in alerts] == ["C001", "C002", "C003", "C004", "C006"]
    priya = alerts[0]
    assert [a.apprentice_id for a in priya.apprentices] == ["A002", "A001"]  # score desc
    assert priya.coach_email == "priya.shah@example.org"
    assert alerts[2].coach_email is None and alerts[3].coach_email is None
    assert priya.apprentices[0].attendance_rate_last_30d is None
    assert not hasattr(priya.apprentices[0], "gender")


def test_duckdb_source_reports_a_missing_mart(tmp_path: Path) -> None:
    with pytest.raises(SourceError, match="does not exist"):
        DuckDBNewlyRedSource(tmp_path / "nope.duckdb").newly_red_by_coach(WEEK)
    empty = tmp_path / "empty.duckdb"
    duckdb.connect(str(empty)).close()
    with pytest.raises(SourceError, match="not readable"):
        DuckDBNewlyRedSource(empty).newly_red_by_coach(WEEK)


def test_every_received_message_is_valid_alternative_mime_with_escaped_html(
    db: Path, sink: SmtpSink
) -> None:
    run(db)
    assert len(sink.received) == 3
    for m in sink.received:
        msg = m.message
        assert msg.get_content_type() == "multipart/alternative"
        parts = list(msg.iter_parts())
        assert [p.get_content_type() for p in parts] == ["text/plain", "text/html"]
        assert not msg.defects and not any(p.defects for p in parts)
        assert msg["Auto-Submitted"] == "auto-generated"
        for part in parts:
            assert part.get_content_charset() == "utf-8"

    priya = next(m.message for m in sink.received if m.rcpt_tos[0].startswith("priya"))
    assert priya["Subject"] == "2 apprentices newly Red this week (w/c 2026-11-16)"
    text = priya.get_body(("plain",)).get_content()
    html = priya.get_body(("html",)).get_content()
    assert EVIL_NAME in text
    assert "<script>" not in html
    assert "Aoife O&#x27;Brien &lt;script&gt;alert(1)&lt;/script&gt;" in html
    # Highest score first in both parts.
    assert text.index("Ben Carter") < text.index("Aoife")
    assert html.index("Ben Carter") < html.index("Aoife")
    for sentence in (
        "Attendance 42% over last 30 days \u2192 30 pts",
        "Quiz average 55/100 over last 30 days \u2192 10 pts",
        "Last coach feedback 35 days ago \u2192 20 pts",
        "Status At Risk \u2192 15 pts",
        "Off-the-job training 10.5 h of 25.7 h planned over last 30 days \u2192 10 pts",
    ):
        assert sentence in text and sentence in html
    # The Pipeline Health page inside the Airflow UI, on this coach and week.
    link = "http://localhost:8080/plugin/pipeline-health/pipeline-health/?coach=C001&week=2026-11-16"
    assert link in text
    assert f'href="{link.replace("&", "&amp;")}"' in html

    tom = next(m.message for m in sink.received if m.rcpt_tos[0].startswith("tom"))
    assert tom["Subject"] == "1 apprentice newly Red this week (w/c 2026-11-16)"
    assert "Hello Tom &amp; Jerry &lt;b&gt;," in tom.get_body(("html",)).get_content()
    assert tom["To"].addresses[0].display_name == "Tom & Jerry <b>"


def test_duckdb_query_names_its_columns_and_binds_the_week() -> None:
    import sqlglot
    from sqlglot import exp

    from pipeline_health.notifier.models import MART_COLUMNS
    from pipeline_health.notifier.source import render_duckdb_query

    tree = sqlglot.parse_one(render_duckdb_query(), read="duckdb")
    assert [c.alias_or_name for c in tree.selects] == list(MART_COLUMNS)
    assert not set(DEMOGRAPHICS) & {c.name for c in tree.find_all(exp.Column)}
    assert len(list(tree.find_all(exp.Placeholder))) == 1

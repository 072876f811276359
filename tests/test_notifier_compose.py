"""Rendering of one coach's email, without a server."""

from __future__ import annotations

from dataclasses import replace
from datetime import date
from email import policy
from email.parser import BytesParser

import pytest

from pipeline_health.notifier.compose import (
    compose_coach_email,
    dashboard_url,
    factors,
    subject,
)
from pipeline_health.notifier.models import CoachAlert, RedApprentice, normalise_email

WEEK = date(2026, 11, 16)


def apprentice(**kw) -> RedApprentice:
    base = RedApprentice(
        apprentice_id="A001",
        apprentice_name="Ann <b>Bold</b> & Co",
        programme_name="Software Developer L4",
        cohort_name="SD L4 - 2026-03",
        current_progression_status="Delayed",
        risk_score=77,
        attendance_rate_last_30d=0.425,
        quiz_score_avg_last_30d=61.25,
        days_since_last_feedback=1,
        otj_hours_last_30d=12.0,
        otj_hours_planned_last_30d=None,
        points_attendance=25,
        points_quiz=5,
        points_feedback=0,
        points_status=10,
        points_otj=5,
        days_since_last_contact=1,
        attendance_rate_last_4_weeks=0.375,
        attendance_rate_prior_8_weeks=0.875,
        attendance_change_vs_prior=-0.5,
        attendance_trend_6_weeks=-0.125,
        sessions_missed_in_a_row=3,
        points_attendance_drop=5,
        points_attendance_trend=3,
        points_missed_sessions=7,
        weeks_inactive_in_a_row=1,
    )
    return replace(base, **kw)


def alert(*apprentices: RedApprentice, **kw) -> CoachAlert:
    fields = {"coach_id": "C9", "coach_name": "Cleo", "coach_email": "cleo@example.org"}
    fields.update(kw)
    return CoachAlert(apprentices=apprentices or (apprentice(),), **fields)


def roundtrip(msg):
    return BytesParser(policy=policy.default).parsebytes(msg.as_bytes())


def test_factor_sentences_show_the_value_behind_the_points() -> None:
    got = [f.sentence() for f in factors(apprentice())]
    assert got == [
        "Status Delayed \u2192 10 pts",
        "Attendance 42% over last 30 days \u2192 25 pts",
        "Attendance vs own baseline 38% in the last 4 weeks vs 88% in the 8 weeks before \u2192 5 pts",
        "Attendance trend -12.5 percentage points a week over the last 6 weeks \u2192 3 pts",
        "Missed sessions 3 sessions missed in a row \u2192 7 pts",
        "Quiz average 61.2/100 over last 30 days \u2192 5 pts",
        "Quiz average vs own baseline not measured (no earlier weeks to compare with) \u2192 0 pts",
        "Quiz activity vs own baseline not measured (no quiz attempts in the 8 weeks before) \u2192 0 pts",
        "Off-the-job training 12 h over last 30 days \u2192 5 pts",
        "Off-the-job vs own baseline not measured (no earlier weeks to compare with) \u2192 0 pts",
        "Off-the-job trend not measured (fewer than 3 weeks with data in the last 6) \u2192 0 pts",
        "Off-the-job gap not measured (no off-the-job plan) \u2192 0 pts",
        "Inactivity 1 week in a row with no session, quiz or off-the-job hours \u2192 0 pts",
        "Last coach feedback 1 day ago \u2192 0 pts",
    ]
    idle = factors(apprentice(weeks_inactive_in_a_row=6, points_inactivity=80))[12].sentence()
    assert idle == "Inactivity 6 weeks in a row with no session, quiz or off-the-job hours \u2192 80 pts"
    unknown = factors(apprentice(weeks_inactive_in_a_row=None))[12].sentence()
    assert unknown == ("Inactivity not measured (no session or off-the-job plan in the last 12 weeks)"
                       " \u2192 0 pts")


def test_missing_metrics_are_said_in_words_not_shown_as_none() -> None:
    a = apprentice(
        attendance_rate_last_30d=None,
        quiz_score_avg_last_30d=None,
        days_since_last_feedback=None,
        days_since_last_contact=None,
        sessions_missed_in_a_row=None,
        attendance_change_vs_prior=None,
        attendance_trend_6_weeks=None,
        otj_hours_last_30d=None,
        current_progression_status=None,
    )
    text = " | ".join(f.sentence() for f in factors(a))
    assert "None" not in text
    assert "no sessions in the last 30 days" in text
    assert "Last coach feedback none recorded" in text


def test_subject_counts_apprentices() -> None:
    assert subject(1, WEEK) == "1 apprentice newly Red this week (w/c 2026-11-16)"
    assert subject(3, WEEK) == "3 apprentices newly Red this week (w/c 2026-11-16)"


def test_dashboard_url_from_env_keeps_existing_query(monkeypatch: pytest.MonkeyPatch) -> None:
    monkeypatch.delenv("PIPELINE_HEALTH_DASHBOARD_URL", raising=False)
    assert dashboard_url("C 1&x", WEEK) == (
        "http://localhost:8080/plugin/pipeline-health/pipeline-health/?coach=C+1%26x&week=2026-11-16"
    )
    monkeypatch.setenv("PIPELINE_HEALTH_DASHBOARD_URL", "https://dash.example.org/ph?tab=risk")
    assert dashboard_url("C1", WEEK) == (
        "https://dash.example.org/ph?tab=risk&coach=C1&week=2026-11-16"
    )


def test_default_dashboard_url_is_the_page_inside_the_airflow_ui() -> None:
    from pipeline_health.config import DEFAULT_DASHBOARD_URL
    from pipeline_health.dashboard.app import URL_PREFIX, URL_ROUTE

    # /plugin/<url_route> is the UI page; what follows is the app's own path (its iframe).
    assert DEFAULT_DASHBOARD_URL == f"http://localhost:8080/plugin/{URL_ROUTE}{URL_PREFIX}/"


def test_message_is_multipart_alternative_and_escapes_every_value(
    monkeypatch: pytest.MonkeyPatch,
) -> None:
    monkeypatch.setenv("PIPELINE_HEALTH_DASHBOARD_URL", 'http://x.example/"><script>')
    a = apprentice(
        cohort_name="<i>cohort</i>", current_progression_status="At <Risk>", apprentice_id="A<1>"
    )
    msg = roundtrip(
        compose_coach_email(
            alert(a, coach_name='Coach "<X>"'), WEEK, sender="Alerts <alerts@example.org>"
        )
    )
    assert msg.get_content_type() == "multipart/alternative"
    assert [p.get_content_type() for p in msg.iter_parts()] == ["text/plain", "text/html"]
    html = msg.get_body(("html",)).get_content()
    text = msg.get_body(("plain",)).get_content()
    for raw in ("<b>Bold</b>", "<i>cohort</i>", "At <Risk>", "A<1>", '"<X>"', "<script>"):
        assert raw not in html
    assert "Ann &lt;b&gt;Bold&lt;/b&gt; &amp; Co" in html
    assert "&lt;i&gt;cohort&lt;/i&gt;" in html and "At &lt;Risk&gt;" in html
    assert "Ann <b>Bold</b> & Co (A<1>)" in text  # plain text is not escaped
    assert msg["Message-ID"].endswith("@example.org>")


def test_text_and_html_carry_the_same_facts() -> None:
    a1 = apprentice(apprentice_id="A1", apprentice_name="First", risk_score=90)
    a2 = apprentice(apprentice_id="A2", apprentice_name="Second", risk_score=60)
    msg = roundtrip(compose_coach_email(alert(a1, a2), WEEK, sender="a@example.org"))
    text = msg.get_body(("plain",)).get_content()
    html = msg.get_body(("html",)).get_content()
    for a in (a1, a2):
        for f in factors(a):
            assert f.sentence() in text and f.sentence() in html
        assert f"{a.risk_score}/100" in text and f"<strong>{a.risk_score}</strong>/100" in html
    assert text.index("First") < text.index("Second")


def test_header_values_cannot_inject_headers() -> None:
    msg = compose_coach_email(
        alert(coach_name="Eve\r\nBcc: victim@example.org"), WEEK, sender="a@example.org"
    )
    parsed = roundtrip(msg)
    assert parsed["Bcc"] is None
    assert parsed["To"].addresses[0].addr_spec == "cleo@example.org"


def test_refuses_to_compose_without_address_or_apprentices() -> None:
    with pytest.raises(ValueError, match="no email address"):
        compose_coach_email(alert(coach_email=None), WEEK, sender="a@example.org")
    with pytest.raises(ValueError, match="no apprentices"):
        compose_coach_email(
            CoachAlert("C9", "Cleo", "cleo@example.org", ()), WEEK, sender="a@example.org"
        )


@pytest.mark.parametrize(
    ("raw", "expected"),
    [
        ("cleo@example.org", "cleo@example.org"),
        ("  Cleo <cleo@example.org> ", "cleo@example.org"),
        ("", None),
        ("   ", None),
        (None, None),
        ("not an address", None),
        ("a@example.org, b@example.org", None),
    ],
)
def test_coach_email_normalisation(raw, expected) -> None:
    assert normalise_email(raw) == expected

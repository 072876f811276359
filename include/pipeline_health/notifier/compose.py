"""Render one coach's email: subject, plain-text part and HTML part with the same content.

Every value from the warehouse is HTML-escaped in the HTML part. Header values
have line breaks removed so a name cannot add headers.
"""

from __future__ import annotations

import html
import uuid
from dataclasses import dataclass
from datetime import date
from email.message import EmailMessage
from email.utils import formataddr, formatdate
from urllib.parse import parse_qsl, urlencode, urlsplit, urlunsplit

from pipeline_health import config
from pipeline_health.notifier.models import CoachAlert, RedApprentice, week_end

ARROW = "\u2192"


@dataclass(frozen=True)
class Factor:
    label: str
    detail: str  # the metric behind the points, in words
    points: int

    def sentence(self) -> str:
        return f"{self.label} {self.detail} {ARROW} {self.points} pts"


def _num(value: float) -> str:
    return f"{value:.1f}".removesuffix(".0")


def _percent(value: float) -> str:
    return f"{round(value * 100)}%"


def _change(value: float | None, recent: float | None, prior: float | None, fmt) -> str:
    if value is None:
        return "not measured (no earlier weeks to compare with)"
    return f"{fmt(recent)} in the last 4 weeks vs {fmt(prior)} in the 8 weeks before"


def _trend(value: float | None, per_week: str) -> str:
    if value is None:
        return "not measured (fewer than 3 weeks with data in the last 6)"
    return f"{'+' if value > 0 else ''}{value * 100:.1f} {per_week} a week over the last 6 weeks"


def factors(a: RedApprentice) -> tuple[Factor, ...]:
    """Every risk factor, in a fixed order, each with the value that earned its points.

    A factor whose source does not exist for the apprentice is said to be unknown and
    earns no points (never counted as risk)."""
    if a.attendance_rate_last_30d is None:
        attendance = "not measured (no sessions in the last 30 days)"
    else:
        attendance = f"{_percent(a.attendance_rate_last_30d)} over last 30 days"
    if a.sessions_missed_in_a_row is None:
        missed = "not measured (no sessions in the last 12 weeks)"
    else:
        n = a.sessions_missed_in_a_row
        missed = f"{n} session{'' if n == 1 else 's'} missed in a row"
    if a.quiz_score_avg_last_30d is None:
        quiz = "not measured (no quiz attempts in the last 30 days)"
    else:
        quiz = f"{_num(a.quiz_score_avg_last_30d)}/100 over last 30 days"
    if a.days_since_last_contact is None:
        feedback = "none recorded (unknown, no points)"
    else:
        days = a.days_since_last_contact
        feedback = f"{days} day{'' if days == 1 else 's'} ago"
    if a.otj_hours_last_30d is None:
        otj = "none logged in the last 30 days"
    elif a.otj_hours_planned_last_30d is None:
        otj = f"{_num(a.otj_hours_last_30d)} h over last 30 days"
    else:
        otj = (
            f"{_num(a.otj_hours_last_30d)} h of {_num(a.otj_hours_planned_last_30d)} h"
            " planned over last 30 days"
        )
    if a.quiz_attempts_ratio_vs_prior is None:
        quiz_activity = "not measured (no quiz attempts in the 8 weeks before)"
    else:
        ratio = _percent(a.quiz_attempts_ratio_vs_prior)
        quiz_activity = f"{ratio} of the usual attempts a week (last 4 weeks)"
    if a.weeks_without_otj_in_a_row is None:
        otj_gap = "not measured (no off-the-job plan)"
    else:
        n = a.weeks_without_otj_in_a_row
        otj_gap = f"{n} week{'' if n == 1 else 's'} in a row with no hours logged"
    if a.weeks_inactive_in_a_row is None:
        inactivity = "not measured (no session or off-the-job plan in the last 12 weeks)"
    else:
        n = a.weeks_inactive_in_a_row
        inactivity = f"{n} week{'' if n == 1 else 's'} in a row with no session, quiz or off-the-job hours"
    return (
        Factor("Status", a.current_progression_status or "unknown", a.points_status),
        Factor("Attendance", attendance, a.points_attendance),
        Factor("Attendance vs own baseline",
               _change(a.attendance_change_vs_prior, a.attendance_rate_last_4_weeks,
                       a.attendance_rate_prior_8_weeks, _percent), a.points_attendance_drop),
        Factor("Attendance trend", _trend(a.attendance_trend_6_weeks, "percentage points"),
               a.points_attendance_trend),
        Factor("Missed sessions", missed, a.points_missed_sessions),
        Factor("Quiz average", quiz, a.points_quiz),
        Factor("Quiz average vs own baseline",
               _change(a.quiz_change_vs_prior, a.quiz_score_avg_last_4_weeks,
                       a.quiz_score_avg_prior_8_weeks, lambda v: f"{_num(v)}/100"), a.points_quiz_drop),
        Factor("Quiz activity vs own baseline", quiz_activity, a.points_quiz_activity),
        Factor("Off-the-job training", otj, a.points_otj),
        Factor("Off-the-job vs own baseline",
               _change(a.otj_ratio_vs_prior, a.otj_plan_attainment_last_4_weeks,
                       a.otj_plan_attainment_prior_8_weeks, lambda v: f"{_percent(v)} of plan"),
               a.points_otj_drop),
        Factor("Off-the-job trend", _trend(a.otj_trend_6_weeks, "% of plan"), a.points_otj_trend),
        Factor("Off-the-job gap", otj_gap, a.points_otj_gap),
        Factor("Inactivity", inactivity, a.points_inactivity),
        Factor("Last coach feedback", feedback, a.points_feedback),
    )


def dashboard_url(coach_id: str, week_start: date, base_url: str | None = None) -> str:
    """Base URL (env PIPELINE_HEALTH_DASHBOARD_URL, config.dashboard_url) with `coach` and
    `week` query parameters."""
    base = base_url or config.dashboard_url()
    parts = urlsplit(base)
    query = [(k, v) for k, v in parse_qsl(parts.query) if k not in ("coach", "week")]
    query += [("coach", coach_id), ("week", week_start.isoformat())]
    return urlunsplit(parts._replace(query=urlencode(query)))


def subject(count: int, week_start: date) -> str:
    noun = "apprentice" if count == 1 else "apprentices"
    return f"{count} {noun} newly Red this week (w/c {week_start.isoformat()})"


def _one_line(value: str) -> str:
    return " ".join(value.split())


def _programme(a: RedApprentice) -> str:
    return " \u00b7 ".join(p for p in (a.programme_name, a.cohort_name) if p) or "-"


def _intro(alert: CoachAlert, week_start: date) -> tuple[str, str]:
    n = len(alert.apprentices)
    who = "apprentice" if n == 1 else "apprentices"
    end = week_end(week_start)
    greeting = f"Hello {alert.coach_name or alert.coach_id},"
    body = (
        f"{n} {who} on your caseload became Red (high risk of withdrawal) in the week "
        f"{week_start:%a %d %b %Y} to {end:%a %d %b %Y}. Highest risk score first; "
        "each factor shows the measure behind its points."
    )
    return greeting, body


FOOTER = (
    "You receive this because these apprentices are assigned to you. Automated message "
    "from Pipeline Health, sent once per apprentice per week."
)


def render_text(alert: CoachAlert, week_start: date, link: str) -> str:
    greeting, intro = _intro(alert, week_start)
    lines = [greeting, "", intro, ""]
    for i, a in enumerate(alert.apprentices, start=1):
        lines.append(f"{i}. {a.apprentice_name} ({a.apprentice_id}) - {_programme(a)}")
        lines.append(
            f"   Status: {a.current_progression_status or 'unknown'}; "
            f"risk score {a.risk_score}/100"
        )
        lines += [f"   - {f.sentence()}" for f in factors(a)]
        lines.append("")
    lines += [f"Open the dashboard: {link}", "", FOOTER, ""]
    return "\n".join(lines)


_HEADERS = (
    "Apprentice",
    "Programme / cohort",
    "Status",
    "Risk score",
    "Factors (every factor, its measure and points)",
)
_CELL = 'style="border:1px solid #ccc;padding:4px 8px;text-align:left;vertical-align:top"'


def render_html(alert: CoachAlert, week_start: date, link: str) -> str:
    e = html.escape
    greeting, intro = _intro(alert, week_start)
    head = "".join(f"<th {_CELL}>{e(h)}</th>" for h in _HEADERS)
    rows = []
    for a in alert.apprentices:
        cells = [
            f"{e(a.apprentice_name)}<br><small>{e(a.apprentice_id)}</small>",
            e(_programme(a)),
            e(a.current_progression_status or "unknown"),
            f"<strong>{a.risk_score}</strong>/100",
        ]
        # Same sentences as the text part, so both parts carry the same facts.
        items = "".join(f"<li>{e(f.sentence())}</li>" for f in factors(a))
        cells.append(f'<ul style="margin:0;padding-left:16px">{items}</ul>')
        rows.append("<tr>" + "".join(f"<td {_CELL}>{c}</td>" for c in cells) + "</tr>")
    return (
        '<!DOCTYPE html>\n<html lang="en"><head><meta charset="utf-8">'
        f"<title>{e(subject(len(alert.apprentices), week_start))}</title></head>\n"
        '<body style="font-family:sans-serif">\n'
        f"<p>{e(greeting)}</p>\n<p>{e(intro)}</p>\n"
        '<table style="border-collapse:collapse">\n'
        f"<thead><tr>{head}</tr></thead>\n<tbody>\n" + "\n".join(rows) + "\n</tbody></table>\n"
        f'<p><a href="{e(link, quote=True)}">Open the dashboard</a></p>\n'
        f"<p><small>{e(FOOTER)}</small></p>\n</body></html>\n"
    )


def compose_coach_email(
    alert: CoachAlert,
    week_start: date,
    *,
    sender: str,
    dashboard_base_url: str | None = None,
    message_id: str | None = None,
) -> EmailMessage:
    """One multipart/alternative email (text/plain, then text/html) for one coach."""
    if not alert.coach_email:
        raise ValueError(f"coach {alert.coach_id} has no email address")
    if not alert.apprentices:
        raise ValueError(f"coach {alert.coach_id} has no apprentices to report")
    link = dashboard_url(alert.coach_id, week_start, dashboard_base_url)
    msg = EmailMessage()
    msg["Subject"] = subject(len(alert.apprentices), week_start)
    msg["From"] = sender
    msg["To"] = formataddr((_one_line(alert.coach_name or ""), alert.coach_email))
    msg["Date"] = formatdate(usegmt=True)
    domain = sender.rpartition("@")[2].strip(" >") or "localhost"
    # Short enough not to be folded, so the logged id matches the header byte for byte.
    msg["Message-ID"] = message_id or f"<{uuid.uuid4().hex}@{domain}>"
    # Tells auto-responders and mail rules this is machine-sent (RFC 3834).
    msg["Auto-Submitted"] = "auto-generated"
    msg.set_content(render_text(alert, week_start, link))
    msg.add_alternative(render_html(alert, week_start, link), subtype="html")
    return msg

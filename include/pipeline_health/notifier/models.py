"""Plain data passed between the notifier's reader, composer, log and sender.

Only the columns a coach needs to act are modelled here. Demographic columns
(gender, ethnicity, IMD, LDD) have no field, so they cannot leak into an email
or a log line even if a mart carries them.
"""

from __future__ import annotations

from collections.abc import Iterable, Mapping
from dataclasses import dataclass
from datetime import date, datetime, timedelta
from email.utils import parseaddr
from typing import Any

# The explicit column list both readers select (never `select *`).
MART_COLUMNS: tuple[str, ...] = (
    "week_start_date",
    "coach_id",
    "coach_name",
    "coach_email",
    "apprentice_id",
    "apprentice_name",
    "programme_name",
    "cohort_name",
    "current_progression_status",
    "risk_score",
    "attendance_rate_last_30d",
    "quiz_score_avg_last_30d",
    "days_since_last_feedback",
    "otj_hours_last_30d",
    "otj_hours_planned_last_30d",
    "points_attendance",
    "points_quiz",
    "points_feedback",
    "points_status",
    "points_otj",
    # Signals against the apprentice's own earlier weeks, trends and streaks.
    "days_since_last_contact",
    "attendance_rate_last_4_weeks",
    "attendance_rate_prior_8_weeks",
    "attendance_change_vs_prior",
    "attendance_trend_6_weeks",
    "sessions_missed_in_a_row",
    "quiz_score_avg_last_4_weeks",
    "quiz_score_avg_prior_8_weeks",
    "quiz_change_vs_prior",
    "quiz_attempts_ratio_vs_prior",
    "otj_plan_attainment_last_4_weeks",
    "otj_plan_attainment_prior_8_weeks",
    "otj_ratio_vs_prior",
    "otj_trend_6_weeks",
    "weeks_without_otj_in_a_row",
    "weeks_inactive_in_a_row",
    "points_attendance_drop",
    "points_attendance_trend",
    "points_missed_sessions",
    "points_quiz_drop",
    "points_quiz_activity",
    "points_otj_drop",
    "points_otj_trend",
    "points_otj_gap",
    "points_inactivity",
)

UNKNOWN_COACH_ID = "unknown"


def check_week_start(week_start: date) -> date:
    """Weeks are ISO weeks keyed by their Monday; anything else is a caller bug."""
    if isinstance(week_start, datetime) or not isinstance(week_start, date):
        raise TypeError(f"week_start must be a date, not {type(week_start).__name__}")
    if week_start.isoweekday() != 1:
        raise ValueError(f"week_start {week_start.isoformat()} is not a Monday")
    return week_start


def week_end(week_start: date) -> date:
    return week_start + timedelta(days=6)


@dataclass(frozen=True)
class RedApprentice:
    apprentice_id: str
    apprentice_name: str
    programme_name: str | None
    cohort_name: str | None
    current_progression_status: str | None
    risk_score: int
    attendance_rate_last_30d: float | None
    quiz_score_avg_last_30d: float | None
    days_since_last_feedback: int | None
    otj_hours_last_30d: float | None
    otj_hours_planned_last_30d: float | None
    points_attendance: int
    points_quiz: int
    points_feedback: int
    points_status: int
    points_otj: int
    # NULL (None) = unknown: the source does not exist for the apprentice; such a
    # factor earns no points.
    days_since_last_contact: int | None = None
    attendance_rate_last_4_weeks: float | None = None
    attendance_rate_prior_8_weeks: float | None = None
    attendance_change_vs_prior: float | None = None
    attendance_trend_6_weeks: float | None = None
    sessions_missed_in_a_row: int | None = None
    quiz_score_avg_last_4_weeks: float | None = None
    quiz_score_avg_prior_8_weeks: float | None = None
    quiz_change_vs_prior: float | None = None
    quiz_attempts_ratio_vs_prior: float | None = None
    otj_plan_attainment_last_4_weeks: float | None = None
    otj_plan_attainment_prior_8_weeks: float | None = None
    otj_ratio_vs_prior: float | None = None
    otj_trend_6_weeks: float | None = None
    weeks_without_otj_in_a_row: int | None = None
    weeks_inactive_in_a_row: int | None = None
    points_attendance_drop: int = 0
    points_attendance_trend: int = 0
    points_missed_sessions: int = 0
    points_quiz_drop: int = 0
    points_quiz_activity: int = 0
    points_otj_drop: int = 0
    points_otj_trend: int = 0
    points_otj_gap: int = 0
    points_inactivity: int = 0


_OPTIONAL_FLOATS = (
    "attendance_rate_last_4_weeks", "attendance_rate_prior_8_weeks", "attendance_change_vs_prior",
    "attendance_trend_6_weeks", "quiz_score_avg_last_4_weeks", "quiz_score_avg_prior_8_weeks",
    "quiz_change_vs_prior", "quiz_attempts_ratio_vs_prior", "otj_plan_attainment_last_4_weeks",
    "otj_plan_attainment_prior_8_weeks",
    "otj_ratio_vs_prior", "otj_trend_6_weeks",
)
_OPTIONAL_INTS = ("days_since_last_contact", "sessions_missed_in_a_row", "weeks_without_otj_in_a_row",
                  "weeks_inactive_in_a_row")
_EXTRA_POINTS = (
    "points_attendance_drop", "points_attendance_trend", "points_missed_sessions", "points_quiz_drop",
    "points_quiz_activity", "points_otj_drop", "points_otj_trend", "points_otj_gap",
    "points_inactivity",
)


@dataclass(frozen=True)
class CoachAlert:
    """The newly Red apprentices of one coach for one week, highest risk first."""

    coach_id: str
    coach_name: str | None
    coach_email: str | None  # None when missing, blank or not an address
    apprentices: tuple[RedApprentice, ...]

    @property
    def apprentice_ids(self) -> tuple[str, ...]:
        return tuple(sorted(a.apprentice_id for a in self.apprentices))

    def only(self, apprentice_ids: Iterable[str]) -> CoachAlert:
        """The same alert restricted to some apprentices (order kept)."""
        keep = set(apprentice_ids)
        return CoachAlert(
            self.coach_id,
            self.coach_name,
            self.coach_email,
            tuple(a for a in self.apprentices if a.apprentice_id in keep),
        )


def _opt_str(value: Any) -> str | None:
    if value is None:
        return None
    text = str(value).strip()
    return text or None


def _opt_float(value: Any) -> float | None:
    return None if value is None else float(value)


def _opt_int(value: Any) -> int | None:
    return None if value is None else int(value)


def _points(value: Any) -> int:
    # A NULL factor contributes nothing to the score, so show it as 0 points.
    return 0 if value is None else int(value)


def normalise_email(value: Any) -> str | None:
    """A usable single address, or None (so the coach is reported, not crashed on)."""
    text = _opt_str(value)
    if text is None:
        return None
    _, address = parseaddr(text)
    if "@" not in address or any(c.isspace() for c in address) or "," in text:
        return None
    return address


def group_by_coach(rows: Iterable[Mapping[str, Any]]) -> list[CoachAlert]:
    """Mart rows (one per apprentice) to one CoachAlert per coach, sorted by coach id."""
    coaches: dict[str, tuple[str | None, str | None]] = {}
    apprentices: dict[str, dict[str, RedApprentice]] = {}
    for row in rows:
        coach_id = _opt_str(row["coach_id"]) or UNKNOWN_COACH_ID
        if coach_id not in coaches:
            coaches[coach_id] = (_opt_str(row["coach_name"]), normalise_email(row["coach_email"]))
        apprentice = RedApprentice(
            apprentice_id=str(row["apprentice_id"]),
            apprentice_name=_opt_str(row["apprentice_name"]) or str(row["apprentice_id"]),
            programme_name=_opt_str(row["programme_name"]),
            cohort_name=_opt_str(row["cohort_name"]),
            current_progression_status=_opt_str(row["current_progression_status"]),
            risk_score=_points(row["risk_score"]),
            attendance_rate_last_30d=_opt_float(row["attendance_rate_last_30d"]),
            quiz_score_avg_last_30d=_opt_float(row["quiz_score_avg_last_30d"]),
            days_since_last_feedback=_opt_int(row["days_since_last_feedback"]),
            otj_hours_last_30d=_opt_float(row["otj_hours_last_30d"]),
            otj_hours_planned_last_30d=_opt_float(row["otj_hours_planned_last_30d"]),
            points_attendance=_points(row["points_attendance"]),
            points_quiz=_points(row["points_quiz"]),
            points_feedback=_points(row["points_feedback"]),
            points_status=_points(row["points_status"]),
            points_otj=_points(row["points_otj"]),
            **{c: _opt_float(row[c]) for c in _OPTIONAL_FLOATS},
            **{c: _opt_int(row[c]) for c in _OPTIONAL_INTS},
            **{c: _points(row[c]) for c in _EXTRA_POINTS},
        )
        # One row per apprentice per week is the mart's grain; keep the first if it slips.
        apprentices.setdefault(coach_id, {}).setdefault(apprentice.apprentice_id, apprentice)
    return [
        CoachAlert(
            coach_id=coach_id,
            coach_name=coaches[coach_id][0],
            coach_email=coaches[coach_id][1],
            apprentices=tuple(
                sorted(
                    apprentices[coach_id].values(),
                    key=lambda a: (-a.risk_score, a.apprentice_id),
                )
            ),
        )
        for coach_id in sorted(coaches)
    ]


@dataclass(frozen=True)
class SentAlert:
    """One row of ops.sent_coach_alerts: an email the mail server accepted."""

    week_start_date: date
    coach_id: str
    apprentice_ids: tuple[str, ...]  # sorted
    recipient: str
    message_id: str
    sent_at: datetime  # UTC

    @property
    def apprentice_ids_csv(self) -> str:
        return ",".join(sorted(self.apprentice_ids))


def parse_id_list(csv: str | None) -> frozenset[str]:
    return frozenset(p.strip() for p in (csv or "").split(",") if p.strip())

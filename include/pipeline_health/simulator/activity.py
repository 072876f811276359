"""One day of apprentice activity: a pure function of (config, day).

Randomness for a day comes from generators seeded with (seed, stream, day), one
stream per kind of activity, so a day never depends on the days before it (a
backfill in any order regenerates the same rows) and changing how one kind of
activity is drawn (the equity effect on coach feedback, say) leaves every other
table untouched. Engagement is latent: it sets the odds of attending, quiz
scores, contact with the coach and off-the-job hours. It fades before most
withdrawals (but not abrupt ones) and dips for some apprentices who then recover.

Rows are built column-wise with numpy and turned into dicts in one pass: the
per-row Python work is the dict itself.
"""

from __future__ import annotations

from datetime import date
from functools import lru_cache

import numpy as np

from pipeline_health.config import SimulationConfig
from pipeline_health.simulator.population import (
    CLEAR_REASONS,
    JOB_LOSS_BREAK_WAIT_DAYS,
    REVIEW_INTERVAL_DAYS,
    Population,
)

# One stream per kind of activity (see the module docstring); 10 was the old shared stream.
STREAM_WEEK = 11  # weekly engagement noise
STREAM_SESSIONS = 20
STREAM_QUIZZES = 21
STREAM_FEEDBACK = 22
STREAM_REVIEWS = 23
STREAM_OTJ = 24

SESSION_TYPES = ("workshop", "masterclass", "coaching_call", "self_study_checkpoint")
SESSION_MINUTES = np.array((120, 90, 60, 45))
OTJ_ACTIVITIES = ("workshop", "e_learning", "project_work", "shadowing", "mentoring")
CHANNELS = ("video_call", "phone", "email", "in_person")
NOTES = {
    "high": ("Great progress on the portfolio this week.", "Confident with the new module; "
             "stretch goals agreed.", "Strong project work, employer very positive.",
             "On track; discussed next steps towards the end-point assessment."),
    "mid": ("Steady week; agreed a plan to catch up on one quiz.", "Some workload pressure at "
            "work; OTJ time agreed with line manager.", "Reviewed feedback on the last "
            "assignment.", "Progressing; reminded about logging off-the-job hours."),
    "low": ("Missed sessions recently; arranged a call.", "Struggling to balance work and "
            "study; discussed support options.", "Behind on off-the-job hours; escalating to "
            "employer.", "Not responding to messages; follow-up booked."),
}
_NOTE_TABLE = np.array(NOTES["low"] + NOTES["mid"] + NOTES["high"], dtype=object)
# Lookup tables (object arrays): indexing one with an integer array gives the column's
# strings in one C-level step instead of a str() or f-string per row.
_SESSION_TYPE_TEXT = np.array(SESSION_TYPES, dtype=object)
_OTJ_ACTIVITY_TEXT = np.array(OTJ_ACTIVITIES, dtype=object)
_CHANNEL_TEXT = np.array(CHANNELS, dtype=object)
_ATTENDANCE_TEXT = np.array(("absent", "attended", "late"), dtype=object)  # present + late
_FEEDBACK_TYPE_TEXT = np.array(("feedback", "check_in"), dtype=object)
_ATTEMPT_TEXT = np.array(("1", "2"), dtype=object)
_INT_TEXT = np.array([str(v) for v in range(1000)], dtype=object)  # minutes, scores: 0-120
# Time of day as text for each minute after 08:00 (events fall between 08:00 and 23:59).
_CLOCK = tuple(f"{(480 + m) // 60:02d}:{m % 60:02d}:00Z" for m in range(960))
_QUARTER_HOURS = np.array([f"{q / 4:.2f}" for q in range(4 * 24 + 1)], dtype=object)
_STATUS_CHANGE_MINUTES = 480  # status changes are recorded between 09:00 and 16:59 ...
_PROMOTION_MINUTE = 600  # ... and promotions from 18:00, after a same-day completion


@lru_cache(maxsize=4)
def _stamp_table(day: date) -> np.ndarray:
    """ISO-8601 UTC timestamp for each minute after 08:00 on `day`, indexed by minute."""
    prefix = f"{day.isoformat()}T"
    table = np.array([prefix + clock for clock in _CLOCK], dtype=object)
    table.flags.writeable = False  # shared between calls through the cache
    return table


def _stamps(day: date, minutes: np.ndarray) -> list[str]:
    """ISO-8601 UTC timestamps for minutes after 08:00 on `day`."""
    return _stamp_table(day)[minutes].tolist()


def _texts(values: np.ndarray) -> list[str]:
    """Decimal text of small non-negative integers (str() of each)."""
    return _INT_TEXT[values].tolist()


def _prefixed(prefix: str, ids: list[str]) -> list[str]:
    return list(map(prefix.__add__, ids))


def _rng(pop: Population, stream: int, ordinal: int) -> np.random.Generator:
    return np.random.default_rng([pop.config.seed, stream, ordinal])


@lru_cache(maxsize=2)
def _weekly_noise(config: SimulationConfig, week_start: int) -> np.ndarray:
    """Everyone's engagement noise for the week starting on ordinal `week_start`.

    Drawn for the whole population, so it does not depend on who is in learning; cached
    because the seven days of a week share it (a backfill generates them one after another).
    """
    rng = np.random.default_rng([config.seed, STREAM_WEEK, week_start])
    noise = np.clip(rng.normal(1.0, 0.08, size=config.population), 0.7, 1.2)
    noise.flags.writeable = False
    return noise


def engagement(pop: Population, idx: np.ndarray, day_ord: int,
               weekly_noise: np.ndarray) -> np.ndarray:
    """Latent engagement (0-1) of apprentices `idx` on the day.

    Baseline times noise, minus a drop that grows from the curve's onset to its
    bottom (with the decline's curvature) and, for a dip, shrinks again from the
    rise to full recovery.
    """
    onset, bottom = pop.curve_onset[idx], pop.curve_bottom[idx]
    rise, recovered = pop.curve_rise[idx], pop.curve_recovered[idx]
    fall = np.clip((day_ord - onset) / np.maximum(bottom - onset, 1), 0.0, 1.0)
    fall = np.where(day_ord >= bottom, 1.0, fall ** pop.curve_exponent[idx])
    back = np.clip((recovered - day_ord) / np.maximum(recovered - rise, 1), 0.0, 1.0)
    drop = pop.curve_depth[idx] * fall * np.where(day_ord >= rise, back, 1.0)
    e = pop.baseline[idx] * weekly_noise * (1.0 - drop)
    return np.clip(e, 0.02, 0.99)


def active_today(pop: Population, d: int) -> np.ndarray:
    """Indices of apprentices in learning and active: not on a break, job not ended."""
    in_learning = (pop.start <= d) & (d <= pop.end) & (d < pop.activity_stop)
    on_break = (pop.break_start > 0) & (pop.break_start <= d) & (d < pop.break_end)
    return np.flatnonzero(in_learning & ~on_break)


def simulate_day(pop: Population, day: date) -> dict[str, list[dict]]:
    """Clean event rows of every event table for `day` (payload columns only)."""
    d = day.toordinal()
    weekly_noise_all = _weekly_noise(pop.config, d - day.weekday())

    idx = active_today(pop, d)
    e = engagement(pop, idx, d, weekly_noise_all[idx])
    weekday = day.weekday() < 5 and len(idx) > 0  # no learning activity at weekends
    return {
        "raw_session_attendance": _sessions(pop, day, idx, e) if weekday else [],
        "raw_quiz_attempts": _quizzes(pop, day, idx, e) if weekday else [],
        "raw_coach_feedback": _feedback(pop, day, idx, e) if weekday else [],
        "raw_progress_reviews": _progress_reviews(pop, day, idx, e) if weekday else [],
        "raw_otj_hours": _otj_hours(pop, day, idx, e) if weekday else [],
        "raw_status_changes": _status_changes(pop, day),
    }


def _sessions(pop: Population, day: date, idx: np.ndarray, e: np.ndarray) -> list[dict]:
    """Each cohort meets on two fixed weekdays; engaged apprentices turn up."""
    d, weekday, stamp = day.toordinal(), day.weekday(), f"{day:%Y%m%d}"
    rng = _rng(pop, STREAM_SESSIONS, d)
    cohort_days = pop.session_weekdays[pop.cohort_index[idx]]
    has_session = (cohort_days[:, 0] == weekday) | (cohort_days[:, 1] == weekday)
    s_idx, s_e = idx[has_session], e[has_session]
    present = rng.random(len(s_idx)) < np.clip(0.12 + 0.86 * s_e, 0, 0.98)
    late = present & (rng.random(len(s_idx)) < 0.12)
    late_by = rng.integers(5, 31, size=len(s_idx))
    cohort = pop.cohort_index[s_idx]
    type_i = (weekday + cohort) % len(SESSION_TYPES)
    minutes = SESSION_MINUTES[type_i]
    attended = np.maximum(np.where(late, minutes - late_by, np.where(present, minutes, 0)), 0)
    status = _ATTENDANCE_TEXT[present.astype(np.intp) + late]  # late implies present
    ids = pop.apprentice_ids[s_idx].tolist()
    # Per cohort (a few hundred), not per row: the session's id.
    session_ids = np.array([f"SES-{c['cohort_id']}-{stamp}" for c in pop.cohorts], dtype=object)
    return [
        {"event_id": e, "apprentice_id": a, "session_id": c, "session_start_at": at,
         "session_type": t, "scheduled_minutes": m, "attendance_status": st,
         "minutes_attended": am}
        for e, a, c, at, t, m, st, am in zip(
            _prefixed(f"ATT-{stamp}-", ids), ids, session_ids[cohort].tolist(),
            _stamps(day, 60 + 30 * (cohort % 8)), _SESSION_TYPE_TEXT[type_i].tolist(),
            _texts(minutes), status.tolist(), _texts(attended), strict=True)
    ]


def _quizzes(pop: Population, day: date, idx: np.ndarray, e: np.ndarray) -> list[dict]:
    """Quiz attempts: more frequent and better when engaged."""
    d, stamp = day.toordinal(), f"{day:%Y%m%d}"
    rng = _rng(pop, STREAM_QUIZZES, d)
    q = rng.random(len(idx)) < 0.12 * (0.3 + 0.7 * e)
    q_idx, q_e = idx[q], e[q]
    scores = np.clip(rng.normal(32 + 58 * q_e, 11), 0, 100).round().astype(int)
    retry = rng.random(len(q_idx)) < 0.2
    q_min = rng.integers(0, 600, size=len(q_idx))
    module = (d - pop.start[q_idx]) // 28 + 1
    module_text = np.array([f"{m:02d}" for m in range(int(module.max(initial=0)) + 1)],
                           dtype=object)
    ids = pop.apprentice_ids[q_idx].tolist()
    return [
        {"event_id": e, "apprentice_id": a, "quiz_id": qz, "attempted_at": at, "score": s,
         "attempt_number": r}
        for e, a, qz, at, s, r in zip(
            _prefixed(f"QUIZ-{stamp}-", ids), ids,
            list(map(str.__add__, pop.quiz_prefix[q_idx].tolist(), module_text[module].tolist())),
            _stamps(day, q_min), _texts(scores), _ATTEMPT_TEXT[retry.astype(np.intp)].tolist(),
            strict=True)
    ]


def _feedback(pop: Population, day: date, idx: np.ndarray, e: np.ndarray) -> list[dict]:
    """Coach feedback and check-ins: disengaged apprentices are harder to reach.

    The only table the equity effect touches (`feedback_factor`); it has its own
    stream, so switching the effect on re-draws nothing else.
    """
    d, stamp = day.toordinal(), f"{day:%Y%m%d}"
    rng = _rng(pop, STREAM_FEEDBACK, d)
    f_rate = 0.09 * (0.25 + 0.75 * e) * pop.feedback_factor[idx]
    # Details are drawn for everyone in learning, then kept for those with feedback: a
    # lower rate for some apprentices removes their rows and leaves the others' alone.
    f = rng.random(len(idx)) < f_rate
    check_in = (rng.random(len(idx)) < 0.45)[f]
    channel = rng.integers(0, len(CHANNELS), size=len(idx))[f]
    note = rng.integers(0, 4, size=len(idx))[f]
    f_min = rng.integers(0, 540, size=len(idx))[f]
    f_idx, f_e = idx[f], e[f]
    tone = (f_e > 0.45).astype(int) + (f_e > 0.7)  # 0 low, 1 mid, 2 high
    notes = _NOTE_TABLE[tone * 4 + note]
    ids = pop.apprentice_ids[f_idx].tolist()
    return [
        {"event_id": e, "apprentice_id": a, "coach_id": c, "feedback_at": at,
         "feedback_type": k, "channel": ch, "note": nt}
        for e, a, c, at, k, ch, nt in zip(
            _prefixed(f"FB-{stamp}-", ids), ids, pop.coach_ids[f_idx].tolist(),
            _stamps(day, f_min), _FEEDBACK_TYPE_TEXT[check_in.astype(np.intp)].tolist(),
            _CHANNEL_TEXT[channel].tolist(), notes.tolist(), strict=True)
    ]


def _otj_hours(pop: Population, day: date, idx: np.ndarray, e: np.ndarray) -> list[dict]:
    """Off-the-job hours, logged on most weekdays; volume follows engagement."""
    d, stamp = day.toordinal(), f"{day:%Y%m%d}"
    rng = _rng(pop, STREAM_OTJ, d)
    o = rng.random(len(idx)) < 0.6
    o_idx, o_e = idx[o], e[o]
    mean_hours = pop.otj_plan_per_week[o_idx] / 5 / 0.6 * (0.3 + 0.85 * o_e)
    quarters = np.clip(np.round(rng.gamma(4.0, mean_hours / 4.0) * 4), 1, 48).astype(int)
    activity = rng.integers(0, len(OTJ_ACTIVITIES), size=len(o_idx))
    o_min = rng.integers(480, 720, size=len(o_idx))
    ids = pop.apprentice_ids[o_idx].tolist()
    return [
        {"event_id": e, "apprentice_id": a, "logged_at": at, "activity_type": k, "hours": q}
        for e, a, at, k, q in zip(
            _prefixed(f"OTJ-{stamp}-", ids), ids, _stamps(day, o_min),
            _OTJ_ACTIVITY_TEXT[activity].tolist(), _QUARTER_HOURS[quarters].tolist(), strict=True)
    ]


def _progress_reviews(pop: Population, day: date, idx: np.ndarray, e: np.ndarray) -> list[dict]:
    """Reviews fall due every 12 weeks after the start; a weekend due date moves to Monday."""
    d, weekday = day.toordinal(), day.weekday()
    rng = _rng(pop, STREAM_REVIEWS, d)
    # Due dates on the last 0-2 days (Sat, Sun) shift to this Monday.
    since = d - pop.start[idx]
    span = 3 if weekday == 0 else 1
    due = np.zeros(len(idx), dtype=bool)
    for back in range(span):
        s = since - back
        due |= (s > 0) & (s % REVIEW_INTERVAL_DAYS == 0)
    employer = rng.random(len(idx)) < 0.85
    minutes = rng.integers(60, 480, size=len(idx))
    rows = []
    for k in np.flatnonzero(due).tolist():
        i = idx[k]
        rating = ("on_track" if e[k] > 0.62 else "behind" if e[k] > 0.4
                  else "significantly_behind")
        rows.append({
            "event_id": f"REV-{day:%Y%m%d}-{pop.apprentice_ids[i]}",
            "apprentice_id": pop.apprentice_ids[i],
            "coach_id": pop.coach_ids[i],
            "review_at": _stamps(day, minutes[k:k + 1])[0],
            "review_number": str(int((since[k] + 2) // REVIEW_INTERVAL_DAYS)),
            "employer_attended": "true" if employer[k] else "false",
            "progress_rating": rating,
        })
    return rows


def _status_changes(pop: Population, day: date) -> list[dict]:
    """Status changes as recorded: starts, the coach's judgements, breaks and exits.

    Withdrawn, Completed and Promoted are final (Promoted only after Completed). No
    random draws here: every change was decided when the population was built.
    """
    d = day.toordinal()
    changes: list[tuple[int, int, str | None, str, str]] = []  # (apprentice, order, ...)

    def add(mask: np.ndarray, before: str | None, after: str, reason: str, order: int = 0) -> None:
        changes.extend((i, order, before, after, reason) for i in np.flatnonzero(mask).tolist())

    add(pop.start == d, None, "Active", "new_start")
    add(pop.at_risk == d, "Active", "At Risk", "disengagement")
    for code, reason in CLEAR_REASONS.items():
        add((pop.at_risk_cleared == d) & (pop.at_risk_clear_reason == code), "At Risk", "Active",
            reason)
    add(pop.break_start == d, "Active", "Delayed", "break_in_learning")
    add(pop.break_end == d, "Delayed", "Active", "returned")
    # Job lost, no new employer within 30 days: a break is recorded, withdrawal follows.
    add((pop.job_end > 0) & (pop.job_end + JOB_LOSS_BREAK_WAIT_DAYS == d), "Active", "Delayed",
        "break_in_learning")
    for i in np.flatnonzero(pop.end == d).tolist():
        if not pop.withdraws[i]:
            changes.append((i, 0, "Active", "Completed", "completed"))
        elif pop.job_end[i]:
            changes.append((i, 0, "Delayed", "Withdrawn", "withdrawn"))
        else:
            flagged = 0 < pop.at_risk[i] <= d and not 0 < pop.at_risk_cleared[i] <= d
            changes.append((i, 0, "At Risk" if flagged else "Active", "Withdrawn", "withdrawn"))
    add(pop.promotion == d, "Completed", "Promoted", "promoted", order=1)

    rows = []
    stamp = f"{day:%Y%m%d}"
    for n, (i, order, before, after, reason) in enumerate(sorted(changes, key=lambda c: c[:2])):
        minute = _PROMOTION_MINUTE + n % 300 if order else 60 + n % _STATUS_CHANGE_MINUTES
        rows.append({
            "event_id": f"STS-{stamp}-{pop.apprentice_ids[i]}-{reason}",
            "apprentice_id": pop.apprentice_ids[i],
            "changed_at": _stamps(day, np.array([minute]))[0],
            "from_status": before,
            "to_status": after,
            "reason": reason,
        })
    return rows

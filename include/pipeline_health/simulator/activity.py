"""One day of apprentice activity: a pure function of (config, day).

Randomness for a day comes from a generator seeded with (seed, stream, day), so a
day never depends on the days before it; a backfill in any order regenerates the
same rows. Engagement is latent: it sets the odds of attending, quiz scores,
contact with the coach and off-the-job hours, and it falls for weeks before a
withdrawal, so the signals drift before the status does.
"""

from __future__ import annotations

from datetime import UTC, date, datetime, time, timedelta

import numpy as np

from pipeline_health.simulator.population import REVIEW_INTERVAL_DAYS, Population

STREAM_DAY = 10
STREAM_WEEK = 11

SESSION_TYPES = ("workshop", "masterclass", "coaching_call", "self_study_checkpoint")
SESSION_MINUTES = (120, 90, 60, 45)
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


def _ts(day: date, minutes_after_8: int) -> str:
    moment = datetime.combine(day, time(8, 0), tzinfo=UTC)
    return (moment + timedelta(minutes=int(minutes_after_8))).strftime("%Y-%m-%dT%H:%M:%SZ")


def engagement(pop: Population, idx: np.ndarray, day_ord: int,
               weekly_noise: np.ndarray) -> np.ndarray:
    """Latent engagement (0-1) of apprentices `idx` on the day."""
    base = pop.baseline[idx] * weekly_noise
    ds, wd = pop.decline_start[idx], pop.end[idx]
    declining = pop.withdraws[idx] & (ds > 0) & (day_ord >= ds)
    progress = np.where(declining, (day_ord - ds) / np.maximum(wd - ds, 1), 0.0)
    e = base * (1.0 - 0.85 * np.clip(progress, 0, 1))
    # A temporary dip (At Risk, then recovery) for some who stay.
    ar, rc = pop.at_risk[idx], pop.recovered[idx]
    dip_start = ar - 14
    in_dip = (rc > 0) & (day_ord >= dip_start) & (day_ord < rc)
    dip_pos = np.where(in_dip, (day_ord - dip_start) / np.maximum(rc - dip_start, 1), 0.0)
    e = e * (1.0 - 0.55 * np.where(in_dip, 1 - np.abs(2 * dip_pos - 1), 0.0))
    return np.clip(e, 0.02, 0.99)


def simulate_day(pop: Population, day: date) -> dict[str, list[dict]]:
    """Clean event rows of every event table for `day` (payload columns only)."""
    d = day.toordinal()
    rng = np.random.default_rng([pop.config.seed, STREAM_DAY, d])
    week_ord = d - day.weekday()
    week_rng = np.random.default_rng([pop.config.seed, STREAM_WEEK, week_ord])
    weekly_noise_all = np.clip(week_rng.normal(1.0, 0.08, size=len(pop.baseline)), 0.7, 1.2)

    in_learning = (pop.start <= d) & (d <= pop.end)
    on_break = (pop.break_start > 0) & (pop.break_start <= d) & (d < pop.break_end)
    idx = np.flatnonzero(in_learning & ~on_break)
    e = engagement(pop, idx, d, weekly_noise_all[idx])
    stamp = f"{day:%Y%m%d}"
    tables: dict[str, list[dict]] = {
        "raw_session_attendance": [], "raw_quiz_attempts": [], "raw_coach_feedback": [],
        "raw_progress_reviews": [], "raw_otj_hours": [], "raw_status_changes": [],
    }
    ids, coaches = pop.apprentice_ids, pop.coach_ids
    weekday = day.weekday()

    if weekday < 5 and len(idx):
        # Sessions: each cohort meets on two fixed weekdays.
        cohort_days = pop.session_weekdays[pop.cohort_index[idx]]
        has_session = (cohort_days[:, 0] == weekday) | (cohort_days[:, 1] == weekday)
        s_idx, s_e = idx[has_session], e[has_session]
        u = rng.random(len(s_idx))
        present = u < np.clip(0.12 + 0.86 * s_e, 0, 0.98)
        late = present & (rng.random(len(s_idx)) < 0.12)
        type_i = (weekday + pop.cohort_index[s_idx]) % len(SESSION_TYPES)
        start_min = 60 + 30 * (pop.cohort_index[s_idx] % 8)
        late_by = rng.integers(5, 31, size=len(s_idx))
        rows = tables["raw_session_attendance"]
        for k, i in enumerate(s_idx):
            minutes = SESSION_MINUTES[type_i[k]]
            status = "late" if late[k] else ("attended" if present[k] else "absent")
            attended = minutes - late_by[k] if late[k] else (minutes if present[k] else 0)
            rows.append({
                "event_id": f"ATT-{stamp}-{ids[i]}",
                "apprentice_id": ids[i],
                "session_id": f"SES-{pop.cohorts[pop.cohort_index[i]]['cohort_id']}-{stamp}",
                "session_start_at": _ts(day, start_min[k]),
                "session_type": SESSION_TYPES[type_i[k]],
                "scheduled_minutes": str(minutes),
                "attendance_status": status,
                "minutes_attended": str(max(int(attended), 0)),
            })

        # Quiz attempts: more frequent and better when engaged.
        q = rng.random(len(idx)) < 0.12 * (0.3 + 0.7 * e)
        q_idx, q_e = idx[q], e[q]
        scores = np.clip(rng.normal(32 + 58 * q_e, 11), 0, 100).round().astype(int)
        retry = rng.random(len(q_idx)) < 0.2
        q_min = rng.integers(0, 600, size=len(q_idx))
        module = (d - pop.start[q_idx]) // 28 + 1
        rows = tables["raw_quiz_attempts"]
        for k, i in enumerate(q_idx):
            prog = pop.programmes[pop.programme_index[i]]["programme_id"]
            rows.append({
                "event_id": f"QUIZ-{stamp}-{ids[i]}",
                "apprentice_id": ids[i],
                "quiz_id": f"QZ-{prog[4:]}-M{int(module[k]):02d}",
                "attempted_at": _ts(day, q_min[k]),
                "score": str(int(scores[k])),
                "attempt_number": str(2 if retry[k] else 1),
            })

        # Coach feedback and check-ins: disengaged apprentices are harder to reach.
        f_rate = 0.09 * (0.25 + 0.75 * e) * pop.feedback_factor[idx]
        f = rng.random(len(idx)) < f_rate
        f_idx, f_e = idx[f], e[f]
        f_kind = rng.random(len(f_idx)) < 0.45
        f_chan = rng.integers(0, len(CHANNELS), size=len(f_idx))
        f_note = rng.integers(0, 4, size=len(f_idx))
        f_min = rng.integers(0, 540, size=len(f_idx))
        rows = tables["raw_coach_feedback"]
        for k, i in enumerate(f_idx):
            tone = "high" if f_e[k] > 0.7 else ("mid" if f_e[k] > 0.45 else "low")
            rows.append({
                "event_id": f"FB-{stamp}-{ids[i]}",
                "apprentice_id": ids[i],
                "coach_id": coaches[i],
                "feedback_at": _ts(day, f_min[k]),
                "feedback_type": "check_in" if f_kind[k] else "feedback",
                "channel": CHANNELS[f_chan[k]],
                "note": NOTES[tone][f_note[k]],
            })

        # Off-the-job hours, logged on most weekdays; volume follows engagement.
        o = rng.random(len(idx)) < 0.6
        o_idx, o_e = idx[o], e[o]
        mean_hours = pop.otj_plan_per_week[o_idx] / 5 / 0.6 * (0.3 + 0.85 * o_e)
        hours = np.clip(np.round(rng.gamma(4.0, mean_hours / 4.0) * 4) / 4, 0.25, 12)
        o_act = rng.integers(0, len(OTJ_ACTIVITIES), size=len(o_idx))
        o_min = rng.integers(480, 720, size=len(o_idx))
        rows = tables["raw_otj_hours"]
        for k, i in enumerate(o_idx):
            rows.append({
                "event_id": f"OTJ-{stamp}-{ids[i]}",
                "apprentice_id": ids[i],
                "logged_at": _ts(day, o_min[k]),
                "activity_type": OTJ_ACTIVITIES[o_act[k]],
                "hours": f"{hours[k]:.2f}",
            })

    _progress_reviews(pop, day, idx, e, rng, tables["raw_progress_reviews"])
    _status_changes(pop, day, tables["raw_status_changes"])
    return tables


def _progress_reviews(pop: Population, day: date, idx: np.ndarray, e: np.ndarray,
                      rng: np.random.Generator, rows: list[dict]) -> None:
    """Reviews fall due every 12 weeks after the start; a weekend due date moves to Monday."""
    d, weekday = day.toordinal(), day.weekday()
    if weekday >= 5 or not len(idx):
        return
    # Due dates on the last 0-2 days (Sat, Sun) shift to this Monday.
    since = d - pop.start[idx]
    span = 3 if weekday == 0 else 1
    due = np.zeros(len(idx), dtype=bool)
    for back in range(span):
        s = since - back
        due |= (s > 0) & (s % REVIEW_INTERVAL_DAYS == 0)
    employer = rng.random(len(idx)) < 0.85
    minutes = rng.integers(60, 480, size=len(idx))
    for k in np.flatnonzero(due):
        i = idx[k]
        rating = ("on_track" if e[k] > 0.62 else "behind" if e[k] > 0.4
                  else "significantly_behind")
        number = int((since[k] + 2) // REVIEW_INTERVAL_DAYS)
        rows.append({
            "event_id": f"REV-{day:%Y%m%d}-{pop.apprentice_ids[i]}",
            "apprentice_id": pop.apprentice_ids[i],
            "coach_id": pop.coach_ids[i],
            "review_at": _ts(day, minutes[k]),
            "review_number": str(number),
            "employer_attended": "true" if employer[k] else "false",
            "progress_rating": rating,
        })


def _status_changes(pop: Population, day: date, rows: list[dict]) -> None:
    """Status changes follow each apprentice's predetermined story."""
    d = day.toordinal()
    changes: list[tuple[int, str | None, str, str]] = []
    for i in np.flatnonzero(pop.start == d):
        changes.append((i, None, "Active", "new_start"))
    for i in np.flatnonzero(pop.at_risk == d):
        changes.append((i, "Active", "At Risk", "disengagement"))
    for i in np.flatnonzero(pop.recovered == d):
        changes.append((i, "At Risk", "Active", "recovered"))
    for i in np.flatnonzero(pop.break_start == d):
        changes.append((i, "Active", "Delayed", "break_in_learning"))
    for i in np.flatnonzero(pop.break_end == d):
        changes.append((i, "Delayed", "Active", "returned"))
    for i in np.flatnonzero(pop.end == d):
        if pop.withdraws[i]:
            before = "At Risk" if 0 < pop.at_risk[i] <= d else "Active"
            changes.append((i, before, "Withdrawn", "withdrawn"))
        else:
            changes.append((i, "Active", "Promoted", "completed"))
    for n, (i, before, after, reason) in enumerate(sorted(changes, key=lambda c: c[0])):
        rows.append({
            "event_id": f"STS-{day:%Y%m%d}-{pop.apprentice_ids[i]}-{reason}",
            "apprentice_id": pop.apprentice_ids[i],
            "changed_at": _ts(day, 60 + n % 480),
            "from_status": before,
            "to_status": after,
            "reason": reason,
        })

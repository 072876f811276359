"""OULAD records -> rows of the raw tables (pipeline_health.schemas). Pure: no I/O.

The rules are documented in the package docstring and docs/oulad_mapping.md.
"""

from __future__ import annotations

from collections import Counter, defaultdict
from dataclasses import dataclass, field
from datetime import date, timedelta

from pipeline_health.oulad.calendar import day_to_date
from pipeline_health.oulad.reader import OuladData, Presentation, Student, StudentKey
from pipeline_health.oulad.timeline import timeline
from pipeline_health.schemas import EVENT_TABLES

UNKNOWN_COACH_ID = "-1"  # dim_coach's unknown member: OULAD has no coach, none is invented
EMPLOYER_ID = "OU-NO-EMPLOYER"
SESSION_MINUTES = 60  # nominal length of the weekly "session" (attended = any click that week)
NOT_APPLICABLE_LEVEL = 0  # raw_programmes.level is required; OULAD modules have no apprenticeship level


def apprentice_id(key: StudentKey) -> str:
    module, presentation, student = key
    return f"OU-{module}-{presentation}-{student}"


def programme_id(module: str) -> str:
    return f"OU-{module}"


def cohort_id(presentation: Presentation) -> str:
    return f"OU-{presentation.module}-{presentation.presentation}"


def _at(day: date, clock: str) -> str:
    return f"{day.isoformat()}T{clock}Z"


@dataclass
class MappedTables:
    reference: dict[str, list[dict]]
    events: dict[date, dict[str, list[dict]]]  # load_date -> event table -> rows
    skipped: Counter = field(default_factory=Counter)  # why OULAD records were not loaded
    adjusted: Counter = field(default_factory=Counter)  # values the contract forced us to fill in

    @property
    def event_rows(self) -> Counter:
        totals: Counter = Counter({t.name: 0 for t in EVENT_TABLES})
        for tables in self.events.values():
            totals.update({name: len(rows) for name, rows in tables.items()})
        return totals


def map_oulad(data: OuladData) -> MappedTables:
    events: dict[date, dict[str, list[dict]]] = defaultdict(lambda: {t.name: [] for t in EVENT_TABLES})
    mapped = MappedTables(_reference(data), events)
    missing_imd = sum(s.imd_quintile is None for s in data.students.values())
    if missing_imd:
        mapped.adjusted["imd_band missing: imd_quintile left empty (unknown)"] = missing_imd
    for key, student in sorted(data.students.items()):
        presentation = data.presentations[key[:2]]
        active = data.active_weeks.get(key, set())
        for load_date, table, row in _student_events(student, presentation, active):
            events[load_date][table].append(row)
    for load_date, table, row in _quiz_attempts(data, mapped.skipped):
        events[load_date][table].append(row)
    mapped.events = dict(sorted(events.items()))
    return mapped


def _reference(data: OuladData) -> dict[str, list[dict]]:
    lengths: dict[str, list[int]] = defaultdict(list)
    for p in data.presentations.values():
        lengths[p.module].append(p.length_days)
    programmes = [{
        "programme_id": programme_id(module), "programme_name": f"OU module {module}",
        "level": NOT_APPLICABLE_LEVEL,
        "duration_months": max(1, round(max(days) / 30.44)),
        # No off-the-job training plan: planned hours are 0, so attainment is NULL (unknown).
        "otj_hours_per_week": 0.0,
    } for module, days in sorted(lengths.items())]
    cohorts = [{
        "cohort_id": cohort_id(p), "programme_id": programme_id(p.module),
        "cohort_name": f"{p.module} {p.presentation}", "start_date": p.day0,
        "planned_end_date": day_to_date(p.day0, p.length_days),
    } for _, p in sorted(data.presentations.items())]
    employers = [{"employer_id": EMPLOYER_ID, "employer_name": "No employer (OULAD learner)",
                  "sector": "Not applicable", "employer_size": "unknown"}]
    apprentices = [_apprentice(s, data.presentations[key[:2]]) for key, s in sorted(data.students.items())]
    return {"raw_programmes": programmes, "raw_cohorts": cohorts, "raw_employers": employers,
            "raw_coaches": [], "raw_apprentices": apprentices,
            # No simulated truth for real learners: the evaluation reads the OULAD files.
            "apprentice_outcomes": []}


def _apprentice(student: Student, presentation: Presentation) -> dict:
    t = timeline(student, presentation)
    return {
        "apprentice_id": apprentice_id(student.key),
        "first_name": "OU student",
        "last_name": student.id_student,
        "email": "",  # none (staging reads a blank as NULL)
        "employer_id": EMPLOYER_ID,
        "coach_id": UNKNOWN_COACH_ID,
        "cohort_id": cohort_id(presentation),
        "programme_id": programme_id(presentation.module),
        "start_date": day_to_date(presentation.day0, t.start_day),
        "planned_end_date": day_to_date(presentation.day0, presentation.length_days),
        "gender": student.gender,
        "ethnicity_group": "Unknown",  # not recorded in OULAD
        "imd_quintile": student.imd_quintile,
        "has_ldd": student.has_disability,
        "ldd_category": "Not specified" if student.has_disability else None,
    }


def _student_events(student: Student, presentation: Presentation, active_weeks: set[int]):
    """(load_date, table, row) for the student's weekly attendance and status changes."""
    t = timeline(student, presentation)
    aid = apprentice_id(student.key)
    day0 = presentation.day0
    # One session per presentation week the student is registered on some day of
    # (Monday before the exit day, Sunday on or after the start). It is loaded on the
    # week's Sunday, when the week's clicks are known.
    first_week = t.start_day // 7
    weeks = range(first_week, -(-t.exit_day // 7)) if t.started else range(0)
    for week in weeks:
        monday = day_to_date(day0, 7 * week)
        attended = week in active_weeks
        yield monday + timedelta(days=6), "raw_session_attendance", {
            "event_id": f"{aid}-W{week:02d}",
            "apprentice_id": aid,
            "session_id": f"{cohort_id(presentation)}-W{week:02d}",
            "session_start_at": _at(monday, "09:00:00"),
            "session_type": "self_study_checkpoint",
            "scheduled_minutes": str(SESSION_MINUTES),
            "attendance_status": "attended" if attended else "absent",
            "minutes_attended": str(SESSION_MINUTES if attended else 0),
        }
    changes = []
    if t.started:
        changes.append((t.start_day, None, "Active", "new_start"))
    changes.append((t.exit_day, "Active" if t.started else None, t.exit_status, t.exit_reason))
    for n, (day, from_status, to_status, reason) in enumerate(changes, start=1):
        when = day_to_date(day0, day)
        yield when, "raw_status_changes", {
            "event_id": f"{aid}-S{n}", "apprentice_id": aid, "changed_at": _at(when, "00:00:00"),
            "from_status": from_status, "to_status": to_status, "reason": reason,
        }


def _quiz_attempts(data: OuladData, skipped: Counter):
    attempts: Counter = Counter()
    for sub in sorted(data.submissions, key=lambda s: (s.student, s.id_assessment, s.date_submitted)):
        if sub.is_banked:
            skipped["banked assessment result (carried over from an earlier presentation)"] += 1
            continue
        if sub.score is None:
            skipped["assessment submission without a score"] += 1
            continue
        if sub.date_submitted < 0:
            skipped["assessment submitted before the presentation's day 0"] += 1
            continue
        attempts[(sub.student, sub.id_assessment)] += 1
        number = attempts[(sub.student, sub.id_assessment)]
        aid = apprentice_id(sub.student)
        when = day_to_date(data.presentations[sub.student[:2]].day0, sub.date_submitted)
        yield when, "raw_quiz_attempts", {
            "event_id": f"{aid}-A{sub.id_assessment}-{number}",
            "apprentice_id": aid,
            "quiz_id": f"OU-{sub.student[0]}-{sub.student[1]}-A{sub.id_assessment}",
            "attempted_at": _at(when, "12:00:00"),
            "score": f"{sub.score:g}",
            "attempt_number": str(number),
        }

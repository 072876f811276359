"""Raw warehouse table definitions, shared by the simulator, both loaders and dbt sources.

Event tables are "landing" tables: their payload columns are STRING so that a
malformed value (``"abc"`` as a score) can land as it arrived; staging casts
them. Each event table is partitioned by ``load_date``: the day of the run that
loaded it, i.e. the Airflow data interval. ``loaded_at`` is the load time and
drives dbt source freshness; it is excluded from idempotence checksums.

Reference tables are master data, clean and typed, replaced whole on each load.
The simulated truth lives in its own schema (``truth``) and is read only by
evaluation code, never by the marts.
"""

from __future__ import annotations

from dataclasses import dataclass
from enum import StrEnum


class Kind(StrEnum):
    EVENT = "event"
    REFERENCE = "reference"
    TRUTH = "truth"


@dataclass(frozen=True)
class Column:
    name: str
    type: str  # logical type: STRING, INT64, FLOAT64, BOOL, DATE, TIMESTAMP
    description: str
    required: bool = False


@dataclass(frozen=True)
class Table:
    name: str
    kind: Kind
    description: str
    columns: tuple[Column, ...]
    event_id_column: str | None = None
    apprentice_column: str | None = "apprentice_id"
    occurred_column: str | None = None

    @property
    def column_names(self) -> list[str]:
        return [c.name for c in self.columns]

    @property
    def payload_columns(self) -> list[Column]:
        """Columns the simulator produces (everything but load metadata)."""
        return [c for c in self.columns if c.name not in LOAD_METADATA]


LOAD_DATE = "load_date"
LOADED_AT = "loaded_at"
LOAD_METADATA = (LOAD_DATE, LOADED_AT)

_LOAD_COLUMNS = (
    Column(LOAD_DATE, "DATE", "Day of the run that loaded the row (partition key).", True),
    Column(LOADED_AT, "TIMESTAMP", "When the row was loaded (drives source freshness).", True),
)


def _s(name: str, description: str) -> Column:
    return Column(name, "STRING", description)


EVENT_TABLES: tuple[Table, ...] = (
    Table(
        "raw_session_attendance",
        Kind.EVENT,
        "One row per scheduled learning session per apprentice, with attendance.",
        (
            _s("event_id", "Unique id of the attendance record."),
            _s("apprentice_id", "Apprentice the session was scheduled for."),
            _s("session_id", "Learning session (shared by the cohort)."),
            _s("session_start_at", "Scheduled start, ISO-8601 UTC timestamp."),
            _s("session_type", "workshop | masterclass | coaching_call | self_study_checkpoint."),
            _s("scheduled_minutes", "Planned length in minutes (integer)."),
            _s("attendance_status", "attended | late | absent."),
            _s("minutes_attended", "Minutes the apprentice attended (integer)."),
            *_LOAD_COLUMNS,
        ),
        event_id_column="event_id",
        occurred_column="session_start_at",
    ),
    Table(
        "raw_quiz_attempts",
        Kind.EVENT,
        "One row per quiz attempt.",
        (
            _s("event_id", "Unique id of the attempt."),
            _s("apprentice_id", "Apprentice who attempted the quiz."),
            _s("quiz_id", "Quiz (module knowledge check)."),
            _s("attempted_at", "When the attempt was submitted, ISO-8601 UTC timestamp."),
            _s("score", "Score 0-100 (number)."),
            _s("attempt_number", "1 for the first attempt at this quiz, then 2, 3, ..."),
            *_LOAD_COLUMNS,
        ),
        event_id_column="event_id",
        occurred_column="attempted_at",
    ),
    Table(
        "raw_coach_feedback",
        Kind.EVENT,
        "Coach feedback and check-ins between progress reviews.",
        (
            _s("event_id", "Unique id of the feedback record."),
            _s("apprentice_id", "Apprentice the feedback is about."),
            _s("coach_id", "Coach who gave it."),
            _s("feedback_at", "When it was recorded, ISO-8601 UTC timestamp."),
            _s("feedback_type", "feedback | check_in."),
            _s("channel", "video_call | phone | email | in_person."),
            _s("note", "Short free-text note written by the coach."),
            *_LOAD_COLUMNS,
        ),
        event_id_column="event_id",
        occurred_column="feedback_at",
    ),
    Table(
        "raw_progress_reviews",
        Kind.EVENT,
        "Tripartite progress reviews (apprentice, employer, coach), about every 12 weeks.",
        (
            _s("event_id", "Unique id of the review."),
            _s("apprentice_id", "Apprentice reviewed."),
            _s("coach_id", "Coach who led the review."),
            _s("review_at", "When the review took place, ISO-8601 UTC timestamp."),
            _s("review_number", "1 for the first review, then 2, 3, ..."),
            _s("employer_attended", "true | false."),
            _s("progress_rating", "on_track | behind | significantly_behind."),
            *_LOAD_COLUMNS,
        ),
        event_id_column="event_id",
        occurred_column="review_at",
    ),
    Table(
        "raw_otj_hours",
        Kind.EVENT,
        "Off-the-job training hours logged by apprentices.",
        (
            _s("event_id", "Unique id of the log entry."),
            _s("apprentice_id", "Apprentice who logged the hours."),
            _s("logged_at", "When the hours were logged, ISO-8601 UTC timestamp."),
            _s("activity_type", "workshop | e_learning | project_work | shadowing | mentoring."),
            _s("hours", "Hours of off-the-job training (number, 0-24)."),
            *_LOAD_COLUMNS,
        ),
        event_id_column="event_id",
        occurred_column="logged_at",
    ),
    Table(
        "raw_status_changes",
        Kind.EVENT,
        "Progression status changes as the apprenticeship system records them.",
        (
            _s("event_id", "Unique id of the status change."),
            _s("apprentice_id", "Apprentice whose status changed."),
            _s("changed_at", "When the change was recorded, ISO-8601 UTC timestamp."),
            _s("from_status", "Previous status (empty for a new start)."),
            _s("to_status", "Active | Delayed | At Risk | Withdrawn | Completed | Promoted."),
            _s("reason", "new_start | disengagement | recovered | coach_review | break_in_learning"
               " | returned | withdrawn | completed | failed | promoted."),
            *_LOAD_COLUMNS,
        ),
        event_id_column="event_id",
        occurred_column="changed_at",
    ),
)

REFERENCE_TABLES: tuple[Table, ...] = (
    Table(
        "raw_programmes",
        Kind.REFERENCE,
        "Apprenticeship programmes (standards) on offer.",
        (
            Column("programme_id", "STRING", "Programme id.", True),
            Column("programme_name", "STRING", "Programme name.", True),
            Column("level", "INT64", "Apprenticeship level (3-7).", True),
            Column("duration_months", "INT64", "Planned duration in months.", True),
            Column("otj_hours_per_week", "FLOAT64", "Planned off-the-job hours per week.", True),
            Column(LOADED_AT, "TIMESTAMP", "When the table was loaded.", True),
        ),
        apprentice_column=None,
    ),
    Table(
        "raw_cohorts",
        Kind.REFERENCE,
        "Cohorts: one programme starting in one month.",
        (
            Column("cohort_id", "STRING", "Cohort id.", True),
            Column("programme_id", "STRING", "Programme of the cohort.", True),
            Column("cohort_name", "STRING", "Display name, e.g. 'Data Analyst L4 - 2026-01'.", True),
            Column("start_date", "DATE", "First day of the cohort.", True),
            Column("planned_end_date", "DATE", "Planned last day of the cohort.", True),
            Column(LOADED_AT, "TIMESTAMP", "When the table was loaded.", True),
        ),
        apprentice_column=None,
    ),
    Table(
        "raw_employers",
        Kind.REFERENCE,
        "Employers of apprentices.",
        (
            Column("employer_id", "STRING", "Employer id.", True),
            Column("employer_name", "STRING", "Employer name.", True),
            Column("sector", "STRING", "Industry sector.", True),
            Column("employer_size", "STRING", "small | medium | large.", True),
            Column(LOADED_AT, "TIMESTAMP", "When the table was loaded.", True),
        ),
        apprentice_column=None,
    ),
    Table(
        "raw_coaches",
        Kind.REFERENCE,
        "Coaches and their contact details.",
        (
            Column("coach_id", "STRING", "Coach id.", True),
            Column("coach_name", "STRING", "Coach full name.", True),
            Column("coach_email", "STRING", "Email address for alerts (may be empty).", False),
            Column("region", "STRING", "Region the coach covers.", True),
            Column(LOADED_AT, "TIMESTAMP", "When the table was loaded.", True),
        ),
        apprentice_column=None,
    ),
    Table(
        "raw_apprentices",
        Kind.REFERENCE,
        "Apprentices with enrolment details and equity-lens demographics (sensitive).",
        (
            Column("apprentice_id", "STRING", "Apprentice id.", True),
            Column("first_name", "STRING", "First name.", True),
            Column("last_name", "STRING", "Last name.", True),
            Column("email", "STRING", "Email address.", True),
            Column("employer_id", "STRING", "Employer.", True),
            Column("coach_id", "STRING", "Assigned coach.", True),
            Column("cohort_id", "STRING", "Cohort.", True),
            Column("programme_id", "STRING", "Programme.", True),
            Column("start_date", "DATE", "Start date.", True),
            Column("planned_end_date", "DATE", "Planned end date at enrolment.", True),
            Column("gender", "STRING", "Female | Male | Non-binary | Prefer not to say.", True),
            Column("ethnicity_group", "STRING", "ONS-style ethnic group.", True),
            Column("imd_quintile", "INT64", "IMD quintile of home postcode (1 = most deprived); "
                   "empty when unknown.", False),
            Column("has_ldd", "BOOL", "Learning difficulty or disability reported.", True),
            Column("ldd_category", "STRING", "Primary LDD category, empty when has_ldd is false.", False),
            Column(LOADED_AT, "TIMESTAMP", "When the table was loaded.", True),
        ),
    ),
)

TRUTH_TABLES: tuple[Table, ...] = (
    Table(
        "apprentice_outcomes",
        Kind.TRUTH,
        "What the simulator decided for each apprentice. Evaluation only: marts never read it.",
        (
            Column("apprentice_id", "STRING", "Apprentice id.", True),
            Column("outcome", "STRING", "completed | withdrawn.", True),
            Column("engagement_baseline", "FLOAT64", "Latent engagement (0-1) before any decline.", True),
            Column("withdrawal_kind", "STRING", "gradual | step | abrupt (withdrawers); NULL for completers.",
                   False),
            Column("decline_shape", "STRING", "Withdrawers: linear | accelerating | decelerating | step;"
                   " recovering dips: v | u | step; NULL without a decline.", False),
            Column("decline_onset_date", "DATE", "First day engagement falls (gradual, step, dips);"
                   " NULL for abrupt withdrawals and stayers without a dip.", False),
            Column("decline_depth", "FLOAT64", "Share of engagement lost at the decline's bottom.", False),
            Column("decline_recovered_date", "DATE", "Day a recovering dip is back to baseline.", False),
            Column("withdrawal_date", "DATE", "Day of withdrawal (withdrawers).", False),
            Column("job_end_date", "DATE", "Abrupt job loss: the job ended and activity stopped; a break"
                   " is recorded 30 days later and the withdrawal 12 weeks after that.", False),
            Column("at_risk_recorded_date", "DATE", "First At Risk status recorded by the coach, or NULL.",
                   False),
            Column("at_risk_cleared_date", "DATE", "Day that At Risk went back to Active, if it did.", False),
            Column("break_start_date", "DATE", "Start of a recorded break in learning, if any.", False),
            Column("break_end_date", "DATE", "Return from the break (NULL when it ends in withdrawal).",
                   False),
            Column("completion_date", "DATE", "Day of completion (Completed status), completers.", False),
            Column("promotion_date", "DATE", "Career promotion after completion (Promoted status).", False),
            Column("end_date", "DATE", "Last day in learning (completion or withdrawal).", True),
            Column(LOADED_AT, "TIMESTAMP", "When the table was loaded.", True),
        ),
    ),
)

ALL_TABLES: tuple[Table, ...] = EVENT_TABLES + REFERENCE_TABLES + TRUTH_TABLES
TABLES_BY_NAME: dict[str, Table] = {t.name: t for t in ALL_TABLES}

RAW_SCHEMA = "raw"
TRUTH_SCHEMA = "truth"

# The progression status vocabulary (dbt: macros/domain/progression_statuses.sql).
STATUSES = ("Active", "Delayed", "At Risk", "Withdrawn", "Completed", "Promoted")


def schema_for(table: Table) -> str:
    return TRUTH_SCHEMA if table.kind is Kind.TRUTH else RAW_SCHEMA

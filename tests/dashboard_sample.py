"""A tiny hand-made warehouse with the dashboard marts' contract columns, for rendering tests only.

The numbers are invented and not consistent with any scoring rule: these tests check
what the page shows, not how the marts compute it (the browser test uses a real build).
"""

from __future__ import annotations

from datetime import date, datetime, timedelta
from pathlib import Path

import duckdb

from pipeline_health.schemas import EVENT_TABLES, REFERENCE_TABLES

WEEK = date(2026, 11, 16)
PREVIOUS_WEEK = WEEK - timedelta(days=7)
EVIL = "<script>alert('x')</script>"
# ops.source_freshness: table -> (status, age in hours at the check, warn after, error after).
FRESHNESS = {"raw_status_changes": ("error", 100.0, 30.0, 54.0),
             "raw_quiz_attempts": ("warn", 60.0, 54.0, 78.0)}

_CASELOAD_COLUMNS = """week_start_date DATE, week_end_date DATE, apprentice_id VARCHAR,
 apprentice_name VARCHAR, coach_id VARCHAR, coach_name VARCHAR, coach_email VARCHAR,
 programme_id VARCHAR, programme_name VARCHAR, cohort_id VARCHAR, cohort_name VARCHAR,
 current_progression_status VARCHAR, risk_score INTEGER, risk_band VARCHAR, previous_risk_band VARCHAR,
 is_newly_red BOOLEAN, weeks_in_current_band INTEGER, points_attendance INTEGER,
 attendance_rate_last_30d DOUBLE, points_quiz INTEGER, quiz_score_avg_last_30d DOUBLE,
 points_feedback INTEGER, days_since_last_feedback INTEGER, points_status INTEGER, points_otj INTEGER,
 otj_plan_attainment_last_30d DOUBLE, top_risk_factor VARCHAR, risk_reasons VARCHAR,
 last_contact_date DATE, risk_scores_last_8_weeks VARCHAR, days_since_last_contact INTEGER"""

# (week, id, name, coach, coach name, programme, cohort, status, score, band, previous, newly red, spark)
_APPRENTICES = [
    (WEEK, "A1", "Ada Red", "C1", "Cleo Coach", "P1", "K1", "At Risk", 95, "Red", "Amber", True,
     ",,40,52,60,71,75,95"),
    (WEEK, "A2", EVIL, "C1", "Cleo Coach", "P1", "K2", "At Risk", 85, "Red", "Red", False,
     "80,81,82,83,84,85,85,85"),
    (WEEK, "A3", "Ben Amber", "C1", "Cleo Coach", "P2", "K3", "Delayed", 60, "Amber", "Green", False,
     "10,10,20,30,40,45,48,60"),
    (WEEK, "A4", "Cat Green", "C1", "Cleo Coach", "P1", "K1", "Active", 10, "Green", "Green", False,
     "0,0,0,0,0,0,10,10"),
    (WEEK, "A5", "Dan Other", "C2", f"Coach {EVIL}", "P2", "K3", "At Risk", 90, "Red", None, True,
     ",,,,,,,90"),
    (PREVIOUS_WEEK, "A1", "Ada Red", "C1", "Cleo Coach", "P1", "K1", "Delayed", 75, "Amber", "Amber",
     False, ",,,40,52,60,71,75"),
]
_PROGRAMMES = {"P1": "Software Developer L4", "P2": "Data Analyst L4"}
_COHORTS = {"K1": "SD L4 - 2026-01", "K2": "SD L4 - 2026-03", "K3": "DA L4 - 2026-01"}

_TREND_COUNTS = ["in_learning_count", "active_count", "delayed_count", "at_risk_count",
                 "withdrawn_in_week_count", "promoted_in_week_count", "withdrawn_to_date_count",
                 "promoted_to_date_count", "scored_count", "red_count", "amber_count", "green_count",
                 "newly_red_count", "completed_in_week_count", "completed_to_date_count"]

_METRICS = ["red_share", "amber_share", "mean_days_since_feedback", "withdrawals_12w_per_100",
            "completion_rate", "promotion_rate"]


def _equity_columns() -> list[str]:
    cols = ["week_start_date DATE", "week_end_date DATE", "programme_id VARCHAR", "programme_name VARCHAR",
            "dimension VARCHAR", "dimension_label VARCHAR", "group_value VARCHAR", "is_suppressed BOOLEAN",
            "suppression_reason VARCHAR", "group_in_learning_count INTEGER",
            "others_in_learning_count INTEGER", "group_median_days_since_feedback DOUBLE",
            "others_median_days_since_feedback DOUBLE", "gap_median_days_since_feedback DOUBLE"]
    for m in _METRICS:
        cols += [f"group_{m} DOUBLE", f"others_{m} DOUBLE", f"gap_{m} DOUBLE",
                 f"gap_{m}_ci_low DOUBLE", f"gap_{m}_ci_high DOUBLE"]
    return cols


def build(path: Path) -> Path:
    con = duckdb.connect(str(path))
    try:
        for schema in ("marts", "ops", "snapshots", "raw"):
            con.execute(f"create schema if not exists {schema}")
        con.execute(f"create table marts.fct_coach_caseload_weekly ({_CASELOAD_COLUMNS})")
        for (week, aid, name, coach, coach_name, prog, cohort, status, score, band, prev, newly,
             spark) in _APPRENTICES:
            con.execute(
                "insert into marts.fct_coach_caseload_weekly values (?, ?, ?, ?, ?, ?, ?, ?, ?, ?, ?, ?, "
                "?, ?, ?, ?, 1, 25, 0.55, 20, 58.5, 10, 30, 60, 5, 0.8, 'status', 'x', ?, ?, 30)",
                [week, week + timedelta(days=6), aid, name, coach, coach_name, f"{coach}@example.org",
                 prog, _PROGRAMMES[prog], cohort, _COHORTS[cohort], status, score, band, prev, newly,
                 week - timedelta(days=3), spark])
        con.execute("create table marts.fct_programme_weekly_trends (week_start_date DATE, "
                    "week_end_date DATE, programme_id VARCHAR, programme_name VARCHAR, "
                    "cohort_id VARCHAR, cohort_name VARCHAR, "
                    "has_status_snapshot BOOLEAN, avg_risk_score DOUBLE, "
                    + ", ".join(f"{c} INTEGER" for c in _TREND_COUNTS) + ")")
        for i, week in enumerate((PREVIOUS_WEEK, WEEK)):
            for j, (prog, cohort) in enumerate((("P1", "K1"), ("P2", "K3"))):
                values = [10 * (j + 1) + k + i for k in range(len(_TREND_COUNTS))]
                con.execute("insert into marts.fct_programme_weekly_trends values "
                            "(?, ?, ?, ?, ?, ?, true, 50.0, " + ", ".join("?" * len(_TREND_COUNTS)) + ")",
                            [week, week + timedelta(days=6), prog, _PROGRAMMES[prog], cohort,
                             _COHORTS[cohort], *values])
        con.execute(f"create table marts.fct_equity_gaps_weekly ({', '.join(_equity_columns())})")
        figure_count = len(_equity_columns()) - 9
        shown = [120, 240, 14.0, 12.0, 2.0] + [0.12, 0.08, 0.04, -0.01, 0.09] * len(_METRICS)
        assert len(shown) == figure_count
        groups = [("gender", "Gender", "Female", False), ("gender", "Gender", "Male", False),
                  ("gender", "Gender", "Non-binary", True), ("ldd", "LDD", "Yes", False),
                  ("ethnicity_group", "Ethnicity", EVIL, True)]
        for programme, programme_name in (("ALL", "All programmes"), ("P1", _PROGRAMMES["P1"])):
            for dim, label, value, suppressed in groups:
                con.execute(f"insert into marts.fct_equity_gaps_weekly values (?, ?, ?, ?, ?, ?, ?, ?, ?, "
                            f"{', '.join('?' * figure_count)})",
                            [WEEK, WEEK + timedelta(days=6), programme, programme_name, dim, label, value,
                             suppressed, "fewer than 10 in group" if suppressed else None,
                             *([None] * figure_count if suppressed else shown)])
        # Mark one interval as excluding zero on purpose (shown in bold).
        con.execute("update marts.fct_equity_gaps_weekly set gap_red_share = 0.09, "
                    "gap_red_share_ci_low = 0.02, gap_red_share_ci_high = 0.16 where group_value = 'Female'")
        con.execute("create table ops.pipeline_run_log (kind VARCHAR, period_start DATE, run_id VARCHAR, "
                    "completed_at TIMESTAMPTZ)")
        for d in range(7):
            day = WEEK + timedelta(days=d)
            con.execute("insert into ops.pipeline_run_log values ('daily', ?, ?, ?)",
                        [day, f"scheduled__{day}", datetime(2026, 11, 23, 1, d)])
        con.execute("insert into ops.pipeline_run_log values ('weekly', ?, 'scheduled__w', ?)",
                    [WEEK, datetime(2026, 11, 23, 2, 0)])
        con.execute("create table ops.sent_coach_alerts (week_start_date DATE, coach_id VARCHAR, "
                    "apprentice_ids VARCHAR, recipient VARCHAR, message_id VARCHAR, sent_at TIMESTAMP)")
        con.execute("insert into ops.sent_coach_alerts values (?, 'C1', 'A1', 'c1@example.org', '<m1>', ?),"
                    " (?, 'C2', 'A5', 'c2@example.org', '<m2>', ?)",
                    [WEEK, datetime(2026, 11, 23, 2, 1), WEEK, datetime(2026, 11, 23, 2, 1)])
        reasons = ["null_event_id", "null_apprentice_id", "unparseable_value", "out_of_range",
                   "outside_load_window", "unknown_apprentice", "duplicate_event_id"]
        con.execute("create table ops.ops_raw_load_reconciliation (source_table VARCHAR, load_date DATE, "
                    "raw_rows BIGINT, staged_rows BIGINT, rejected_rows BIGINT, "
                    + ", ".join(f"rejected_{r} BIGINT" for r in reasons) + ", is_reconciled BOOLEAN)")
        for d in range(3):
            con.execute("insert into ops.ops_raw_load_reconciliation values "
                        "('raw_quiz_attempts', ?, 100, 97, 3, 1, 0, 2, 0, 0, 0, 0, true)",
                        [WEEK + timedelta(days=d)])
        con.execute("create table snapshots.snap_apprentice_weekly_status (apprentice_id VARCHAR, "
                    "current_progression_status VARCHAR, dbt_valid_from TIMESTAMP, dbt_valid_to TIMESTAMP, "
                    "dbt_is_deleted VARCHAR)")
        con.execute("insert into snapshots.snap_apprentice_weekly_status values "
                    "('A1', 'Delayed', ?, ?, 'False'), ('A1', 'At Risk', ?, null, 'False')",
                    [datetime(2026, 11, 16), datetime(2026, 11, 23), datetime(2026, 11, 23)])
        for t in EVENT_TABLES:
            con.execute(f"create table raw.{t.name} "
                        "(event_id VARCHAR, load_date DATE, loaded_at TIMESTAMPTZ)")
            con.execute(f"insert into raw.{t.name} values ('e1', ?, ?), ('e2', ?, ?)",
                        [WEEK, datetime(2026, 11, 17, 0, 5), WEEK + timedelta(days=1),
                         datetime(2026, 11, 18, 0, 5)])
        for t in REFERENCE_TABLES:
            con.execute(f"create table raw.{t.name} (name VARCHAR, loaded_at TIMESTAMPTZ)")
            con.execute(f"insert into raw.{t.name} values ('secret demographics', ?)",
                        [datetime(2026, 11, 23, 0, 5)])
        # The last freshness check: one stale table past its error threshold, one past its warning.
        con.execute("create table ops.source_freshness (source_table VARCHAR, status VARCHAR, "
                    "max_loaded_at TIMESTAMPTZ, age_hours DOUBLE, warn_after_hours DOUBLE, "
                    "error_after_hours DOUBLE, checked_at TIMESTAMPTZ, run_day DATE, message VARCHAR)")
        checked_at = datetime(2026, 11, 23, 0, 10)
        for t in EVENT_TABLES:
            status, age, warn, error = FRESHNESS.get(t.name, ("pass", 0.1, 54.0, 78.0))
            con.execute("insert into ops.source_freshness values (?, ?, ?, ?, ?, ?, ?, ?, null)",
                        [t.name, status, checked_at - timedelta(hours=age), age, warn, error, checked_at,
                         date(2026, 11, 22)])
    finally:
        con.close()
    return path

"""Every SQL statement the Pipeline Health page runs, in one place, for DuckDB and BigQuery.

The statements only select, filter, sort and count rows of the marts and ops tables:
risk scores, bands, suppression and equity gaps are computed by dbt, never here.
Each statement is written once in the dialect both engines accept; what differs is
resolved by `Relations` (qualified table names) and `render` (parameter markers:
`$name` on DuckDB, `@name` on BigQuery). Values always travel as query parameters.
"""

from __future__ import annotations

from dataclasses import dataclass

from pipeline_health.schemas import EVENT_TABLES, REFERENCE_TABLES
from pipeline_health.warehouse import bigquery_dataset, bigquery_relation, duckdb_relation

# The columns of ops_raw_load_reconciliation are `rejected_<reason>`, one per reason of
# dbt/macros/validation/event_table_rules.sql rejection_reasons() (a test keeps them equal).
REJECTION_REASONS = (
    "null_event_id",
    "null_apprentice_id",
    "unparseable_value",
    "out_of_range",
    "outside_load_window",
    "unknown_apprentice",
    "duplicate_event_id",
)
EVENT_RAW_TABLES = tuple(t.name for t in EVENT_TABLES)
REFERENCE_RAW_TABLES = tuple(t.name for t in REFERENCE_TABLES)

# Logical name -> (schema or dataset suffix, table). "raw" is the raw dataset itself.
TABLES: dict[str, tuple[str, str]] = {
    "caseload": ("marts", "fct_coach_caseload_weekly"),
    "trends": ("marts", "fct_programme_weekly_trends"),
    "equity": ("marts", "fct_equity_gaps_weekly"),
    "run_log": ("ops", "pipeline_run_log"),
    "sent_alerts": ("ops", "sent_coach_alerts"),
    "load_reconciliation": ("ops", "ops_raw_load_reconciliation"),
    "snapshot": ("snapshots", "snap_apprentice_weekly_status"),
    "source_freshness": ("ops", "source_freshness"),  # written by the daily DAG's freshness check
    **{name: ("raw", name) for name in EVENT_RAW_TABLES + REFERENCE_RAW_TABLES},
}


@dataclass(frozen=True)
class Relations:
    """Qualified table names of one warehouse."""

    names: dict[str, str]
    param_prefix: str  # "$" (DuckDB) or "@" (BigQuery)

    @classmethod
    def duckdb(cls) -> Relations:
        return cls({k: duckdb_relation(s, t) for k, (s, t) in TABLES.items()}, "$")

    @classmethod
    def bigquery(cls, project: str, dataset_prefix: str, raw_dataset: str) -> Relations:
        return cls({k: bigquery_relation(project, bigquery_dataset(dataset_prefix, raw_dataset, s), t)
                    for k, (s, t) in TABLES.items()}, "@")


@dataclass(frozen=True)
class Query:
    name: str
    tables: tuple[str, ...]  # logical names it reads (the page says which one is missing)
    sql: str  # `{caseload}`-style table placeholders, `@param` markers

    def render(self, relations: Relations) -> str:
        sql = self.sql.format(**{t: relations.names[t] for t in self.tables})
        return sql.replace("@", relations.param_prefix)


def _count(condition: str) -> str:
    return f"sum(case when {condition} then 1 else 0 end)"


# An empty string parameter means "all" for the optional filters.
_CASELOAD_FILTERS = """week_start_date = @week
  and (@programme = '' or programme_id = @programme)
  and (@cohort = '' or cohort_id = @cohort)"""

_CASELOAD_COLUMNS = """apprentice_id, apprentice_name, programme_name, cohort_name,
  current_progression_status, risk_score, risk_band, previous_risk_band, is_newly_red,
  weeks_in_current_band, top_risk_factor, risk_reasons, last_contact_date,
  points_attendance, attendance_rate_last_30d, points_quiz, quiz_score_avg_last_30d,
  points_feedback, days_since_last_contact, points_status, points_otj,
  otj_plan_attainment_last_30d, risk_scores_last_8_weeks"""

_TREND_COUNTS = (
    "in_learning_count", "active_count", "delayed_count", "at_risk_count",
    "red_count", "amber_count", "green_count", "newly_red_count",
    "withdrawn_in_week_count", "completed_in_week_count", "promoted_in_week_count",
    "withdrawn_to_date_count", "completed_to_date_count", "promoted_to_date_count",
)

_EQUITY_METRICS = ("red_share", "amber_share", "mean_days_since_feedback",
                   "withdrawals_12w_per_100", "completion_rate", "promotion_rate")
_EQUITY_COLUMNS = ",\n  ".join(
    ["dimension", "dimension_label", "group_value", "is_suppressed", "suppression_reason",
     "group_in_learning_count", "others_in_learning_count", "group_median_days_since_feedback",
     "others_median_days_since_feedback", "gap_median_days_since_feedback"]
    + [f"{side}_{m}" for m in _EQUITY_METRICS for side in ("group", "others", "gap")]
    + [f"gap_{m}_ci_{end}" for m in _EQUITY_METRICS for end in ("low", "high")])

_FRESHNESS = "\nunion all\n".join(
    [f"select '{t}' as raw_table, max(loaded_at) as last_loaded_at, max(load_date) as last_load_date "
     f"from {{{t}}}" for t in EVENT_RAW_TABLES]
    + [f"select '{t}' as raw_table, max(loaded_at) as last_loaded_at, cast(null as date) as "
       f"last_load_date from {{{t}}}" for t in REFERENCE_RAW_TABLES])

QUERIES: dict[str, Query] = {q.name: q for q in (
    # ---- Coach caseload
    Query("caseload_weeks", ("caseload",), """
select distinct week_start_date, week_end_date from {caseload}
order by week_start_date desc limit 104"""),
    Query("caseload_filter_options", ("caseload",), """
select distinct coach_id, coach_name, programme_id, programme_name, cohort_id, cohort_name
from {caseload} where week_start_date = @week
order by coach_name, coach_id, programme_name, cohort_name"""),
    Query("coach_overview", ("caseload",), f"""
select coach_id, max(coach_name) as coach_name, count(*) as in_learning_count,
  {_count("risk_band = 'Red'")} as red_count, {_count("risk_band = 'Amber'")} as amber_count,
  {_count("is_newly_red")} as newly_red_count
from {{caseload}} where {_CASELOAD_FILTERS}
group by coach_id
order by red_count desc, amber_count desc, coach_name, coach_id"""),
    Query("caseload_tiles", ("caseload",), f"""
select count(*) as in_learning_count, {_count("risk_band = 'Red'")} as red_count,
  {_count("risk_band = 'Amber'")} as amber_count, {_count("risk_band = 'Green'")} as green_count,
  {_count("is_newly_red")} as newly_red_count
from {{caseload}} where {_CASELOAD_FILTERS} and coach_id = @coach"""),
    Query("caseload_rows", ("caseload",), f"""
select {_CASELOAD_COLUMNS}
from {{caseload}} where {_CASELOAD_FILTERS} and coach_id = @coach and risk_band in ('Red', 'Amber')
order by risk_score desc, apprentice_name, apprentice_id"""),
    # ---- Programme trends
    Query("trend_filter_options", ("trends",), """
select distinct programme_id, programme_name, cohort_id, cohort_name from {trends}
order by programme_name, cohort_name"""),
    Query("trend_weeks", ("trends",), """
select week_start_date, """ + ", ".join(f"sum({c}) as {c}" for c in _TREND_COUNTS) + """
from {trends}
where (@programme = '' or programme_id = @programme) and (@cohort = '' or cohort_id = @cohort)
group by week_start_date
order by week_start_date"""),
    # ---- Equity lens
    Query("equity_options", ("equity",), """
select distinct week_start_date, programme_id, programme_name from {equity}
order by week_start_date desc, programme_name"""),
    Query("equity_gaps", ("equity",), f"""
select {_EQUITY_COLUMNS}
from {{equity}} where week_start_date = @week and programme_id = @programme
order by dimension, group_value"""),
    # ---- Pipeline (platform engineers)
    Query("last_runs", ("run_log",), """
select kind, period_start, run_id, completed_at from {run_log}
where true
qualify row_number() over (partition by kind order by period_start desc) <= 7
order by kind, period_start desc"""),
    Query("load_days", ("load_reconciliation",), """
select load_date, sum(raw_rows) as raw_rows, sum(staged_rows) as staged_rows,
  sum(rejected_rows) as rejected_rows, """
          + ", ".join(f"sum(rejected_{r}) as rejected_{r}" for r in REJECTION_REASONS) + """,
  """ + _count("not is_reconciled") + """ as unreconciled_tables
from {load_reconciliation}
group by load_date
order by load_date desc limit 14"""),
    Query("raw_freshness", EVENT_RAW_TABLES + REFERENCE_RAW_TABLES, _FRESHNESS + "\norder by raw_table"),
    # dbt source freshness as the last daily run's check found it (status and age at the check).
    Query("source_freshness", ("source_freshness",), """
select source_table, status, max_loaded_at, age_hours, warn_after_hours, error_after_hours,
  checked_at, run_day
from {source_freshness}
order by source_table"""),
    Query("snapshot_weeks", ("snapshot",), """
select dbt_valid_from, count(*) as versions_opened from {snapshot}
group by dbt_valid_from
order by dbt_valid_from desc limit 12"""),
    Query("emails_per_week", ("sent_alerts",), """
select week_start_date, count(*) as emails_sent, count(distinct coach_id) as coaches,
  max(sent_at) as last_sent_at
from {sent_alerts}
group by week_start_date
order by week_start_date desc limit 12"""),
)}

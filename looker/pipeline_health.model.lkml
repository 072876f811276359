# Pipeline Health: weekly apprentice risk for coaches, trends and equity gaps for programme
# managers. Every view reads one dbt mart in the @{marts_dataset} dataset (built weekly).

connection: "@{connection_name}"
week_start_day: monday

include: "/views/*.view.lkml"
include: "/dashboards/*.dashboard.lookml"

datagroup: weekly_marts {
  label: "Weekly marts"
  description: "The weekly DAG rebuilds the marts on Monday for the previous ISO week."
  sql_trigger: SELECT MAX(week_start_date) FROM `@{marts_dataset}.fct_apprentice_risk_weekly` ;;
  max_cache_age: "24 hours"
}

persist_with: weekly_marts

# A coach sees only the apprentices on their own caseload: the user attribute coach_email
# (set per Looker user, e.g. from SSO) must equal the mart's coach_email.
explore: coach_caseload {
  view_name: fct_coach_caseload_weekly
  label: "Coach caseload"
  description: "One row per apprentice in learning per ISO week: risk band, score, each factor's points and the reasons."
  access_filter: {
    field: fct_coach_caseload_weekly.coach_email
    user_attribute: coach_email
  }
}

explore: risk_history {
  view_name: fct_apprentice_risk_weekly
  label: "Risk history"
  description: "Weekly risk scores per apprentice (every scored week), with the caseload's reasons and trend of the same week."
  access_filter: {
    field: fct_apprentice_risk_weekly.coach_email
    user_attribute: coach_email
  }
  join: fct_coach_caseload_weekly {
    view_label: "Caseload (same week)"
    type: left_outer
    relationship: one_to_one
    sql_on: ${fct_apprentice_risk_weekly.apprentice_id} = ${fct_coach_caseload_weekly.apprentice_id}
      AND ${fct_apprentice_risk_weekly.week_start_raw} = ${fct_coach_caseload_weekly.week_start_raw} ;;
    fields: [
      fct_coach_caseload_weekly.risk_reasons,
      fct_coach_caseload_weekly.top_risk_factor,
      fct_coach_caseload_weekly.weeks_in_current_band,
      fct_coach_caseload_weekly.risk_scores_last_8_weeks,
      fct_coach_caseload_weekly.last_contact_date
    ]
  }
}

explore: programme_trends {
  view_name: fct_programme_weekly_trends
  label: "Programme trends"
  description: "Per ISO week, programme and cohort: apprentices per status and risk band, leavers, completions and promotions."
}

# Aggregates by demographic group only. No apprentice-level field and no join: a group can
# never be traced back to a named apprentice. Without a programme selection it shows the
# all-programmes rows (programme_id 'ALL').
explore: equity_gaps {
  view_name: fct_equity_gaps_weekly
  label: "Equity gaps"
  description: "Gaps between each demographic group and everyone else (Red and Amber shares, feedback, withdrawals, completions, promotions), with 95% intervals; small groups suppressed."
  sql_always_where: {% if fct_equity_gaps_weekly.programme_select._is_filtered %}
      {% condition fct_equity_gaps_weekly.programme_select %} ${fct_equity_gaps_weekly.programme_name} {% endcondition %}
    {% else %}
      ${fct_equity_gaps_weekly.programme_id} = 'ALL'
    {% endif %} ;;
}

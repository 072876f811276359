# Coach caseload: a coach's Red and Amber apprentices, why, and who became Red this week.
# Rows are limited to the coach's own apprentices by the explore's access_filter (coach_email).
- dashboard: coach_caseload
  title: "Coach caseload"
  description: "Your apprentices at risk this week: Red and Amber with their reasons, each factor's points and the measure behind it, newly Red, and each apprentice's trend over the last 8 weeks."
  layout: newspaper
  preferred_viewer: dashboards-next
  crossfilter_enabled: true
  refresh: 1 day

  filters:
  - name: week
    title: "Week"
    type: field_filter
    default_value: "last week"
    allow_multiple_values: false
    required: true
    model: pipeline_health
    explore: coach_caseload
    field: fct_coach_caseload_weekly.week_start_date
    ui_config:
      type: day_picker
      display: inline
  - name: programme
    title: "Programme"
    type: field_filter
    default_value: ""
    allow_multiple_values: true
    model: pipeline_health
    explore: coach_caseload
    field: fct_coach_caseload_weekly.programme_name
    ui_config:
      type: tag_list
      display: popover
  - name: cohort
    title: "Cohort"
    type: field_filter
    default_value: ""
    allow_multiple_values: true
    model: pipeline_health
    explore: coach_caseload
    field: fct_coach_caseload_weekly.cohort_name
    ui_config:
      type: tag_list
      display: popover

  elements:
  - name: red_apprentices
    title: "Red"
    type: single_value
    model: pipeline_health
    explore: coach_caseload
    fields: [fct_coach_caseload_weekly.red_count]
    listen:
      week: fct_coach_caseload_weekly.week_start_date
      programme: fct_coach_caseload_weekly.programme_name
      cohort: fct_coach_caseload_weekly.cohort_name
    custom_color_enabled: true
    custom_color: "#b00020"
    row: 0
    col: 0
    width: 6
    height: 3
  - name: amber_apprentices
    title: "Amber"
    type: single_value
    model: pipeline_health
    explore: coach_caseload
    fields: [fct_coach_caseload_weekly.amber_count]
    listen:
      week: fct_coach_caseload_weekly.week_start_date
      programme: fct_coach_caseload_weekly.programme_name
      cohort: fct_coach_caseload_weekly.cohort_name
    custom_color_enabled: true
    custom_color: "#b36b00"
    row: 0
    col: 6
    width: 6
    height: 3
  - name: newly_red_apprentices
    title: "Newly Red this week"
    type: single_value
    model: pipeline_health
    explore: coach_caseload
    fields: [fct_coach_caseload_weekly.newly_red_count]
    listen:
      week: fct_coach_caseload_weekly.week_start_date
      programme: fct_coach_caseload_weekly.programme_name
      cohort: fct_coach_caseload_weekly.cohort_name
    row: 0
    col: 12
    width: 6
    height: 3
  - name: caseload_size
    title: "Apprentices in learning"
    type: single_value
    model: pipeline_health
    explore: coach_caseload
    fields: [fct_coach_caseload_weekly.apprentice_count]
    listen:
      week: fct_coach_caseload_weekly.week_start_date
      programme: fct_coach_caseload_weekly.programme_name
      cohort: fct_coach_caseload_weekly.cohort_name
    row: 0
    col: 18
    width: 6
    height: 3

  - name: newly_red_table
    title: "Newly Red this week"
    note_text: "Red this week and not Red the week before: the apprentices the weekly email was about."
    type: looker_grid
    model: pipeline_health
    explore: coach_caseload
    fields: [fct_coach_caseload_weekly.apprentice_name, fct_coach_caseload_weekly.cohort_name,
      fct_coach_caseload_weekly.current_progression_status, fct_coach_caseload_weekly.risk_score,
      fct_coach_caseload_weekly.previous_risk_band, fct_coach_caseload_weekly.risk_reasons,
      fct_coach_caseload_weekly.days_since_last_contact, fct_coach_caseload_weekly.risk_scores_last_8_weeks]
    filters:
      fct_coach_caseload_weekly.is_newly_red: "Yes"
    sorts: [fct_coach_caseload_weekly.risk_score desc]
    limit: 500
    listen:
      week: fct_coach_caseload_weekly.week_start_date
      programme: fct_coach_caseload_weekly.programme_name
      cohort: fct_coach_caseload_weekly.cohort_name
    row: 3
    col: 0
    width: 24
    height: 6

  - name: red_amber_table
    title: "Red and Amber apprentices: reasons and points per factor"
    note_text: "Score = the fourteen factors' points added up, capped at 100. Red >= 80, Amber 50-79. Reasons: the factors with points, most first, each with the measure behind it. Trend: scores of the last 8 weeks, oldest first ('-' = not scored)."
    type: looker_grid
    model: pipeline_health
    explore: coach_caseload
    fields: [fct_coach_caseload_weekly.apprentice_name, fct_coach_caseload_weekly.cohort_name,
      fct_coach_caseload_weekly.current_progression_status, fct_coach_caseload_weekly.risk_band,
      fct_coach_caseload_weekly.risk_score, fct_coach_caseload_weekly.weeks_in_current_band,
      fct_coach_caseload_weekly.risk_reasons, fct_coach_caseload_weekly.top_risk_factor,
      fct_coach_caseload_weekly.points_attendance, fct_coach_caseload_weekly.points_attendance_drop,
      fct_coach_caseload_weekly.points_attendance_trend, fct_coach_caseload_weekly.points_missed_sessions,
      fct_coach_caseload_weekly.points_quiz, fct_coach_caseload_weekly.points_quiz_drop,
      fct_coach_caseload_weekly.points_quiz_activity, fct_coach_caseload_weekly.points_otj,
      fct_coach_caseload_weekly.points_otj_drop, fct_coach_caseload_weekly.points_otj_trend,
      fct_coach_caseload_weekly.points_otj_gap, fct_coach_caseload_weekly.points_inactivity,
      fct_coach_caseload_weekly.points_feedback,
      fct_coach_caseload_weekly.points_status,
      fct_coach_caseload_weekly.last_contact_date, fct_coach_caseload_weekly.risk_scores_last_8_weeks]
    filters:
      fct_coach_caseload_weekly.risk_band: "Red,Amber"
    sorts: [fct_coach_caseload_weekly.risk_score desc]
    limit: 500
    listen:
      week: fct_coach_caseload_weekly.week_start_date
      programme: fct_coach_caseload_weekly.programme_name
      cohort: fct_coach_caseload_weekly.cohort_name
    row: 9
    col: 0
    width: 24
    height: 10

  - name: red_amber_measures_table
    title: "Red and Amber apprentices: the measure behind each factor"
    note_text: "In the order of the points above. Rates and ratios in %, trends in % a week, changes: the last 4 weeks against the apprentice's own 8 weeks before. Empty = unknown (no source for it), which never earns points."
    type: looker_grid
    model: pipeline_health
    explore: coach_caseload
    fields: [fct_coach_caseload_weekly.apprentice_name, fct_coach_caseload_weekly.risk_band,
      fct_coach_caseload_weekly.risk_score,
      fct_coach_caseload_weekly.attendance_rate_last_30d, fct_coach_caseload_weekly.attendance_change_vs_prior,
      fct_coach_caseload_weekly.attendance_trend_6_weeks, fct_coach_caseload_weekly.sessions_missed_in_a_row,
      fct_coach_caseload_weekly.quiz_score_avg_last_30d, fct_coach_caseload_weekly.quiz_change_vs_prior,
      fct_coach_caseload_weekly.quiz_attempts_ratio_vs_prior, fct_coach_caseload_weekly.otj_plan_attainment_last_30d,
      fct_coach_caseload_weekly.otj_ratio_vs_prior, fct_coach_caseload_weekly.otj_trend_6_weeks,
      fct_coach_caseload_weekly.weeks_without_otj_in_a_row, fct_coach_caseload_weekly.weeks_inactive_in_a_row,
      fct_coach_caseload_weekly.days_since_last_contact,
      fct_coach_caseload_weekly.current_progression_status]
    filters:
      fct_coach_caseload_weekly.risk_band: "Red,Amber"
    sorts: [fct_coach_caseload_weekly.risk_score desc]
    limit: 500
    listen:
      week: fct_coach_caseload_weekly.week_start_date
      programme: fct_coach_caseload_weekly.programme_name
      cohort: fct_coach_caseload_weekly.cohort_name
    row: 19
    col: 0
    width: 24
    height: 8

  - name: top_factor
    title: "What drives the risk: top factor of Red and Amber apprentices"
    type: looker_bar
    model: pipeline_health
    explore: coach_caseload
    fields: [fct_coach_caseload_weekly.top_risk_factor, fct_coach_caseload_weekly.apprentice_count]
    filters:
      fct_coach_caseload_weekly.risk_band: "Red,Amber"
    sorts: [fct_coach_caseload_weekly.apprentice_count desc]
    listen:
      week: fct_coach_caseload_weekly.week_start_date
      programme: fct_coach_caseload_weekly.programme_name
      cohort: fct_coach_caseload_weekly.cohort_name
    row: 27
    col: 0
    width: 12
    height: 6

  - name: band_by_cohort
    title: "Bands by cohort"
    type: looker_bar
    stacking: normal
    model: pipeline_health
    explore: coach_caseload
    fields: [fct_coach_caseload_weekly.cohort_name, fct_coach_caseload_weekly.risk_band,
      fct_coach_caseload_weekly.apprentice_count]
    pivots: [fct_coach_caseload_weekly.risk_band]
    sorts: [fct_coach_caseload_weekly.cohort_name, fct_coach_caseload_weekly.risk_band]
    listen:
      week: fct_coach_caseload_weekly.week_start_date
      programme: fct_coach_caseload_weekly.programme_name
      cohort: fct_coach_caseload_weekly.cohort_name
    row: 27
    col: 12
    width: 12
    height: 6

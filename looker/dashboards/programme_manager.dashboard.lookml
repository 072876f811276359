# Programme manager: status and risk band trends over weeks, leavers, completions and promotions.
- dashboard: programme_manager
  title: "Programme manager: trends"
  description: "Weekly trends per programme and cohort: apprentices per risk band and progression status, withdrawals, completions and career promotions."
  layout: newspaper
  preferred_viewer: dashboards-next
  crossfilter_enabled: true
  refresh: 1 day

  filters:
  - name: week
    title: "Weeks"
    type: field_filter
    default_value: "12 weeks"
    allow_multiple_values: false
    required: true
    model: pipeline_health
    explore: programme_trends
    field: fct_programme_weekly_trends.week_start_date
    ui_config:
      type: relative_timeframes
      display: inline
  - name: programme
    title: "Programme"
    type: field_filter
    default_value: ""
    allow_multiple_values: true
    model: pipeline_health
    explore: programme_trends
    field: fct_programme_weekly_trends.programme_name
    ui_config:
      type: tag_list
      display: popover
  - name: cohort
    title: "Cohort"
    type: field_filter
    default_value: ""
    allow_multiple_values: true
    model: pipeline_health
    explore: programme_trends
    field: fct_programme_weekly_trends.cohort_name
    ui_config:
      type: tag_list
      display: popover

  elements:
  - name: withdrawals_total
    title: "Withdrawals in the period"
    type: single_value
    model: pipeline_health
    explore: programme_trends
    fields: [fct_programme_weekly_trends.total_withdrawn_in_week]
    listen:
      week: fct_programme_weekly_trends.week_start_date
      programme: fct_programme_weekly_trends.programme_name
      cohort: fct_programme_weekly_trends.cohort_name
    row: 0
    col: 0
    width: 6
    height: 3
  - name: completions_total
    title: "Completions in the period"
    type: single_value
    model: pipeline_health
    explore: programme_trends
    fields: [fct_programme_weekly_trends.total_completed_in_week]
    listen:
      week: fct_programme_weekly_trends.week_start_date
      programme: fct_programme_weekly_trends.programme_name
      cohort: fct_programme_weekly_trends.cohort_name
    row: 0
    col: 6
    width: 6
    height: 3
  - name: promotions_total
    title: "Career promotions in the period"
    type: single_value
    model: pipeline_health
    explore: programme_trends
    fields: [fct_programme_weekly_trends.total_promoted_in_week]
    listen:
      week: fct_programme_weekly_trends.week_start_date
      programme: fct_programme_weekly_trends.programme_name
      cohort: fct_programme_weekly_trends.cohort_name
    row: 0
    col: 12
    width: 6
    height: 3
  - name: newly_red_total
    title: "Newly Red in the period"
    type: single_value
    model: pipeline_health
    explore: programme_trends
    fields: [fct_programme_weekly_trends.total_newly_red]
    listen:
      week: fct_programme_weekly_trends.week_start_date
      programme: fct_programme_weekly_trends.programme_name
      cohort: fct_programme_weekly_trends.cohort_name
    row: 0
    col: 18
    width: 6
    height: 3

  - name: band_trend
    title: "Apprentices per risk band, by week"
    type: looker_area
    stacking: normal
    model: pipeline_health
    explore: programme_trends
    fields: [fct_programme_weekly_trends.week_start_date, fct_programme_weekly_trends.total_red,
      fct_programme_weekly_trends.total_amber, fct_programme_weekly_trends.total_green]
    sorts: [fct_programme_weekly_trends.week_start_date]
    series_colors:
      fct_programme_weekly_trends.total_red: "#b00020"
      fct_programme_weekly_trends.total_amber: "#f2a900"
      fct_programme_weekly_trends.total_green: "#2e7d32"
    listen:
      week: fct_programme_weekly_trends.week_start_date
      programme: fct_programme_weekly_trends.programme_name
      cohort: fct_programme_weekly_trends.cohort_name
    row: 3
    col: 0
    width: 12
    height: 7
  - name: status_trend
    title: "Apprentices per progression status, by week"
    note_text: "From the weekly status snapshot; empty for weeks before its first recorded week."
    type: looker_area
    stacking: normal
    model: pipeline_health
    explore: programme_trends
    fields: [fct_programme_weekly_trends.week_start_date, fct_programme_weekly_trends.total_active,
      fct_programme_weekly_trends.total_delayed, fct_programme_weekly_trends.total_at_risk]
    sorts: [fct_programme_weekly_trends.week_start_date]
    listen:
      week: fct_programme_weekly_trends.week_start_date
      programme: fct_programme_weekly_trends.programme_name
      cohort: fct_programme_weekly_trends.cohort_name
    row: 3
    col: 12
    width: 12
    height: 7

  - name: leavers_trend
    title: "Withdrawals, completions and career promotions, by week"
    note_text: "Promotion is the employer-confirmed career outcome after completion, not the completion itself."
    type: looker_column
    model: pipeline_health
    explore: programme_trends
    fields: [fct_programme_weekly_trends.week_start_date, fct_programme_weekly_trends.total_withdrawn_in_week,
      fct_programme_weekly_trends.total_completed_in_week, fct_programme_weekly_trends.total_promoted_in_week]
    sorts: [fct_programme_weekly_trends.week_start_date]
    listen:
      week: fct_programme_weekly_trends.week_start_date
      programme: fct_programme_weekly_trends.programme_name
      cohort: fct_programme_weekly_trends.cohort_name
    row: 10
    col: 0
    width: 12
    height: 7
  - name: red_share_by_programme
    title: "Red share by programme, by week"
    type: looker_line
    model: pipeline_health
    explore: programme_trends
    fields: [fct_programme_weekly_trends.week_start_date, fct_programme_weekly_trends.programme_name,
      fct_programme_weekly_trends.red_share]
    pivots: [fct_programme_weekly_trends.programme_name]
    sorts: [fct_programme_weekly_trends.week_start_date, fct_programme_weekly_trends.programme_name]
    listen:
      week: fct_programme_weekly_trends.week_start_date
      programme: fct_programme_weekly_trends.programme_name
      cohort: fct_programme_weekly_trends.cohort_name
    row: 10
    col: 12
    width: 12
    height: 7

  - name: cohort_table
    title: "By cohort over the period"
    type: looker_grid
    model: pipeline_health
    explore: programme_trends
    fields: [fct_programme_weekly_trends.programme_name, fct_programme_weekly_trends.cohort_name,
      fct_programme_weekly_trends.total_withdrawn_in_week, fct_programme_weekly_trends.total_completed_in_week,
      fct_programme_weekly_trends.total_promoted_in_week, fct_programme_weekly_trends.total_newly_red,
      fct_programme_weekly_trends.red_share, fct_programme_weekly_trends.average_risk_score]
    sorts: [fct_programme_weekly_trends.programme_name, fct_programme_weekly_trends.cohort_name]
    limit: 500
    listen:
      week: fct_programme_weekly_trends.week_start_date
      programme: fct_programme_weekly_trends.programme_name
      cohort: fct_programme_weekly_trends.cohort_name
    row: 17
    col: 0
    width: 24
    height: 8

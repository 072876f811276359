# Equity lens: gaps between each demographic group and everyone else, with 95% intervals.
# Aggregates only; small groups are suppressed in the mart (see the text tile).
- dashboard: equity_lens
  title: "Equity lens"
  description: "For gender, ethnicity, socio-economic status (IMD quintile) and LDD: each group's gap to everyone else in Red and Amber shares, days since feedback, withdrawals, completions and promotions, with 95% intervals."
  layout: newspaper
  preferred_viewer: dashboards-next
  refresh: 1 day

  filters:
  - name: week
    title: "Week"
    type: field_filter
    default_value: "last week"
    allow_multiple_values: false
    required: true
    model: pipeline_health
    explore: equity_gaps
    field: fct_equity_gaps_weekly.week_start_date
    ui_config:
      type: day_picker
      display: inline
  - name: programme
    title: "Programme (empty = all programmes)"
    type: field_filter
    default_value: ""
    allow_multiple_values: false
    model: pipeline_health
    explore: programme_trends
    field: fct_programme_weekly_trends.programme_name
    ui_config:
      type: dropdown_menu
      display: inline
  - name: cohort
    title: "Cohort (context tile only)"
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
  - name: how_to_read
    type: text
    title_text: "How to read this"
    body_text: "Gap = the group minus everyone else in the same programme (or all programmes) and week, with its 95% interval; an interval that includes 0 is not a clear difference. To protect apprentices, a group is hidden when it or everyone else has fewer than 10 apprentices in learning (shown as 'fewer than 10 in the group' / 'in the others'), or when showing it would reveal a hidden group by subtraction ('protects a smaller group'). Counts are rounded to the nearest 5. Figures are not split by cohort: the cohort filter applies to the context tile only."
    row: 0
    col: 0
    width: 24
    height: 3

  - name: gaps_overview
    title: "Gaps by group (percentage points for shares and rates)"
    type: looker_grid
    model: pipeline_health
    explore: equity_gaps
    fields: [fct_equity_gaps_weekly.week_start_date, fct_equity_gaps_weekly.dimension_label,
      fct_equity_gaps_weekly.group_value, fct_equity_gaps_weekly.group_in_learning_display,
      fct_equity_gaps_weekly.gap_red_share_display, fct_equity_gaps_weekly.gap_amber_share_display,
      fct_equity_gaps_weekly.gap_mean_days_since_feedback_display,
      fct_equity_gaps_weekly.gap_withdrawals_12w_per_100_display,
      fct_equity_gaps_weekly.gap_completion_rate_display, fct_equity_gaps_weekly.gap_promotion_rate_display]
    sorts: [fct_equity_gaps_weekly.week_start_date desc, fct_equity_gaps_weekly.dimension_label,
      fct_equity_gaps_weekly.group_value]
    limit: 500
    listen:
      week: fct_equity_gaps_weekly.week_start_date
      programme: fct_equity_gaps_weekly.programme_select
    row: 3
    col: 0
    width: 24
    height: 10

  - name: gender_red_gap
    title: "Gender: Red share gap"
    type: looker_bar
    model: pipeline_health
    explore: equity_gaps
    fields: [fct_equity_gaps_weekly.group_value, fct_equity_gaps_weekly.average_gap_red_share]
    filters:
      fct_equity_gaps_weekly.dimension: "gender"
    sorts: [fct_equity_gaps_weekly.group_value]
    listen:
      week: fct_equity_gaps_weekly.week_start_date
      programme: fct_equity_gaps_weekly.programme_select
    row: 13
    col: 0
    width: 6
    height: 6
  - name: ethnicity_red_gap
    title: "Ethnicity: Red share gap"
    type: looker_bar
    model: pipeline_health
    explore: equity_gaps
    fields: [fct_equity_gaps_weekly.group_value, fct_equity_gaps_weekly.average_gap_red_share]
    filters:
      fct_equity_gaps_weekly.dimension: "ethnicity_group"
    sorts: [fct_equity_gaps_weekly.group_value]
    listen:
      week: fct_equity_gaps_weekly.week_start_date
      programme: fct_equity_gaps_weekly.programme_select
    row: 13
    col: 6
    width: 6
    height: 6
  - name: imd_red_gap
    title: "Socio-economic status (IMD quintile): Red share gap"
    type: looker_bar
    model: pipeline_health
    explore: equity_gaps
    fields: [fct_equity_gaps_weekly.group_value, fct_equity_gaps_weekly.average_gap_red_share]
    filters:
      fct_equity_gaps_weekly.dimension: "imd_quintile"
    sorts: [fct_equity_gaps_weekly.group_value]
    listen:
      week: fct_equity_gaps_weekly.week_start_date
      programme: fct_equity_gaps_weekly.programme_select
    row: 13
    col: 12
    width: 6
    height: 6
  - name: ldd_red_gap
    title: "LDD: Red share gap"
    type: looker_bar
    model: pipeline_health
    explore: equity_gaps
    fields: [fct_equity_gaps_weekly.group_value, fct_equity_gaps_weekly.average_gap_red_share]
    filters:
      fct_equity_gaps_weekly.dimension: "ldd"
    sorts: [fct_equity_gaps_weekly.group_value]
    listen:
      week: fct_equity_gaps_weekly.week_start_date
      programme: fct_equity_gaps_weekly.programme_select
    row: 13
    col: 18
    width: 6
    height: 6

  - name: outcome_intervals
    title: "Outcome gaps with 95% intervals (shown groups only)"
    type: looker_grid
    model: pipeline_health
    explore: equity_gaps
    fields: [fct_equity_gaps_weekly.dimension_label, fct_equity_gaps_weekly.group_value,
      fct_equity_gaps_weekly.group_withdrawals_12w_per_100, fct_equity_gaps_weekly.others_withdrawals_12w_per_100,
      fct_equity_gaps_weekly.gap_withdrawals_12w_per_100, fct_equity_gaps_weekly.gap_withdrawals_12w_per_100_ci_low,
      fct_equity_gaps_weekly.gap_withdrawals_12w_per_100_ci_high,
      fct_equity_gaps_weekly.group_completion_rate, fct_equity_gaps_weekly.others_completion_rate,
      fct_equity_gaps_weekly.gap_completion_rate, fct_equity_gaps_weekly.gap_completion_rate_ci_low,
      fct_equity_gaps_weekly.gap_completion_rate_ci_high,
      fct_equity_gaps_weekly.group_promotion_rate, fct_equity_gaps_weekly.others_promotion_rate,
      fct_equity_gaps_weekly.gap_promotion_rate, fct_equity_gaps_weekly.gap_promotion_rate_ci_low,
      fct_equity_gaps_weekly.gap_promotion_rate_ci_high]
    filters:
      fct_equity_gaps_weekly.is_suppressed: "No"
    sorts: [fct_equity_gaps_weekly.dimension_label, fct_equity_gaps_weekly.group_value]
    limit: 500
    listen:
      week: fct_equity_gaps_weekly.week_start_date
      programme: fct_equity_gaps_weekly.programme_select
    row: 19
    col: 0
    width: 24
    height: 8

  - name: cohort_context
    title: "Context: leavers and completions of the selected programme and cohorts"
    type: looker_grid
    model: pipeline_health
    explore: programme_trends
    fields: [fct_programme_weekly_trends.programme_name, fct_programme_weekly_trends.cohort_name,
      fct_programme_weekly_trends.total_in_learning, fct_programme_weekly_trends.total_withdrawn_in_week,
      fct_programme_weekly_trends.total_completed_in_week, fct_programme_weekly_trends.total_promoted_in_week]
    sorts: [fct_programme_weekly_trends.programme_name, fct_programme_weekly_trends.cohort_name]
    limit: 500
    listen:
      week: fct_programme_weekly_trends.week_start_date
      programme: fct_programme_weekly_trends.programme_name
      cohort: fct_programme_weekly_trends.cohort_name
    row: 27
    col: 0
    width: 24
    height: 6

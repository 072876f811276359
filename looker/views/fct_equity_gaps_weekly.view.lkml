# Equity gaps: per ISO week x programme (and 'ALL') x demographic dimension x group, the gap
# between the group and everyone else. Aggregates only (no apprentice-level field); figures
# are NULL when suppressed (group or complement under 10) and counts are rounded to 5.
view: fct_equity_gaps_weekly {
  sql_table_name: `@{marts_dataset}.fct_equity_gaps_weekly` ;;

  dimension: pk {
    primary_key: yes
    hidden: yes
    type: string
    description: "Row key: week_start_date x programme_id x dimension x group_value (the grain)."
    sql: CONCAT(CAST(${TABLE}.week_start_date AS STRING), '|', CAST(${TABLE}.programme_id AS STRING), '|', CAST(${TABLE}.dimension AS STRING), '|', CAST(${TABLE}.group_value AS STRING)) ;;
  }

  dimension_group: week_start {
    type: time
    datatype: date
    convert_tz: no
    timeframes: [raw, date, week, month, quarter, year]
    label: "Week"
    description: "Monday of the ISO week (partition key)."
    sql: ${TABLE}.week_start_date ;;
  }

  dimension_group: week_end {
    type: time
    datatype: date
    convert_tz: no
    timeframes: [raw, date, week, month, quarter, year]
    label: "Week end"
    description: "Sunday of the ISO week; the figures are as of this day."
    sql: ${TABLE}.week_end_date ;;
  }

  dimension: programme_id {
    type: string
    label: "Programme ID"
    description: "Programme, or 'ALL' for all programmes together."
    hidden: yes
    sql: ${TABLE}.programme_id ;;
  }

  dimension: programme_name {
    type: string
    label: "Programme"
    description: "Name of the programme ('All programmes' for 'ALL')."
    sql: ${TABLE}.programme_name ;;
  }

  dimension: dimension {
    type: string
    label: "Dimension key"
    description: "The demographic dimension (gender, ethnicity_group, imd_quintile, ldd)."
    hidden: yes
    sql: ${TABLE}.dimension ;;
  }

  dimension: dimension_label {
    type: string
    label: "Dimension"
    description: "Readable name of the dimension (Gender, Ethnicity, Socio-economic status (IMD quintile), LDD)."
    sql: ${TABLE}.dimension_label ;;
  }

  dimension: group_value {
    type: string
    label: "Group"
    description: "The group within the dimension, e.g. Female, White, 1 - most deprived, Yes (LDD)."
    sql: ${TABLE}.group_value ;;
  }

  dimension: is_suppressed {
    type: yesno
    label: "Is suppressed"
    description: "True when the group or its others are too small to show (every figure NULL; shown as \"fewer than 10\")."
    sql: ${TABLE}.is_suppressed ;;
  }

  dimension: suppression_reason {
    type: string
    label: "Suppression reason"
    description: "Why the row is suppressed (fewer than 10 in the group, fewer than 10 in the others, protects a smaller group); NULL when shown."
    sql: ${TABLE}.suppression_reason ;;
  }

  dimension: group_in_learning_count {
    type: number
    label: "Group in learning (rounded to 5)"
    description: "Apprentices of the group in learning at the week's end, rounded to the nearest 5."
    sql: ${TABLE}.group_in_learning_count ;;
    value_format_name: decimal_0
  }

  dimension: others_in_learning_count {
    type: number
    label: "Others in learning (rounded to 5)"
    description: "Apprentices of the same programme and week not in the group, rounded to the nearest 5."
    sql: ${TABLE}.others_in_learning_count ;;
    value_format_name: decimal_0
  }

  dimension: group_finished_cohort_count {
    type: number
    label: "Group in finished cohorts (rounded to 5)"
    description: "Apprentices of the group in cohorts whose planned end has passed (the completion rate's denominator), rounded to the nearest 5."
    sql: ${TABLE}.group_finished_cohort_count ;;
    value_format_name: decimal_0
  }

  dimension: group_red_share {
    type: number
    label: "Red share: group"
    description: "Share of the group's apprentices in learning who are Red (0-1)."
    sql: ${TABLE}.group_red_share ;;
    value_format_name: percent_1
    group_label: "Red share"
  }

  dimension: others_red_share {
    type: number
    label: "Red share: others"
    description: "Share of the others who are Red (0-1). Others = apprentices of the same programme (or all programmes) and week not in the group."
    sql: ${TABLE}.others_red_share ;;
    value_format_name: percent_1
    group_label: "Red share"
  }

  dimension: gap_red_share {
    type: number
    label: "Red share: gap"
    description: "group_red_share - others_red_share."
    sql: ${TABLE}.gap_red_share ;;
    value_format_name: percent_1
    group_label: "Red share"
  }

  dimension: gap_red_share_ci_low {
    type: number
    label: "Red share: gap, 95% interval low"
    description: "Lower end of the 95 % interval of gap_red_share (Wald)."
    sql: ${TABLE}.gap_red_share_ci_low ;;
    value_format_name: percent_1
    group_label: "Red share"
  }

  dimension: gap_red_share_ci_high {
    type: number
    label: "Red share: gap, 95% interval high"
    description: "Upper end of the 95 % interval of gap_red_share (Wald)."
    sql: ${TABLE}.gap_red_share_ci_high ;;
    value_format_name: percent_1
    group_label: "Red share"
  }

  dimension: group_amber_share {
    type: number
    label: "Amber share: group"
    description: "Share of the group's apprentices in learning who are Amber (0-1)."
    sql: ${TABLE}.group_amber_share ;;
    value_format_name: percent_1
    group_label: "Amber share"
  }

  dimension: others_amber_share {
    type: number
    label: "Amber share: others"
    description: "Share of the others who are Amber (0-1). Others = apprentices of the same programme (or all programmes) and week not in the group."
    sql: ${TABLE}.others_amber_share ;;
    value_format_name: percent_1
    group_label: "Amber share"
  }

  dimension: gap_amber_share {
    type: number
    label: "Amber share: gap"
    description: "group_amber_share - others_amber_share."
    sql: ${TABLE}.gap_amber_share ;;
    value_format_name: percent_1
    group_label: "Amber share"
  }

  dimension: gap_amber_share_ci_low {
    type: number
    label: "Amber share: gap, 95% interval low"
    description: "Lower end of the 95 % interval of gap_amber_share (Wald)."
    sql: ${TABLE}.gap_amber_share_ci_low ;;
    value_format_name: percent_1
    group_label: "Amber share"
  }

  dimension: gap_amber_share_ci_high {
    type: number
    label: "Amber share: gap, 95% interval high"
    description: "Upper end of the 95 % interval of gap_amber_share (Wald)."
    sql: ${TABLE}.gap_amber_share_ci_high ;;
    value_format_name: percent_1
    group_label: "Amber share"
  }

  dimension: group_median_days_since_feedback {
    type: number
    label: "Median days since feedback: group"
    description: "Median days since the last coach feedback in the group."
    sql: ${TABLE}.group_median_days_since_feedback ;;
    value_format_name: decimal_1
    group_label: "Median days since feedback"
  }

  dimension: others_median_days_since_feedback {
    type: number
    label: "Median days since feedback: others"
    description: "Median days since the last coach feedback among the others. Others = apprentices of the same programme (or all programmes) and week not in the group."
    sql: ${TABLE}.others_median_days_since_feedback ;;
    value_format_name: decimal_1
    group_label: "Median days since feedback"
  }

  dimension: gap_median_days_since_feedback {
    type: number
    label: "Median days since feedback: gap"
    description: "group - others median days since feedback (descriptive; no interval)."
    sql: ${TABLE}.gap_median_days_since_feedback ;;
    value_format_name: decimal_1
    group_label: "Median days since feedback"
  }

  dimension: group_mean_days_since_feedback {
    type: number
    label: "Mean days since feedback: group"
    description: "Mean days since the last coach feedback in the group."
    sql: ${TABLE}.group_mean_days_since_feedback ;;
    value_format_name: decimal_1
    group_label: "Mean days since feedback"
  }

  dimension: others_mean_days_since_feedback {
    type: number
    label: "Mean days since feedback: others"
    description: "Mean days since the last coach feedback among the others. Others = apprentices of the same programme (or all programmes) and week not in the group."
    sql: ${TABLE}.others_mean_days_since_feedback ;;
    value_format_name: decimal_1
    group_label: "Mean days since feedback"
  }

  dimension: gap_mean_days_since_feedback {
    type: number
    label: "Mean days since feedback: gap"
    description: "group - others mean days since feedback; positive = the group waits longer for feedback."
    sql: ${TABLE}.gap_mean_days_since_feedback ;;
    value_format_name: decimal_1
    group_label: "Mean days since feedback"
  }

  dimension: gap_mean_days_since_feedback_ci_low {
    type: number
    label: "Mean days since feedback: gap, 95% interval low"
    description: "Lower end of the 95 % interval of gap_mean_days_since_feedback (Welch)."
    sql: ${TABLE}.gap_mean_days_since_feedback_ci_low ;;
    value_format_name: decimal_1
    group_label: "Mean days since feedback"
  }

  dimension: gap_mean_days_since_feedback_ci_high {
    type: number
    label: "Mean days since feedback: gap, 95% interval high"
    description: "Upper end of the 95 % interval of gap_mean_days_since_feedback (Welch)."
    sql: ${TABLE}.gap_mean_days_since_feedback_ci_high ;;
    value_format_name: decimal_1
    group_label: "Mean days since feedback"
  }

  dimension: group_withdrawals_12w_per_100 {
    type: number
    label: "Withdrawals in 12 weeks per 100: group"
    description: "Withdrawals in the group in the 12 weeks ending on the week's Sunday per 100 of the group in learning."
    sql: ${TABLE}.group_withdrawals_12w_per_100 ;;
    value_format_name: decimal_1
    group_label: "Withdrawals in 12 weeks per 100"
  }

  dimension: others_withdrawals_12w_per_100 {
    type: number
    label: "Withdrawals in 12 weeks per 100: others"
    description: "The same for the others. Others = apprentices of the same programme (or all programmes) and week not in the group."
    sql: ${TABLE}.others_withdrawals_12w_per_100 ;;
    value_format_name: decimal_1
    group_label: "Withdrawals in 12 weeks per 100"
  }

  dimension: gap_withdrawals_12w_per_100 {
    type: number
    label: "Withdrawals in 12 weeks per 100: gap"
    description: "group - others withdrawals per 100."
    sql: ${TABLE}.gap_withdrawals_12w_per_100 ;;
    value_format_name: decimal_1
    group_label: "Withdrawals in 12 weeks per 100"
  }

  dimension: gap_withdrawals_12w_per_100_ci_low {
    type: number
    label: "Withdrawals in 12 weeks per 100: gap, 95% interval low"
    description: "Lower end of the 95 % interval of gap_withdrawals_12w_per_100 (Poisson counts)."
    sql: ${TABLE}.gap_withdrawals_12w_per_100_ci_low ;;
    value_format_name: decimal_1
    group_label: "Withdrawals in 12 weeks per 100"
  }

  dimension: gap_withdrawals_12w_per_100_ci_high {
    type: number
    label: "Withdrawals in 12 weeks per 100: gap, 95% interval high"
    description: "Upper end of the 95 % interval of gap_withdrawals_12w_per_100 (Poisson counts)."
    sql: ${TABLE}.gap_withdrawals_12w_per_100_ci_high ;;
    value_format_name: decimal_1
    group_label: "Withdrawals in 12 weeks per 100"
  }

  dimension: group_completion_rate {
    type: number
    label: "Completion rate: group"
    description: "Share of the group's apprentices in finished cohorts who completed (Completed or Promoted)."
    sql: ${TABLE}.group_completion_rate ;;
    value_format_name: percent_1
    group_label: "Completion rate"
  }

  dimension: others_completion_rate {
    type: number
    label: "Completion rate: others"
    description: "The same for the others. Others = apprentices of the same programme (or all programmes) and week not in the group."
    sql: ${TABLE}.others_completion_rate ;;
    value_format_name: percent_1
    group_label: "Completion rate"
  }

  dimension: gap_completion_rate {
    type: number
    label: "Completion rate: gap"
    description: "group - others completion rate."
    sql: ${TABLE}.gap_completion_rate ;;
    value_format_name: percent_1
    group_label: "Completion rate"
  }

  dimension: gap_completion_rate_ci_low {
    type: number
    label: "Completion rate: gap, 95% interval low"
    description: "Lower end of the 95 % interval of gap_completion_rate (Wald)."
    sql: ${TABLE}.gap_completion_rate_ci_low ;;
    value_format_name: percent_1
    group_label: "Completion rate"
  }

  dimension: gap_completion_rate_ci_high {
    type: number
    label: "Completion rate: gap, 95% interval high"
    description: "Upper end of the 95 % interval of gap_completion_rate (Wald)."
    sql: ${TABLE}.gap_completion_rate_ci_high ;;
    value_format_name: percent_1
    group_label: "Completion rate"
  }

  dimension: group_promotion_rate {
    type: number
    label: "Promotion rate: group"
    description: "Share of the group's completers (cohorts finished 26+ weeks before) whose employer confirmed a career promotion."
    sql: ${TABLE}.group_promotion_rate ;;
    value_format_name: percent_1
    group_label: "Promotion rate"
  }

  dimension: others_promotion_rate {
    type: number
    label: "Promotion rate: others"
    description: "The same for the others. Others = apprentices of the same programme (or all programmes) and week not in the group."
    sql: ${TABLE}.others_promotion_rate ;;
    value_format_name: percent_1
    group_label: "Promotion rate"
  }

  dimension: gap_promotion_rate {
    type: number
    label: "Promotion rate: gap"
    description: "group - others promotion rate."
    sql: ${TABLE}.gap_promotion_rate ;;
    value_format_name: percent_1
    group_label: "Promotion rate"
  }

  dimension: gap_promotion_rate_ci_low {
    type: number
    label: "Promotion rate: gap, 95% interval low"
    description: "Lower end of the 95 % interval of gap_promotion_rate (Wald)."
    sql: ${TABLE}.gap_promotion_rate_ci_low ;;
    value_format_name: percent_1
    group_label: "Promotion rate"
  }

  dimension: gap_promotion_rate_ci_high {
    type: number
    label: "Promotion rate: gap, 95% interval high"
    description: "Upper end of the 95 % interval of gap_promotion_rate (Wald)."
    sql: ${TABLE}.gap_promotion_rate_ci_high ;;
    value_format_name: percent_1
    group_label: "Promotion rate"
  }

  filter: programme_select {
    label: "Programme (selection)"
    description: "Choose programmes to see their rows; without a selection the explore shows the all-programmes rows (programme_id 'ALL')."
    type: string
    suggest_dimension: programme_name
  }

  dimension: group_in_learning_display {
    label: "Group in learning"
    description: "Group in learning (rounded to 5), or why it is hidden, e.g. 'fewer than 10 in the group'."
    type: string
    sql: CASE WHEN ${TABLE}.is_suppressed THEN ${TABLE}.suppression_reason
      ELSE CAST(${TABLE}.group_in_learning_count AS STRING) END ;;
  }

  dimension: gap_red_share_display {
    label: "Red share: gap (shown)"
    group_label: "Red share"
    description: "Red share: the gap with its 95% interval in percentage points, or why the row is hidden (e.g. 'fewer than 10 in the group')."
    type: string
    sql: CASE WHEN ${TABLE}.is_suppressed THEN ${TABLE}.suppression_reason
      WHEN ${TABLE}.gap_red_share IS NULL THEN 'no data'
      ELSE FORMAT('%+.1f pp (%+.1f to %+.1f)', 100 * ${TABLE}.gap_red_share, 100 * ${TABLE}.gap_red_share_ci_low, 100 * ${TABLE}.gap_red_share_ci_high) END ;;
  }

  dimension: gap_amber_share_display {
    label: "Amber share: gap (shown)"
    group_label: "Amber share"
    description: "Amber share: the gap with its 95% interval in percentage points, or why the row is hidden (e.g. 'fewer than 10 in the group')."
    type: string
    sql: CASE WHEN ${TABLE}.is_suppressed THEN ${TABLE}.suppression_reason
      WHEN ${TABLE}.gap_amber_share IS NULL THEN 'no data'
      ELSE FORMAT('%+.1f pp (%+.1f to %+.1f)', 100 * ${TABLE}.gap_amber_share, 100 * ${TABLE}.gap_amber_share_ci_low, 100 * ${TABLE}.gap_amber_share_ci_high) END ;;
  }

  dimension: gap_median_days_since_feedback_display {
    label: "Median days since feedback: gap (shown)"
    group_label: "Median days since feedback"
    description: "Median days since feedback: the gap, or why the row is hidden (e.g. 'fewer than 10 in the group')."
    type: string
    sql: CASE WHEN ${TABLE}.is_suppressed THEN ${TABLE}.suppression_reason
      WHEN ${TABLE}.gap_median_days_since_feedback IS NULL THEN 'no data'
      ELSE FORMAT('%+.1f', ${TABLE}.gap_median_days_since_feedback) END ;;
  }

  dimension: gap_mean_days_since_feedback_display {
    label: "Mean days since feedback: gap (shown)"
    group_label: "Mean days since feedback"
    description: "Mean days since feedback: the gap with its 95% interval, or why the row is hidden (e.g. 'fewer than 10 in the group')."
    type: string
    sql: CASE WHEN ${TABLE}.is_suppressed THEN ${TABLE}.suppression_reason
      WHEN ${TABLE}.gap_mean_days_since_feedback IS NULL THEN 'no data'
      ELSE FORMAT('%+.1f (%+.1f to %+.1f)', ${TABLE}.gap_mean_days_since_feedback, ${TABLE}.gap_mean_days_since_feedback_ci_low, ${TABLE}.gap_mean_days_since_feedback_ci_high) END ;;
  }

  dimension: gap_withdrawals_12w_per_100_display {
    label: "Withdrawals in 12 weeks per 100: gap (shown)"
    group_label: "Withdrawals in 12 weeks per 100"
    description: "Withdrawals in 12 weeks per 100: the gap with its 95% interval, or why the row is hidden (e.g. 'fewer than 10 in the group')."
    type: string
    sql: CASE WHEN ${TABLE}.is_suppressed THEN ${TABLE}.suppression_reason
      WHEN ${TABLE}.gap_withdrawals_12w_per_100 IS NULL THEN 'no data'
      ELSE FORMAT('%+.1f (%+.1f to %+.1f)', ${TABLE}.gap_withdrawals_12w_per_100, ${TABLE}.gap_withdrawals_12w_per_100_ci_low, ${TABLE}.gap_withdrawals_12w_per_100_ci_high) END ;;
  }

  dimension: gap_completion_rate_display {
    label: "Completion rate: gap (shown)"
    group_label: "Completion rate"
    description: "Completion rate: the gap with its 95% interval in percentage points, or why the row is hidden (e.g. 'fewer than 10 in the group')."
    type: string
    sql: CASE WHEN ${TABLE}.is_suppressed THEN ${TABLE}.suppression_reason
      WHEN ${TABLE}.gap_completion_rate IS NULL THEN 'no data'
      ELSE FORMAT('%+.1f pp (%+.1f to %+.1f)', 100 * ${TABLE}.gap_completion_rate, 100 * ${TABLE}.gap_completion_rate_ci_low, 100 * ${TABLE}.gap_completion_rate_ci_high) END ;;
  }

  dimension: gap_promotion_rate_display {
    label: "Promotion rate: gap (shown)"
    group_label: "Promotion rate"
    description: "Promotion rate: the gap with its 95% interval in percentage points, or why the row is hidden (e.g. 'fewer than 10 in the group')."
    type: string
    sql: CASE WHEN ${TABLE}.is_suppressed THEN ${TABLE}.suppression_reason
      WHEN ${TABLE}.gap_promotion_rate IS NULL THEN 'no data'
      ELSE FORMAT('%+.1f pp (%+.1f to %+.1f)', 100 * ${TABLE}.gap_promotion_rate, 100 * ${TABLE}.gap_promotion_rate_ci_low, 100 * ${TABLE}.gap_promotion_rate_ci_high) END ;;
  }

  measure: average_gap_red_share {
    label: "Red share: gap (mean)"
    group_label: "Red share"
    description: "Mean of gap_red_share over the rows shown (suppressed rows have none); one row = one value."
    type: average
    sql: ${gap_red_share} ;;
    value_format_name: percent_1
    drill_fields: [gap_detail*]
  }

  measure: average_gap_amber_share {
    label: "Amber share: gap (mean)"
    group_label: "Amber share"
    description: "Mean of gap_amber_share over the rows shown (suppressed rows have none); one row = one value."
    type: average
    sql: ${gap_amber_share} ;;
    value_format_name: percent_1
    drill_fields: [gap_detail*]
  }

  measure: average_gap_median_days_since_feedback {
    label: "Median days since feedback: gap (mean)"
    group_label: "Median days since feedback"
    description: "Mean of gap_median_days_since_feedback over the rows shown (suppressed rows have none); one row = one value."
    type: average
    sql: ${gap_median_days_since_feedback} ;;
    value_format_name: decimal_1
    drill_fields: [gap_detail*]
  }

  measure: average_gap_mean_days_since_feedback {
    label: "Mean days since feedback: gap (mean)"
    group_label: "Mean days since feedback"
    description: "Mean of gap_mean_days_since_feedback over the rows shown (suppressed rows have none); one row = one value."
    type: average
    sql: ${gap_mean_days_since_feedback} ;;
    value_format_name: decimal_1
    drill_fields: [gap_detail*]
  }

  measure: average_gap_withdrawals_12w_per_100 {
    label: "Withdrawals in 12 weeks per 100: gap (mean)"
    group_label: "Withdrawals in 12 weeks per 100"
    description: "Mean of gap_withdrawals_12w_per_100 over the rows shown (suppressed rows have none); one row = one value."
    type: average
    sql: ${gap_withdrawals_12w_per_100} ;;
    value_format_name: decimal_1
    drill_fields: [gap_detail*]
  }

  measure: average_gap_completion_rate {
    label: "Completion rate: gap (mean)"
    group_label: "Completion rate"
    description: "Mean of gap_completion_rate over the rows shown (suppressed rows have none); one row = one value."
    type: average
    sql: ${gap_completion_rate} ;;
    value_format_name: percent_1
    drill_fields: [gap_detail*]
  }

  measure: average_gap_promotion_rate {
    label: "Promotion rate: gap (mean)"
    group_label: "Promotion rate"
    description: "Mean of gap_promotion_rate over the rows shown (suppressed rows have none); one row = one value."
    type: average
    sql: ${gap_promotion_rate} ;;
    value_format_name: percent_1
    drill_fields: [gap_detail*]
  }

  measure: row_count {
    label: "Rows"
    description: "Week x programme x dimension x group rows."
    type: count
    drill_fields: [gap_detail*]
  }

  measure: suppressed_row_count {
    label: "Suppressed rows"
    description: "Rows whose figures are hidden (small group or small complement)."
    type: count
    filters: [is_suppressed: "yes"]
    drill_fields: [gap_detail*]
  }

  set: gap_detail {
    fields: [week_start_date, programme_name, dimension_label, group_value, group_in_learning_display,
      gap_red_share_display, gap_amber_share_display, gap_mean_days_since_feedback_display,
      gap_withdrawals_12w_per_100_display, gap_completion_rate_display, gap_promotion_rate_display]
  }
}

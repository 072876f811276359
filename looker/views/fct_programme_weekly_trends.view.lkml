# Programme trends: per ISO week x programme x cohort, status and risk band counts, leavers,
# completions and promotions. Counts only: the measures sum them and divide.
view: fct_programme_weekly_trends {
  sql_table_name: `@{marts_dataset}.fct_programme_weekly_trends` ;;

  dimension: pk {
    primary_key: yes
    hidden: yes
    type: string
    description: "Row key: week_start_date x programme_id x cohort_id (the grain)."
    sql: CONCAT(CAST(${TABLE}.week_start_date AS STRING), '|', CAST(${TABLE}.programme_id AS STRING), '|', CAST(${TABLE}.cohort_id AS STRING)) ;;
  }

  dimension_group: week_start {
    type: time
    datatype: date
    convert_tz: no
    timeframes: [raw, date, week, month, quarter, year]
    label: "Week"
    description: "Monday of the ISO week (partition key; incremental key)."
    sql: ${TABLE}.week_start_date ;;
  }

  dimension_group: week_end {
    type: time
    datatype: date
    convert_tz: no
    timeframes: [raw, date, week, month, quarter, year]
    label: "Week end"
    description: "Sunday of the ISO week."
    sql: ${TABLE}.week_end_date ;;
  }

  dimension: programme_id {
    type: string
    label: "Programme ID"
    description: "Programme ('-1' when unknown)."
    hidden: yes
    sql: ${TABLE}.programme_id ;;
  }

  dimension: programme_name {
    type: string
    label: "Programme"
    description: "Programme name."
    sql: ${TABLE}.programme_name ;;
    drill_fields: [cohort_name]
  }

  dimension: cohort_id {
    type: string
    label: "Cohort ID"
    description: "Cohort ('-1' when unknown)."
    hidden: yes
    sql: ${TABLE}.cohort_id ;;
  }

  dimension: cohort_name {
    type: string
    label: "Cohort"
    description: "Cohort name."
    sql: ${TABLE}.cohort_name ;;
  }

  dimension: has_status_snapshot {
    type: yesno
    label: "Has status snapshot"
    description: "The snapshot had recorded history by the end of this week (false = status counts NULL)."
    sql: ${TABLE}.has_status_snapshot ;;
  }

  dimension: in_learning_count {
    type: number
    label: "In learning (row)"
    description: "Apprentices Active, Delayed or At Risk at the week's end (snapshot)."
    hidden: yes
    sql: ${TABLE}.in_learning_count ;;
    value_format_name: decimal_0
  }

  dimension: active_count {
    type: number
    label: "Active (row)"
    description: "Apprentices Active at the week's end (snapshot)."
    hidden: yes
    sql: ${TABLE}.active_count ;;
    value_format_name: decimal_0
  }

  dimension: delayed_count {
    type: number
    label: "Delayed (row)"
    description: "Apprentices Delayed (break in learning) at the week's end (snapshot)."
    hidden: yes
    sql: ${TABLE}.delayed_count ;;
    value_format_name: decimal_0
  }

  dimension: at_risk_count {
    type: number
    label: "At Risk (row)"
    description: "Apprentices At Risk at the week's end (snapshot)."
    hidden: yes
    sql: ${TABLE}.at_risk_count ;;
    value_format_name: decimal_0
  }

  dimension: withdrawn_in_week_count {
    type: number
    label: "Withdrawn in week (row)"
    description: "Apprentices whose withdrawal is dated in this week (status change to Withdrawn, known by the week's Sunday), from fct_status_changes: every scored week has it."
    hidden: yes
    sql: ${TABLE}.withdrawn_in_week_count ;;
    value_format_name: decimal_0
  }

  dimension: completed_in_week_count {
    type: number
    label: "Completed in week (row)"
    description: "Apprentices who completed (achieved) the apprenticeship in this week (status change to Completed dated in the week, known by its Sunday)."
    hidden: yes
    sql: ${TABLE}.completed_in_week_count ;;
    value_format_name: decimal_0
  }

  dimension: promoted_in_week_count {
    type: number
    label: "Promoted in week (row)"
    description: "Career promotions recorded in this week (Completed -> Promoted dated in the week, known by its Sunday). Promotion is the employer-confirmed career outcome after completion, not the completion itself."
    hidden: yes
    sql: ${TABLE}.promoted_in_week_count ;;
    value_format_name: decimal_0
  }

  dimension: withdrawn_to_date_count {
    type: number
    label: "Withdrawn to date (row)"
    description: "Apprentices with status Withdrawn at the week's end (cumulative, as far as the snapshot knows)."
    hidden: yes
    sql: ${TABLE}.withdrawn_to_date_count ;;
    value_format_name: decimal_0
  }

  dimension: completed_to_date_count {
    type: number
    label: "Completed to date (row)"
    description: "Apprentices with status Completed or Promoted at the week's end (cumulative, as far as the snapshot knows)."
    hidden: yes
    sql: ${TABLE}.completed_to_date_count ;;
    value_format_name: decimal_0
  }

  dimension: promoted_to_date_count {
    type: number
    label: "Promoted to date (row)"
    description: "Apprentices with status Promoted at the week's end (cumulative, as far as the snapshot knows)."
    hidden: yes
    sql: ${TABLE}.promoted_to_date_count ;;
    value_format_name: decimal_0
  }

  dimension: scored_count {
    type: number
    label: "Scored (row)"
    description: "Apprentices with a row in fct_apprentice_risk_weekly this week."
    hidden: yes
    sql: ${TABLE}.scored_count ;;
    value_format_name: decimal_0
  }

  dimension: red_count {
    type: number
    label: "Red (row)"
    description: "Of those, Red."
    hidden: yes
    sql: ${TABLE}.red_count ;;
    value_format_name: decimal_0
  }

  dimension: amber_count {
    type: number
    label: "Amber (row)"
    description: "Of those, Amber."
    hidden: yes
    sql: ${TABLE}.amber_count ;;
    value_format_name: decimal_0
  }

  dimension: green_count {
    type: number
    label: "Green (row)"
    description: "Of those, Green."
    hidden: yes
    sql: ${TABLE}.green_count ;;
    value_format_name: decimal_0
  }

  dimension: newly_red_count {
    type: number
    label: "Newly Red (row)"
    description: "Of those, newly Red this week (is_newly_red; what coaches were emailed about)."
    hidden: yes
    sql: ${TABLE}.newly_red_count ;;
    value_format_name: decimal_0
  }

  dimension: avg_risk_score {
    type: number
    label: "Average risk score (row)"
    description: "Mean risk_score of the scored apprentices, 2 decimals; NULL when none."
    hidden: yes
    sql: ${TABLE}.avg_risk_score ;;
    value_format_name: decimal_2
  }

  measure: total_in_learning {
    label: "In learning"
    description: "Apprentices Active, Delayed or At Risk at the week's end (snapshot). Summed over programmes and cohorts; a state at the week's end, so do not read a sum over several weeks."
    type: sum
    sql: ${in_learning_count} ;;
    value_format_name: decimal_0
    drill_fields: [programme_detail*]
  }

  measure: total_active {
    label: "Active"
    description: "Apprentices Active at the week's end (snapshot). Summed over programmes and cohorts; a state at the week's end, so do not read a sum over several weeks."
    type: sum
    sql: ${active_count} ;;
    value_format_name: decimal_0
    drill_fields: [programme_detail*]
  }

  measure: total_delayed {
    label: "Delayed"
    description: "Apprentices Delayed (break in learning) at the week's end (snapshot). Summed over programmes and cohorts; a state at the week's end, so do not read a sum over several weeks."
    type: sum
    sql: ${delayed_count} ;;
    value_format_name: decimal_0
    drill_fields: [programme_detail*]
  }

  measure: total_at_risk {
    label: "At Risk"
    description: "Apprentices At Risk at the week's end (snapshot). Summed over programmes and cohorts; a state at the week's end, so do not read a sum over several weeks."
    type: sum
    sql: ${at_risk_count} ;;
    value_format_name: decimal_0
    drill_fields: [programme_detail*]
  }

  measure: total_withdrawn_in_week {
    label: "Withdrawn in week"
    description: "Apprentices whose withdrawal is dated in the week (known by its Sunday). Summed over the rows in the query."
    type: sum
    sql: ${withdrawn_in_week_count} ;;
    value_format_name: decimal_0
    drill_fields: [programme_detail*]
  }

  measure: total_completed_in_week {
    label: "Completed in week"
    description: "Apprentices who completed (achieved) the apprenticeship in the week. Summed over the rows in the query."
    type: sum
    sql: ${completed_in_week_count} ;;
    value_format_name: decimal_0
    drill_fields: [programme_detail*]
  }

  measure: total_promoted_in_week {
    label: "Promoted in week"
    description: "Career promotions (Completed -> Promoted) dated in the week; promotion is not completion. Summed over the rows in the query."
    type: sum
    sql: ${promoted_in_week_count} ;;
    value_format_name: decimal_0
    drill_fields: [programme_detail*]
  }

  measure: total_withdrawn_to_date {
    label: "Withdrawn to date"
    description: "Apprentices with status Withdrawn at the week's end (cumulative, as far as the snapshot knows). Summed over programmes and cohorts; a state at the week's end, so do not read a sum over several weeks."
    type: sum
    sql: ${withdrawn_to_date_count} ;;
    value_format_name: decimal_0
    drill_fields: [programme_detail*]
  }

  measure: total_completed_to_date {
    label: "Completed to date"
    description: "Apprentices with status Completed or Promoted at the week's end (cumulative, as far as the snapshot knows). Summed over programmes and cohorts; a state at the week's end, so do not read a sum over several weeks."
    type: sum
    sql: ${completed_to_date_count} ;;
    value_format_name: decimal_0
    drill_fields: [programme_detail*]
  }

  measure: total_promoted_to_date {
    label: "Promoted to date"
    description: "Apprentices with status Promoted at the week's end (cumulative, as far as the snapshot knows). Summed over programmes and cohorts; a state at the week's end, so do not read a sum over several weeks."
    type: sum
    sql: ${promoted_to_date_count} ;;
    value_format_name: decimal_0
    drill_fields: [programme_detail*]
  }

  measure: total_scored {
    label: "Scored"
    description: "Apprentices with a row in fct_apprentice_risk_weekly this week. Summed over programmes and cohorts; a state at the week's end, so do not read a sum over several weeks."
    type: sum
    sql: ${scored_count} ;;
    value_format_name: decimal_0
    drill_fields: [programme_detail*]
  }

  measure: total_red {
    label: "Red"
    description: "Of those, Red. Summed over programmes and cohorts; a state at the week's end, so do not read a sum over several weeks."
    type: sum
    sql: ${red_count} ;;
    value_format_name: decimal_0
    drill_fields: [programme_detail*]
  }

  measure: total_amber {
    label: "Amber"
    description: "Of those, Amber. Summed over programmes and cohorts; a state at the week's end, so do not read a sum over several weeks."
    type: sum
    sql: ${amber_count} ;;
    value_format_name: decimal_0
    drill_fields: [programme_detail*]
  }

  measure: total_green {
    label: "Green"
    description: "Of those, Green. Summed over programmes and cohorts; a state at the week's end, so do not read a sum over several weeks."
    type: sum
    sql: ${green_count} ;;
    value_format_name: decimal_0
    drill_fields: [programme_detail*]
  }

  measure: total_newly_red {
    label: "Newly Red"
    description: "Of those, newly Red this week (is_newly_red; what coaches were emailed about). Summed over the rows in the query."
    type: sum
    sql: ${newly_red_count} ;;
    value_format_name: decimal_0
    drill_fields: [programme_detail*]
  }

  measure: red_share {
    label: "Red share"
    description: "Red / scored apprentices (sum over the rows in the query)."
    type: number
    sql: 1.0 * ${total_red} / NULLIF(${total_scored}, 0) ;;
    value_format_name: percent_1
    drill_fields: [programme_detail*]
  }

  measure: amber_share {
    label: "Amber share"
    description: "Amber / scored apprentices (sum over the rows in the query)."
    type: number
    sql: 1.0 * ${total_amber} / NULLIF(${total_scored}, 0) ;;
    value_format_name: percent_1
    drill_fields: [programme_detail*]
  }

  measure: green_share {
    label: "Green share"
    description: "Green / scored apprentices (sum over the rows in the query)."
    type: number
    sql: 1.0 * ${total_green} / NULLIF(${total_scored}, 0) ;;
    value_format_name: percent_1
    drill_fields: [programme_detail*]
  }

  measure: risk_score_sum {
    hidden: yes
    description: "avg_risk_score x scored_count summed: the numerator of the weighted mean."
    type: sum
    sql: ${avg_risk_score} * ${scored_count} ;;
  }

  measure: average_risk_score {
    label: "Average risk score"
    description: "Mean risk_score of the scored apprentices, weighted by scored_count over the rows in the query."
    type: number
    sql: ${risk_score_sum} / NULLIF(${total_scored}, 0) ;;
    value_format_name: decimal_1
    drill_fields: [programme_detail*]
  }

  set: programme_detail {
    fields: [week_start_date, programme_name, cohort_name, total_in_learning, total_red, total_amber,
      total_withdrawn_in_week, total_completed_in_week, total_promoted_in_week]
  }
}

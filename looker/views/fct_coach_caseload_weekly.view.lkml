# Coach caseload: every apprentice in learning at a week's end, with risk, factors and reasons.
# Grain apprentice_id x week_start_date. Row-level security: the explores filter coach_email.
view: fct_coach_caseload_weekly {
  sql_table_name: `@{marts_dataset}.fct_coach_caseload_weekly` ;;

  dimension: pk {
    primary_key: yes
    hidden: yes
    type: string
    description: "Row key: apprentice_id x week_start_date (the grain)."
    sql: CONCAT(CAST(${TABLE}.apprentice_id AS STRING), '|', CAST(${TABLE}.week_start_date AS STRING)) ;;
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
    description: "Sunday of the ISO week; the measures are as of this day."
    sql: ${TABLE}.week_end_date ;;
  }

  dimension: apprentice_id {
    type: string
    label: "Apprentice ID"
    description: "Apprentice."
    sql: ${TABLE}.apprentice_id ;;
  }

  dimension: apprentice_name {
    type: string
    label: "Apprentice"
    description: "First and last name of the apprentice."
    sql: ${TABLE}.apprentice_name ;;
    drill_fields: [apprentice_detail*]
  }

  dimension: coach_id {
    type: string
    label: "Coach ID"
    description: "Assigned coach ('-1' when unknown)."
    hidden: yes
    sql: ${TABLE}.coach_id ;;
  }

  dimension: coach_name {
    type: string
    label: "Coach"
    description: "Name of the assigned coach."
    sql: ${TABLE}.coach_name ;;
  }

  dimension: coach_email {
    type: string
    label: "Coach email"
    description: "Email address of the assigned coach (Looker's access_filter on the coach_email user attribute)."
    hidden: yes
    sql: ${TABLE}.coach_email ;;
  }

  dimension: programme_id {
    type: string
    label: "Programme ID"
    description: "Programme of the apprentice."
    hidden: yes
    sql: ${TABLE}.programme_id ;;
  }

  dimension: programme_name {
    type: string
    label: "Programme"
    description: "Name of the programme."
    sql: ${TABLE}.programme_name ;;
  }

  dimension: cohort_id {
    type: string
    label: "Cohort ID"
    description: "Cohort (programme and start month) of the apprentice."
    hidden: yes
    sql: ${TABLE}.cohort_id ;;
  }

  dimension: cohort_name {
    type: string
    label: "Cohort"
    description: "Name of the cohort."
    sql: ${TABLE}.cohort_name ;;
  }

  dimension: current_progression_status {
    type: string
    label: "Progression status"
    description: "Progression status at the week's end (Active, Delayed or At Risk)."
    sql: ${TABLE}.current_progression_status ;;
  }

  dimension: risk_score {
    type: number
    label: "Risk score"
    description: "Risk score 0-100, the capped sum of the factors' points (see fct_apprentice_risk_weekly)."
    sql: ${TABLE}.risk_score ;;
    value_format_name: decimal_0
  }

  dimension: risk_band {
    type: string
    label: "Risk band"
    description: "Red (score >= 80), Amber (50-79) or Green (< 50)."
    sql: ${TABLE}.risk_band ;;
    html: {% if value == 'Red' %}<span style="color: #b00020; font-weight: bold;">{{ value }}</span>{% elsif value == 'Amber' %}<span style="color: #b36b00; font-weight: bold;">{{ value }}</span>{% else %}<span style="color: #2e7d32;">{{ value }}</span>{% endif %} ;;
    order_by_field: risk_band_order
  }

  dimension: previous_risk_band {
    type: string
    label: "Previous week's band"
    description: "Band of the week before (NULL when the apprentice was not scored that week)."
    sql: ${TABLE}.previous_risk_band ;;
    html: {% if value == 'Red' %}<span style="color: #b00020; font-weight: bold;">{{ value }}</span>{% elsif value == 'Amber' %}<span style="color: #b36b00; font-weight: bold;">{{ value }}</span>{% else %}<span style="color: #2e7d32;">{{ value }}</span>{% endif %} ;;
  }

  dimension: is_newly_red {
    type: yesno
    label: "Newly Red"
    description: "Red this week and not Red the week before; the coach email of this week lists exactly these."
    sql: ${TABLE}.is_newly_red ;;
  }

  dimension: points_attendance {
    type: number
    label: "Points: attendance"
    group_label: "Risk factors: points"
    description: "Points from attendance_rate_last_30d."
    sql: ${TABLE}.points_attendance ;;
    value_format_name: decimal_0
  }

  dimension: attendance_rate_last_30d {
    type: number
    label: "Attendance rate (30 days)"
    group_label: "Risk factors: measures"
    description: "Sessions attended or late / sessions scheduled, last 30 days (0-1; NULL = no session scheduled)."
    sql: ${TABLE}.attendance_rate_last_30d ;;
    value_format_name: percent_0
  }

  dimension: points_quiz {
    type: number
    label: "Points: quiz"
    group_label: "Risk factors: points"
    description: "Points from quiz_score_avg_last_30d."
    sql: ${TABLE}.points_quiz ;;
    value_format_name: decimal_0
  }

  dimension: quiz_score_avg_last_30d {
    type: number
    label: "Quiz average (30 days)"
    group_label: "Risk factors: measures"
    description: "Average quiz score, last 30 days (0-100; NULL = no quiz attempted)."
    sql: ${TABLE}.quiz_score_avg_last_30d ;;
    value_format_name: decimal_1
  }

  dimension: points_feedback {
    type: number
    label: "Points: feedback"
    group_label: "Risk factors: points"
    description: "Points from days_since_last_contact (no coach contact ever recorded = unknown = 0)."
    sql: ${TABLE}.points_feedback ;;
    value_format_name: decimal_0
  }

  dimension: days_since_last_feedback {
    type: number
    label: "Days since last feedback"
    description: "Days since the last coach feedback, check-in or progress review."
    sql: ${TABLE}.days_since_last_feedback ;;
    value_format_name: decimal_0
  }

  dimension: points_status {
    type: number
    label: "Points: status"
    group_label: "Risk factors: points"
    description: "Points from the recorded progression status (a coach's At Risk judgement)."
    sql: ${TABLE}.points_status ;;
    value_format_name: decimal_0
  }

  dimension: points_otj {
    type: number
    label: "Points: off-the-job"
    group_label: "Risk factors: points"
    description: "Points from otj_plan_attainment_last_30d."
    sql: ${TABLE}.points_otj ;;
    value_format_name: decimal_0
  }

  dimension: otj_plan_attainment_last_30d {
    type: number
    label: "Off-the-job hours vs plan (30 days)"
    group_label: "Risk factors: measures"
    description: "Off-the-job hours logged / hours planned, last 30 days (NULL = no plan)."
    sql: ${TABLE}.otj_plan_attainment_last_30d ;;
    value_format_name: percent_0
  }

  dimension: points_attendance_drop {
    type: number
    label: "Points: attendance drop"
    group_label: "Risk factors: points"
    description: "Points from attendance_change_vs_prior."
    sql: ${TABLE}.points_attendance_drop ;;
    value_format_name: decimal_0
  }

  dimension: attendance_change_vs_prior {
    type: number
    label: "Attendance change vs own baseline"
    group_label: "Risk factors: measures"
    description: "Attendance rate of the last 4 weeks minus the 8 weeks before (the apprentice's own baseline); NULL = unknown."
    sql: ${TABLE}.attendance_change_vs_prior ;;
    value_format_name: percent_0
  }

  dimension: points_attendance_trend {
    type: number
    label: "Points: attendance trend"
    group_label: "Risk factors: points"
    description: "Points from attendance_trend_6_weeks."
    sql: ${TABLE}.points_attendance_trend ;;
    value_format_name: decimal_0
  }

  dimension: attendance_trend_6_weeks {
    type: number
    label: "Attendance trend (6 weeks, per week)"
    group_label: "Risk factors: measures"
    description: "Slope of the weekly attendance rate over 6 weeks (per week); NULL = fewer than 3 weeks with a session."
    sql: ${TABLE}.attendance_trend_6_weeks ;;
    value_format_name: percent_1
  }

  dimension: points_missed_sessions {
    type: number
    label: "Points: missed sessions"
    group_label: "Risk factors: points"
    description: "Points from sessions_missed_in_a_row."
    sql: ${TABLE}.points_missed_sessions ;;
    value_format_name: decimal_0
  }

  dimension: sessions_missed_in_a_row {
    type: number
    label: "Sessions missed in a row"
    group_label: "Risk factors: measures"
    description: "Sessions missed since the last attended one (within 12 weeks); NULL = no session scheduled."
    sql: ${TABLE}.sessions_missed_in_a_row ;;
    value_format_name: decimal_0
  }

  dimension: points_quiz_drop {
    type: number
    label: "Points: quiz drop"
    group_label: "Risk factors: points"
    description: "Points from quiz_change_vs_prior."
    sql: ${TABLE}.points_quiz_drop ;;
    value_format_name: decimal_0
  }

  dimension: quiz_change_vs_prior {
    type: number
    label: "Quiz average change vs own baseline"
    group_label: "Risk factors: measures"
    description: "Quiz average of the last 4 weeks minus the 8 weeks before; NULL = unknown."
    sql: ${TABLE}.quiz_change_vs_prior ;;
    value_format_name: decimal_1
  }

  dimension: points_quiz_activity {
    type: number
    label: "Points: quiz activity"
    group_label: "Risk factors: points"
    description: "Points from quiz_attempts_ratio_vs_prior."
    sql: ${TABLE}.points_quiz_activity ;;
    value_format_name: decimal_0
  }

  dimension: quiz_attempts_ratio_vs_prior {
    type: number
    label: "Quiz attempts vs own baseline"
    group_label: "Risk factors: measures"
    description: "Quiz attempts a week, last 4 weeks / the 8 weeks before; NULL = no earlier attempts."
    sql: ${TABLE}.quiz_attempts_ratio_vs_prior ;;
    value_format_name: percent_0
  }

  dimension: points_otj_drop {
    type: number
    label: "Points: off-the-job drop"
    group_label: "Risk factors: points"
    description: "Points from otj_ratio_vs_prior."
    sql: ${TABLE}.points_otj_drop ;;
    value_format_name: decimal_0
  }

  dimension: otj_ratio_vs_prior {
    type: number
    label: "Off-the-job vs own baseline"
    group_label: "Risk factors: measures"
    description: "OTJ plan attainment of the last 4 weeks / the 8 weeks before; NULL = unknown."
    sql: ${TABLE}.otj_ratio_vs_prior ;;
    value_format_name: percent_0
  }

  dimension: points_otj_trend {
    type: number
    label: "Points: off-the-job trend"
    group_label: "Risk factors: points"
    description: "Points from otj_trend_6_weeks."
    sql: ${TABLE}.points_otj_trend ;;
    value_format_name: decimal_0
  }

  dimension: otj_trend_6_weeks {
    type: number
    label: "Off-the-job trend (6 weeks, per week)"
    group_label: "Risk factors: measures"
    description: "Slope of the weekly OTJ plan attainment over 6 weeks (per week); NULL = unknown."
    sql: ${TABLE}.otj_trend_6_weeks ;;
    value_format_name: percent_1
  }

  dimension: points_otj_gap {
    type: number
    label: "Points: off-the-job gap"
    group_label: "Risk factors: points"
    description: "Points from weeks_without_otj_in_a_row."
    sql: ${TABLE}.points_otj_gap ;;
    value_format_name: decimal_0
  }

  dimension: weeks_without_otj_in_a_row {
    type: number
    label: "Weeks without off-the-job hours in a row"
    group_label: "Risk factors: measures"
    description: "Weeks in a row with an OTJ plan and no hours logged (within 12 weeks); NULL = no plan."
    sql: ${TABLE}.weeks_without_otj_in_a_row ;;
    value_format_name: decimal_0
  }

  dimension: points_inactivity {
    type: number
    label: "Points: no activity at all"
    group_label: "Risk factors: points"
    description: "Points from weeks_inactive_in_a_row."
    sql: ${TABLE}.points_inactivity ;;
    value_format_name: decimal_0
  }

  dimension: weeks_inactive_in_a_row {
    type: number
    label: "Weeks with no activity in a row"
    group_label: "Risk factors: measures"
    description: "Weeks in a row with a session scheduled or OTJ hours planned but no activity of any kind (within 12 weeks); NULL = nothing expected in 12 weeks."
    sql: ${TABLE}.weeks_inactive_in_a_row ;;
    value_format_name: decimal_0
  }

  dimension: days_since_last_contact {
    type: number
    label: "Days since last contact"
    group_label: "Risk factors: measures"
    description: "Days since the last coach contact; NULL when none was ever recorded (the feedback factor's measure)."
    sql: ${TABLE}.days_since_last_contact ;;
    value_format_name: decimal_0
  }

  dimension: weeks_in_current_band {
    type: number
    label: "Weeks in current band"
    description: "Consecutive scored weeks, ending with this one, in the current band (1 = changed this week; counted over at most 26 weeks)."
    sql: ${TABLE}.weeks_in_current_band ;;
    value_format_name: decimal_0
  }

  dimension: top_risk_factor {
    type: string
    label: "Top risk factor"
    description: "The factor with the most points (one of the risk mart's fourteen factors; ties go to engagement factors before feedback and the recorded status); NULL when none has points."
    sql: ${TABLE}.top_risk_factor ;;
  }

  dimension: risk_reasons {
    type: string
    label: "Risk reasons"
    description: "Why the apprentice scores, most points first, e.g. \"Attendance 45% (30 days) (40 pts); Quiz average 48 (30 days) (30 pts)\"; empty when no factor has points."
    sql: ${TABLE}.risk_reasons ;;
  }

  dimension_group: last_contact {
    type: time
    datatype: date
    convert_tz: no
    timeframes: [raw, date, week, month, quarter, year]
    label: "Last contact"
    description: "Date of the last coach feedback, check-in or progress review (NULL when none is recorded)."
    sql: ${TABLE}.last_contact_date ;;
  }

  dimension: risk_scores_last_8_weeks {
    type: string
    label: "Risk score, last 8 weeks"
    description: "The risk scores of the 8 weeks ending with this one, oldest first, comma-separated; empty between commas where the apprentice was not scored (for a sparkline)."
    sql: ${TABLE}.risk_scores_last_8_weeks ;;
    html: {% assign scores = value | split: ',' %}{% for s in scores %}{% if s == '' %}<span style="color: #999;">-</span>{% else %}{% assign n = s | plus: 0 %}{% if n >= 80 %}<span style="color: #b00020; font-weight: bold;">{{ s }}</span>{% elsif n >= 50 %}<span style="color: #b36b00;">{{ s }}</span>{% else %}<span style="color: #2e7d32;">{{ s }}</span>{% endif %}{% endif %}{% unless forloop.last %} &rsaquo; {% endunless %}{% endfor %} ;;
  }

  dimension_group: since_last_contact {
    label: "Since last contact"
    description: "Time from last_contact_date to the week's Sunday (week_end_date), in weeks (in days: the mart's days_since_last_contact, a dimension of its own)."
    type: duration
    datatype: date
    intervals: [week]
    sql_start: ${TABLE}.last_contact_date ;;
    sql_end: ${TABLE}.week_end_date ;;
  }

  dimension: risk_band_order {
    hidden: yes
    type: number
    description: "Sort key of risk_band: Red 1, Amber 2, Green 3."
    sql: CASE ${TABLE}.risk_band WHEN 'Red' THEN 1 WHEN 'Amber' THEN 2 ELSE 3 END ;;
  }

  measure: count {
    label: "Apprentice-weeks"
    description: "Rows: one per apprentice in learning per week."
    type: count
    drill_fields: [apprentice_detail*]
  }

  measure: apprentice_count {
    label: "Apprentices"
    description: "Distinct apprentices in learning in the selected week(s)."
    type: count_distinct
    sql: ${apprentice_id} ;;
    value_format_name: decimal_0
    drill_fields: [apprentice_detail*]
  }

  measure: red_count {
    label: "Red apprentices"
    description: "Distinct apprentices Red in the selected week(s)."
    type: count_distinct
    sql: ${apprentice_id} ;;
    filters: [risk_band: "Red"]
    value_format_name: decimal_0
    drill_fields: [apprentice_detail*]
  }

  measure: amber_count {
    label: "Amber apprentices"
    description: "Distinct apprentices Amber in the selected week(s)."
    type: count_distinct
    sql: ${apprentice_id} ;;
    filters: [risk_band: "Amber"]
    value_format_name: decimal_0
    drill_fields: [apprentice_detail*]
  }

  measure: newly_red_count {
    label: "Newly Red apprentices"
    description: "Distinct apprentices who became Red in the selected week(s) (what coaches were emailed about)."
    type: count_distinct
    sql: ${apprentice_id} ;;
    filters: [is_newly_red: "yes"]
    value_format_name: decimal_0
    drill_fields: [apprentice_detail*]
  }

  measure: red_share {
    label: "Red share"
    description: "Red apprentices / apprentices in the selected week(s)."
    type: number
    sql: 1.0 * ${red_count} / NULLIF(${apprentice_count}, 0) ;;
    value_format_name: percent_1
    drill_fields: [apprentice_detail*]
  }

  measure: average_risk_score {
    label: "Average risk score"
    description: "Mean risk_score of the rows."
    type: average
    sql: ${risk_score} ;;
    value_format_name: decimal_1
    drill_fields: [apprentice_detail*]
  }

  measure: average_attendance_rate {
    label: "Average attendance rate (30 days)"
    description: "Mean attendance_rate_last_30d of the rows that had sessions scheduled."
    type: average
    sql: ${attendance_rate_last_30d} ;;
    value_format_name: percent_1
  }

  measure: average_days_since_last_feedback {
    label: "Average days since last feedback"
    description: "Mean days_since_last_feedback of the rows."
    type: average
    sql: ${days_since_last_feedback} ;;
    value_format_name: decimal_1
  }

  set: apprentice_detail {
    fields: [apprentice_name, cohort_name, current_progression_status, risk_band, risk_score, risk_reasons, weeks_in_current_band, risk_scores_last_8_weeks, last_contact_date]
  }
}

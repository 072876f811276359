# Risk history: one row per apprentice in learning per ISO week (the weekly risk mart).
# Grain apprentice_id x week_start_date.
view: fct_apprentice_risk_weekly {
  sql_table_name: `@{marts_dataset}.fct_apprentice_risk_weekly` ;;

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
    description: "Monday of the ISO week (partition key; incremental key; the notifier's week)."
    sql: ${TABLE}.week_start_date ;;
  }

  dimension_group: week_end {
    type: time
    datatype: date
    convert_tz: no
    timeframes: [raw, date, week, month, quarter, year]
    label: "Week end"
    description: "Sunday of the ISO week, the as_of_date of the metrics."
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
    description: "First and last name (dim_apprentice.full_name), for the coach's email."
    sql: ${TABLE}.apprentice_name ;;
    drill_fields: [apprentice_detail*]
  }

  dimension: coach_id {
    type: string
    label: "Coach ID"
    description: "Assigned coach; '-1' (the unknown member of dim_coach) when unknown."
    hidden: yes
    sql: ${TABLE}.coach_id ;;
  }

  dimension: coach_name {
    type: string
    label: "Coach"
    description: "Coach's name ('Unknown' for coach_id '-1')."
    sql: ${TABLE}.coach_name ;;
  }

  dimension: coach_email {
    type: string
    label: "Coach email"
    description: "Coach's email address; NULL when the coach has none or is unknown."
    hidden: yes
    sql: ${TABLE}.coach_email ;;
  }

  dimension: programme_id {
    type: string
    label: "Programme ID"
    description: "Programme."
    hidden: yes
    sql: ${TABLE}.programme_id ;;
  }

  dimension: programme_name {
    type: string
    label: "Programme"
    description: "Programme name."
    sql: ${TABLE}.programme_name ;;
  }

  dimension: cohort_id {
    type: string
    label: "Cohort ID"
    description: "Cohort."
    hidden: yes
    sql: ${TABLE}.cohort_id ;;
  }

  dimension: cohort_name {
    type: string
    label: "Cohort"
    description: "Cohort name."
    sql: ${TABLE}.cohort_name ;;
  }

  dimension: employer_id {
    type: string
    label: "Employer ID"
    description: "Employer."
    sql: ${TABLE}.employer_id ;;
  }

  dimension: current_progression_status {
    type: string
    label: "Progression status"
    description: "Status on the Sunday (Active, Delayed or At Risk; leavers have no row)."
    sql: ${TABLE}.current_progression_status ;;
  }

  dimension: risk_score {
    type: number
    label: "Risk score"
    description: "min(100, points_total), 0-100."
    sql: ${TABLE}.risk_score ;;
    value_format_name: decimal_0
  }

  dimension: risk_band {
    type: string
    label: "Risk band"
    description: "Red (risk_score >= 80), Amber (50-79), Green (< 50)."
    sql: ${TABLE}.risk_band ;;
    html: {% if value == 'Red' %}<span style="color: #b00020; font-weight: bold;">{{ value }}</span>{% elsif value == 'Amber' %}<span style="color: #b36b00; font-weight: bold;">{{ value }}</span>{% else %}<span style="color: #2e7d32;">{{ value }}</span>{% endif %} ;;
    order_by_field: risk_band_order
  }

  dimension: previous_risk_band {
    type: string
    label: "Previous week's band"
    description: "risk_band of the previous ISO week; NULL when the apprentice was not scored that week (e.g. their first week)."
    sql: ${TABLE}.previous_risk_band ;;
    html: {% if value == 'Red' %}<span style="color: #b00020; font-weight: bold;">{{ value }}</span>{% elsif value == 'Amber' %}<span style="color: #b36b00; font-weight: bold;">{{ value }}</span>{% else %}<span style="color: #2e7d32;">{{ value }}</span>{% endif %} ;;
  }

  dimension: is_newly_red {
    type: yesno
    label: "Newly Red"
    description: "Red this week and not Red the previous ISO week (an apprentice's first scored week, or a week after an unscored week, counts as new). The notifier emails coaches about these rows."
    sql: ${TABLE}.is_newly_red ;;
  }

  dimension: points_attendance {
    type: number
    label: "Points: attendance"
    group_label: "Risk factors: points"
    description: "Points for attendance_rate_last_30d (var risk_scoring.factors.attendance)."
    sql: ${TABLE}.points_attendance ;;
    value_format_name: decimal_0
  }

  dimension: attendance_rate_last_30d {
    type: number
    label: "Attendance rate (30 days)"
    group_label: "Risk factors: measures"
    description: "Attended or late / scheduled sessions in the 30 days to Sunday (0-1); NULL when none scheduled."
    sql: ${TABLE}.attendance_rate_last_30d ;;
    value_format_name: percent_0
  }

  dimension: points_quiz {
    type: number
    label: "Points: quiz"
    group_label: "Risk factors: points"
    description: "Points for quiz_score_avg_last_30d (var risk_scoring.factors.quiz)."
    sql: ${TABLE}.points_quiz ;;
    value_format_name: decimal_0
  }

  dimension: quiz_score_avg_last_30d {
    type: number
    label: "Quiz average (30 days)"
    group_label: "Risk factors: measures"
    description: "Mean quiz score in the 30 days to Sunday (0-100); NULL when no attempt."
    sql: ${TABLE}.quiz_score_avg_last_30d ;;
    value_format_name: decimal_1
  }

  dimension: points_feedback {
    type: number
    label: "Points: feedback"
    group_label: "Risk factors: points"
    description: "Points for days_since_last_contact (var risk_scoring.factors.feedback; NULL = no contact ever = 0)."
    sql: ${TABLE}.points_feedback ;;
    value_format_name: decimal_0
  }

  dimension: days_since_last_feedback {
    type: number
    label: "Days since last feedback"
    description: "Days from the latest coach feedback, check-in or progress review to Sunday (since start when none; kept for the brief but not scored, see days_since_last_contact)."
    sql: ${TABLE}.days_since_last_feedback ;;
    value_format_name: decimal_0
  }

  dimension: points_status {
    type: number
    label: "Points: status"
    group_label: "Risk factors: points"
    description: "Points for current_progression_status (var risk_scoring.factors.status)."
    sql: ${TABLE}.points_status ;;
    value_format_name: decimal_0
  }

  dimension: points_otj {
    type: number
    label: "Points: off-the-job"
    group_label: "Risk factors: points"
    description: "Points for otj_plan_attainment_last_30d (var risk_scoring.factors.otj)."
    sql: ${TABLE}.points_otj ;;
    value_format_name: decimal_0
  }

  dimension: otj_plan_attainment_last_30d {
    type: number
    label: "Off-the-job hours vs plan (30 days)"
    group_label: "Risk factors: measures"
    description: "otj_hours_last_30d / otj_hours_planned_last_30d, 4 decimals (1 = on plan); NULL when no plan is known or the plan is 0. The measure of the otj factor."
    sql: ${TABLE}.otj_plan_attainment_last_30d ;;
    value_format_name: percent_0
  }

  dimension: otj_hours_last_30d {
    type: number
    label: "Off-the-job hours (30 days)"
    group_label: "Risk factors: measures"
    description: "Off-the-job hours logged in the 30 days to Sunday."
    sql: ${TABLE}.otj_hours_last_30d ;;
    value_format_name: decimal_1
  }

  dimension: otj_hours_planned_last_30d {
    type: number
    label: "Off-the-job hours planned (30 days)"
    group_label: "Risk factors: measures"
    description: "Off-the-job hours planned for those days (programme's hours per week x days in learning / 7); NULL when the plan is unknown."
    sql: ${TABLE}.otj_hours_planned_last_30d ;;
    value_format_name: decimal_1
  }

  dimension: points_attendance_drop {
    type: number
    label: "Points: attendance drop"
    group_label: "Risk factors: points"
    description: "Points for attendance_change_vs_prior (var risk_scoring.factors.attendance_drop)."
    sql: ${TABLE}.points_attendance_drop ;;
    value_format_name: decimal_0
  }

  dimension: attendance_rate_last_4_weeks {
    type: number
    label: "Attendance rate (last 4 weeks)"
    group_label: "Risk factors: measures"
    description: "Attended or late / scheduled sessions in the last 4 ISO weeks (this week and 3 before); NULL when none scheduled."
    sql: ${TABLE}.attendance_rate_last_4_weeks ;;
    value_format_name: percent_0
  }

  dimension: attendance_rate_prior_8_weeks {
    type: number
    label: "Attendance rate (8 weeks before)"
    group_label: "Risk factors: measures"
    description: "The same over the 8 ISO weeks before those (weeks 5-12 back), the apprentice's own baseline; NULL when none scheduled."
    sql: ${TABLE}.attendance_rate_prior_8_weeks ;;
    value_format_name: percent_0
  }

  dimension: attendance_change_vs_prior {
    type: number
    label: "Attendance change vs own baseline"
    group_label: "Risk factors: measures"
    description: "attendance_rate_last_4_weeks - attendance_rate_prior_8_weeks (-1 to 1; -0.3 = 30 points below the own baseline); NULL when either is NULL. Measure of attendance_drop."
    sql: ${TABLE}.attendance_change_vs_prior ;;
    value_format_name: percent_0
  }

  dimension: points_attendance_trend {
    type: number
    label: "Points: attendance trend"
    group_label: "Risk factors: points"
    description: "Points for attendance_trend_6_weeks (var risk_scoring.factors.attendance_trend)."
    sql: ${TABLE}.points_attendance_trend ;;
    value_format_name: decimal_0
  }

  dimension: attendance_trend_6_weeks {
    type: number
    label: "Attendance trend (6 weeks, per week)"
    group_label: "Risk factors: measures"
    description: "Least-squares slope of the weekly attendance rate over the last 6 ISO weeks (rate per week; -0.1 = 10 points lower each week), over the weeks with a session; NULL with fewer than 3 such weeks. Measure of attendance_trend."
    sql: ${TABLE}.attendance_trend_6_weeks ;;
    value_format_name: percent_1
  }

  dimension: points_missed_sessions {
    type: number
    label: "Points: missed sessions"
    group_label: "Risk factors: points"
    description: "Points for sessions_missed_in_a_row (var risk_scoring.factors.missed_sessions)."
    sql: ${TABLE}.points_missed_sessions ;;
    value_format_name: decimal_0
  }

  dimension: sessions_missed_in_a_row {
    type: number
    label: "Sessions missed in a row"
    group_label: "Risk factors: measures"
    description: "Sessions scheduled in the weeks with none attended since the last week with an attended session, within the last 12 ISO weeks (weeks without a session neither extend nor end the streak); NULL when no session was scheduled in those 12 weeks. Measure of missed_sessions."
    sql: ${TABLE}.sessions_missed_in_a_row ;;
    value_format_name: decimal_0
  }

  dimension: points_quiz_drop {
    type: number
    label: "Points: quiz drop"
    group_label: "Risk factors: points"
    description: "Points for quiz_change_vs_prior (var risk_scoring.factors.quiz_drop)."
    sql: ${TABLE}.points_quiz_drop ;;
    value_format_name: decimal_0
  }

  dimension: quiz_score_avg_last_4_weeks {
    type: number
    label: "Quiz average (last 4 weeks)"
    group_label: "Risk factors: measures"
    description: "Mean quiz score of the attempts in the last 4 ISO weeks; NULL when none."
    sql: ${TABLE}.quiz_score_avg_last_4_weeks ;;
    value_format_name: decimal_1
  }

  dimension: quiz_score_avg_prior_8_weeks {
    type: number
    label: "Quiz average (8 weeks before)"
    group_label: "Risk factors: measures"
    description: "The same over the 8 ISO weeks before (own baseline); NULL when none."
    sql: ${TABLE}.quiz_score_avg_prior_8_weeks ;;
    value_format_name: decimal_1
  }

  dimension: quiz_change_vs_prior {
    type: number
    label: "Quiz average change vs own baseline"
    group_label: "Risk factors: measures"
    description: "quiz_score_avg_last_4_weeks - quiz_score_avg_prior_8_weeks (score points); NULL when either is NULL. Measure of quiz_drop."
    sql: ${TABLE}.quiz_change_vs_prior ;;
    value_format_name: decimal_1
  }

  dimension: points_quiz_activity {
    type: number
    label: "Points: quiz activity"
    group_label: "Risk factors: points"
    description: "Points for quiz_attempts_ratio_vs_prior (var risk_scoring.factors.quiz_activity)."
    sql: ${TABLE}.points_quiz_activity ;;
    value_format_name: decimal_0
  }

  dimension: quiz_attempts_ratio_vs_prior {
    type: number
    label: "Quiz attempts vs own baseline"
    group_label: "Risk factors: measures"
    description: "Quiz attempts per week in learning over the last 4 ISO weeks / the same over the 8 weeks before (1 = as usual, 0 = stopped); NULL when there was no attempt in those 8 weeks (no quiz source to compare with). Measure of quiz_activity."
    sql: ${TABLE}.quiz_attempts_ratio_vs_prior ;;
    value_format_name: percent_0
  }

  dimension: points_otj_drop {
    type: number
    label: "Points: off-the-job drop"
    group_label: "Risk factors: points"
    description: "Points for otj_ratio_vs_prior (var risk_scoring.factors.otj_drop)."
    sql: ${TABLE}.points_otj_drop ;;
    value_format_name: decimal_0
  }

  dimension: otj_plan_attainment_last_4_weeks {
    type: number
    label: "Off-the-job hours vs plan (last 4 weeks)"
    group_label: "Risk factors: measures"
    description: "Off-the-job hours / planned hours over the last 4 ISO weeks; NULL when no plan."
    sql: ${TABLE}.otj_plan_attainment_last_4_weeks ;;
    value_format_name: percent_0
  }

  dimension: otj_plan_attainment_prior_8_weeks {
    type: number
    label: "Off-the-job hours vs plan (8 weeks before)"
    group_label: "Risk factors: measures"
    description: "The same over the 8 ISO weeks before (own baseline); NULL when no plan."
    sql: ${TABLE}.otj_plan_attainment_prior_8_weeks ;;
    value_format_name: percent_0
  }

  dimension: otj_ratio_vs_prior {
    type: number
    label: "Off-the-job vs own baseline"
    group_label: "Risk factors: measures"
    description: "otj_plan_attainment_last_4_weeks / otj_plan_attainment_prior_8_weeks (1 = as usual, 0.5 = half the apprentice's usual hours); NULL when no plan or no hours in the baseline. Measure of otj_drop."
    sql: ${TABLE}.otj_ratio_vs_prior ;;
    value_format_name: percent_0
  }

  dimension: points_otj_trend {
    type: number
    label: "Points: off-the-job trend"
    group_label: "Risk factors: points"
    description: "Points for otj_trend_6_weeks (var risk_scoring.factors.otj_trend)."
    sql: ${TABLE}.points_otj_trend ;;
    value_format_name: decimal_0
  }

  dimension: otj_trend_6_weeks {
    type: number
    label: "Off-the-job trend (6 weeks, per week)"
    group_label: "Risk factors: measures"
    description: "Least-squares slope of the weekly OTJ plan attainment over the last 6 ISO weeks (per week); NULL with fewer than 3 weeks with a plan. Measure of otj_trend."
    sql: ${TABLE}.otj_trend_6_weeks ;;
    value_format_name: percent_1
  }

  dimension: points_otj_gap {
    type: number
    label: "Points: off-the-job gap"
    group_label: "Risk factors: points"
    description: "Points for weeks_without_otj_in_a_row (var risk_scoring.factors.otj_gap)."
    sql: ${TABLE}.points_otj_gap ;;
    value_format_name: decimal_0
  }

  dimension: weeks_without_otj_in_a_row {
    type: number
    label: "Weeks without off-the-job hours in a row"
    group_label: "Risk factors: measures"
    description: "ISO weeks in a row (up to this one, within the last 12) with an OTJ plan but no hours logged, since the last week with hours; NULL when no plan in those 12 weeks. Measure of otj_gap."
    sql: ${TABLE}.weeks_without_otj_in_a_row ;;
    value_format_name: decimal_0
  }

  dimension: points_inactivity {
    type: number
    label: "Points: no activity at all"
    group_label: "Risk factors: points"
    description: "Points for weeks_inactive_in_a_row (var risk_scoring.factors.inactivity)."
    sql: ${TABLE}.points_inactivity ;;
    value_format_name: decimal_0
  }

  dimension: weeks_inactive_in_a_row {
    type: number
    label: "Weeks with no activity in a row"
    group_label: "Risk factors: measures"
    description: "ISO weeks in a row (up to this one, within the last 12) in which something was expected (a session scheduled or off-the-job hours planned) but the apprentice did nothing at all (no attended session, no quiz attempt, no off-the-job hours), since the last week with any activity. A week with nothing expected and nothing done neither extends nor ends the run. It sees a break in learning (sessions stop, the off-the-job plan runs on) and an apprentice who stops everything at once. NULL when nothing was expected in those 12 weeks. Measure of inactivity."
    sql: ${TABLE}.weeks_inactive_in_a_row ;;
    value_format_name: decimal_0
  }

  dimension: days_since_last_contact {
    type: number
    label: "Days since last contact"
    group_label: "Risk factors: measures"
    description: "Sunday - last_contact_date in days; NULL when no coach contact was ever recorded (unknown, not a clock running since the start, unlike days_since_last_feedback). The measure of the feedback factor."
    sql: ${TABLE}.days_since_last_contact ;;
    value_format_name: decimal_0
  }

  dimension_group: last_contact {
    type: time
    datatype: date
    convert_tz: no
    timeframes: [raw, date, week, month, quarter, year]
    label: "Last contact"
    description: "Latest coach feedback, check-in or progress review on or before Sunday; NULL when none ever."
    sql: ${TABLE}.last_contact_date ;;
  }

  dimension: points_total {
    type: number
    label: "Points before cap"
    description: "Sum of the fourteen factors' points before the cap (may exceed 100)."
    sql: ${TABLE}.points_total ;;
    value_format_name: decimal_0
  }

  dimension: previous_risk_score {
    type: number
    label: "Previous week's risk score"
    description: "risk_score of the previous ISO week; NULL when the apprentice was not scored that week."
    sql: ${TABLE}.previous_risk_score ;;
    value_format_name: decimal_0
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
    fields: [week_start_date, apprentice_name, cohort_name, current_progression_status, risk_band, risk_score, points_status, points_attendance, points_attendance_drop, points_attendance_trend, points_missed_sessions, points_quiz, points_quiz_drop, points_quiz_activity, points_otj, points_otj_drop, points_otj_trend, points_otj_gap, points_inactivity, points_feedback]
  }
}

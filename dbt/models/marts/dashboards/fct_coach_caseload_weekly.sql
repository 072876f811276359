{{
    config(
        materialized='incremental',
        incremental_strategy=pipeline_health.incremental_strategy(),
        unique_key='week_start_date',
        partition_by=pipeline_health.partition_by_day('week_start_date'),
        partitions=pipeline_health.weekly_partitions(),
        cluster_by=['coach_id', 'apprentice_id'],
        pre_hook="{{ pipeline_health.delete_weekly_window('week_start_date') }}",
    )
}}

{#-
    A coach's caseload per ISO week: every apprentice in learning at the week's end (the
    rows of fct_apprentice_risk_weekly) with why they are at risk (each factor's points and
    the measure behind it, as text too), their recent trend (scores of the last 8 weeks,
    weeks in the current band) and the last contact with a coach. Definitions in
    _dashboards.yml. Reads only marts; every week depends on the data alone, so weeks can
    be rebuilt in any order.
-#}

{%- set window = pipeline_health.weekly_window() -%}
{#- Streaks are counted over this many weeks (the sparkline needs 8). -#}
{%- set streak_weeks = 26 -%}
{%- set history_start = window.start - modules.datetime.timedelta(weeks=streak_weeks - 1) -%}

with

risk_history as (

    select
        apprentice_id,
        week_start_date,
        risk_score,
        risk_band
    from {{ ref('fct_apprentice_risk_weekly') }}
    where week_start_date <= {{ pipeline_health.date_literal(window.end) }}
        {%- if is_incremental() %}
        and week_start_date >= {{ pipeline_health.date_literal(history_start) }}
        {%- endif %}

),

risk as (

    select *
    from {{ ref('fct_apprentice_risk_weekly') }}
    where {{ pipeline_health.in_weekly_window('week_start_date') }}

),

daily as (

    select
        apprentice_id,
        as_of_date,
        last_contact_date
    from {{ ref('fct_apprentice_daily') }}
    where is_iso_week_end
        and as_of_date <= {{ pipeline_health.date_literal(pipeline_health.week_end_of(window.end)) }}
        {%- if is_incremental() %}
        and as_of_date >= {{ pipeline_health.date_literal(pipeline_health.week_end_of(window.start)) }}
        {%- endif %}

),

{# Islands of consecutive weeks in one band: week index minus rank within the band. -#}
banded_weeks as (

    select
        apprentice_id,
        week_start_date,
        risk_band,
        (
            cast({{ pipeline_health.day_number('week_start_date') }} / 7 as {{ pipeline_health.type_integer() }})
            - row_number() over (partition by apprentice_id, risk_band order by week_start_date)
        ) as island
    from risk_history

),

streaks as (

    select
        apprentice_id,
        week_start_date,
        {#- Capped so a first build and an incremental run (26 weeks of history) agree. -#}
        cast(least({{ streak_weeks }}, row_number() over (
            partition by apprentice_id, risk_band, island
            order by week_start_date
        )) as {{ pipeline_health.type_integer() }}) as weeks_in_current_band
    from banded_weeks

),

{# Scores of the 8 weeks ending with each window week (NULL where not scored). -#}
recent_scores as (

    select
        risk.apprentice_id,
        risk.week_start_date,
        {%- for weeks_back in range(7, -1, -1) %}
        max(case
            when risk_history.week_start_date = {{ pipeline_health.add_days('risk.week_start_date', -7 * weeks_back) }}
                then risk_history.risk_score
        end) as score_{{ weeks_back }}_weeks_back
        {%- if not loop.last %},{% endif %}
        {%- endfor %}
    from risk
    inner join risk_history
        on risk.apprentice_id = risk_history.apprentice_id
        and risk_history.week_start_date >= {{ pipeline_health.add_days('risk.week_start_date', -49) }}
        and risk_history.week_start_date <= risk.week_start_date
    group by risk.apprentice_id, risk.week_start_date

),

{# One row per factor with points, to order the reasons by their weight. -#}
factor_rows as (

    {%- set int = pipeline_health.type_integer() -%}
    {%- set str = pipeline_health.type_string() -%}
    {#- Whole percent / whole number of a measure, as text. -#}
    {%- set pct = "concat(cast(cast(round(MEASURE * 100) as " ~ int ~ ") as " ~ str ~ "), '%')" -%}
    {%- set whole = "cast(cast(round(MEASURE) as " ~ int ~ ") as " ~ str ~ ")" -%}
    {#- (factor, tie-break rank: engagement first, the recorded status last; reason text without the points) -#}
    {%- set factors = [
        ('attendance', 1, "concat('Attendance ', coalesce(" ~ (pct | replace('MEASURE', 'attendance_rate_last_30d')) ~ ", 'unknown'), ' (30 days)')"),
        ('attendance_drop', 2, "coalesce(concat('Attendance ', " ~ (pct | replace('MEASURE', 'attendance_rate_last_4_weeks')) ~ ", ' in the last 4 weeks vs ', " ~ (pct | replace('MEASURE', 'attendance_rate_prior_8_weeks')) ~ ", ' before'), 'Attendance vs own baseline unknown')"),
        ('attendance_trend', 3, "coalesce(concat('Attendance trend ', " ~ (whole | replace('MEASURE', 'attendance_trend_6_weeks * 100')) ~ ", ' points a week (6 weeks)'), 'Attendance trend unknown')"),
        ('missed_sessions', 4, "coalesce(concat(cast(sessions_missed_in_a_row as " ~ str ~ "), ' sessions missed in a row'), 'Missed sessions unknown')"),
        ('quiz', 5, "case when quiz_score_avg_last_30d is null then 'No quiz in 30 days' else concat('Quiz average ', " ~ (whole | replace('MEASURE', 'quiz_score_avg_last_30d')) ~ ", ' (30 days)') end"),
        ('quiz_drop', 6, "coalesce(concat('Quiz average ', " ~ (whole | replace('MEASURE', 'quiz_score_avg_last_4_weeks')) ~ ", ' in the last 4 weeks vs ', " ~ (whole | replace('MEASURE', 'quiz_score_avg_prior_8_weeks')) ~ ", ' before'), 'Quiz vs own baseline unknown')"),
        ('quiz_activity', 7, "coalesce(concat('Quiz attempts ', " ~ (pct | replace('MEASURE', 'quiz_attempts_ratio_vs_prior')) ~ ", ' of usual (last 4 weeks vs 8 before)'), 'Quiz activity vs own baseline unknown')"),
        ('otj', 8, "concat('Off-the-job hours ', coalesce(concat(" ~ (pct | replace('MEASURE', 'otj_plan_attainment_last_30d')) ~ ", ' of plan'), 'unknown'), ' (30 days)')"),
        ('otj_drop', 9, "coalesce(concat('Off-the-job hours ', " ~ (pct | replace('MEASURE', 'otj_ratio_vs_prior')) ~ ", ' of usual (last 4 weeks vs 8 before)'), 'Off-the-job vs own baseline unknown')"),
        ('otj_trend', 10, "coalesce(concat('Off-the-job trend ', " ~ (whole | replace('MEASURE', 'otj_trend_6_weeks * 100')) ~ ", '% of plan a week (6 weeks)'), 'Off-the-job trend unknown')"),
        ('otj_gap', 11, "coalesce(concat(cast(weeks_without_otj_in_a_row as " ~ str ~ "), ' weeks in a row without off-the-job hours'), 'Off-the-job gap unknown')"),
        ('inactivity', 12, "coalesce(concat(cast(weeks_inactive_in_a_row as " ~ str ~ "), ' weeks in a row with no session, quiz or off-the-job hours'), 'Inactivity unknown')"),
        ('feedback', 13, "coalesce(concat('Last coach contact ', cast(days_since_last_contact as " ~ str ~ "), ' days ago'), 'No coach contact recorded')"),
        ('status', 14, "concat('Status ', coalesce(current_progression_status, 'unknown'))"),
    ] %}
    {%- for factor, rank, reason_text in factors %}
    select
        apprentice_id,
        week_start_date,
        '{{ factor }}' as factor,
        {{ rank }} as factor_rank,
        points_{{ factor }} as points,
        concat({{ reason_text }}, ' (', cast(points_{{ factor }} as {{ str }}), ' pts)') as reason
    from risk
    where points_{{ factor }} > 0
    {{ "union all" if not loop.last }}
    {%- endfor %}

),

reasons as (

    select
        apprentice_id,
        week_start_date,
        string_agg(reason, '; ' order by points desc, factor_rank asc) as risk_reasons
    from factor_rows
    group by apprentice_id, week_start_date

),

top_factor as (

    select
        apprentice_id,
        week_start_date,
        factor as top_risk_factor
    from factor_rows
    where true
    qualify
        row_number() over (
            partition by apprentice_id, week_start_date
            order by points desc, factor_rank asc
        ) = 1

),

final as (

    select
        risk.week_start_date,
        risk.week_end_date,
        risk.apprentice_id,
        risk.apprentice_name,
        risk.coach_id,
        risk.coach_name,
        risk.coach_email,
        risk.programme_id,
        risk.programme_name,
        risk.cohort_id,
        risk.cohort_name,
        risk.current_progression_status,
        risk.risk_score,
        risk.risk_band,
        risk.previous_risk_band,
        risk.is_newly_red,
        streaks.weeks_in_current_band,
        risk.points_attendance,
        risk.attendance_rate_last_30d,
        risk.points_quiz,
        risk.quiz_score_avg_last_30d,
        risk.points_feedback,
        risk.days_since_last_feedback,
        risk.points_status,
        risk.points_otj,
        risk.otj_plan_attainment_last_30d,
        risk.days_since_last_contact,
        risk.points_attendance_drop,
        risk.attendance_change_vs_prior,
        risk.points_attendance_trend,
        risk.attendance_trend_6_weeks,
        risk.points_missed_sessions,
        risk.sessions_missed_in_a_row,
        risk.points_quiz_drop,
        risk.quiz_change_vs_prior,
        risk.points_quiz_activity,
        risk.quiz_attempts_ratio_vs_prior,
        risk.points_otj_drop,
        risk.otj_ratio_vs_prior,
        risk.points_otj_trend,
        risk.otj_trend_6_weeks,
        risk.points_otj_gap,
        risk.weeks_without_otj_in_a_row,
        risk.points_inactivity,
        risk.weeks_inactive_in_a_row,
        top_factor.top_risk_factor,
        coalesce(reasons.risk_reasons, '') as risk_reasons,
        daily.last_contact_date,
        concat(
            {%- for weeks_back in range(7, -1, -1) %}
            coalesce(cast(recent_scores.score_{{ weeks_back }}_weeks_back as {{ str }}), '')
            {%- if not loop.last %}, ',',{% endif %}
            {%- endfor %}
        ) as risk_scores_last_8_weeks
    from risk
    left join streaks
        on risk.apprentice_id = streaks.apprentice_id
        and risk.week_start_date = streaks.week_start_date
    left join recent_scores
        on risk.apprentice_id = recent_scores.apprentice_id
        and risk.week_start_date = recent_scores.week_start_date
    left join reasons
        on risk.apprentice_id = reasons.apprentice_id
        and risk.week_start_date = reasons.week_start_date
    left join top_factor
        on risk.apprentice_id = top_factor.apprentice_id
        and risk.week_start_date = top_factor.week_start_date
    left join daily
        on risk.apprentice_id = daily.apprentice_id
        and risk.week_end_date = daily.as_of_date

)

select * from final

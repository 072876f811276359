{{
    config(
        materialized='incremental',
        incremental_strategy=pipeline_health.incremental_strategy(),
        unique_key='week_start_date',
        partition_by=pipeline_health.partition_by_day('week_start_date'),
        partitions=pipeline_health.weekly_partitions(),
        cluster_by=['coach_id', 'apprentice_id'],
        pre_hook=[
            "{{ pipeline_health.assert_daily_mart_reaches(pipeline_health.week_end_of(pipeline_health.weekly_window().end)) }}",
            "{{ pipeline_health.delete_weekly_window('week_start_date') }}",
        ],
    )
}}

{#-
    One row per apprentice per ISO week for apprentices in learning at the week's end
    (their fct_apprentice_daily row of the Sunday), with a transparent risk score. The
    points come from var risk_scoring (dbt_project.yml) through macros/risk/risk_scoring.sql.
    Definitions are in _risk.yml. The previous week's band is recomputed here from the daily
    mart (not read from this table), so every week depends on the data alone and weeks can
    be rebuilt in any order.
-#}

{%- set window = pipeline_health.weekly_window() -%}
{%- set last_week_end = pipeline_health.week_end_of(window.end) -%}
{#- The Sunday before the window: the previous week of the window's first week. -#}
{%- set previous_week_end = window.start - modules.datetime.timedelta(days=1) -%}

with

week_end_rows as (

    select
        apprentice_id,
        iso_week_start_date as week_start_date,
        as_of_date as week_end_date,
        coach_id,
        programme_id,
        cohort_id,
        employer_id,
        current_progression_status,
        attendance_rate_last_30d,
        quiz_score_avg_last_30d,
        days_since_last_feedback,
        otj_hours_last_30d,
        otj_hours_planned_last_30d
    from {{ ref('fct_apprentice_daily') }}
    where is_iso_week_end
        and as_of_date <= {{ pipeline_health.date_literal(last_week_end) }}
        {%- if is_incremental() %}
        and as_of_date >= {{ pipeline_health.date_literal(previous_week_end) }}
        {%- endif %}

),

apprentices as (

    select apprentice_id, full_name as apprentice_name
    from {{ ref('dim_apprentice') }}

),

coaches as (

    select coach_id, coach_name, coach_email
    from {{ ref('dim_coach') }}

),

programmes as (

    select programme_id, programme_name
    from {{ ref('dim_programme') }}

),

cohorts as (

    select cohort_id, cohort_name
    from {{ ref('dim_cohort') }}

),

measures as (

    select
        *,
        case
            when otj_hours_planned_last_30d > 0
                then round(otj_hours_last_30d / otj_hours_planned_last_30d, 4)
        end as otj_plan_attainment_last_30d
    from week_end_rows

),

points as (

    select
        *,
        {{ pipeline_health.risk_factor_points('attendance', 'attendance_rate_last_30d') }} as points_attendance,
        {{ pipeline_health.risk_factor_points('quiz', 'quiz_score_avg_last_30d') }} as points_quiz,
        {{ pipeline_health.risk_factor_points('feedback', 'days_since_last_feedback') }} as points_feedback,
        {{ pipeline_health.risk_factor_points('status', 'current_progression_status') }} as points_status,
        {{ pipeline_health.risk_factor_points('otj', 'otj_plan_attainment_last_30d') }} as points_otj
    from measures

),

totals as (

    select
        *,
        points_attendance + points_quiz + points_feedback + points_status + points_otj as points_total
    from points

),

scored as (

    select
        *,
        {{ pipeline_health.risk_score('points_total') }} as risk_score
    from totals

),

banded as (

    select
        *,
        {{ pipeline_health.risk_band('risk_score') }} as risk_band
    from scored

),

{#- The apprentice's scored row of the ISO week before (NULL when not scored that week). -#}
with_previous as (

    select
        *,
        lag(week_start_date) over (partition by apprentice_id order by week_start_date) as lag_week_start_date,
        lag(risk_score) over (partition by apprentice_id order by week_start_date) as lag_risk_score,
        lag(risk_band) over (partition by apprentice_id order by week_start_date) as lag_risk_band
    from banded

),

final as (

    select
        with_previous.week_start_date,
        with_previous.week_end_date,
        with_previous.apprentice_id,
        apprentices.apprentice_name,
        with_previous.coach_id,
        coaches.coach_name,
        coaches.coach_email,
        with_previous.programme_id,
        programmes.programme_name,
        with_previous.cohort_id,
        cohorts.cohort_name,
        with_previous.employer_id,
        with_previous.current_progression_status,
        with_previous.attendance_rate_last_30d,
        with_previous.quiz_score_avg_last_30d,
        with_previous.days_since_last_feedback,
        with_previous.otj_hours_last_30d,
        with_previous.otj_hours_planned_last_30d,
        with_previous.otj_plan_attainment_last_30d,
        with_previous.points_attendance,
        with_previous.points_quiz,
        with_previous.points_feedback,
        with_previous.points_status,
        with_previous.points_otj,
        with_previous.points_total,
        with_previous.risk_score,
        with_previous.risk_band,
        case
            when with_previous.lag_week_start_date = {{ pipeline_health.add_days('with_previous.week_start_date', -7) }}
                then with_previous.lag_risk_score
        end as previous_risk_score,
        case
            when with_previous.lag_week_start_date = {{ pipeline_health.add_days('with_previous.week_start_date', -7) }}
                then with_previous.lag_risk_band
        end as previous_risk_band,
        with_previous.risk_band = 'Red'
            and not coalesce(
                with_previous.lag_week_start_date = {{ pipeline_health.add_days('with_previous.week_start_date', -7) }}
                and with_previous.lag_risk_band = 'Red',
                false
            ) as is_newly_red
    from with_previous
    left join apprentices
        on with_previous.apprentice_id = apprentices.apprentice_id
    left join coaches
        on with_previous.coach_id = coaches.coach_id
    left join programmes
        on with_previous.programme_id = programmes.programme_id
    left join cohorts
        on with_previous.cohort_id = cohorts.cohort_id
    where {{ pipeline_health.in_weekly_window('with_previous.week_start_date') }}

)

select * from final

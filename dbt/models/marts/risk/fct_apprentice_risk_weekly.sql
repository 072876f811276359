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
    Besides the 30-day levels, the measures compare each apprentice with their own earlier
    weeks (last 4 weeks vs the 8 before), follow trends over 6 weeks and streaks of missed
    sessions, of weeks without off-the-job hours and of weeks with no activity at all while
    some was expected, all from the daily mart's Sunday rows of the last 12 weeks (a week's _last_7d counts are its ISO week). A source the apprentice
    has none of (no session scheduled, no quiz, no OTJ plan, no coach contact ever) gives a
    NULL measure, which earns no points. Definitions are in _risk.yml. The previous week's
    band is recomputed here from the daily mart (not read from this table), so every week
    depends on the data alone and weeks can be rebuilt in any order.
-#}

{%- set window = pipeline_health.weekly_window() -%}
{%- set last_week_end = pipeline_health.week_end_of(window.end) -%}
{#- The Sunday before the window: the previous week of the window's first week. -#}
{%- set previous_week_end = window.start - modules.datetime.timedelta(days=1) -%}
{#-
    Signals compare the last 4 ISO weeks with the 8 before them and follow streaks, over at
    most 12 weeks (this week and the 11 before). An incremental run reads the week-end rows
    of those 12 weeks for the previous week too: 13 Sundays up to the window's first week.
-#}
{%- set history_weeks = 12 -%}
{%- set history_start = previous_week_end - modules.datetime.timedelta(weeks=history_weeks - 1) -%}
{%- set factors = pipeline_health.risk_factor_measures() -%}
{%- set week_index = "cast(" ~ pipeline_health.day_number('week_start_date') ~ " / 7 as "
    ~ pipeline_health.type_integer() ~ ")" -%}
{%- set dbl = pipeline_health.type_double() -%}
{#- Activity of any kind: an attended session, a quiz attempt or off-the-job hours logged. -#}
{%- set active_week = "(sessions_attended_last_7d > 0 or quiz_attempts_last_7d > 0 or otj_hours_last_7d > 0)" -%}

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
        last_contact_date,
        days_since_last_feedback,
        otj_hours_last_30d,
        otj_hours_planned_last_30d,
        sessions_scheduled_last_7d,
        sessions_attended_last_7d,
        quiz_attempts_last_7d,
        quiz_score_total_last_7d,
        otj_hours_last_7d,
        otj_hours_planned_last_7d
    from {{ ref('fct_apprentice_daily') }}
    where is_iso_week_end
        and as_of_date <= {{ pipeline_health.date_literal(last_week_end) }}
        {%- if is_incremental() %}
        and as_of_date >= {{ pipeline_health.date_literal(history_start) }}
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

{# Each week's own rates (NULL when the week had no session / no OTJ plan) and its index. -#}
weeks as (

    select
        *,
        {{ week_index }} as week_index,
        case
            when sessions_scheduled_last_7d > 0
                then cast(sessions_attended_last_7d as {{ dbl }}) / sessions_scheduled_last_7d
        end as week_attendance_rate,
        case
            when otj_hours_planned_last_7d > 0 then otj_hours_last_7d / otj_hours_planned_last_7d
        end as week_otj_attainment
    from week_end_rows

),

{#
    Sums over the last 4 weeks and the 8 before them, trend inputs over 6 weeks, and running
    counts that start a new island at every week with an attended session / OTJ hours.
    RANGE frames on the week index, so a week missing from the data is a gap, not a shift.
-#}
rolling as (

    select
        *,
        sum(sessions_scheduled_last_7d) over last_4 as sessions_scheduled_last_4_weeks,
        sum(sessions_attended_last_7d) over last_4 as sessions_attended_last_4_weeks,
        sum(sessions_scheduled_last_7d) over prior_8 as sessions_scheduled_prior_8_weeks,
        sum(sessions_attended_last_7d) over prior_8 as sessions_attended_prior_8_weeks,
        sum(sessions_scheduled_last_7d) over last_12 as sessions_scheduled_last_12_weeks,
        sum(quiz_attempts_last_7d) over last_4 as quiz_attempts_last_4_weeks,
        sum(quiz_score_total_last_7d) over last_4 as quiz_score_total_last_4_weeks,
        sum(quiz_attempts_last_7d) over prior_8 as quiz_attempts_prior_8_weeks,
        sum(quiz_score_total_last_7d) over prior_8 as quiz_score_total_prior_8_weeks,
        count(*) over last_4 as weeks_last_4_weeks,
        count(*) over prior_8 as weeks_prior_8_weeks,
        sum(otj_hours_last_7d) over last_4 as otj_hours_last_4_weeks,
        sum(otj_hours_planned_last_7d) over last_4 as otj_hours_planned_last_4_weeks,
        sum(otj_hours_last_7d) over prior_8 as otj_hours_prior_8_weeks,
        sum(otj_hours_planned_last_7d) over prior_8 as otj_hours_planned_prior_8_weeks,
        sum(otj_hours_planned_last_7d) over last_12 as otj_hours_planned_last_12_weeks,
        count(week_attendance_rate) over last_6 as attendance_trend_weeks,
        covar_pop(week_index, week_attendance_rate) over last_6 as attendance_trend_covariance,
        var_pop(case when week_attendance_rate is not null then week_index end) over last_6
            as attendance_trend_variance,
        count(week_otj_attainment) over last_6 as otj_trend_weeks,
        covar_pop(week_index, week_otj_attainment) over last_6 as otj_trend_covariance,
        var_pop(case when week_otj_attainment is not null then week_index end) over last_6
            as otj_trend_variance,
        sum(case when sessions_attended_last_7d > 0 then 1 else 0 end) over (
            partition by apprentice_id order by week_index rows between unbounded preceding and current row
        ) as attended_weeks_so_far,
        sum(case when otj_hours_last_7d > 0 then 1 else 0 end) over (
            partition by apprentice_id order by week_index rows between unbounded preceding and current row
        ) as otj_weeks_so_far,
        sum(case when {{ active_week }} then 1 else 0 end) over (
            partition by apprentice_id order by week_index rows between unbounded preceding and current row
        ) as active_weeks_so_far
    from weeks
    window
        last_4 as (partition by apprentice_id order by week_index range between 3 preceding and current row),
        prior_8 as (partition by apprentice_id order by week_index range between 11 preceding and 4 preceding),
        last_6 as (partition by apprentice_id order by week_index range between 5 preceding and current row),
        last_12 as (partition by apprentice_id order by week_index range between 11 preceding and current row)

),

{#
    Streaks within the last 12 weeks: sessions missed since the last week with an attended
    session (weeks without a session neither extend nor end it); weeks in learning with
    an OTJ plan but no hours since the last week with hours; and weeks with something
    expected (a session scheduled or OTJ hours planned) but no activity of any kind since the
    last active week (a week with nothing expected and nothing done neither extends nor
    ends it). The last one sees a break in learning too, where sessions stop but the
    off-the-job plan runs on, and an apprentice who stops everything at once.
-#}
streaks as (

    select
        *,
        sum(case when sessions_attended_last_7d = 0 then sessions_scheduled_last_7d else 0 end) over (
            partition by apprentice_id, attended_weeks_so_far
            order by week_index range between 11 preceding and current row
        ) as sessions_missed_streak,
        sum(case when otj_hours_planned_last_7d > 0 and otj_hours_last_7d = 0 then 1 else 0 end) over (
            partition by apprentice_id, otj_weeks_so_far
            order by week_index range between 11 preceding and current row
        ) as weeks_without_otj_streak,
        sum(
            case
                when not {{ active_week }} and (sessions_scheduled_last_7d > 0 or otj_hours_planned_last_7d > 0)
                    then 1
                else 0
            end
        ) over (
            partition by apprentice_id, active_weeks_so_far
            order by week_index range between 11 preceding and current row
        ) as weeks_inactive_streak
    from rolling

),

measures as (

    select
        *,
        case
            when otj_hours_planned_last_30d > 0
                then round(otj_hours_last_30d / otj_hours_planned_last_30d, 4)
        end as otj_plan_attainment_last_30d,
        {#- No coach contact ever recorded: unknown, not a clock running since the start. #}
        case when last_contact_date is not null then days_since_last_feedback end as days_since_last_contact,
        case
            when sessions_scheduled_last_4_weeks > 0
                then round(cast(sessions_attended_last_4_weeks as {{ dbl }}) / sessions_scheduled_last_4_weeks, 4)
        end as attendance_rate_last_4_weeks,
        case
            when sessions_scheduled_prior_8_weeks > 0
                then round(cast(sessions_attended_prior_8_weeks as {{ dbl }}) / sessions_scheduled_prior_8_weeks, 4)
        end as attendance_rate_prior_8_weeks,
        case
            when sessions_scheduled_last_4_weeks > 0 and sessions_scheduled_prior_8_weeks > 0
                then round(
                    cast(sessions_attended_last_4_weeks as {{ dbl }}) / sessions_scheduled_last_4_weeks
                    - cast(sessions_attended_prior_8_weeks as {{ dbl }}) / sessions_scheduled_prior_8_weeks,
                    4
                )
        end as attendance_change_vs_prior,
        case
            when attendance_trend_weeks >= 3 and attendance_trend_variance > 0
                then round(attendance_trend_covariance / attendance_trend_variance, 4)
        end as attendance_trend_6_weeks,
        case
            when sessions_scheduled_last_12_weeks > 0 then sessions_missed_streak
        end as sessions_missed_in_a_row,
        case
            when quiz_attempts_last_4_weeks > 0
                then round(quiz_score_total_last_4_weeks / quiz_attempts_last_4_weeks, 2)
        end as quiz_score_avg_last_4_weeks,
        case
            when quiz_attempts_prior_8_weeks > 0
                then round(quiz_score_total_prior_8_weeks / quiz_attempts_prior_8_weeks, 2)
        end as quiz_score_avg_prior_8_weeks,
        case
            when quiz_attempts_last_4_weeks > 0 and quiz_attempts_prior_8_weeks > 0
                then round(
                    quiz_score_total_last_4_weeks / quiz_attempts_last_4_weeks
                    - quiz_score_total_prior_8_weeks / quiz_attempts_prior_8_weeks,
                    2
                )
        end as quiz_change_vs_prior,
        {#- Attempts per week in learning, last 4 weeks vs the 8 before; NULL without earlier attempts. #}
        case
            when quiz_attempts_prior_8_weeks > 0
                then round(
                    (cast(quiz_attempts_last_4_weeks as {{ dbl }}) / weeks_last_4_weeks)
                    / (cast(quiz_attempts_prior_8_weeks as {{ dbl }}) / weeks_prior_8_weeks),
                    4
                )
        end as quiz_attempts_ratio_vs_prior,
        case
            when otj_hours_planned_last_4_weeks > 0
                then round(otj_hours_last_4_weeks / otj_hours_planned_last_4_weeks, 4)
        end as otj_plan_attainment_last_4_weeks,
        case
            when otj_hours_planned_prior_8_weeks > 0
                then round(otj_hours_prior_8_weeks / otj_hours_planned_prior_8_weeks, 4)
        end as otj_plan_attainment_prior_8_weeks,
        case
            when otj_hours_planned_last_4_weeks > 0 and otj_hours_planned_prior_8_weeks > 0
                and otj_hours_prior_8_weeks > 0
                then round(
                    (otj_hours_last_4_weeks / otj_hours_planned_last_4_weeks)
                    / (otj_hours_prior_8_weeks / otj_hours_planned_prior_8_weeks),
                    4
                )
        end as otj_ratio_vs_prior,
        case
            when otj_trend_weeks >= 3 and otj_trend_variance > 0
                then round(otj_trend_covariance / otj_trend_variance, 4)
        end as otj_trend_6_weeks,
        case
            when otj_hours_planned_last_12_weeks > 0 then weeks_without_otj_streak
        end as weeks_without_otj_in_a_row,
        {#- NULL when nothing was expected in 12 weeks: no session, no OTJ plan (unknown). #}
        case
            when sessions_scheduled_last_12_weeks > 0 or otj_hours_planned_last_12_weeks > 0
                then weeks_inactive_streak
        end as weeks_inactive_in_a_row
    from streaks

),

points as (

    {#- sqlfluff misreads the indentation of a loop over multi-line macro output. #}
    -- noqa: disable=LT02
    select
        *,
        {%- for factor, measure in factors.items() %}
        {{ pipeline_health.risk_factor_points(factor, measure) }} as points_{{ factor }}{{ "," if not loop.last }}
        {%- endfor %}
    from measures
    -- noqa: enable=LT02

),

totals as (

    select
        *,
        {%- for factor in factors %}
        {{ "+ " if not loop.first }}points_{{ factor }}
        {%- endfor %}
            as points_total
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

{# The apprentice's scored row of the ISO week before (NULL when not scored that week). -#}
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
        with_previous.last_contact_date,
        with_previous.days_since_last_contact,
        with_previous.attendance_rate_last_4_weeks,
        with_previous.attendance_rate_prior_8_weeks,
        with_previous.attendance_change_vs_prior,
        with_previous.points_attendance_drop,
        with_previous.attendance_trend_6_weeks,
        with_previous.points_attendance_trend,
        with_previous.sessions_missed_in_a_row,
        with_previous.points_missed_sessions,
        with_previous.quiz_score_avg_last_4_weeks,
        with_previous.quiz_score_avg_prior_8_weeks,
        with_previous.quiz_change_vs_prior,
        with_previous.points_quiz_drop,
        with_previous.quiz_attempts_ratio_vs_prior,
        with_previous.points_quiz_activity,
        with_previous.otj_plan_attainment_last_4_weeks,
        with_previous.otj_plan_attainment_prior_8_weeks,
        with_previous.otj_ratio_vs_prior,
        with_previous.points_otj_drop,
        with_previous.otj_trend_6_weeks,
        with_previous.points_otj_trend,
        with_previous.weeks_without_otj_in_a_row,
        with_previous.points_otj_gap,
        with_previous.weeks_inactive_in_a_row,
        with_previous.points_inactivity,
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
        (
            with_previous.risk_band = 'Red'
            and not coalesce(
                with_previous.lag_week_start_date = {{ pipeline_health.add_days('with_previous.week_start_date', -7) }}
                and with_previous.lag_risk_band = 'Red',
                false
            )
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

{#- require_partition_filter (BigQuery): one of the largest facts, so a query must name the days
    it reads (see macros/tests/partition_window.sql). -#}
{{
    config(
        materialized='incremental',
        incremental_strategy=pipeline_health.incremental_strategy(),
        unique_key='as_of_date',
        partition_by=pipeline_health.partition_by_day('as_of_date'),
        partitions=pipeline_health.window_partitions('daily'),
        require_partition_filter=true,
        cluster_by=['coach_id', 'apprentice_id'],
        pre_hook="{{ pipeline_health.delete_window('as_of_date', 'daily') }}",
    )
}}

{#-
    One row per apprentice per as_of_date while in learning. Metric definitions are in
    _progression.yml. Every event counts for an as_of date only once it is both dated on
    or before as_of_date and loaded by as_of_date + lookback_days, so a row depends on the
    data alone, not on which run computed it last.
-#}

{%- set window = pipeline_health.daily_window() -%}
{%- set lookback = pipeline_health.lookback_days() -%}
{%- set state_source = pipeline_health.daily_state_source() -%}
{%- set day_before_window = window.start - modules.datetime.timedelta(days=1) -%}
{%- set last_load_date = window.end + modules.datetime.timedelta(days=lookback) -%}
{#- First day of the 7 days to as_of_date (the _last_7d counts, inside the 30-day windows). -#}
{%- set first_of_7_days = pipeline_health.add_days('in_learning.as_of_date', -6) -%}

{%- set fact_filter = "load_date <= " ~ pipeline_health.date_literal(last_load_date) -%}
{%- if state_source == 'carry' -%}
    {%- set first_load_date = window.start - modules.datetime.timedelta(days=29) -%}
    {%- set fact_filter = "load_date between " ~ pipeline_health.date_literal(first_load_date)
        ~ " and " ~ pipeline_health.date_literal(last_load_date) -%}
{%- endif -%}

with

apprentices as (

    select apprentice_id, coach_id, programme_id, cohort_id, employer_id, start_date
    from {{ ref('dim_apprentice') }}
    where not is_unknown_member

),

programmes as (

    select programme_id, otj_hours_per_week
    from {{ ref('dim_programme') }}

),

sessions as (

    select apprentice_id, session_date as event_date, is_attended, load_date
    from {{ ref('fct_session_attendance') }}
    where {{ fact_filter }}

),

quiz_attempts as (

    select apprentice_id, attempted_date as event_date, score, load_date
    from {{ ref('fct_quiz_attempts') }}
    where {{ fact_filter }}

),

otj_logs as (

    select apprentice_id, logged_date as event_date, otj_hours, load_date
    from {{ ref('fct_otj_hours') }}
    where {{ fact_filter }}

),

contacts as (

    select apprentice_id, contact_date as event_date, load_date
    from {{ ref('fct_coach_contacts') }}
    where {{ fact_filter }}

),

status_changes as (

    select apprentice_id, status_change_id, changed_at, changed_date, to_status, load_date
    from {{ ref('fct_status_changes') }}
    where {{ fact_filter }}

),

{# State carried from this table's own rows on the day before the window (carry mode). -#}
previous_day as (

    {%- if state_source == 'carry' %}
    select
        apprentice_id,
        current_progression_status,
        status_changed_at,
        status_change_id,
        last_contact_date
    from {{ this }}
    where as_of_date = {{ pipeline_health.date_literal(day_before_window) }}
    {%- else %}
    select
        cast(null as {{ pipeline_health.type_string() }}) as apprentice_id,
        cast(null as {{ pipeline_health.type_string() }}) as current_progression_status,
        cast(null as timestamp) as status_changed_at,
        cast(null as {{ pipeline_health.type_string() }}) as status_change_id,
        cast(null as date) as last_contact_date
    from apprentices
    where false
    {%- endif %}

),

{# First and last as_of_date to build. -#}
as_of_bounds as (

    {%- if state_source == 'carry' %}
    select
        {{ pipeline_health.date_literal(window.start) }} as first_as_of_date,
        {{ pipeline_health.date_literal(window.end) }} as last_as_of_date
    {%- else %}
    select
        {%- if state_source == 'history' %}
        case
            when min(load_date) > {{ pipeline_health.date_literal(window.start) }} then min(load_date)
            else {{ pipeline_health.date_literal(window.start) }}
        end as first_as_of_date,
        {%- else %}
        min(load_date) as first_as_of_date,
        {%- endif %}
        {{ pipeline_health.date_literal(window.end) }} as last_as_of_date
    from (
        select load_date from sessions
        union all select load_date from quiz_attempts
        union all select load_date from otj_logs
        union all select load_date from contacts
        union all select load_date from status_changes
    ) as loaded_days
    {%- endif %}

),

as_of_dates as (

    {{ pipeline_health.date_series('as_of_bounds', 'first_as_of_date', 'last_as_of_date') }}

),

{# Every apprentice on every as_of date on or after their start. -#}
started_apprentice_days as (

    select
        apprentices.apprentice_id,
        apprentices.coach_id,
        apprentices.programme_id,
        apprentices.cohort_id,
        apprentices.employer_id,
        apprentices.start_date,
        as_of_dates.date_day as as_of_date
    from apprentices
    inner join as_of_dates
        on apprentices.start_date <= as_of_dates.date_day

),

status_candidates as (

    select
        apprentice_id,
        status_change_id,
        changed_at,
        changed_date,
        to_status,
        {{ pipeline_health.add_days('load_date', -lookback) }} as visible_from_load
    from status_changes

    union all

    select
        apprentice_id,
        status_change_id,
        status_changed_at as changed_at,
        {{ pipeline_health.utc_date('status_changed_at') }} as changed_date,
        current_progression_status as to_status,
        cast(null as date) as visible_from_load
    from previous_day
    where status_changed_at is not null

),

{# Status changes known on each as_of date, latest first. -#}
known_status_changes as (

    select
        started_apprentice_days.apprentice_id,
        started_apprentice_days.as_of_date,
        status_candidates.to_status,
        status_candidates.changed_at,
        status_candidates.status_change_id,
        row_number() over (
            partition by started_apprentice_days.apprentice_id, started_apprentice_days.as_of_date
            order by status_candidates.changed_at desc, status_candidates.status_change_id desc
        ) as recency_rank
    from started_apprentice_days
    inner join status_candidates
        on started_apprentice_days.apprentice_id = status_candidates.apprentice_id
        and status_candidates.changed_date <= started_apprentice_days.as_of_date
        and (
            status_candidates.visible_from_load is null
            or status_candidates.visible_from_load <= started_apprentice_days.as_of_date
        )

),

{# Exit statuses (Withdrawn, Completed, Promoted) are final: from that day on the apprentice is out of learning. -#}
exited as (

    select distinct apprentice_id, as_of_date
    from known_status_changes
    where to_status in {{ pipeline_health.status_list(pipeline_health.exit_statuses()) }}

),

latest_status as (

    select apprentice_id, as_of_date, to_status, changed_at, status_change_id
    from known_status_changes
    where recency_rank = 1

),

in_learning as (

    select started_apprentice_days.*
    from started_apprentice_days
    left join exited
        on started_apprentice_days.apprentice_id = exited.apprentice_id
        and started_apprentice_days.as_of_date = exited.as_of_date
    where exited.apprentice_id is null

),

session_window as (

    select
        in_learning.apprentice_id,
        in_learning.as_of_date,
        count(*) as sessions_scheduled,
        count(case when sessions.is_attended then 1 end) as sessions_attended,
        count(case when sessions.event_date >= {{ first_of_7_days }} then 1 end) as sessions_scheduled_7d,
        count(case when sessions.event_date >= {{ first_of_7_days }} and sessions.is_attended then 1 end)
            as sessions_attended_7d
    from in_learning
    inner join sessions
        on in_learning.apprentice_id = sessions.apprentice_id
        and sessions.event_date >= {{ pipeline_health.add_days('in_learning.as_of_date', -29) }}
        and sessions.event_date <= in_learning.as_of_date
        and sessions.load_date <= {{ pipeline_health.add_days('in_learning.as_of_date', lookback) }}
    group by in_learning.apprentice_id, in_learning.as_of_date

),

quiz_window as (

    select
        in_learning.apprentice_id,
        in_learning.as_of_date,
        count(*) as quiz_attempts,
        avg(quiz_attempts.score) as quiz_score_avg,
        count(case when quiz_attempts.event_date >= {{ first_of_7_days }} then 1 end) as quiz_attempts_7d,
        sum(case when quiz_attempts.event_date >= {{ first_of_7_days }} then quiz_attempts.score end)
            as quiz_score_total_7d
    from in_learning
    inner join quiz_attempts
        on in_learning.apprentice_id = quiz_attempts.apprentice_id
        and quiz_attempts.event_date >= {{ pipeline_health.add_days('in_learning.as_of_date', -29) }}
        and quiz_attempts.event_date <= in_learning.as_of_date
        and quiz_attempts.load_date <= {{ pipeline_health.add_days('in_learning.as_of_date', lookback) }}
    group by in_learning.apprentice_id, in_learning.as_of_date

),

otj_window as (

    select
        in_learning.apprentice_id,
        in_learning.as_of_date,
        count(*) as otj_logs,
        sum(otj_logs.otj_hours) as otj_hours,
        sum(case when otj_logs.event_date >= {{ first_of_7_days }} then otj_logs.otj_hours end) as otj_hours_7d
    from in_learning
    inner join otj_logs
        on in_learning.apprentice_id = otj_logs.apprentice_id
        and otj_logs.event_date >= {{ pipeline_health.add_days('in_learning.as_of_date', -29) }}
        and otj_logs.event_date <= in_learning.as_of_date
        and otj_logs.load_date <= {{ pipeline_health.add_days('in_learning.as_of_date', lookback) }}
    group by in_learning.apprentice_id, in_learning.as_of_date

),

{#
    Latest contact known on each as_of date, as a running maximum: a contact becomes known
    on the later of its date and its load_date - lookback_days.
-#}
contact_timeline as (

    select
        apprentice_id,
        case
            when event_date >= {{ pipeline_health.add_days('load_date', -lookback) }} then event_date
            else {{ pipeline_health.add_days('load_date', -lookback) }}
        end as timeline_date,
        0 as row_kind,
        event_date as contact_date
    from contacts

    union all

    select
        apprentice_id,
        {{ pipeline_health.date_literal(day_before_window) }} as timeline_date,
        0 as row_kind,
        last_contact_date as contact_date
    from previous_day
    where last_contact_date is not null

    union all

    select
        apprentice_id,
        as_of_date as timeline_date,
        1 as row_kind,
        cast(null as date) as contact_date
    from in_learning

),

last_contact as (

    select
        apprentice_id,
        timeline_date as as_of_date,
        row_kind,
        max(contact_date) over (
            partition by apprentice_id
            order by timeline_date, row_kind
            rows between unbounded preceding and current row
        ) as last_contact_date
    from contact_timeline

),

joined as (

    select
        in_learning.apprentice_id,
        in_learning.as_of_date,
        in_learning.coach_id,
        in_learning.programme_id,
        in_learning.cohort_id,
        in_learning.employer_id,
        in_learning.start_date,
        latest_status.to_status,
        latest_status.changed_at as status_changed_at,
        latest_status.status_change_id,
        last_contact.last_contact_date,
        coalesce(session_window.sessions_scheduled, 0) as sessions_scheduled,
        coalesce(session_window.sessions_attended, 0) as sessions_attended,
        coalesce(session_window.sessions_scheduled_7d, 0) as sessions_scheduled_7d,
        coalesce(session_window.sessions_attended_7d, 0) as sessions_attended_7d,
        coalesce(quiz_window.quiz_attempts, 0) as quiz_attempts,
        quiz_window.quiz_score_avg,
        coalesce(quiz_window.quiz_attempts_7d, 0) as quiz_attempts_7d,
        quiz_window.quiz_score_total_7d,
        coalesce(otj_window.otj_logs, 0) as otj_logs,
        coalesce(otj_window.otj_hours, 0) as otj_hours,
        coalesce(otj_window.otj_hours_7d, 0) as otj_hours_7d,
        programmes.otj_hours_per_week,
        {{ pipeline_health.days_between(
            'case when in_learning.start_date > ' ~ pipeline_health.add_days('in_learning.as_of_date', -29)
            ~ ' then in_learning.start_date else ' ~ pipeline_health.add_days('in_learning.as_of_date', -29) ~ ' end',
            'in_learning.as_of_date') }} + 1 as days_in_learning_last_30d,
        {{ pipeline_health.days_between(
            'case when in_learning.start_date > ' ~ pipeline_health.add_days('in_learning.as_of_date', -6)
            ~ ' then in_learning.start_date else ' ~ pipeline_health.add_days('in_learning.as_of_date', -6) ~ ' end',
            'in_learning.as_of_date') }} + 1 as days_in_learning_last_7d
    from in_learning
    left join latest_status
        on in_learning.apprentice_id = latest_status.apprentice_id
        and in_learning.as_of_date = latest_status.as_of_date
    left join last_contact
        on in_learning.apprentice_id = last_contact.apprentice_id
        and in_learning.as_of_date = last_contact.as_of_date
        and last_contact.row_kind = 1
    left join session_window
        on in_learning.apprentice_id = session_window.apprentice_id
        and in_learning.as_of_date = session_window.as_of_date
    left join quiz_window
        on in_learning.apprentice_id = quiz_window.apprentice_id
        and in_learning.as_of_date = quiz_window.as_of_date
    left join otj_window
        on in_learning.apprentice_id = otj_window.apprentice_id
        and in_learning.as_of_date = otj_window.as_of_date
    left join programmes
        on in_learning.programme_id = programmes.programme_id

),

{#
    Enrolment must be evidenced: a known status change, or any activity in the last 30 days.
    With the full status history loaded this always holds (a start is a status change); it
    drops apprentices whose start predates the loaded history and who left before it began.
-#}
evidenced as (

    select
        *,
        to_status is not null as has_status_history,
        (
            sessions_scheduled > 0
            or quiz_attempts > 0
            or otj_logs > 0
            or coalesce(last_contact_date >= {{ pipeline_health.add_days('as_of_date', -29) }}, false)
        ) as has_activity_last_30d
    from joined

),

final as (

    select
        apprentice_id,
        as_of_date,
        coach_id,
        programme_id,
        cohort_id,
        employer_id,
        {{ pipeline_health.iso_week_start('as_of_date') }} as iso_week_start_date,
        {{ pipeline_health.iso_day_of_week('as_of_date') }} = 7 as is_iso_week_end,
        start_date,
        {{ pipeline_health.days_between('start_date', 'as_of_date') }} + 1 as days_in_learning,

        coalesce(to_status, 'Active') as current_progression_status,
        has_status_history,
        has_activity_last_30d,
        status_changed_at,
        status_change_id,

        sessions_scheduled as sessions_scheduled_last_30d,
        sessions_attended as sessions_attended_last_30d,
        case
            when sessions_scheduled > 0
                then round(cast(sessions_attended as {{ pipeline_health.type_double() }}) / sessions_scheduled, 4)
        end as attendance_rate_last_30d,

        quiz_attempts as quiz_attempts_last_30d,
        round(quiz_score_avg, 2) as quiz_score_avg_last_30d,

        last_contact_date,
        {{ pipeline_health.days_between('coalesce(last_contact_date, start_date)', 'as_of_date') }}
            as days_since_last_feedback,

        round(otj_hours, 2) as otj_hours_last_30d,
        days_in_learning_last_30d,
        round(otj_hours_per_week * days_in_learning_last_30d / 7.0, 2) as otj_hours_planned_last_30d,
        case
            when otj_hours_per_week is null then null
            when otj_hours_per_week * days_in_learning_last_30d / 7.0 > otj_hours
                then round(otj_hours_per_week * days_in_learning_last_30d / 7.0 - otj_hours, 2)
            else 0
        end as otj_hours_behind_plan,

        {#- The same counts over the last 7 days (on a Sunday: its ISO week), for the weekly risk mart. #}
        sessions_scheduled_7d as sessions_scheduled_last_7d,
        sessions_attended_7d as sessions_attended_last_7d,
        quiz_attempts_7d as quiz_attempts_last_7d,
        quiz_score_total_7d as quiz_score_total_last_7d,
        round(otj_hours_7d, 2) as otj_hours_last_7d,
        round(otj_hours_per_week * days_in_learning_last_7d / 7.0, 2) as otj_hours_planned_last_7d
    from evidenced
    where has_status_history or has_activity_last_30d

)

select * from final

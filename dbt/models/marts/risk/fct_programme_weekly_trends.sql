{{
    config(
        materialized='incremental',
        incremental_strategy=pipeline_health.incremental_strategy(),
        unique_key='week_start_date',
        partition_by=pipeline_health.partition_by_day('week_start_date'),
        partitions=pipeline_health.weekly_partitions(),
        cluster_by=['programme_id', 'cohort_id'],
        pre_hook="{{ pipeline_health.delete_weekly_window('week_start_date') }}",
    )
}}

{#-
    Weekly trends for programme managers, per ISO week x programme x cohort: how many
    apprentices were in each progression status at the week's end (from the SCD2 snapshot
    history, as of each week) and in each risk band (from fct_apprentice_risk_weekly).
    Definitions are in _risk.yml.
-#}

{%- set in_learning = pipeline_health.status_list(pipeline_health.in_learning_statuses()) -%}
{%- set int = pipeline_health.type_integer() -%}
{%- set change_week_start = pipeline_health.iso_week_start('status_changes.changed_date') -%}

with

{# Snapshot versions as date ranges [valid_from_date, valid_to_date); deletion markers dropped. #}
versions as (

    select
        apprentice_id,
        current_progression_status,
        cast(dbt_valid_from as date) as valid_from_date,
        cast(dbt_valid_to as date) as valid_to_date
    from {{ ref('snap_apprentice_weekly_status') }}
    where coalesce(dbt_is_deleted, 'False') != 'True'

),

first_boundary as (

    select min(valid_from_date) as first_valid_from_date
    from versions

),

risk as (

    select *
    from {{ ref('fct_apprentice_risk_weekly') }}
    where {{ pipeline_health.in_weekly_window('week_start_date') }}

),

{# Weeks to build: scored weeks, and weeks the snapshot recorded. -#}
weeks as (

    select distinct week_start_date
    from risk

    union distinct

    select distinct {{ pipeline_health.add_days('valid_from_date', -7) }} as week_start_date
    from versions
    where {{ pipeline_health.in_weekly_window(pipeline_health.add_days('valid_from_date', -7)) }}

),

apprentices as (

    select apprentice_id, programme_id, cohort_id
    from {{ ref('dim_apprentice') }}

),

{# The version valid at the end of each week: valid_from <= week end boundary < valid_to. -#}
status_at_week_end as (

    select
        weeks.week_start_date,
        versions.apprentice_id,
        versions.current_progression_status
    from weeks
    inner join versions
        on versions.valid_from_date <= {{ pipeline_health.add_days('weeks.week_start_date', 7) }}
        and (
            versions.valid_to_date is null
            or versions.valid_to_date > {{ pipeline_health.add_days('weeks.week_start_date', 7) }}
        )

),

status_counts as (

    select
        status_at_week_end.week_start_date,
        coalesce(apprentices.programme_id, '-1') as programme_id,
        coalesce(apprentices.cohort_id, '-1') as cohort_id,
        cast(
            sum(case when status_at_week_end.current_progression_status in {{ in_learning }} then 1 else 0 end)
            as {{ int }}
        ) as in_learning_count,
        cast(
            sum(case when status_at_week_end.current_progression_status = 'Active' then 1 else 0 end)
            as {{ int }}
        ) as active_count,
        cast(
            sum(case when status_at_week_end.current_progression_status = 'Delayed' then 1 else 0 end)
            as {{ int }}
        ) as delayed_count,
        cast(
            sum(case when status_at_week_end.current_progression_status = 'At Risk' then 1 else 0 end)
            as {{ int }}
        ) as at_risk_count,
        cast(
            sum(case when status_at_week_end.current_progression_status = 'Withdrawn' then 1 else 0 end)
            as {{ int }}
        ) as withdrawn_to_date_count,
        cast(
            sum(case when status_at_week_end.current_progression_status in ('Completed', 'Promoted') then 1 else 0 end)
            as {{ int }}
        ) as completed_to_date_count,
        cast(
            sum(case when status_at_week_end.current_progression_status = 'Promoted' then 1 else 0 end)
            as {{ int }}
        ) as promoted_to_date_count
    from status_at_week_end
    left join apprentices
        on status_at_week_end.apprentice_id = apprentices.apprentice_id
    group by 1, 2, 3

),

risk_counts as (

    select
        week_start_date,
        programme_id,
        cohort_id,
        count(*) as scored_count,
        cast(sum(case when risk_band = 'Red' then 1 else 0 end) as {{ int }}) as red_count,
        cast(sum(case when risk_band = 'Amber' then 1 else 0 end) as {{ int }}) as amber_count,
        cast(sum(case when risk_band = 'Green' then 1 else 0 end) as {{ int }}) as green_count,
        cast(sum(case when is_newly_red then 1 else 0 end) as {{ int }}) as newly_red_count,
        round(avg(risk_score), 2) as avg_risk_score
    from risk
    group by 1, 2, 3

),

{#
    Leavers per week from the status-change facts (dated in the week and known by its
    Sunday, as the snapshot sees them), so every scored week has them, not only the weeks
    the snapshot has recorded.
-#}
leavers as (

    select
        {{ change_week_start }} as week_start_date,
        coalesce(apprentices.programme_id, '-1') as programme_id,
        coalesce(apprentices.cohort_id, '-1') as cohort_id,
        cast(
            count(distinct case when status_changes.to_status = 'Withdrawn' then status_changes.apprentice_id end)
            as {{ int }}
        ) as withdrawn_in_week_count,
        cast(
            count(distinct case when status_changes.to_status = 'Completed' then status_changes.apprentice_id end)
            as {{ int }}
        ) as completed_in_week_count,
        cast(
            count(distinct case when status_changes.to_status = 'Promoted' then status_changes.apprentice_id end)
            as {{ int }}
        ) as promoted_in_week_count
    from {{ ref('fct_status_changes') }} as status_changes
    left join apprentices
        on status_changes.apprentice_id = apprentices.apprentice_id
    where status_changes.to_status in ('Withdrawn', 'Completed', 'Promoted')
        and status_changes.load_date <= {{ pipeline_health.add_days(change_week_start, 6) }}
        and {{ pipeline_health.in_weekly_window(change_week_start) }}
        {%- if is_incremental() %}
        and status_changes.load_date >= {{ pipeline_health.date_literal(pipeline_health.weekly_window().start) }}
        {%- endif %}
    group by 1, 2, 3

),

combined as (

    select
        coalesce(status_counts.week_start_date, risk_counts.week_start_date) as week_start_date,
        coalesce(status_counts.programme_id, risk_counts.programme_id) as programme_id,
        coalesce(status_counts.cohort_id, risk_counts.cohort_id) as cohort_id,
        status_counts.in_learning_count,
        status_counts.active_count,
        status_counts.delayed_count,
        status_counts.at_risk_count,
        status_counts.withdrawn_to_date_count,
        status_counts.completed_to_date_count,
        status_counts.promoted_to_date_count,
        coalesce(risk_counts.scored_count, 0) as scored_count,
        coalesce(risk_counts.red_count, 0) as red_count,
        coalesce(risk_counts.amber_count, 0) as amber_count,
        coalesce(risk_counts.green_count, 0) as green_count,
        coalesce(risk_counts.newly_red_count, 0) as newly_red_count,
        risk_counts.avg_risk_score
    from status_counts
    full outer join risk_counts
        on status_counts.week_start_date = risk_counts.week_start_date
        and status_counts.programme_id = risk_counts.programme_id
        and status_counts.cohort_id = risk_counts.cohort_id

),

programmes as (

    select programme_id, programme_name
    from {{ ref('dim_programme') }}

),

cohorts as (

    select cohort_id, cohort_name
    from {{ ref('dim_cohort') }}

),

final as (

    select
        combined.week_start_date,
        {{ pipeline_health.add_days('combined.week_start_date', 6) }} as week_end_date,
        combined.programme_id,
        programmes.programme_name,
        combined.cohort_id,
        cohorts.cohort_name,
        coalesce(
            {{ pipeline_health.add_days('combined.week_start_date', 7) }} >= first_boundary.first_valid_from_date,
            false
        ) as has_status_snapshot,
        {%- for column in ['in_learning_count', 'active_count', 'delayed_count', 'at_risk_count',
                           'withdrawn_to_date_count', 'completed_to_date_count', 'promoted_to_date_count'] %}
        case
            when {{ pipeline_health.add_days('combined.week_start_date', 7) }} >= first_boundary.first_valid_from_date
                then coalesce(combined.{{ column }}, 0)
        end as {{ column }},
        {%- endfor %}
        coalesce(leavers.withdrawn_in_week_count, 0) as withdrawn_in_week_count,
        coalesce(leavers.completed_in_week_count, 0) as completed_in_week_count,
        coalesce(leavers.promoted_in_week_count, 0) as promoted_in_week_count,
        combined.scored_count,
        combined.red_count,
        combined.amber_count,
        combined.green_count,
        combined.newly_red_count,
        combined.avg_risk_score
    from combined
    cross join first_boundary
    left join leavers
        on combined.week_start_date = leavers.week_start_date
        and combined.programme_id = leavers.programme_id
        and combined.cohort_id = leavers.cohort_id
    left join programmes
        on combined.programme_id = programmes.programme_id
    left join cohorts
        on combined.cohort_id = cohorts.cohort_id

)

select * from final

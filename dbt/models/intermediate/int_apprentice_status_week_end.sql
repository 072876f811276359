{#-
    Source of the weekly SCD2 snapshot snap_apprentice_weekly_status: one row per apprentice
    with their progression status as known at the end of the run's ISO week (Sunday W).
    Definitions are in _intermediate.yml. Ephemeral: compiled into the snapshot with the
    run's vars, so it can never be stale.
-#}

{%- set week = pipeline_health.snapshot_week() -%}
{%- set week_end = pipeline_health.date_literal(week.end) -%}
{%- set exit_statuses = pipeline_health.status_list(pipeline_health.exit_statuses()) -%}

with

apprentices as (

    select apprentice_id
    from {{ ref('dim_apprentice') }}
    where not is_unknown_member

),

{# Known at the week's end: dated on or before Sunday W AND loaded by Sunday W. -#}
status_changes as (

    select apprentice_id, status_change_id, changed_at, to_status, is_exit
    from {{ ref('fct_status_changes') }}
    where changed_date <= {{ week_end }}
        and load_date <= {{ week_end }}

),

{# Exit statuses are final (as in fct_apprentice_daily): the latest exit wins (Completed, then Promoted). -#}
latest_status as (

    select apprentice_id, status_change_id, changed_at, to_status
    from status_changes
    where true
    qualify
        row_number() over (
            partition by apprentice_id
            order by case when is_exit then 1 else 0 end desc, changed_at desc, status_change_id desc
        ) = 1

),

{#
    In learning on Sunday W per the daily mart. Adds apprentices with no status change
    known yet (their start predates the loaded history): 'Active', as in the daily mart.
-#}
in_learning_at_week_end as (

    select apprentice_id
    from {{ ref('fct_apprentice_daily') }}
    where as_of_date = {{ week_end }}

),

population as (

    select apprentice_id from latest_status
    union distinct
    select apprentice_id from in_learning_at_week_end

),

final as (

    select
        population.apprentice_id,
        coalesce(latest_status.to_status, 'Active') as current_progression_status,
        coalesce(latest_status.to_status, 'Active') not in {{ exit_statuses }} as is_in_learning,
        latest_status.status_change_id,
        latest_status.changed_at as status_changed_at,
        {{ pipeline_health.date_literal(week.start) }} as observed_week_start_date
    from population
    inner join apprentices
        on population.apprentice_id = apprentices.apprentice_id
    left join latest_status
        on population.apprentice_id = latest_status.apprentice_id

)

select * from final

{#-
    Every apprentice in fct_apprentice_daily on the Sunday of the latest week that changed the
    snapshot is in learning in the snapshot at that week's end (a current, non-deleted version
    with status Active, Delayed or At Risk valid at the boundary). Returns the apprentices
    missing or not in learning there.
-#}

with

latest_boundary as (

    select max(dbt_valid_from) as boundary_at
    from {{ ref('snap_apprentice_weekly_status') }}

),

daily_at_week_end as (

    select daily.apprentice_id
    from {{ ref('fct_apprentice_daily') }} as daily
    cross join latest_boundary
    where daily.as_of_date = {{ pipeline_health.add_days('cast(latest_boundary.boundary_at as date)', -1) }}
        {#- A constant bound too: BigQuery refuses a read of this fact without one (its
            require_partition_filter); the latest boundary is never after the run's last Sunday. #}
        and daily.as_of_date <= {{ pipeline_health.date_literal(
            pipeline_health.week_end_of(pipeline_health.weekly_window().end)) }}

),

snapshot_at_boundary as (

    select versions.apprentice_id, versions.current_progression_status
    from {{ ref('snap_apprentice_weekly_status') }} as versions
    cross join latest_boundary
    where versions.dbt_valid_from <= latest_boundary.boundary_at
        and (versions.dbt_valid_to is null or versions.dbt_valid_to > latest_boundary.boundary_at)
        and coalesce(versions.dbt_is_deleted, 'False') != 'True'

)

select daily_at_week_end.apprentice_id, snapshot_at_boundary.current_progression_status
from daily_at_week_end
left join snapshot_at_boundary
    on daily_at_week_end.apprentice_id = snapshot_at_boundary.apprentice_id
where snapshot_at_boundary.apprentice_id is null
    or snapshot_at_boundary.current_progression_status not in ('Active', 'Delayed', 'At Risk')

{{
    config(
        materialized='incremental',
        incremental_strategy=pipeline_health.incremental_strategy(),
        unique_key='load_date',
        partition_by=pipeline_health.partition_by_day('load_date'),
        partitions=pipeline_health.window_partitions('load'),
        cluster_by=['apprentice_id'],
        pre_hook="{{ pipeline_health.delete_window('load_date', 'load') }}",
    )
}}

with

status_changes as (

    select * from {{ ref('stg_apprenticeship__status_changes') }}
    where {{ pipeline_health.in_window('load_date', 'load') }}

),

apprentices as (

    select apprentice_id, coach_id, programme_id, cohort_id, employer_id
    from {{ ref('dim_apprentice') }}

),

final as (

    select
        status_changes.status_change_id,
        status_changes.apprentice_id,
        coalesce(apprentices.coach_id, '-1') as coach_id,
        coalesce(apprentices.programme_id, '-1') as programme_id,
        coalesce(apprentices.cohort_id, '-1') as cohort_id,
        coalesce(apprentices.employer_id, '-1') as employer_id,
        status_changes.changed_date,
        status_changes.changed_at,
        status_changes.from_status,
        status_changes.to_status,
        status_changes.change_reason,
        status_changes.to_status in {{ pipeline_health.status_list(pipeline_health.exit_statuses()) }} as is_exit,
        status_changes.load_date
    from status_changes
    left join apprentices
        on status_changes.apprentice_id = apprentices.apprentice_id

)

select * from final

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

otj_logs as (

    select * from {{ ref('stg_apprenticeship__otj_hours') }}
    where {{ pipeline_health.in_window('load_date', 'load') }}

),

apprentices as (

    select apprentice_id, coach_id, programme_id, cohort_id, employer_id
    from {{ ref('dim_apprentice') }}

),

final as (

    select
        otj_logs.otj_log_id,
        otj_logs.apprentice_id,
        coalesce(apprentices.coach_id, '-1') as coach_id,
        coalesce(apprentices.programme_id, '-1') as programme_id,
        coalesce(apprentices.cohort_id, '-1') as cohort_id,
        coalesce(apprentices.employer_id, '-1') as employer_id,
        otj_logs.logged_date,
        otj_logs.logged_at,
        otj_logs.activity_type,
        otj_logs.otj_hours,
        otj_logs.load_date
    from otj_logs
    left join apprentices
        on otj_logs.apprentice_id = apprentices.apprentice_id

)

select * from final

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

attempts as (

    select * from {{ ref('stg_apprenticeship__quiz_attempts') }}
    where {{ pipeline_health.in_window('load_date', 'load') }}

),

apprentices as (

    select apprentice_id, coach_id, programme_id, cohort_id, employer_id
    from {{ ref('dim_apprentice') }}

),

final as (

    select
        attempts.quiz_attempt_id,
        attempts.apprentice_id,
        coalesce(apprentices.coach_id, '-1') as coach_id,
        coalesce(apprentices.programme_id, '-1') as programme_id,
        coalesce(apprentices.cohort_id, '-1') as cohort_id,
        coalesce(apprentices.employer_id, '-1') as employer_id,
        attempts.quiz_id,
        attempts.attempted_date,
        attempts.attempted_at,
        attempts.score,
        attempts.attempt_number,
        attempts.attempt_number = 1 as is_first_attempt,
        attempts.load_date
    from attempts
    left join apprentices
        on attempts.apprentice_id = apprentices.apprentice_id

)

select * from final

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

{{ pipeline_health.validated_event_ctes('raw_quiz_attempts') }}

renamed as (

    select
        event_id as quiz_attempt_id,
        apprentice_id,
        quiz_id,
        attempted_at,
        {{ pipeline_health.utc_date('attempted_at') }} as attempted_date,
        score,
        attempt_number,
        load_date,
        loaded_at
    from quiz_attempts__validated
    where rejection_reason is null

)

select * from renamed

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

{{ pipeline_health.validated_event_ctes('raw_coach_feedback') }}

renamed as (

    select
        event_id as feedback_id,
        apprentice_id,
        coach_id,
        feedback_at,
        {{ pipeline_health.utc_date('feedback_at') }} as feedback_date,
        feedback_type,
        channel,
        note as feedback_note,
        load_date,
        loaded_at
    from coach_feedback__validated
    where rejection_reason is null

)

select * from renamed

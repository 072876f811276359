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

{{ pipeline_health.validated_event_ctes('raw_session_attendance') }}

renamed as (

    select
        event_id as attendance_id,
        apprentice_id,
        session_id,
        session_start_at,
        {{ pipeline_health.utc_date('session_start_at') }} as session_date,
        session_type,
        scheduled_minutes,
        attendance_status,
        minutes_attended,
        load_date,
        loaded_at
    from session_attendance__validated
    where rejection_reason is null

)

select * from renamed

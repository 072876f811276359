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

{{ pipeline_health.validated_event_ctes('raw_otj_hours') }}

renamed as (

    select
        event_id as otj_log_id,
        apprentice_id,
        logged_at,
        {{ pipeline_health.utc_date('logged_at') }} as logged_date,
        activity_type,
        hours as otj_hours,
        load_date,
        loaded_at
    from otj_hours__validated
    where rejection_reason is null

)

select * from renamed

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

{{ pipeline_health.validated_event_ctes('raw_status_changes') }}

renamed as (

    select
        event_id as status_change_id,
        apprentice_id,
        changed_at,
        {{ pipeline_health.utc_date('changed_at') }} as changed_date,
        from_status,
        to_status,
        reason as change_reason,
        load_date,
        loaded_at
    from status_changes__validated
    where rejection_reason is null

)

select * from renamed

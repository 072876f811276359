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

{{ pipeline_health.validated_event_ctes('raw_progress_reviews') }}

renamed as (

    select
        event_id as progress_review_id,
        apprentice_id,
        coach_id,
        review_at,
        {{ pipeline_health.utc_date('review_at') }} as review_date,
        review_number,
        employer_attended as has_employer_attended,
        progress_rating,
        load_date,
        loaded_at
    from progress_reviews__validated
    where rejection_reason is null

)

select * from renamed

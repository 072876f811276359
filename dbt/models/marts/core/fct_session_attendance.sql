{#- require_partition_filter (BigQuery): one of the largest facts, so a query must name the days
    it reads (see macros/tests/partition_window.sql). -#}
{{
    config(
        materialized='incremental',
        incremental_strategy=pipeline_health.incremental_strategy(),
        unique_key='load_date',
        partition_by=pipeline_health.partition_by_day('load_date'),
        partitions=pipeline_health.window_partitions('load'),
        require_partition_filter=true,
        cluster_by=['apprentice_id'],
        pre_hook="{{ pipeline_health.delete_window('load_date', 'load') }}",
    )
}}

with

attendance as (

    select * from {{ ref('stg_apprenticeship__session_attendance') }}
    where {{ pipeline_health.in_window('load_date', 'load') }}

),

apprentices as (

    select apprentice_id, coach_id, programme_id, cohort_id, employer_id
    from {{ ref('dim_apprentice') }}

),

final as (

    select
        attendance.attendance_id,
        attendance.apprentice_id,
        coalesce(apprentices.coach_id, '-1') as coach_id,
        coalesce(apprentices.programme_id, '-1') as programme_id,
        coalesce(apprentices.cohort_id, '-1') as cohort_id,
        coalesce(apprentices.employer_id, '-1') as employer_id,
        attendance.session_id,
        attendance.session_date,
        attendance.session_start_at,
        attendance.session_type,
        attendance.attendance_status,
        attendance.attendance_status in ('attended', 'late') as is_attended,
        attendance.attendance_status = 'late' as is_late,
        attendance.scheduled_minutes,
        attendance.minutes_attended,
        attendance.load_date
    from attendance
    left join apprentices
        on attendance.apprentice_id = apprentices.apprentice_id

)

select * from final

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

{#- Every contact between a coach and an apprentice: feedback, check-ins and progress reviews. -#}

with

feedback as (

    select * from {{ ref('stg_apprenticeship__coach_feedback') }}
    where {{ pipeline_health.in_window('load_date', 'load') }}

),

reviews as (

    select * from {{ ref('stg_apprenticeship__progress_reviews') }}
    where {{ pipeline_health.in_window('load_date', 'load') }}

),

apprentices as (

    select apprentice_id, coach_id, programme_id, cohort_id, employer_id
    from {{ ref('dim_apprentice') }}

),

coaches as (

    select coach_id from {{ ref('dim_coach') }}

),

contacts as (

    select
        feedback_id as contact_id,
        'coach_feedback' as contact_source,
        feedback_type as contact_type,
        apprentice_id,
        coach_id as contact_coach_id,
        feedback_date as contact_date,
        feedback_at as contact_at,
        channel,
        feedback_note,
        cast(null as {{ pipeline_health.type_integer() }}) as review_number,
        cast(null as {{ pipeline_health.type_boolean() }}) as has_employer_attended,
        cast(null as {{ pipeline_health.type_string() }}) as progress_rating,
        load_date
    from feedback

    union all

    select
        progress_review_id as contact_id,
        'progress_review' as contact_source,
        'progress_review' as contact_type,
        apprentice_id,
        coach_id as contact_coach_id,
        review_date as contact_date,
        review_at as contact_at,
        cast(null as {{ pipeline_health.type_string() }}) as channel,
        cast(null as {{ pipeline_health.type_string() }}) as feedback_note,
        review_number,
        has_employer_attended,
        progress_rating,
        load_date
    from reviews

),

final as (

    select
        contacts.contact_id,
        contacts.contact_source,
        contacts.contact_type,
        contacts.apprentice_id,
        coalesce(coaches.coach_id, '-1') as coach_id,
        coalesce(apprentices.coach_id, '-1') as assigned_coach_id,
        coalesce(apprentices.programme_id, '-1') as programme_id,
        coalesce(apprentices.cohort_id, '-1') as cohort_id,
        coalesce(apprentices.employer_id, '-1') as employer_id,
        contacts.contact_date,
        contacts.contact_at,
        contacts.channel,
        contacts.feedback_note,
        contacts.review_number,
        contacts.has_employer_attended,
        contacts.progress_rating,
        contacts.load_date
    from contacts
    left join apprentices
        on contacts.apprentice_id = apprentices.apprentice_id
    left join coaches
        on contacts.contact_coach_id = coaches.coach_id

)

select * from final

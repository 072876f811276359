with

source as (

    select * from {{ source('apprenticeship', 'raw_cohorts') }}

),

renamed as (

    select
        trim(cohort_id) as cohort_id,
        trim(programme_id) as programme_id,
        trim(cohort_name) as cohort_name,
        cast(start_date as date) as start_date,
        cast(planned_end_date as date) as planned_end_date,
        loaded_at
    from source

)

select * from renamed

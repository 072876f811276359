with

source as (

    select * from {{ source('apprenticeship', 'raw_apprentices') }}

),

renamed as (

    select
        trim(apprentice_id) as apprentice_id,
        trim(first_name) as first_name,
        trim(last_name) as last_name,
        nullif(trim(email), '') as email,
        trim(employer_id) as employer_id,
        trim(coach_id) as coach_id,
        trim(cohort_id) as cohort_id,
        trim(programme_id) as programme_id,
        cast(start_date as date) as start_date,
        cast(planned_end_date as date) as planned_end_date,
        trim(gender) as gender,
        trim(ethnicity_group) as ethnicity_group,
        cast(imd_quintile as {{ pipeline_health.type_integer() }}) as imd_quintile,
        has_ldd,
        nullif(trim(ldd_category), '') as ldd_category,
        loaded_at
    from source

)

select * from renamed

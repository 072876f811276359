with

source as (

    select * from {{ source('apprenticeship', 'raw_coaches') }}

),

renamed as (

    select
        trim(coach_id) as coach_id,
        trim(coach_name) as coach_name,
        nullif(trim(coach_email), '') as coach_email,
        trim(region) as region,
        loaded_at
    from source

)

select * from renamed

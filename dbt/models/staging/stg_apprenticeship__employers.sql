with

source as (

    select * from {{ source('apprenticeship', 'raw_employers') }}

),

renamed as (

    select
        trim(employer_id) as employer_id,
        trim(employer_name) as employer_name,
        trim(sector) as sector,
        lower(trim(employer_size)) as employer_size,
        loaded_at
    from source

)

select * from renamed

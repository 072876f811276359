with

source as (

    select * from {{ source('apprenticeship', 'raw_programmes') }}

),

renamed as (

    select
        trim(programme_id) as programme_id,
        trim(programme_name) as programme_name,
        cast(level as {{ pipeline_health.type_integer() }}) as programme_level,
        cast(duration_months as {{ pipeline_health.type_integer() }}) as duration_months,
        cast(otj_hours_per_week as {{ pipeline_health.type_double() }}) as otj_hours_per_week,
        loaded_at
    from source

)

select * from renamed

with

programmes as (

    select * from {{ ref('stg_apprenticeship__programmes') }}

),

known_members as (

    select
        programme_id,
        programme_name,
        programme_level,
        duration_months,
        otj_hours_per_week,
        false as is_unknown_member
    from programmes

),

unknown_member as (

    select
        '-1' as programme_id,
        'Unknown' as programme_name,
        cast(null as {{ pipeline_health.type_integer() }}) as programme_level,
        cast(null as {{ pipeline_health.type_integer() }}) as duration_months,
        cast(null as {{ pipeline_health.type_double() }}) as otj_hours_per_week,
        true as is_unknown_member

),

final as (

    select * from known_members
    union all
    select * from unknown_member

)

select * from final

with

coaches as (

    select * from {{ ref('stg_apprenticeship__coaches') }}

),

known_members as (

    select
        coach_id,
        coach_name,
        coach_email,
        coach_email is not null as has_email,
        region,
        false as is_unknown_member
    from coaches

),

unknown_member as (

    select
        '-1' as coach_id,
        'Unknown' as coach_name,
        cast(null as {{ pipeline_health.type_string() }}) as coach_email,
        false as has_email,
        'Unknown' as region,
        true as is_unknown_member

),

final as (

    select * from known_members
    union all
    select * from unknown_member

)

select * from final

with

employers as (

    select * from {{ ref('stg_apprenticeship__employers') }}

),

known_members as (

    select
        employer_id,
        employer_name,
        sector,
        employer_size,
        false as is_unknown_member
    from employers

),

unknown_member as (

    select
        '-1' as employer_id,
        'Unknown' as employer_name,
        'Unknown' as sector,
        'unknown' as employer_size,
        true as is_unknown_member

),

final as (

    select * from known_members
    union all
    select * from unknown_member

)

select * from final

with

apprentices as (

    select * from {{ ref('stg_apprenticeship__apprentices') }}

),

coaches as (

    select coach_id from {{ ref('stg_apprenticeship__coaches') }}

),

employers as (

    select employer_id from {{ ref('stg_apprenticeship__employers') }}

),

cohorts as (

    select cohort_id from {{ ref('stg_apprenticeship__cohorts') }}

),

programmes as (

    select programme_id from {{ ref('stg_apprenticeship__programmes') }}

),

known_members as (

    select
        apprentices.apprentice_id,
        apprentices.first_name,
        apprentices.last_name,
        concat(apprentices.first_name, ' ', apprentices.last_name) as full_name,
        apprentices.email,
        coalesce(coaches.coach_id, '-1') as coach_id,
        coalesce(employers.employer_id, '-1') as employer_id,
        coalesce(cohorts.cohort_id, '-1') as cohort_id,
        coalesce(programmes.programme_id, '-1') as programme_id,
        apprentices.start_date,
        apprentices.planned_end_date,
        apprentices.gender,
        apprentices.ethnicity_group,
        apprentices.imd_quintile,
        case
            when apprentices.imd_quintile is null then 'Unknown'
            when apprentices.imd_quintile = 1 then '1 - most deprived'
            when apprentices.imd_quintile = 5 then '5 - least deprived'
            else cast(apprentices.imd_quintile as {{ pipeline_health.type_string() }})
        end as imd_quintile_label,
        apprentices.has_ldd,
        case when apprentices.has_ldd then coalesce(apprentices.ldd_category, 'Not specified') end
            as ldd_category,
        false as is_unknown_member
    from apprentices
    left join coaches
        on apprentices.coach_id = coaches.coach_id
    left join employers
        on apprentices.employer_id = employers.employer_id
    left join cohorts
        on apprentices.cohort_id = cohorts.cohort_id
    left join programmes
        on apprentices.programme_id = programmes.programme_id

),

unknown_member as (

    select
        '-1' as apprentice_id,
        'Unknown' as first_name,
        'Unknown' as last_name,
        'Unknown' as full_name,
        cast(null as {{ pipeline_health.type_string() }}) as email,
        '-1' as coach_id,
        '-1' as employer_id,
        '-1' as cohort_id,
        '-1' as programme_id,
        cast(null as date) as start_date,
        cast(null as date) as planned_end_date,
        'Unknown' as gender,
        'Unknown' as ethnicity_group,
        cast(null as {{ pipeline_health.type_integer() }}) as imd_quintile,
        'Unknown' as imd_quintile_label,
        cast(null as {{ pipeline_health.type_boolean() }}) as has_ldd,
        cast(null as {{ pipeline_health.type_string() }}) as ldd_category,
        true as is_unknown_member

),

final as (

    select * from known_members
    union all
    select * from unknown_member

)

select * from final

with

cohorts as (

    select * from {{ ref('stg_apprenticeship__cohorts') }}

),

programmes as (

    select programme_id from {{ ref('stg_apprenticeship__programmes') }}

),

known_members as (

    select
        cohorts.cohort_id,
        cohorts.cohort_name,
        coalesce(programmes.programme_id, '-1') as programme_id,
        cohorts.start_date,
        cohorts.planned_end_date,
        {{ pipeline_health.month_start('cohorts.start_date') }} as start_month,
        false as is_unknown_member
    from cohorts
    left join programmes
        on cohorts.programme_id = programmes.programme_id

),

unknown_member as (

    select
        '-1' as cohort_id,
        'Unknown' as cohort_name,
        '-1' as programme_id,
        cast(null as date) as start_date,
        cast(null as date) as planned_end_date,
        cast(null as date) as start_month,
        true as is_unknown_member

),

final as (

    select * from known_members
    union all
    select * from unknown_member

)

select * from final

{#-
    Calendar from 1 January of the year of the earliest apprentice/cohort start to
    31 December two years after the latest planned end (breaks in learning run past the
    planned end), plus the unknown member 1900-01-01.
-#}

with

cohorts as (

    select start_date, planned_end_date from {{ ref('stg_apprenticeship__cohorts') }}

),

apprentices as (

    select start_date, planned_end_date from {{ ref('stg_apprenticeship__apprentices') }}

),

enrolment_dates as (

    select start_date, planned_end_date from cohorts
    union all
    select start_date, planned_end_date from apprentices

),

bounds as (

    select
        {{ pipeline_health.year_start('min(start_date)') }} as first_day,
        {{ pipeline_health.add_days(
            pipeline_health.year_start(pipeline_health.add_days('max(planned_end_date)', 3 * 366)),
            -1) }} as last_day
    from enrolment_dates

),

days as (

    {{ pipeline_health.date_series('bounds', 'first_day', 'last_day') }}

    union all

    select cast('1900-01-01' as date) as date_day

),

final as (

    select
        date_day,
        {{ pipeline_health.iso_day_of_week('date_day') }} as iso_day_of_week,
        {{ pipeline_health.format_date('date_day', '%A') }} as day_name,
        {{ pipeline_health.iso_day_of_week('date_day') }} >= 6 as is_weekend,
        {{ pipeline_health.iso_week_start('date_day') }} as iso_week_start_date,
        {{ pipeline_health.add_days(pipeline_health.iso_week_start('date_day'), 6) }} as iso_week_end_date,
        {{ pipeline_health.iso_day_of_week('date_day') }} = 7 as is_iso_week_end,
        {{ pipeline_health.iso_week_number('date_day') }} as iso_week_number,
        {{ pipeline_health.iso_year('date_day') }} as iso_year,
        concat(
            cast({{ pipeline_health.iso_year('date_day') }} as {{ pipeline_health.type_string() }}),
            '-W',
            lpad(cast({{ pipeline_health.iso_week_number('date_day') }} as {{ pipeline_health.type_string() }}), 2, '0')
        ) as iso_year_week,
        {{ pipeline_health.month_start('date_day') }} as month_start_date,
        extract(month from date_day) as month_number,
        {{ pipeline_health.format_date('date_day', '%B') }} as month_name,
        {{ pipeline_health.format_date('date_day', '%Y-%m') }} as year_month,
        extract(quarter from date_day) as quarter_number,
        extract(year from date_day) as year_number,
        date_day = cast('1900-01-01' as date) as is_unknown_member
    from days

)

select * from final

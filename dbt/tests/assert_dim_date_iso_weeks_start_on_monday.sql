{#- ISO weeks start on Monday on both warehouses, and a few known dates are right. -#}

with

calendar as (

    select * from {{ ref('dim_date') }}
    where not is_unknown_member

),

wrong_week_start as (

    select date_day, 'week start is not the Monday on or before the day' as problem
    from calendar
    where {{ pipeline_health.iso_day_of_week('iso_week_start_date') }} != 1
        or {{ pipeline_health.days_between('iso_week_start_date', 'date_day') }} not between 0 and 6
        or {{ pipeline_health.days_between('iso_week_start_date', 'iso_week_end_date') }} != 6
        or is_iso_week_end != ({{ pipeline_health.iso_day_of_week('date_day') }} = 7)

),

known_dates as (

    {#- (day, ISO week start, ISO year-week), one row a line: the later rows take the first row's names. #}
    -- noqa: disable=AL03, LT05
    select cast('2026-10-04' as date) as date_day, cast('2026-09-28' as date) as expected_week_start, '2026-W40' as expected_year_week
    union all select cast('2026-10-05' as date), cast('2026-10-05' as date), '2026-W41'
    union all select cast('2027-01-01' as date), cast('2026-12-28' as date), '2026-W53'
    union all select cast('2025-12-29' as date), cast('2025-12-29' as date), '2026-W01'
    -- noqa: enable=AL03, LT05

),

wrong_known_dates as (

    select known_dates.date_day, 'known date has the wrong ISO week' as problem
    from known_dates
    inner join calendar
        on known_dates.date_day = calendar.date_day
    where calendar.iso_week_start_date != known_dates.expected_week_start
        or calendar.iso_year_week != known_dates.expected_year_week

)

select * from wrong_week_start
union all
select * from wrong_known_dates

{#- fct_apprentice_risk_current holds exactly the rows of the latest week of fct_apprentice_risk_weekly. -#}

with

latest_week as (

    select max(week_start_date) as week_start_date
    from {{ ref('fct_apprentice_risk_weekly') }}

),

weekly as (

    select risk_weekly.apprentice_id, risk_weekly.week_start_date, risk_weekly.risk_score
    from {{ ref('fct_apprentice_risk_weekly') }} as risk_weekly
    inner join latest_week
        on risk_weekly.week_start_date = latest_week.week_start_date

),

current_view as (

    select apprentice_id, week_start_date, risk_score
    from {{ ref('fct_apprentice_risk_current') }}

),

missing_from_view as (

    select weekly.apprentice_id, 'in the latest week but not in the current view' as problem
    from weekly
    left join current_view
        on weekly.apprentice_id = current_view.apprentice_id
        and weekly.week_start_date = current_view.week_start_date
        and weekly.risk_score = current_view.risk_score
    where current_view.apprentice_id is null

),

extra_in_view as (

    select current_view.apprentice_id, 'in the current view but not in the latest week' as problem
    from current_view
    left join weekly
        on current_view.apprentice_id = weekly.apprentice_id
        and current_view.week_start_date = weekly.week_start_date
    where weekly.apprentice_id is null

)

select * from missing_from_view
union all
select * from extra_in_view

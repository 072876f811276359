{#- fct_apprentice_risk_current holds exactly the rows of the latest week of fct_apprentice_risk_weekly. -#}

with

weekly as (

    select apprentice_id, week_start_date, risk_score
    from {{ ref('fct_apprentice_risk_weekly') }}
    where week_start_date = (select max(week_start_date) from {{ ref('fct_apprentice_risk_weekly') }})

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

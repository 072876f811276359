{{ config(materialized='view') }}

{#-
    The latest scored ISO week of fct_apprentice_risk_weekly: every apprentice in learning at
    the end of that week, with their risk. Apprentices who have left since are not here (their
    history stays in the weekly mart).
-#}

with

risk as (

    select * from {{ ref('fct_apprentice_risk_weekly') }}

),

latest_week as (

    select max(week_start_date) as week_start_date
    from risk

),

final as (

    select risk.*
    from risk
    inner join latest_week
        on risk.week_start_date = latest_week.week_start_date

)

select * from final

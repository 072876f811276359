{#-
    Per week, fct_programme_weekly_trends counts the same scored / Red / newly Red apprentices
    as fct_apprentice_risk_weekly.
-#}

with

trends as (

    select week_start_date, sum(scored_count) as scored, sum(red_count) as red, sum(newly_red_count) as newly_red
    from {{ ref('fct_programme_weekly_trends') }}
    group by week_start_date

),

risk as (

    select
        week_start_date,
        count(*) as scored,
        sum(case when risk_band = 'Red' then 1 else 0 end) as red,
        sum(case when is_newly_red then 1 else 0 end) as newly_red
    from {{ ref('fct_apprentice_risk_weekly') }}
    group by week_start_date

)

select trends.week_start_date, trends.scored, risk.scored as risk_scored
from trends
inner join risk
    on trends.week_start_date = risk.week_start_date
where trends.scored != risk.scored
    or trends.red != risk.red
    or trends.newly_red != risk.newly_red

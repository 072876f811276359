{#-
    Evaluation only (dbt compile, then run the SQL by hand): how well does the daily mart's
    "in learning" population match the simulated truth? Per as_of_date: apprentices in both,
    only in the truth (missed), only in the mart (should have left).
    Truth counts an apprentice in learning from start_date to end_date inclusive; the mart
    drops an apprentice on the day of a Withdrawn/Promoted change, so each exit shows as
    one "truth only" day.
-#}

with

daily as (

    select apprentice_id, as_of_date from {{ ref('fct_apprentice_daily') }}

),

outcomes as (

    select apprentice_id, end_date from {{ source('simulation_truth', 'apprentice_outcomes') }}

),

apprentices as (

    select apprentice_id, start_date from {{ ref('dim_apprentice') }}
    where not is_unknown_member

),

as_of_dates as (

    select distinct as_of_date from daily

),

truly_in_learning as (

    select as_of_dates.as_of_date, apprentices.apprentice_id
    from as_of_dates
    cross join apprentices
    inner join outcomes
        on apprentices.apprentice_id = outcomes.apprentice_id
    where apprentices.start_date <= as_of_dates.as_of_date
        and outcomes.end_date >= as_of_dates.as_of_date

),

compared as (

    select
        coalesce(daily.as_of_date, truly_in_learning.as_of_date) as as_of_date,
        daily.apprentice_id is not null as in_mart,
        truly_in_learning.apprentice_id is not null as in_truth
    from daily
    full outer join truly_in_learning
        on daily.apprentice_id = truly_in_learning.apprentice_id
        and daily.as_of_date = truly_in_learning.as_of_date

)

select
    as_of_date,
    sum(case when in_mart and in_truth then 1 else 0 end) as in_both,
    sum(case when in_truth and not in_mart then 1 else 0 end) as truth_only,
    sum(case when in_mart and not in_truth then 1 else 0 end) as mart_only
from compared
group by as_of_date
order by as_of_date

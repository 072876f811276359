{#-
    Evaluation only (dbt compile, then run the SQL by hand; see README.md, "Evaluation against the simulated truth"):
    does the weekly risk score find the apprentices heading for withdrawal? Compares
    fct_apprentice_risk_weekly with the simulated truth (analyses may read it; models never).

    An apprentice-week is "positive" when the apprentice withdraws within the 8 weeks after
    the week's Sunday: withdrawal_date in (week_end_date, week_end_date + 56]. Weeks in the
    first 5 weeks of loaded history are left out (their 30-day windows are still filling).
    One row per metric.
-#}

{%- set horizon_days = var('risk_evaluation_horizon_days', 56) -%}
{%- set warm_up_days = var('risk_evaluation_warm_up_days', 35) -%}

with

risk as (

    select apprentice_id, week_start_date, week_end_date, risk_score, risk_band, is_newly_red
    from {{ ref('fct_apprentice_risk_weekly') }}

),

outcomes as (

    select apprentice_id, outcome, withdrawal_date
    from {{ source('simulation_truth', 'apprentice_outcomes') }}

),

history_start as (

    select min(as_of_date) as first_as_of_date
    from {{ ref('fct_apprentice_daily') }}

),

labelled as (

    select
        risk.*,
        outcomes.outcome = 'withdrawn' as withdraws_eventually,
        coalesce(
            outcomes.withdrawal_date > risk.week_end_date
            and outcomes.withdrawal_date <= {{ pipeline_health.add_days('risk.week_end_date', horizon_days) }},
            false
        ) as withdraws_within_horizon
    from risk
    inner join outcomes
        on risk.apprentice_id = outcomes.apprentice_id
    cross join history_start
    where risk.week_start_date >= {{ pipeline_health.add_days('history_start.first_as_of_date', warm_up_days) }}

),

week_level as (

    select
        count(*) as apprentice_weeks,
        count(distinct week_start_date) as weeks,
        sum(case when risk_band = 'Red' then 1 else 0 end) as red_weeks,
        sum(case when risk_band = 'Amber' then 1 else 0 end) as amber_weeks,
        sum(case when risk_band = 'Green' then 1 else 0 end) as green_weeks,
        sum(case when withdraws_within_horizon then 1 else 0 end) as positive_weeks,
        sum(case when risk_band = 'Red' and withdraws_within_horizon then 1 else 0 end) as red_positive,
        sum(case when risk_band = 'Amber' and withdraws_within_horizon then 1 else 0 end) as amber_positive,
        sum(case when risk_band = 'Green' and withdraws_within_horizon then 1 else 0 end) as green_positive,
        sum(case when risk_band = 'Red' and withdraws_eventually then 1 else 0 end) as red_eventually,
        sum(case when is_newly_red then 1 else 0 end) as newly_red,
        sum(case when is_newly_red and withdraws_within_horizon then 1 else 0 end) as newly_red_positive
    from labelled

),

{# Per withdrawer: was any of their scored weeks ending in the 8 weeks before withdrawal Red? -#}
withdrawers as (

    select
        labelled.apprentice_id,
        max(case when labelled.risk_band = 'Red' then 1 else 0 end) as was_red,
        max(case
            when labelled.risk_band = 'Red'
                then {{ pipeline_health.days_between('labelled.week_end_date', 'outcomes.withdrawal_date') }}
        end) as lead_days_first_red
    from labelled
    inner join outcomes
        on labelled.apprentice_id = outcomes.apprentice_id
    where labelled.withdraws_within_horizon
    group by labelled.apprentice_id

),

apprentice_level as (

    select
        count(*) as withdrawers,
        sum(was_red) as withdrawers_flagged_red,
        avg(lead_days_first_red) as avg_lead_days_first_red
    from withdrawers

),

metrics as (

    {#- One metric a line: the later rows take the first row's names. #}
    -- noqa: disable=AL03, LT05
    select 1 as metric_order, 'apprentice_weeks_scored' as metric, cast(apprentice_weeks as {{ pipeline_health.type_double() }}) as metric_value from week_level
    union all select 2, 'weeks', weeks from week_level
    union all select 3, 'red_share', round(red_weeks / nullif(cast(apprentice_weeks as {{ pipeline_health.type_double() }}), 0), 4) from week_level
    union all select 4, 'amber_share', round(amber_weeks / nullif(cast(apprentice_weeks as {{ pipeline_health.type_double() }}), 0), 4) from week_level
    union all select 5, 'green_share', round(green_weeks / nullif(cast(apprentice_weeks as {{ pipeline_health.type_double() }}), 0), 4) from week_level
    union all select 6, 'base_rate_withdraw_within_horizon', round(positive_weeks / nullif(cast(apprentice_weeks as {{ pipeline_health.type_double() }}), 0), 4) from week_level
    union all select 7, 'red_precision', round(red_positive / nullif(cast(red_weeks as {{ pipeline_health.type_double() }}), 0), 4) from week_level
    union all select 8, 'red_recall', round(red_positive / nullif(cast(positive_weeks as {{ pipeline_health.type_double() }}), 0), 4) from week_level
    union all select 9, 'amber_withdraw_rate', round(amber_positive / nullif(cast(amber_weeks as {{ pipeline_health.type_double() }}), 0), 4) from week_level
    union all select 10, 'green_withdraw_rate', round(green_positive / nullif(cast(green_weeks as {{ pipeline_health.type_double() }}), 0), 4) from week_level
    union all select 11, 'red_eventually_withdraw_rate', round(red_eventually / nullif(cast(red_weeks as {{ pipeline_health.type_double() }}), 0), 4) from week_level
    union all select 12, 'newly_red_alerts', newly_red from week_level
    union all select 13, 'newly_red_precision', round(newly_red_positive / nullif(cast(newly_red as {{ pipeline_health.type_double() }}), 0), 4) from week_level
    union all select 14, 'withdrawers_in_horizon', withdrawers from apprentice_level
    union all select 15, 'withdrawers_flagged_red_before', round(withdrawers_flagged_red / nullif(cast(withdrawers as {{ pipeline_health.type_double() }}), 0), 4) from apprentice_level
    union all select 16, 'avg_lead_days_earliest_red', round(avg_lead_days_first_red, 1) from apprentice_level
    -- noqa: enable=AL03, LT05

)

select metric, metric_value
from metrics
order by metric_order

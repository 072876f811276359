{{
    config(
        materialized='incremental',
        incremental_strategy=pipeline_health.incremental_strategy(),
        unique_key='week_start_date',
        partition_by=pipeline_health.partition_by_day('week_start_date'),
        partitions=pipeline_health.weekly_partitions(),
        cluster_by=['programme_id', 'dimension'],
        pre_hook="{{ pipeline_health.delete_weekly_window('week_start_date') }}",
    )
}}

{#-
    The equity lens for programme managers, per ISO week x programme (and 'ALL'
    programmes) x demographic dimension x group: the group's figures, the same figures for
    everyone else in the same programme and week, the gap (group - others) and its 95 %
    interval. Small groups are suppressed so that no group under 10 apprentices can be
    read, directly or by subtraction. Definitions, methods and the suppression rule are in
    _dashboards.yml. Aggregates only: no apprentice-level column leaves this model.
-#}

{%- set window = pipeline_health.weekly_window() -%}
{%- set min_cell = pipeline_health.equity_min_cell() -%}
{%- set int = pipeline_health.type_integer() -%}
{%- set dbl = pipeline_health.type_double() -%}
{%- set str = pipeline_health.type_string() -%}

with

risk as (

    select
        week_start_date,
        week_end_date,
        apprentice_id,
        programme_id,
        risk_band,
        days_since_last_feedback
    from {{ ref('fct_apprentice_risk_weekly') }}
    where {{ pipeline_health.in_weekly_window('week_start_date') }}

),

weeks as (

    select distinct week_start_date, week_end_date
    from risk

),

apprentices as (

    select
        apprentice_id,
        programme_id,
        cohort_id,
        gender,
        ethnicity_group,
        imd_quintile_label,
        case when has_ldd then 'Yes' when not has_ldd then 'No' else 'Unknown' end as ldd_group
    from {{ ref('dim_apprentice') }}
    where not is_unknown_member

),

cohorts as (

    select cohort_id, planned_end_date
    from {{ ref('dim_cohort') }}

),

programmes as (

    select programme_id, programme_name
    from {{ ref('dim_programme') }}

),

status_changes as (

    select apprentice_id, changed_date, to_status, load_date
    from {{ ref('fct_status_changes') }}
    where to_status in ('Withdrawn', 'Completed', 'Promoted')
        and load_date <= {{ pipeline_health.date_literal(pipeline_health.week_end_of(window.end)) }}

),

{# (a) In learning at the week's end: the risk mart's population. -#}
in_learning_rows as (

    select
        week_start_date,
        apprentice_id,
        1 as in_learning,
        case when risk_band = 'Red' then 1 else 0 end as is_red,
        case when risk_band = 'Amber' then 1 else 0 end as is_amber,
        cast(days_since_last_feedback as {{ dbl }}) as feedback_days,
        0 as withdrawn_12w,
        0 as finished,
        0 as completed,
        0 as promotion_base,
        0 as promoted
    from risk

),

{# (b) Withdrawals dated in the 12 weeks ending on the week's Sunday, known by then. -#}
withdrawal_rows as (

    select
        weeks.week_start_date,
        status_changes.apprentice_id,
        0 as in_learning,
        0 as is_red,
        0 as is_amber,
        cast(null as {{ dbl }}) as feedback_days,
        1 as withdrawn_12w,
        0 as finished,
        0 as completed,
        0 as promotion_base,
        0 as promoted
    from weeks
    inner join status_changes
        on status_changes.to_status = 'Withdrawn'
        and status_changes.changed_date >= {{ pipeline_health.add_days('weeks.week_end_date', -83) }}
        and status_changes.changed_date <= weeks.week_end_date
        and status_changes.load_date <= weeks.week_end_date

),

{#
    (c) Apprentices of cohorts whose planned end is on or before the week's Sunday:
    completed (Completed or Promoted by then) or not. Promotion is measured among the
    completers of cohorts that finished at least 26 weeks before, so every completer had
    time for the employer to confirm a promotion (the simulator allows up to 180 days).
-#}
outcomes as (

    select
        apprentice_id,
        min(case when to_status in ('Completed', 'Promoted') then changed_date end) as completed_date,
        min(case when to_status = 'Promoted' then changed_date end) as promoted_date,
        min(case when to_status in ('Completed', 'Promoted') then load_date end) as completed_load_date,
        min(case when to_status = 'Promoted' then load_date end) as promoted_load_date
    from status_changes
    group by apprentice_id

),

finished_rows as (

    select
        weeks.week_start_date,
        apprentices.apprentice_id,
        0 as in_learning,
        0 as is_red,
        0 as is_amber,
        cast(null as {{ dbl }}) as feedback_days,
        0 as withdrawn_12w,
        1 as finished,
        case
            when outcomes.completed_date <= weeks.week_end_date
                and outcomes.completed_load_date <= weeks.week_end_date
                then 1
            else 0
        end as completed,
        case
            when cohorts.planned_end_date <= {{ pipeline_health.add_days('weeks.week_end_date', -182) }}
                and outcomes.completed_date <= weeks.week_end_date
                and outcomes.completed_load_date <= weeks.week_end_date
                then 1
            else 0
        end as promotion_base,
        case
            when cohorts.planned_end_date <= {{ pipeline_health.add_days('weeks.week_end_date', -182) }}
                and outcomes.promoted_date <= weeks.week_end_date
                and outcomes.promoted_load_date <= weeks.week_end_date
                then 1
            else 0
        end as promoted
    from weeks
    inner join apprentices
        on true
    inner join cohorts
        on apprentices.cohort_id = cohorts.cohort_id
        and cohorts.planned_end_date <= weeks.week_end_date
    left join outcomes
        on apprentices.apprentice_id = outcomes.apprentice_id

),

contributions as (

    select * from in_learning_rows
    union all
    select * from withdrawal_rows
    union all
    select * from finished_rows

),

{# The scopes an apprentice counts in: their programme and 'ALL'. -#}
scopes as (

    select apprentice_id, programme_id from apprentices
    union all
    select apprentice_id, 'ALL' as programme_id from apprentices

),

{# Each contribution counts for its programme and for 'ALL', in each dimension's group. -#}
scoped as (

    select
        contributions.*,
        scopes.programme_id,
        apprentices.gender,
        apprentices.ethnicity_group,
        apprentices.imd_quintile_label,
        apprentices.ldd_group
    from contributions
    inner join apprentices
        on contributions.apprentice_id = apprentices.apprentice_id
    inner join scopes
        on contributions.apprentice_id = scopes.apprentice_id

),

{%- set dimensions = [
    ('gender', 'Gender', 'gender'),
    ('ethnicity_group', 'Ethnicity', 'ethnicity_group'),
    ('imd_quintile', 'Socio-economic status (IMD quintile)', 'imd_quintile_label'),
    ('ldd', 'LDD', 'ldd_group'),
] %}

grouped as (

    {%- for dimension, label, column in dimensions %}
    select
        week_start_date,
        programme_id,
        '{{ dimension }}' as dimension,
        '{{ label }}' as dimension_label,
        coalesce(cast({{ column }} as {{ str }}), 'Unknown') as group_value,
        in_learning, is_red, is_amber, feedback_days, withdrawn_12w, finished, completed,
        promotion_base, promoted
    from scoped
    {{ "union all" if not loop.last }}
    {%- endfor %}

),

{# Additive statistics per group and per scope (the others = scope minus group). -#}
group_sums as (

    select
        week_start_date,
        programme_id,
        dimension,
        dimension_label,
        group_value,
        sum(in_learning) as n,
        sum(is_red) as red,
        sum(is_amber) as amber,
        count(feedback_days) as feedback_n,
        sum(feedback_days) as feedback_sum,
        sum(feedback_days * feedback_days) as feedback_sumsq,
        sum(withdrawn_12w) as withdrawn,
        sum(finished) as finished,
        sum(completed) as completed,
        sum(promotion_base) as promotion_base,
        sum(promoted) as promoted
    from grouped
    group by week_start_date, programme_id, dimension, dimension_label, group_value

),

scope_sums as (

    select
        week_start_date,
        programme_id,
        dimension,
        sum(n) as n,
        sum(red) as red,
        sum(amber) as amber,
        sum(feedback_n) as feedback_n,
        sum(feedback_sum) as feedback_sum,
        sum(feedback_sumsq) as feedback_sumsq,
        sum(withdrawn) as withdrawn,
        sum(finished) as finished,
        sum(completed) as completed,
        sum(promotion_base) as promotion_base,
        sum(promoted) as promoted
    from group_sums
    group by week_start_date, programme_id, dimension

),

group_medians as (

    select
        week_start_date,
        programme_id,
        dimension,
        group_value,
        {{ pipeline_health.median('feedback_days') }} as median_feedback_days
    from grouped
    where in_learning = 1
    group by week_start_date, programme_id, dimension, group_value

),

others_medians as (

    select
        group_sums.week_start_date,
        group_sums.programme_id,
        group_sums.dimension,
        group_sums.group_value,
        {{ pipeline_health.median('grouped.feedback_days') }} as median_feedback_days
    from group_sums
    inner join grouped
        on grouped.week_start_date = group_sums.week_start_date
        and grouped.programme_id = group_sums.programme_id
        and grouped.dimension = group_sums.dimension
        and grouped.group_value != group_sums.group_value
        and grouped.in_learning = 1
    group by group_sums.week_start_date, group_sums.programme_id, group_sums.dimension, group_sums.group_value

),

sides as (

    select
        group_sums.week_start_date,
        group_sums.programme_id,
        group_sums.dimension,
        group_sums.dimension_label,
        group_sums.group_value,
        {%- for stat in ['n', 'red', 'amber', 'feedback_n', 'feedback_sum', 'feedback_sumsq', 'withdrawn',
                         'finished', 'completed', 'promotion_base', 'promoted'] %}
        group_sums.{{ stat }} as g_{{ stat }},
        scope_sums.{{ stat }} - group_sums.{{ stat }} as o_{{ stat }},
        {%- endfor %}
        group_medians.median_feedback_days as g_median_feedback_days,
        others_medians.median_feedback_days as o_median_feedback_days
    from group_sums
    inner join scope_sums
        on group_sums.week_start_date = scope_sums.week_start_date
        and group_sums.programme_id = scope_sums.programme_id
        and group_sums.dimension = scope_sums.dimension
    left join group_medians
        on group_sums.week_start_date = group_medians.week_start_date
        and group_sums.programme_id = group_medians.programme_id
        and group_sums.dimension = group_medians.dimension
        and group_sums.group_value = group_medians.group_value
    left join others_medians
        on group_sums.week_start_date = others_medians.week_start_date
        and group_sums.programme_id = others_medians.programme_id
        and group_sums.dimension = others_medians.dimension
        and group_sums.group_value = others_medians.group_value
    {#- A group with nobody in learning has no row (its leavers still count among the others). #}
    where group_sums.n > 0

),

{#
    Suppression. Primary: the group or the others have fewer than 10 apprentices in
    learning. Secondary: within a week x programme x dimension, a single suppressed group
    (or suppressed groups adding up to fewer than 10) could be recovered as the total minus
    the groups shown, so the smallest shown group is suppressed too.
-#}
primary_suppression as (

    select
        *,
        case
            when g_n < {{ min_cell }} then 'fewer than 10 in the group'
            when o_n < {{ min_cell }} then 'fewer than 10 in the others'
        end as primary_reason
    from sides

),

suppression_stats as (

    select
        *,
        sum(case when primary_reason is not null then 1 else 0 end)
            over (partition by week_start_date, programme_id, dimension) as suppressed_groups,
        sum(case when primary_reason is not null then g_n else 0 end)
            over (partition by week_start_date, programme_id, dimension) as suppressed_apprentices,
        row_number() over (
            partition by
                week_start_date, programme_id, dimension, case when primary_reason is null then 0 else 1 end
            order by g_n, group_value
        ) as size_rank_among_same
    from primary_suppression

),

suppressed as (

    select
        *,
        coalesce(
            primary_reason,
            case
                when suppressed_groups > 0
                    and (suppressed_groups = 1 or suppressed_apprentices < {{ min_cell }})
                    and size_rank_among_same = 1
                    then 'protects a smaller group'
            end
        ) as suppression_reason
    from suppression_stats

),

{# Figures per side; a rate whose denominator is under 10 on either side stays NULL. -#}
figures as (

    select
        *,
        {%- for side in ['g', 'o'] %}
        cast({{ side }}_red as {{ dbl }}) / nullif({{ side }}_n, 0) as {{ side }}_red_share,
        cast({{ side }}_amber as {{ dbl }}) / nullif({{ side }}_n, 0) as {{ side }}_amber_share,
        {{ side }}_feedback_sum / nullif({{ side }}_feedback_n, 0) as {{ side }}_feedback_mean,
        (
            {{ side }}_feedback_sumsq
            - {{ side }}_feedback_sum * {{ side }}_feedback_sum / nullif({{ side }}_feedback_n, 0)
        ) / nullif({{ side }}_feedback_n - 1, 0) as {{ side }}_feedback_var,
        100.0 * {{ side }}_withdrawn / nullif({{ side }}_n, 0) as {{ side }}_withdrawals_per_100,
        case
            when g_finished >= {{ min_cell }} and o_finished >= {{ min_cell }}
                then cast({{ side }}_completed as {{ dbl }}) / {{ side }}_finished
        end as {{ side }}_completion_rate,
        case
            when g_promotion_base >= {{ min_cell }} and o_promotion_base >= {{ min_cell }}
                then cast({{ side }}_promoted as {{ dbl }}) / {{ side }}_promotion_base
        end as {{ side }}_promotion_rate,
        {%- endfor %}
        suppression_reason is not null as is_suppressed
    from suppressed

),

final as (

    select
        figures.week_start_date,
        weeks.week_end_date,
        figures.programme_id,
        case
            when figures.programme_id = 'ALL' then 'All programmes'
            else programmes.programme_name
        end as programme_name,
        figures.dimension,
        figures.dimension_label,
        figures.group_value,
        figures.is_suppressed,
        figures.suppression_reason,
        {{ pipeline_health.rounded_count('figures.g_n') }} as group_in_learning_count,
        {{ pipeline_health.rounded_count('figures.o_n') }} as others_in_learning_count,
        {%- for share in ['red', 'amber'] %}
        {%- set group_share = 'figures.g_' ~ share ~ '_share' %}
        {%- set others_share = 'figures.o_' ~ share ~ '_share' %}
        {%- set gap = group_share ~ ' - ' ~ others_share %}
        {%- set half_width = pipeline_health.proportion_gap_half_width(
            group_share, 'figures.g_n', others_share, 'figures.o_n') %}
        {{ pipeline_health.unless_suppressed(group_share) }} as group_{{ share }}_share,
        {{ pipeline_health.unless_suppressed(others_share) }} as others_{{ share }}_share,
        {{ pipeline_health.unless_suppressed(gap) }} as gap_{{ share }}_share,
        {{ pipeline_health.unless_suppressed(gap ~ ' - ' ~ half_width) }} as gap_{{ share }}_share_ci_low,
        {{ pipeline_health.unless_suppressed(gap ~ ' + ' ~ half_width) }} as gap_{{ share }}_share_ci_high,
        {%- endfor %}
        {%- set median_gap = 'figures.g_median_feedback_days - figures.o_median_feedback_days' %}
        {{ pipeline_health.unless_suppressed('figures.g_median_feedback_days') }} as group_median_days_since_feedback,
        {{ pipeline_health.unless_suppressed('figures.o_median_feedback_days') }} as others_median_days_since_feedback,
        {{ pipeline_health.unless_suppressed(median_gap) }} as gap_median_days_since_feedback,
        {%- set mean_gap = 'figures.g_feedback_mean - figures.o_feedback_mean' %}
        {{ pipeline_health.unless_suppressed('figures.g_feedback_mean') }} as group_mean_days_since_feedback,
        {{ pipeline_health.unless_suppressed('figures.o_feedback_mean') }} as others_mean_days_since_feedback,
        {{ pipeline_health.unless_suppressed(mean_gap) }} as gap_mean_days_since_feedback,
        {%- set mean_half_width = pipeline_health.mean_gap_half_width(
            'figures.g_feedback_var', 'figures.g_feedback_n', 'figures.o_feedback_var', 'figures.o_feedback_n') %}
        {{ pipeline_health.unless_suppressed(mean_gap ~ ' - ' ~ mean_half_width) }}
            as gap_mean_days_since_feedback_ci_low,
        {{ pipeline_health.unless_suppressed(mean_gap ~ ' + ' ~ mean_half_width) }}
            as gap_mean_days_since_feedback_ci_high,
        {%- set rate_gap = 'figures.g_withdrawals_per_100 - figures.o_withdrawals_per_100' %}
        {{ pipeline_health.unless_suppressed('figures.g_withdrawals_per_100') }} as group_withdrawals_12w_per_100,
        {{ pipeline_health.unless_suppressed('figures.o_withdrawals_per_100') }} as others_withdrawals_12w_per_100,
        {{ pipeline_health.unless_suppressed(rate_gap) }} as gap_withdrawals_12w_per_100,
        {#- Poisson: var(100 w / n) = 100^2 w / n^2 on each side. -#}
        {%- set rate_half_width = pipeline_health.rate_per_100_gap_half_width(
            'figures.g_withdrawn', 'figures.g_n', 'figures.o_withdrawn', 'figures.o_n') %}
        {{ pipeline_health.unless_suppressed(rate_gap ~ ' - ' ~ rate_half_width) }}
            as gap_withdrawals_12w_per_100_ci_low,
        {{ pipeline_health.unless_suppressed(rate_gap ~ ' + ' ~ rate_half_width) }}
            as gap_withdrawals_12w_per_100_ci_high,
        {{ pipeline_health.rounded_count('figures.g_finished') }} as group_finished_cohort_count,
        {%- for rate, base in [('completion', 'finished'), ('promotion', 'promotion_base')] %}
        {%- set group_rate = 'figures.g_' ~ rate ~ '_rate' %}
        {%- set others_rate = 'figures.o_' ~ rate ~ '_rate' %}
        {%- set gap = group_rate ~ ' - ' ~ others_rate %}
        {%- set half_width = pipeline_health.proportion_gap_half_width(
            group_rate, 'figures.g_' ~ base, others_rate, 'figures.o_' ~ base) %}
        {{ pipeline_health.unless_suppressed(group_rate) }} as group_{{ rate }}_rate,
        {{ pipeline_health.unless_suppressed(others_rate) }} as others_{{ rate }}_rate,
        {{ pipeline_health.unless_suppressed(gap) }} as gap_{{ rate }}_rate,
        {{ pipeline_health.unless_suppressed(gap ~ ' - ' ~ half_width) }} as gap_{{ rate }}_rate_ci_low,
        {{ pipeline_health.unless_suppressed(gap ~ ' + ' ~ half_width) }} as gap_{{ rate }}_rate_ci_high
        {%- if not loop.last %},{% endif %}
        {%- endfor %}
    from figures
    inner join weeks
        on figures.week_start_date = weeks.week_start_date
    left join programmes
        on figures.programme_id = programmes.programme_id

)

select * from final

{{
    config(
        materialized='incremental',
        incremental_strategy=pipeline_health.incremental_strategy(),
        unique_key='load_date',
        partition_by=pipeline_health.partition_by_day('load_date'),
        partitions=pipeline_health.window_partitions('load'),
        cluster_by=['source_table'],
        pre_hook="{{ pipeline_health.delete_window('load_date', 'load') }}",
    )
}}

{#-
    Per raw event table and load_date: raw rows, staged rows and rejected rows (by reason).
    raw_rows = staged_rows + rejected_rows on every row (generic test raw_rows_reconcile).
    One model downstream of all staging models, so its test runs once they are all built,
    also when an orchestrator runs each model with its tests as a separate task.
-#}

{%- set staging_models = {
    'raw_coach_feedback': 'stg_apprenticeship__coach_feedback',
    'raw_otj_hours': 'stg_apprenticeship__otj_hours',
    'raw_progress_reviews': 'stg_apprenticeship__progress_reviews',
    'raw_quiz_attempts': 'stg_apprenticeship__quiz_attempts',
    'raw_session_attendance': 'stg_apprenticeship__session_attendance',
    'raw_status_changes': 'stg_apprenticeship__status_changes',
} -%}

with

raw_counts as (

    {%- for table_name in pipeline_health.event_table_names() %}
    select '{{ table_name }}' as source_table, load_date, count(*) as raw_rows
    from {{ source('apprenticeship', table_name) }}
    where {{ pipeline_health.in_window('load_date', 'load') }}
    group by load_date
    {{ 'union all' if not loop.last }}
    {%- endfor %}

),

staged_counts as (

    {%- for table_name in pipeline_health.event_table_names() %}
    select '{{ table_name }}' as source_table, load_date, count(*) as staged_rows
    from {{ ref(staging_models[table_name]) }}
    where {{ pipeline_health.in_window('load_date', 'load') }}
    group by load_date
    {{ 'union all' if not loop.last }}
    {%- endfor %}

),

rejected_counts as (

    select
        source_table,
        load_date,
        count(*) as rejected_rows,
        {%- for reason in pipeline_health.rejection_reasons() %}
        count(case when rejection_reason = '{{ reason }}' then 1 end) as rejected_{{ reason }}
        {%- if not loop.last %},{% endif %}
        {%- endfor %}
    from {{ ref('stg_apprenticeship__rejected_rows') }}
    where {{ pipeline_health.in_window('load_date', 'load') }}
    group by source_table, load_date

),

table_days as (

    select distinct source_table, load_date
    from (
        select source_table, load_date from raw_counts
        union all
        select source_table, load_date from staged_counts
        union all
        select source_table, load_date from rejected_counts
    ) as all_table_days

),

final as (

    select
        table_days.source_table,
        table_days.load_date,
        coalesce(raw_counts.raw_rows, 0) as raw_rows,
        coalesce(staged_counts.staged_rows, 0) as staged_rows,
        coalesce(rejected_counts.rejected_rows, 0) as rejected_rows,
        {%- for reason in pipeline_health.rejection_reasons() %}
        coalesce(rejected_counts.rejected_{{ reason }}, 0) as rejected_{{ reason }},
        {%- endfor %}
        (
            coalesce(raw_counts.raw_rows, 0)
            = coalesce(staged_counts.staged_rows, 0) + coalesce(rejected_counts.rejected_rows, 0)
        ) as is_reconciled
    from table_days
    left join raw_counts
        on table_days.source_table = raw_counts.source_table
        and table_days.load_date = raw_counts.load_date
    left join staged_counts
        on table_days.source_table = staged_counts.source_table
        and table_days.load_date = staged_counts.load_date
    left join rejected_counts
        on table_days.source_table = rejected_counts.source_table
        and table_days.load_date = rejected_counts.load_date

)

select * from final

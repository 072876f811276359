{#-
    Nothing is lost or invented between raw and staging: for every raw event table and
    every load_date of the run's load window, raw rows = staged rows + rejected rows.
    Returns one row per (table, load_date) that does not add up.
-#}

{%- set window = pipeline_health.load_window() -%}
{%- set staging_models = {
    'raw_coach_feedback': 'stg_apprenticeship__coach_feedback',
    'raw_otj_hours': 'stg_apprenticeship__otj_hours',
    'raw_progress_reviews': 'stg_apprenticeship__progress_reviews',
    'raw_quiz_attempts': 'stg_apprenticeship__quiz_attempts',
    'raw_session_attendance': 'stg_apprenticeship__session_attendance',
    'raw_status_changes': 'stg_apprenticeship__status_changes',
} -%}
{%- set in_window -%}
    load_date between {{ pipeline_health.date_literal(window.start) }} and {{ pipeline_health.date_literal(window.end) }}
{%- endset -%}

with

raw_counts as (

    {%- for table_name in pipeline_health.event_table_names() %}
    select '{{ table_name }}' as source_table, load_date, count(*) as raw_rows
    from {{ source('apprenticeship', table_name) }}
    where {{ in_window }}
    group by load_date
    {{ 'union all' if not loop.last }}
    {%- endfor %}

),

staged_counts as (

    {%- for table_name in pipeline_health.event_table_names() %}
    select '{{ table_name }}' as source_table, load_date, count(*) as staged_rows
    from {{ ref(staging_models[table_name]) }}
    where {{ in_window }}
    group by load_date
    {{ 'union all' if not loop.last }}
    {%- endfor %}

),

rejected_counts as (

    select source_table, load_date, count(*) as rejected_rows
    from {{ ref('stg_apprenticeship__rejected_rows') }}
    where {{ in_window }}
    group by source_table, load_date

),

keys as (

    select distinct source_table, load_date
    from (
        select source_table, load_date from raw_counts
        union all
        select source_table, load_date from staged_counts
        union all
        select source_table, load_date from rejected_counts
    ) as all_keys

),

compared as (

    select
        keys.source_table,
        keys.load_date,
        coalesce(raw_counts.raw_rows, 0) as raw_rows,
        coalesce(staged_counts.staged_rows, 0) as staged_rows,
        coalesce(rejected_counts.rejected_rows, 0) as rejected_rows
    from keys
    left join raw_counts
        on keys.source_table = raw_counts.source_table and keys.load_date = raw_counts.load_date
    left join staged_counts
        on keys.source_table = staged_counts.source_table and keys.load_date = staged_counts.load_date
    left join rejected_counts
        on keys.source_table = rejected_counts.source_table and keys.load_date = rejected_counts.load_date

)

select *
from compared
where raw_rows != staged_rows + rejected_rows

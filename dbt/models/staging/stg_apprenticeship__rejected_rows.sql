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
    Every raw event row of the run's load window that staging did not keep, with the one
    reason it was rejected (the first failing rule, in the order of
    macros/validation/validated_event_ctes.sql) and the raw row as JSON text.
    For each table and load_date: raw rows = staged rows + rejected rows
    (ops_raw_load_reconciliation, tested by raw_rows_reconcile).
-#}

with

{% for table_name in pipeline_health.event_table_names() %}
{{ pipeline_health.validated_event_ctes(table_name) }}
{% endfor %}

rejected as (

    {%- for table_name in pipeline_health.event_table_names() %}
    select
        '{{ table_name }}' as source_table,
        event_id,
        apprentice_id,
        load_date,
        loaded_at,
        rejection_reason,
        raw_payload
    from {{ table_name[4:] }}__validated
    where rejection_reason is not null
    {{ 'union all' if not loop.last }}
    {%- endfor %}

)

select * from rejected

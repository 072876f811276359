{#-
    What a data test reads of the model it tests (dbt's get_where_subquery, overridden for
    BigQuery only). A model with require_partition_filter (the largest facts) refuses a query
    that does not name its days, and a test of the whole history would scan, and bill, all of
    it every day: on BigQuery such a test reads the partitions this run rewrote (the model's
    static `partitions`, the run's window), plus the test's own `where` if it has one. Other
    models, and every model on DuckDB, are tested whole (dbt's default).
-#}
{% macro bigquery__get_where_subquery(relation) -%}
    {%- set where = config.get('where', '') -%}
    {%- set tested = graph.nodes.get(model.attached_node) if model.attached_node else none -%}
    {%- if tested is not none and tested.config.get('require_partition_filter')
            and relation.identifier == tested.alias -%}
        {%- set partitions = tested.config.get('partitions') or [] -%}
        {%- if partitions | length == 0 -%}
            {{ exceptions.raise_compiler_error(
                "Cannot test " ~ tested.name ~ " on BigQuery: it requires a partition filter and has"
                ~ " no static partitions for this run (set run_start_date and run_end_date)") }}
        {%- endif -%}
        {%- set window = tested.config.partition_by.field ~ ' in (' ~ partitions | join(', ') ~ ')' -%}
        {%- set where = window ~ (' and (' ~ where ~ ')' if where else '') -%}
    {%- endif -%}
    {%- if where -%}
        {{ return('(select * from ' ~ relation ~ ' where ' ~ where ~ ') as dbt_subquery') }}
    {%- endif -%}
    {{ return(relation) }}
{%- endmacro %}

{#-
    Every day from start_column to end_column (inclusive) of each row of `relation`, as a
    one-column select (`date_day`). `relation` is a CTE or relation holding the bounds.
-#}
{% macro date_series(relation, start_column, end_column) -%}
    {{ return(adapter.dispatch('date_series', 'pipeline_health')(relation, start_column, end_column)) }}
{%- endmacro %}

{% macro duckdb__date_series(relation, start_column, end_column) -%}
    select cast(unnest(generate_series(
        cast({{ start_column }} as timestamp),
        cast({{ end_column }} as timestamp),
        interval 1 day
    )) as date) as date_day
    from {{ relation }}
    where {{ start_column }} <= {{ end_column }}
{%- endmacro %}

{% macro bigquery__date_series(relation, start_column, end_column) -%}
    select date_day
    from {{ relation }}
    cross join unnest(generate_date_array({{ start_column }}, {{ end_column }})) as date_day
    where {{ start_column }} <= {{ end_column }}
{%- endmacro %}

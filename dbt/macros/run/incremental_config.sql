{#-
    Incremental configuration chosen from target.type (one model, both warehouses):
      BigQuery  insert_overwrite with static partitions = every day of the run's window;
      DuckDB    delete+insert keyed on the partition column, plus a pre-hook that first
                deletes the whole window inside the same transaction, so a day whose
                recomputed result is empty is emptied too (delete+insert alone deletes only
                the keys present in the new rows).
-#}

{% macro incremental_strategy() -%}
    {{ return('insert_overwrite' if target.type == 'bigquery' else 'delete+insert') }}
{%- endmacro %}


{% macro partition_by_day(column) -%}
    {%- if target.type == 'bigquery' -%}
        {{ return({'field': column, 'data_type': 'date', 'granularity': 'day'}) }}
    {%- endif -%}
    {{ return(none) }}
{%- endmacro %}


{#- window: 'load' (load_window) or 'daily' (daily_window). -#}
{% macro window_partitions(window) -%}
    {%- if target.type != 'bigquery' -%}
        {{ return(none) }}
    {%- endif -%}
    {%- set bounds = pipeline_health.load_window() if window == 'load' else pipeline_health.daily_window() -%}
    {{ return(pipeline_health.date_literals(bounds.start, bounds.end)) }}
{%- endmacro %}


{#- Pre-hook (DuckDB, incremental runs only): empty the window before inserting it again. -#}
{% macro delete_window(column, window) -%}
    {%- if target.type == 'duckdb' and is_incremental() -%}
        {%- set bounds = pipeline_health.load_window() if window == 'load' else pipeline_health.daily_window() -%}
        delete from {{ this }}
        where {{ column }} between {{ pipeline_health.date_literal(bounds.start) }}
            and {{ pipeline_health.date_literal(bounds.end) }}
    {%- endif -%}
{%- endmacro %}


{#-
    WHERE condition selecting the rows a model (re)builds on this run: the window on an
    incremental run, everything up to the window's end on a first build / full refresh.
-#}
{% macro in_window(column, window) -%}
    {%- set bounds = pipeline_health.load_window() if window == 'load' else pipeline_health.daily_window() -%}
    {%- if is_incremental() -%}
        {{ column }} between {{ pipeline_health.date_literal(bounds.start) }} and {{ pipeline_health.date_literal(bounds.end) }}
    {%- else -%}
        {{ column }} <= {{ pipeline_health.date_literal(bounds.end) }}
    {%- endif -%}
{%- endmacro %}

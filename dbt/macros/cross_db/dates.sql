{#-
    Date functions that differ between DuckDB and BigQuery. Every macro takes and returns
    SQL expressions and always yields a DATE (or an integer), never a DATETIME/TIMESTAMP.
    Dispatched through adapter.dispatch so a model is written once for both warehouses.
-#}

{#- A 'YYYY-MM-DD' string as a DATE literal. -#}
{% macro date_literal(iso_date) -%}
    cast('{{ iso_date }}' as date)
{%- endmacro %}


{#- date + n days, as a DATE (dbt.dateadd returns a DATETIME on BigQuery). -#}
{% macro add_days(date_expr, days) -%}
    {{ return(adapter.dispatch('add_days', 'pipeline_health')(date_expr, days)) }}
{%- endmacro %}

{% macro default__add_days(date_expr, days) -%}
    cast({{ dbt.dateadd('day', days, date_expr) }} as date)
{%- endmacro %}

{% macro duckdb__add_days(date_expr, days) -%}
    cast(({{ date_expr }}) + cast({{ days }} as integer) as date)
{%- endmacro %}

{% macro bigquery__add_days(date_expr, days) -%}
    date_add({{ date_expr }}, interval {{ days }} day)
{%- endmacro %}


{#- Whole days from start_date to end_date (end - start), an integer. -#}
{% macro days_between(start_date, end_date) -%}
    {{ return(adapter.dispatch('days_between', 'pipeline_health')(start_date, end_date)) }}
{%- endmacro %}

{% macro default__days_between(start_date, end_date) -%}
    {{ dbt.datediff(start_date, end_date, 'day') }}
{%- endmacro %}

{% macro duckdb__days_between(start_date, end_date) -%}
    date_diff('day', {{ start_date }}, {{ end_date }})
{%- endmacro %}

{% macro bigquery__days_between(start_date, end_date) -%}
    date_diff({{ end_date }}, {{ start_date }}, day)
{%- endmacro %}


{#- Days since 1970-01-01: an integer ordering key for RANGE window frames. -#}
{% macro day_number(date_expr) -%}
    {{ return(adapter.dispatch('day_number', 'pipeline_health')(date_expr)) }}
{%- endmacro %}

{% macro default__day_number(date_expr) -%}
    {{ pipeline_health.days_between("cast('1970-01-01' as date)", date_expr) }}
{%- endmacro %}

{% macro bigquery__day_number(date_expr) -%}
    unix_date({{ date_expr }})
{%- endmacro %}


{#- Monday of the ISO week containing the date (date_trunc('week') starts on Sunday on BigQuery). -#}
{% macro iso_week_start(date_expr) -%}
    {{ return(adapter.dispatch('iso_week_start', 'pipeline_health')(date_expr)) }}
{%- endmacro %}

{% macro default__iso_week_start(date_expr) -%}
    {{ pipeline_health.add_days(date_expr, '1 - ' ~ pipeline_health.iso_day_of_week(date_expr)) }}
{%- endmacro %}

{% macro duckdb__iso_week_start(date_expr) -%}
    cast(date_trunc('week', {{ date_expr }}) as date)
{%- endmacro %}

{#- Same as date_trunc(d, isoweek), written so the local BigQuery emulator runs it too. -#}
{% macro bigquery__iso_week_start(date_expr) -%}
    date_sub({{ date_expr }}, interval mod(extract(dayofweek from {{ date_expr }}) + 5, 7) day)
{%- endmacro %}


{#- ISO day of week: 1 = Monday ... 7 = Sunday. -#}
{% macro iso_day_of_week(date_expr) -%}
    {{ return(adapter.dispatch('iso_day_of_week', 'pipeline_health')(date_expr)) }}
{%- endmacro %}

{% macro duckdb__iso_day_of_week(date_expr) -%}
    isodow({{ date_expr }})
{%- endmacro %}

{% macro bigquery__iso_day_of_week(date_expr) -%}
    mod(extract(dayofweek from {{ date_expr }}) + 5, 7) + 1
{%- endmacro %}


{#- ISO week number (1-53) and ISO week-numbering year. -#}
{% macro iso_week_number(date_expr) -%}
    {{ return(adapter.dispatch('iso_week_number', 'pipeline_health')(date_expr)) }}
{%- endmacro %}

{% macro duckdb__iso_week_number(date_expr) -%}
    weekofyear({{ date_expr }})
{%- endmacro %}

{#- format_date('%V') rather than extract(isoweek): same result, and the local BigQuery emulator knows it. -#}
{% macro bigquery__iso_week_number(date_expr) -%}
    cast(format_date('%V', {{ date_expr }}) as int64)
{%- endmacro %}

{% macro iso_year(date_expr) -%}
    {{ return(adapter.dispatch('iso_year', 'pipeline_health')(date_expr)) }}
{%- endmacro %}

{% macro duckdb__iso_year(date_expr) -%}
    isoyear({{ date_expr }})
{%- endmacro %}

{% macro bigquery__iso_year(date_expr) -%}
    cast(format_date('%G', {{ date_expr }}) as int64)
{%- endmacro %}


{#- First day of the month / year, as a DATE. -#}
{% macro month_start(date_expr) -%}
    cast({{ dbt.date_trunc('month', date_expr) }} as date)
{%- endmacro %}

{% macro year_start(date_expr) -%}
    cast({{ dbt.date_trunc('year', date_expr) }} as date)
{%- endmacro %}


{#- strftime-style formatting of a DATE (%A day name, %B month name, %Y-%m ...). -#}
{% macro format_date(date_expr, fmt) -%}
    {{ return(adapter.dispatch('format_date', 'pipeline_health')(date_expr, fmt)) }}
{%- endmacro %}

{% macro duckdb__format_date(date_expr, fmt) -%}
    strftime({{ date_expr }}, '{{ fmt }}')
{%- endmacro %}

{% macro bigquery__format_date(date_expr, fmt) -%}
    format_date('{{ fmt }}', {{ date_expr }})
{%- endmacro %}

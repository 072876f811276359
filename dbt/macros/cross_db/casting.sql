{#-
    Casting raw STRING payloads. A value that does not parse becomes NULL instead of failing
    the query, so one bad row never stops the good ones (staging then rejects it).
    dbt.safe_cast is a plain CAST on DuckDB, so DuckDB is dispatched to TRY_CAST.
-#}

{% macro safe_cast(expr, data_type) -%}
    {{ return(adapter.dispatch('safe_cast', 'pipeline_health')(expr, data_type)) }}
{%- endmacro %}

{% macro default__safe_cast(expr, data_type) -%}
    {{ dbt.safe_cast(expr, data_type) }}
{%- endmacro %}

{% macro duckdb__safe_cast(expr, data_type) -%}
    try_cast({{ expr }} as {{ data_type }})
{%- endmacro %}

{% macro bigquery__safe_cast(expr, data_type) -%}
    safe_cast({{ expr }} as {{ data_type }})
{%- endmacro %}


{#- Warehouse type names used by the models. -#}
{% macro type_integer() -%}
    {{ return(adapter.dispatch('type_integer', 'pipeline_health')()) }}
{%- endmacro %}
{% macro default__type_integer() -%}bigint{%- endmacro %}
{% macro bigquery__type_integer() -%}int64{%- endmacro %}

{% macro type_double() -%}
    {{ return(adapter.dispatch('type_double', 'pipeline_health')()) }}
{%- endmacro %}
{% macro default__type_double() -%}double{%- endmacro %}
{% macro bigquery__type_double() -%}float64{%- endmacro %}

{% macro type_string() -%}
    {{ return(adapter.dispatch('type_string', 'pipeline_health')()) }}
{%- endmacro %}
{% macro default__type_string() -%}varchar{%- endmacro %}
{% macro bigquery__type_string() -%}string{%- endmacro %}


{#-
    An ISO-8601 string as a UTC timestamp (TIMESTAMP without time zone on DuckDB, holding
    UTC; TIMESTAMP on BigQuery). An offset ("Z", "+02:00") is honoured; no offset means UTC
    (the DuckDB profile sets TimeZone=UTC). Unparseable text gives NULL.
-#}
{% macro safe_utc_timestamp(expr) -%}
    {{ return(adapter.dispatch('safe_utc_timestamp', 'pipeline_health')(expr)) }}
{%- endmacro %}

{% macro default__safe_utc_timestamp(expr) -%}
    {{ pipeline_health.safe_cast(expr, 'timestamp') }}
{%- endmacro %}

{% macro duckdb__safe_utc_timestamp(expr) -%}
    timezone('UTC', try_cast({{ expr }} as timestamptz))
{%- endmacro %}

{% macro bigquery__safe_utc_timestamp(expr) -%}
    safe_cast({{ expr }} as timestamp)
{%- endmacro %}


{#- UTC calendar date of a timestamp produced by safe_utc_timestamp. -#}
{% macro utc_date(timestamp_expr) -%}
    cast({{ timestamp_expr }} as date)
{%- endmacro %}


{#- 'true' / 'false' (any case) as a boolean; anything else gives NULL. -#}
{% macro safe_boolean(expr) -%}
    case lower({{ expr }}) when 'true' then true when 'false' then false end
{%- endmacro %}


{#-
    The raw row as JSON text, for the rejected-rows model: `columns` is a list of column
    names, the values are the untouched raw strings.
-#}
{% macro json_payload(columns, relation_alias=none) -%}
    {{ return(adapter.dispatch('json_payload', 'pipeline_health')(columns, relation_alias)) }}
{%- endmacro %}

{% macro duckdb__json_payload(columns, relation_alias) -%}
    {%- set prefix = relation_alias ~ '.' if relation_alias else '' -%}
    cast(json_object(
        {%- for column in columns %}
        '{{ column }}', {{ prefix }}{{ column }}{{ ',' if not loop.last }}
        {%- endfor %}
    ) as varchar)
{%- endmacro %}

{% macro bigquery__json_payload(columns, relation_alias) -%}
    {%- set prefix = relation_alias ~ '.' if relation_alias else '' -%}
    to_json_string(struct(
        {%- for column in columns %}
        {{ prefix }}{{ column }} as {{ column }}{{ ',' if not loop.last }}
        {%- endfor %}
    ))
{%- endmacro %}

{% macro type_boolean() -%}
    {{ return(adapter.dispatch('type_boolean', 'pipeline_health')()) }}
{%- endmacro %}
{% macro default__type_boolean() -%}boolean{%- endmacro %}
{% macro bigquery__type_boolean() -%}bool{%- endmacro %}


{#- Median of a numeric expression (an aggregate). BigQuery has no exact median aggregate:
    APPROX_QUANTILES with 2 buckets gives the (approximate) middle value. -#}
{% macro median(expr) -%}
    {{ return(adapter.dispatch('median', 'pipeline_health')(expr)) }}
{%- endmacro %}
{% macro default__median(expr) -%}median({{ expr }}){%- endmacro %}
{% macro bigquery__median(expr) -%}approx_quantiles({{ expr }}, 2)[offset(1)]{%- endmacro %}

{#-
    Models, snapshots and tests land in exactly the schema they are configured with
    (`staging`, `marts`, `snapshots`, `ops`), never dbt's default `<target_schema>_<schema>`.

    On BigQuery every dataset of the project shares a prefix, so several environments can
    live in one GCP project. The rule is include/pipeline_health/warehouse.py's
    `dataset_prefix`; Cosmos passes its value as the var `dataset_prefix`, so the DAGs' dbt
    and the Python side (notifier, run ledger, dashboard) name datasets from one setting.
    Without the var (dbt run by hand) the same rule is applied here; tests/test_warehouse.py
    checks that both give the same datasets:
      1. var `dataset_prefix`, else
      2. env PIPELINE_HEALTH_BQ_DATASET_PREFIX (used as given, e.g. "pipeline_health_"), else
      3. the raw dataset's name without its trailing "raw"
         (PIPELINE_HEALTH_BQ_RAW_DATASET, default "pipeline_health_raw" -> "pipeline_health_").
    DuckDB uses no prefix: one file is one environment.
    Nodes without a configured schema use the target's schema unchanged.
-#}
{% macro generate_schema_name(custom_schema_name, node) -%}
    {%- if custom_schema_name is none or custom_schema_name | trim == '' -%}
        {{ target.schema | trim }}
    {%- else -%}
        {{ pipeline_health.dataset_prefix() ~ (custom_schema_name | trim) }}
    {%- endif -%}
{%- endmacro %}


{% macro dataset_prefix() -%}
    {%- if target.type != 'bigquery' -%}
        {{ return('') }}
    {%- endif -%}
    {%- set from_var = var('dataset_prefix', none) -%}
    {%- if from_var is not none -%}
        {{ return(from_var | string | trim) }}
    {%- endif -%}
    {%- set from_env = env_var('PIPELINE_HEALTH_BQ_DATASET_PREFIX', '') | trim -%}
    {%- if from_env != '' -%}
        {{ return(from_env) }}
    {%- endif -%}
    {%- set raw_dataset = env_var('PIPELINE_HEALTH_BQ_RAW_DATASET', 'pipeline_health_raw') | trim -%}
    {%- if raw_dataset.endswith('raw') -%}
        {{ return(raw_dataset[:-3]) }}
    {%- else -%}
        {{ return(raw_dataset ~ '_') }}
    {%- endif -%}
{%- endmacro %}

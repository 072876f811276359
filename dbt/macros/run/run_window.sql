{#-
    The run's window: which days a daily run reads and rewrites.

    Contract with the DAGs (inclusive, 'YYYY-MM-DD'):
      run_start_date, run_end_date  the load days of the run (the Airflow data interval):
                         a dbt var, else the environment variable PIPELINE_HEALTH_RUN_START_DATE
                         / PIPELINE_HEALTH_RUN_END_DATE. The DAGs' Cosmos tasks set the
                         environment variables: dbt re-parses only the files that read a
                         changed environment variable, whereas a changed var makes it parse
                         the whole project again (~10 s, in the first task of every run).
      lookback_days      (default 3) fct_apprentice_daily recomputes as_of dates
                         [run_start_date - lookback_days, run_end_date].
      late_arrival_days  (default 7) validity window of an event, and how far after
                         run_end_date load-date models recompute.
    When run_start_date / run_end_date are absent:
      DuckDB   both default to the latest load_date in the raw event tables (run_start_date
               defaults to run_end_date);
      BigQuery the run fails with a clear message: BigQuery's insert_overwrite partitions are
               fixed when dbt parses the project, so the days must be known up front.
-#}

{% macro _check_iso_date(value, name) -%}
    {%- set text = value | string | trim -%}
    {%- if not modules.re.match('^[0-9]{4}-[0-9]{2}-[0-9]{2}$', text) -%}
        {{ exceptions.raise_compiler_error(name ~ "=" ~ text ~ " is not a date in the form YYYY-MM-DD") }}
    {%- endif -%}
    {{ return(modules.datetime.datetime.strptime(text, '%Y-%m-%d').date()) }}
{%- endmacro %}


{#- Latest load_date in the raw event tables (DuckDB default for the run's days). -#}
{% macro _latest_raw_load_date() -%}
    {%- set tables = pipeline_health.event_table_names() -%}
    {%- set query -%}
        select max(load_date) as latest_load_date from (
        {%- for table in tables %}
            select max(load_date) as load_date
            from {{ api.Relation.create(database=target.database, schema='raw', identifier=table) }}
            {{ 'union all' if not loop.last }}
        {%- endfor %}
        ) as per_table
    {%- endset -%}
    {%- set result = run_query(query) -%}
    {%- set latest = result.columns[0].values()[0] if result and result.rows | length > 0 else none -%}
    {%- if latest is none -%}
        {{ return(run_started_at.date()) }}
    {%- endif -%}
    {{ return(pipeline_health._check_iso_date(latest | string, 'latest raw load_date')) }}
{%- endmacro %}


{#- A run date as given (var first, then environment), or none.
    While dbt parses a DuckDB project the environment is not read: dbt re-parses every file
    that read a changed environment variable, i.e. 20 files (~3 s) in the first dbt command
    of every daily run, and only BigQuery needs the days at parse time (static partitions). -#}
{% macro _run_date_setting(name) -%}
    {%- set value = var(name, none) -%}
    {%- if value is none or (value | string | trim) == '' -%}
        {%- if not execute and target.type != 'bigquery' -%}
            {{ return(none) }}
        {%- endif -%}
        {%- set value = env_var('PIPELINE_HEALTH_' ~ (name | upper), '') -%}
    {%- endif -%}
    {{ return(none if (value | string | trim) == '' else value) }}
{%- endmacro %}


{#- run_end_date as a Python date. -#}
{% macro run_end() -%}
    {%- set value = pipeline_health._run_date_setting('run_end_date') -%}
    {%- if value is not none -%}
        {{ return(pipeline_health._check_iso_date(value, 'run_end_date')) }}
    {%- endif -%}
    {%- if not execute -%}
        {#- Parse time: a placeholder; the SQL that runs is compiled again at execution. -#}
        {{ return(run_started_at.date()) }}
    {%- endif -%}
    {%- if target.type == 'bigquery' -%}
        {{ exceptions.raise_compiler_error(
            "BigQuery runs need run_start_date and run_end_date ('YYYY-MM-DD', inclusive): the vars, "
            ~ "e.g. --vars '{run_start_date: 2026-11-20, run_end_date: 2026-11-20}', or the "
            ~ "environment variables PIPELINE_HEALTH_RUN_START_DATE and PIPELINE_HEALTH_RUN_END_DATE") }}
    {%- endif -%}
    {{ return(pipeline_health._latest_raw_load_date()) }}
{%- endmacro %}


{#- run_start_date as a Python date (defaults to run_end_date). -#}
{% macro run_start() -%}
    {%- set value = pipeline_health._run_date_setting('run_start_date') -%}
    {%- set end = pipeline_health.run_end() -%}
    {%- if value is none -%}
        {{ return(end) }}
    {%- endif -%}
    {%- set start = pipeline_health._check_iso_date(value, 'run_start_date') -%}
    {%- if start > end -%}
        {{ exceptions.raise_compiler_error("run_start_date=" ~ start ~ " is after run_end_date=" ~ end) }}
    {%- endif -%}
    {{ return(start) }}
{%- endmacro %}


{% macro _non_negative_int_var(name, default) -%}
    {%- set value = var(name, default) | string | trim -%}
    {%- if not modules.re.match('^[0-9]+$', value) -%}
        {{ exceptions.raise_compiler_error("var " ~ name ~ "=" ~ value ~ " is not a whole number of days >= 0") }}
    {%- endif -%}
    {{ return(value | int) }}
{%- endmacro %}

{% macro lookback_days() -%}
    {{ return(pipeline_health._non_negative_int_var('lookback_days', 3)) }}
{%- endmacro %}

{% macro late_arrival_days() -%}
    {{ return(pipeline_health._non_negative_int_var('late_arrival_days', 7)) }}
{%- endmacro %}


{#-
    Load-date window of staging and event facts: [run_start_date, run_end_date + late_arrival_days].
    Days after run_end_date are usually empty; recomputing them keeps duplicate detection
    right when days are loaded out of order (a copy loaded on an earlier day wins).
    Returns {'start': date, 'end': date}.
-#}
{% macro load_window() -%}
    {%- set start = pipeline_health.run_start() -%}
    {%- set end = pipeline_health.run_end() + modules.datetime.timedelta(days=pipeline_health.late_arrival_days()) -%}
    {{ return({'start': start, 'end': end}) }}
{%- endmacro %}


{#- As-of window of fct_apprentice_daily: [run_start_date - lookback_days, run_end_date]. -#}
{% macro daily_window() -%}
    {%- set start = pipeline_health.run_start() - modules.datetime.timedelta(days=pipeline_health.lookback_days()) -%}
    {{ return({'start': start, 'end': pipeline_health.run_end()}) }}
{%- endmacro %}


{#- Every day of [start, end] as SQL DATE literals (BigQuery static partitions). -#}
{% macro date_literals(start, end) -%}
    {%- set days = [] -%}
    {%- for offset in range((end - start).days + 1) -%}
        {%- do days.append(pipeline_health.date_literal((start + modules.datetime.timedelta(days=offset)).isoformat())) -%}
    {%- endfor -%}
    {{ return(days) }}
{%- endmacro %}

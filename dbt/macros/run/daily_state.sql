{#-
    How fct_apprentice_daily learns what happened before its as_of window (status and the
    latest coach contact), so a daily run reads only a bounded window of facts:

      full     first build / full refresh: reads all facts, builds every as_of date from the
               first load_date to run_end_date.
      carry    incremental, and the table already holds the day before the window: that
               day's rows carry status and last contact forward; facts are read only for
               load dates [window start - 29, run_end_date + lookback_days]. Gives the same
               rows as a full rebuild, except for an apprentice absent from that day (no
               status history and no activity for 30 days) whose last contact is older than
               the facts read: that contact is not seen. With the full status history
               loaded this cannot happen (every start is a status change).
      history  incremental, but the day before the window is not in the table (first runs
               after a build, or a gap): reads all facts for the window's as_of dates.

    var daily_state_source = auto (default) | carry | history forces a mode on incremental runs.
-#}
{% macro daily_state_source() -%}
    {%- if not is_incremental() -%}
        {{ return('full') }}
    {%- endif -%}
    {%- set forced = var('daily_state_source', 'auto') | string | trim -%}
    {%- if forced in ('carry', 'history') -%}
        {{ return(forced) }}
    {%- elif forced != 'auto' -%}
        {{ exceptions.raise_compiler_error("var daily_state_source=" ~ forced ~ ": expected auto, carry or history") }}
    {%- endif -%}
    {%- if not execute -%}
        {{ return('history') }}
    {%- endif -%}
    {%- set day_before = pipeline_health.daily_window().start - modules.datetime.timedelta(days=1) -%}
    {%- set query -%}
        select count(*) from {{ this }}
        where as_of_date = {{ pipeline_health.date_literal(day_before) }}
    {%- endset -%}
    {%- set rows_on_day_before = run_query(query).columns[0].values()[0] -%}
    {{ return('carry' if rows_on_day_before > 0 else 'history') }}
{%- endmacro %}

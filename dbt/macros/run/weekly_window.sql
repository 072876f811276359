{#-
    The weekly run's ISO weeks (Monday to Sunday), derived from the same vars as the
    daily run (macros/run/run_window.sql):

      run_end_date    the last ISO week whose Sunday is on or before run_end_date is the
                      latest week a weekly model builds (the weekly DAG passes the Sunday
                      of the week it runs for, so that week);
      run_start_date  weekly models (re)build every ISO week from the one containing
                      run_start_date to that latest week (the weekly DAG passes the
                      Monday, so exactly one week). A daily-style run (one day, mid-week)
                      rebuilds only the latest complete week.

    The snapshot records one week per run: it needs the range to hold exactly one week
    (snapshot_week()), and takes its validity timestamps from that week's end
    (snapshot_week_boundary), never from the wall clock.
-#}

{#- {'start': Monday of the first week, 'end': Monday of the last week} (Python dates). -#}
{% macro weekly_window() -%}
    {%- set run_end = pipeline_health.run_end() -%}
    {%- set run_start = pipeline_health.run_start() -%}
    {%- set last_sunday = run_end - modules.datetime.timedelta(days=run_end.isoweekday() % 7) -%}
    {%- set last_monday = last_sunday - modules.datetime.timedelta(days=6) -%}
    {%- set first_monday = run_start - modules.datetime.timedelta(days=run_start.isoweekday() - 1) -%}
    {%- if first_monday > last_monday -%}
        {%- set first_monday = last_monday -%}
    {%- endif -%}
    {{ return({'start': first_monday, 'end': last_monday}) }}
{%- endmacro %}


{#- Sunday of the ISO week starting on `monday` (a Python date). -#}
{% macro week_end_of(monday) -%}
    {{ return(monday + modules.datetime.timedelta(days=6)) }}
{%- endmacro %}


{#- Every Monday of the weekly window as SQL DATE literals (BigQuery static partitions). -#}
{% macro weekly_partitions() -%}
    {%- if target.type != 'bigquery' -%}
        {{ return(none) }}
    {%- endif -%}
    {%- set window = pipeline_health.weekly_window() -%}
    {%- set mondays = [] -%}
    {%- for offset in range(0, (window.end - window.start).days + 1, 7) -%}
        {%- do mondays.append(pipeline_health.date_literal((window.start + modules.datetime.timedelta(days=offset)).isoformat())) -%}
    {%- endfor -%}
    {{ return(mondays) }}
{%- endmacro %}


{#- Pre-hook (DuckDB, incremental runs only): empty the window's weeks before inserting them. -#}
{% macro delete_weekly_window(column) -%}
    {%- if target.type == 'duckdb' and is_incremental() -%}
        {%- set window = pipeline_health.weekly_window() -%}
        delete from {{ this }}
        where {{ column }} between {{ pipeline_health.date_literal(window.start) }}
            and {{ pipeline_health.date_literal(window.end) }}
    {%- endif -%}
{%- endmacro %}


{#-
    WHERE condition on a week-start column: the window's weeks on an incremental run,
    every week up to the window's last one on a first build / full refresh.
-#}
{% macro in_weekly_window(column) -%}
    {%- set window = pipeline_health.weekly_window() -%}
    {%- if is_incremental() -%}
        {{ column }} between {{ pipeline_health.date_literal(window.start) }} and {{ pipeline_health.date_literal(window.end) }}
    {%- else -%}
        {{ column }} <= {{ pipeline_health.date_literal(window.end) }}
    {%- endif -%}
{%- endmacro %}


{#-
    The one ISO week a snapshot run records, {'start': Monday, 'end': Sunday}. The run's
    vars must not span more than one week: an SCD2 snapshot can only record the state at
    one moment per run, so a multi-week backfill must snapshot week by week, in order.
-#}
{% macro snapshot_week() -%}
    {%- set window = pipeline_health.weekly_window() -%}
    {%- if execute and window.start != window.end -%}
        {{ exceptions.raise_compiler_error(
            "The weekly status snapshot records one ISO week per run, but run_start_date="
            ~ pipeline_health.run_start() ~ " .. run_end_date=" ~ pipeline_health.run_end()
            ~ " spans the weeks " ~ window.start ~ " .. " ~ window.end
            ~ ". Snapshot the weeks one at a time, in order (the weekly DAG passes the Monday and Sunday of one week).") }}
    {%- endif -%}
    {{ return({'start': window.end, 'end': pipeline_health.week_end_of(window.end)}) }}
{%- endmacro %}


{#-
    Boundary convention of the snapshot: a status observed as of the end of Sunday W is
    valid from the instant week W ends, i.e. Monday 00:00:00 UTC after W (the weekly DAG's
    data_interval_end). Returned as 'YYYY-MM-DD HH:MM:SS'.
-#}
{% macro snapshot_week_boundary() -%}
    {%- set week = pipeline_health.snapshot_week() -%}
    {{ return((week.end + modules.datetime.timedelta(days=1)).isoformat() ~ ' 00:00:00') }}
{%- endmacro %}


{#-
    dbt's snapshot materialization takes dbt_valid_from / dbt_valid_to / dbt_updated_at (and,
    through them, dbt_scd_id) from snapshot_get_time() when the check strategy has no
    updated_at column. These root-project overrides (found before the adapters' own by
    adapter.dispatch('snapshot_get_time', 'dbt')) return the snapshot week's boundary instead
    of the wall clock, with the type the adapter's own macro returns (DuckDB TIMESTAMP,
    BigQuery TIMESTAMP), so re-runs and in-order backfills write identical rows.
    snapshot_get_time() is used only by snapshots.
-#}
{% macro duckdb__snapshot_get_time() -%}
    cast('{{ pipeline_health.snapshot_week_boundary() }}' as timestamp)
{%- endmacro %}

{% macro bigquery__snapshot_get_time() -%}
    timestamp('{{ pipeline_health.snapshot_week_boundary() }}+00:00')
{%- endmacro %}


{#-
    Pre-hook of the weekly nodes: refuse a week whose Sunday fct_apprentice_daily has not
    reached yet (a weekly model would write an empty or partial week, and the snapshot
    would freeze it). Renders no SQL.
-#}
{% macro assert_daily_mart_reaches(week_end) -%}
    {%- set daily_mart = ref('fct_apprentice_daily') -%}
    {%- if not execute -%}
        {{ return('') }}
    {%- endif -%}
    {%- set daily_query -%}
        select count(*) as week_end_rows from {{ daily_mart }}
        where as_of_date = {{ pipeline_health.date_literal(week_end) }}
    {%- endset -%}
    {%- if run_query(daily_query).columns[0].values()[0] == 0 -%}
        {{ exceptions.raise_compiler_error(
            "Refusing to build " ~ this ~ " for the ISO week ending " ~ week_end
            ~ ": fct_apprentice_daily has no rows for that Sunday. Run the daily build through "
            ~ week_end ~ " first (the weekly DAG waits for the week's seven daily runs).") }}
    {%- endif -%}
    {{ return('') }}
{%- endmacro %}


{#-
    Snapshot pre-hook. Renders no SQL; runs its statements itself, inside the snapshot's
    transaction on DuckDB (BigQuery has none: a failed snapshot after the undo below is
    simply re-run).
      * Refuses a week before the latest one already recorded (SCD2 history cannot be
        rewritten backwards) and a week whose Sunday the daily mart has not reached.
      * Re-running the latest recorded week first undoes that week (deletes the versions
        it opened, re-opens the versions it closed), so the snapshot then re-applies the
        week from the current source: with unchanged data the rows come back identical
        (same dbt_scd_id, same timestamps); with corrected data the week is replaced,
        never leaving zero-length versions or two versions with one dbt_scd_id.
    "Latest recorded week" = the latest dbt_valid_from (a week that changed nothing is not
    visible; the weekly DAG's run ledger also refuses weeks out of order).
-#}
{% macro prepare_snapshot_week() -%}
    {%- set daily_check = pipeline_health.assert_daily_mart_reaches(pipeline_health.snapshot_week().end) -%}
    {%- if not execute -%}
        {{ return('') }}
    {%- endif -%}
    {%- set boundary = pipeline_health.snapshot_week_boundary() -%}
    {%- set week = pipeline_health.snapshot_week() -%}
    {%- set existing = adapter.get_relation(database=this.database, schema=this.schema, identifier=this.identifier) -%}
    {%- if existing is none -%}
        {{ return('') }}
    {%- endif -%}
    {%- set latest_query -%}
        select max(dbt_valid_from) as latest_valid_from from {{ this }}
    {%- endset -%}
    {%- set latest = run_query(latest_query).columns[0].values()[0] -%}
    {%- set latest_text = latest.strftime('%Y-%m-%d %H:%M:%S') if latest is not none else none -%}
    {%- if latest_text is not none and latest_text > boundary -%}
        {{ exceptions.raise_compiler_error(
            "Refusing to snapshot the week " ~ week.start ~ " .. " ~ week.end ~ ": " ~ this
            ~ " already holds versions valid from " ~ latest_text
            ~ ", after this week's boundary " ~ boundary
            ~ ". SCD2 history cannot be rewritten backwards: restore the snapshots schema"
            ~ " (or drop the table) and snapshot the weeks in order.") }}
    {%- endif -%}
    {%- if latest_text == boundary -%}
        {{ log("Re-running the latest snapshotted week " ~ week.start ~ ": undoing its versions first", info=true) }}
        {%- call statement('undo_latest_snapshot_week') -%}
            delete from {{ this }} where dbt_valid_from = {{ dbt.snapshot_get_time() }}
        {%- endcall -%}
        {%- call statement('reopen_versions_closed_by_latest_week') -%}
            update {{ this }} set dbt_valid_to = null where dbt_valid_to = {{ dbt.snapshot_get_time() }}
        {%- endcall -%}
    {%- endif -%}
    {{ return('') }}
{%- endmacro %}

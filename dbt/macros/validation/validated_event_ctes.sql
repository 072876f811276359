{#-
    CTEs that read one raw event table for this run and give every row a rejection_reason
    (NULL for a valid row). Emits, each followed by a comma:

      <entity>__source     raw rows of the run's load window (plus late_arrival_days before
                           it on an incremental run, only to find duplicates)
      <entity>__cleaned    trimmed text (blank -> NULL) and the raw row as JSON text
      <entity>__typed      safe-cast values (NULL when they do not parse)
      <entity>__checked    first failing rule of the non-duplicate rules
      <entity>__ranked     rejection_reason, with duplicates found
      <entity>__validated  the rows of the run's load window, each with rejection_reason

    Rules, in order (one reason per row, the first that fails):
      null_event_id        event_id missing or blank
      null_apprentice_id   apprentice_id missing or blank
      unparseable_value    a required value missing/blank, a value that does not parse as its
                           type, or a value outside its vocabulary
      out_of_range         a number outside its range
      outside_load_window  the event's UTC date is not in [load_date - late_arrival_days, load_date]
      unknown_apprentice   apprentice_id not in raw_apprentices
      duplicate_event_id   an earlier row with the same event_id passed all the rules above:
                           on the same load_date (ordered by loaded_at, then the raw row text)
                           or on one of the late_arrival_days load dates before it
-#}
{% macro validated_event_ctes(table_name) -%}
    {%- set rules = pipeline_health.event_table_rules()[table_name] -%}
    {%- set entity = table_name[4:] if table_name.startswith('raw_') else table_name -%}
    {%- set columns = rules['columns'] -%}
    {%- set late_days = pipeline_health.late_arrival_days() -%}
    {%- set window = pipeline_health.load_window() -%}
    {%- set occurred = rules['occurred_at'] -%}

{{ entity }}__source as (

    select * from {{ source('apprenticeship', table_name) }}
    where
    {%- if is_incremental() %}
        load_date between {{ pipeline_health.date_literal(window.start - modules.datetime.timedelta(days=late_days)) }}
            and {{ pipeline_health.date_literal(window.end) }}
    {%- else %}
        load_date <= {{ pipeline_health.date_literal(window.end) }}
    {%- endif %}

),

{{ entity }}__known_apprentices as (

    select distinct apprentice_id from {{ source('apprenticeship', 'raw_apprentices') }}

),

{{ entity }}__cleaned as (

    select
        {%- for column in columns %}
        nullif(trim({{ column.name }}), '') as {{ column.name }}__text,
        {%- endfor %}
        load_date,
        loaded_at,
        {{ pipeline_health.json_payload(columns | map(attribute='name') | list) }} as raw_payload
    from {{ entity }}__source

),

{{ entity }}__typed as (

    select
        *,
        {%- for column in columns %}
        {%- set text = column.name ~ '__text' %}
        {%- if column.type == 'timestamp' %}
        {{ pipeline_health.safe_utc_timestamp(text) }} as {{ column.name }}
        {%- elif column.type == 'integer' %}
        {{ pipeline_health.safe_cast(text, pipeline_health.type_integer()) }} as {{ column.name }}
        {%- elif column.type == 'number' %}
        {{ pipeline_health.safe_cast(text, pipeline_health.type_double()) }} as {{ column.name }}
        {%- elif column.type == 'boolean' %}
        {{ pipeline_health.safe_boolean(text) }} as {{ column.name }}
        {%- else %}
        {{ text }} as {{ column.name }}
        {%- endif %}{{ ',' if not loop.last }}
        {%- endfor %}
    from {{ entity }}__cleaned

),

{{ entity }}__checked as (

    select
        typed.*,
        case
            when typed.event_id is null then 'null_event_id'
            when typed.apprentice_id is null then 'null_apprentice_id'
            when false
                {%- for column in columns %}
                {%- if column.get('required') %}
                or typed.{{ column.name }}__text is null
                {%- endif %}
                {%- if column.type != 'string' %}
                or (typed.{{ column.name }}__text is not null and typed.{{ column.name }} is null)
                {%- endif %}
                {%- if column.get('accepted') %}
                or typed.{{ column.name }} not in ('{{ column.accepted | join("', '") }}')
                {%- endif %}
                {%- endfor %}
                then 'unparseable_value'
            when false
                {%- for column in columns %}
                {%- if column.get('min') is not none and column.get('max') is not none %}
                or not (typed.{{ column.name }} between {{ column.min }} and {{ column.max }})
                {%- elif column.get('min') is not none and column.get('max_column') %}
                or not (typed.{{ column.name }} between {{ column.min }} and typed.{{ column.max_column }})
                {%- elif column.get('min') is not none %}
                or not (typed.{{ column.name }} >= {{ column.min }})
                {%- endif %}
                {%- endfor %}
                then 'out_of_range'
            when not ({{ pipeline_health.utc_date('typed.' ~ occurred) }}
                between {{ pipeline_health.add_days('typed.load_date', -late_days) }} and typed.load_date)
                then 'outside_load_window'
            when known.apprentice_id is null then 'unknown_apprentice'
        end as first_failed_rule
    from {{ entity }}__typed as typed
    left join {{ entity }}__known_apprentices as known
        on typed.apprentice_id = known.apprentice_id

),

{{ entity }}__ranked as (

    select
        *,
        case
            when first_failed_rule is not null then first_failed_rule
            when row_number() over (
                partition by event_id, load_date, first_failed_rule is null
                order by loaded_at, raw_payload
            ) > 1 then 'duplicate_event_id'
            {%- if late_days > 0 %}
            when count(*) over (
                partition by event_id, first_failed_rule is null
                order by {{ pipeline_health.day_number('load_date') }}
                range between {{ late_days }} preceding and 1 preceding
            ) > 0 then 'duplicate_event_id'
            {%- endif %}
        end as rejection_reason
    from {{ entity }}__checked

),

{{ entity }}__validated as (

    select * from {{ entity }}__ranked
    {%- if is_incremental() %}
    where load_date >= {{ pipeline_health.date_literal(window.start) }}
    {%- endif %}

),
{%- endmacro %}

{#-
    SCD2 validity ranges per key: half-open [valid_from, valid_to), valid_to NULL = open.
    Fails for every version that
      * has valid_to <= valid_from (an empty or negative range),
      * is open (valid_to NULL) but is not the key's last version,
      * overlaps the key's next version (next valid_from < valid_to), or
      * leaves a gap before the next version (next valid_from > valid_to), unless
        allow_gaps=true (then gaps are allowed and only overlaps fail).
    Versions are ordered by valid_from; two versions with the same valid_from overlap.
-#}
{% test non_overlapping_validity(model, unique_key, valid_from='dbt_valid_from', valid_to='dbt_valid_to', allow_gaps=false) %}

with

versions as (

    select
        {{ unique_key }} as validity_key,
        {{ valid_from }} as valid_from,
        {{ valid_to }} as valid_to,
        lead({{ valid_from }}) over (
            partition by {{ unique_key }}
            order by {{ valid_from }}, {{ valid_to }}
        ) as next_valid_from,
        count(*) over (
            partition by {{ unique_key }}, {{ valid_from }}
        ) as versions_starting_together
    from {{ model }}

),

problems as (

    select
        validity_key,
        valid_from,
        valid_to,
        next_valid_from,
        case
            when versions_starting_together > 1 then 'several versions start at the same time'
            when valid_to is not null and valid_to <= valid_from then 'empty or negative range'
            when valid_to is null and next_valid_from is not null then 'open version is not the last'
            when next_valid_from < valid_to then 'overlaps the next version'
            {%- if not allow_gaps %}
            when next_valid_from > valid_to then 'gap before the next version'
            {%- endif %}
        end as problem
    from versions

)

select * from problems
where problem is not null

{% endtest %}

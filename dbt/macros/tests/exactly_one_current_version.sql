{#- SCD2: every key has exactly one current version (valid_to NULL). Fails per key with 0 or 2+. -#}
{% test exactly_one_current_version(model, unique_key, valid_to='dbt_valid_to') %}

select
    {{ unique_key }} as version_key,
    sum(case when {{ valid_to }} is null then 1 else 0 end) as current_versions
from {{ model }}
group by {{ unique_key }}
having sum(case when {{ valid_to }} is null then 1 else 0 end) != 1

{% endtest %}

{#-
    The simulated truth (source `simulation_truth`) is for evaluation only: no model may
    depend on it, directly or through another model. Returns one row per offending model.
-#}

{%- set offenders = [] -%}
{%- if execute -%}
    {%- set truth_sources = [] -%}
    {%- for source_node in graph.sources.values() -%}
        {%- if source_node.source_name == 'simulation_truth' -%}
            {%- do truth_sources.append(source_node.unique_id) -%}
        {%- endif -%}
    {%- endfor -%}
    {#- Walk the model graph upwards from every model. -#}
    {%- for node in graph.nodes.values() if node.resource_type == 'model' -%}
        {%- set seen = [] -%}
        {%- set queue = node.depends_on.nodes | list -%}
        {%- for _ in range(1000) if queue | length > 0 -%}
            {%- set parent = queue.pop(0) -%}
            {%- if parent not in seen -%}
                {%- do seen.append(parent) -%}
                {%- if parent in truth_sources and node.unique_id not in offenders -%}
                    {%- do offenders.append(node.unique_id) -%}
                {%- endif -%}
                {%- if parent in graph.nodes -%}
                    {%- do queue.extend(graph.nodes[parent].depends_on.nodes) -%}
                {%- endif -%}
            {%- endif -%}
        {%- endfor -%}
    {%- endfor -%}
{%- endif -%}

{%- if offenders | length == 0 %}
select cast(null as {{ pipeline_health.type_string() }}) as offending_model
from {{ ref('dim_date') }}
where false
{%- else %}
{%- for offender in offenders %}
select '{{ offender }}' as offending_model
{{ 'union all' if not loop.last }}
{%- endfor %}
{%- endif %}

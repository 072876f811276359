{#-
    The progression status vocabulary, in one place.

      in learning   Active, Delayed (an agreed break in learning), At Risk (a coach's judgement)
      left          Withdrawn; Completed (achieved the apprenticeship); Promoted (a career
                    promotion the employer confirmed after completion: Completed -> Promoted)

    Completion is not a promotion: 'Completed' is the achievement, 'Promoted' the career
    outcome that may follow it. Every left status is final for learning: from the day of
    the first one the apprentice is out of learning (a later Completed -> Promoted change
    only records the career outcome).
-#}

{% macro in_learning_statuses() -%}
    {{ return(['Active', 'Delayed', 'At Risk']) }}
{%- endmacro %}

{% macro exit_statuses() -%}
    {{ return(['Withdrawn', 'Completed', 'Promoted']) }}
{%- endmacro %}

{% macro all_statuses() -%}
    {{ return(pipeline_health.in_learning_statuses() + pipeline_health.exit_statuses()) }}
{%- endmacro %}

{#- SQL list literal, e.g. ('Withdrawn', 'Completed', 'Promoted'). -#}
{% macro status_list(statuses) -%}
    ({%- for status in statuses -%}'{{ status }}'{{ ", " if not loop.last }}{%- endfor -%})
{%- endmacro %}

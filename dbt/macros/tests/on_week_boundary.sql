{#- Fails for every non-null timestamp that is not a Monday at 00:00:00 (UTC), an ISO week boundary. -#}
{% test on_week_boundary(model, column_name) %}

select {{ column_name }}
from {{ model }}
where {{ column_name }} is not null
    and (
        {{ pipeline_health.iso_day_of_week('cast(' ~ column_name ~ ' as date)') }} != 1
        or cast(cast({{ column_name }} as date) as timestamp) != {{ column_name }}
    )

{% endtest %}

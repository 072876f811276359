{#-
    Exit statuses are final: once an apprentice has such a version, every later version
    (deletion markers aside) has the same status, except the career outcome Completed ->
    Promoted. Returns the offending versions.
-#}

with

versions as (

    select apprentice_id, current_progression_status, dbt_valid_from
    from {{ ref('snap_apprentice_weekly_status') }}
    where coalesce(dbt_is_deleted, 'False') != 'True'

),

first_exit as (

    select apprentice_id, min(dbt_valid_from) as exit_valid_from
    from versions
    where current_progression_status in {{ pipeline_health.status_list(pipeline_health.exit_statuses()) }}
    group by apprentice_id

),

exit_status as (

    select versions.apprentice_id, versions.current_progression_status as exit_status
    from versions
    inner join first_exit
        on versions.apprentice_id = first_exit.apprentice_id
        and versions.dbt_valid_from = first_exit.exit_valid_from

)

select versions.apprentice_id, versions.dbt_valid_from, versions.current_progression_status, exit_status.exit_status
from versions
inner join first_exit
    on versions.apprentice_id = first_exit.apprentice_id
inner join exit_status
    on versions.apprentice_id = exit_status.apprentice_id
where versions.dbt_valid_from > first_exit.exit_valid_from
    and versions.current_progression_status != exit_status.exit_status
    and not (exit_status.exit_status = 'Completed' and versions.current_progression_status = 'Promoted')

{#-
    Validation rules of the raw event tables: the one place that says what a valid row is.
    Used by every event staging model (valid rows) and by stg_apprenticeship__rejected_rows
    (the others), so the two always partition the raw rows between them.

    Per column:
      type      string | timestamp | integer | number | boolean ('true'/'false')
      required  a missing or blank value rejects the row
      accepted  the value must be one of these (exact, after trimming)
      min / max inclusive range; max_column: at most the value of another column
    `occurred_at` names the timestamp that must fall within the row's load window.
-#}
{% macro event_table_rules() -%}
    {{ return({
        'raw_session_attendance': {
            'occurred_at': 'session_start_at',
            'columns': [
                {'name': 'event_id', 'type': 'string'},
                {'name': 'apprentice_id', 'type': 'string'},
                {'name': 'session_id', 'type': 'string'},
                {'name': 'session_start_at', 'type': 'timestamp', 'required': true},
                {'name': 'session_type', 'type': 'string'},
                {'name': 'scheduled_minutes', 'type': 'integer', 'required': true, 'min': 1, 'max': 1440},
                {'name': 'attendance_status', 'type': 'string', 'required': true,
                    'accepted': ['attended', 'late', 'absent']},
                {'name': 'minutes_attended', 'type': 'integer', 'required': true, 'min': 0,
                    'max_column': 'scheduled_minutes'},
            ],
        },
        'raw_quiz_attempts': {
            'occurred_at': 'attempted_at',
            'columns': [
                {'name': 'event_id', 'type': 'string'},
                {'name': 'apprentice_id', 'type': 'string'},
                {'name': 'quiz_id', 'type': 'string'},
                {'name': 'attempted_at', 'type': 'timestamp', 'required': true},
                {'name': 'score', 'type': 'number', 'required': true, 'min': 0, 'max': 100},
                {'name': 'attempt_number', 'type': 'integer', 'required': true, 'min': 1},
            ],
        },
        'raw_coach_feedback': {
            'occurred_at': 'feedback_at',
            'columns': [
                {'name': 'event_id', 'type': 'string'},
                {'name': 'apprentice_id', 'type': 'string'},
                {'name': 'coach_id', 'type': 'string'},
                {'name': 'feedback_at', 'type': 'timestamp', 'required': true},
                {'name': 'feedback_type', 'type': 'string', 'required': true,
                    'accepted': ['feedback', 'check_in']},
                {'name': 'channel', 'type': 'string'},
                {'name': 'note', 'type': 'string'},
            ],
        },
        'raw_progress_reviews': {
            'occurred_at': 'review_at',
            'columns': [
                {'name': 'event_id', 'type': 'string'},
                {'name': 'apprentice_id', 'type': 'string'},
                {'name': 'coach_id', 'type': 'string'},
                {'name': 'review_at', 'type': 'timestamp', 'required': true},
                {'name': 'review_number', 'type': 'integer', 'required': true, 'min': 1},
                {'name': 'employer_attended', 'type': 'boolean', 'required': true},
                {'name': 'progress_rating', 'type': 'string'},
            ],
        },
        'raw_otj_hours': {
            'occurred_at': 'logged_at',
            'columns': [
                {'name': 'event_id', 'type': 'string'},
                {'name': 'apprentice_id', 'type': 'string'},
                {'name': 'logged_at', 'type': 'timestamp', 'required': true},
                {'name': 'activity_type', 'type': 'string'},
                {'name': 'hours', 'type': 'number', 'required': true, 'min': 0, 'max': 24},
            ],
        },
        'raw_status_changes': {
            'occurred_at': 'changed_at',
            'columns': [
                {'name': 'event_id', 'type': 'string'},
                {'name': 'apprentice_id', 'type': 'string'},
                {'name': 'changed_at', 'type': 'timestamp', 'required': true},
                {'name': 'from_status', 'type': 'string'},
                {'name': 'to_status', 'type': 'string', 'required': true,
                    'accepted': pipeline_health.all_statuses()},
                {'name': 'reason', 'type': 'string'},
            ],
        },
    }) }}
{%- endmacro %}


{% macro event_table_names() -%}
    {{ return(pipeline_health.event_table_rules().keys() | list | sort) }}
{%- endmacro %}


{#- Rejection reasons, in the order the rules are applied (the first failing one is kept). -#}
{% macro rejection_reasons() -%}
    {{ return([
        'null_event_id',
        'null_apprentice_id',
        'unparseable_value',
        'out_of_range',
        'outside_load_window',
        'unknown_apprentice',
        'duplicate_event_id',
    ]) }}
{%- endmacro %}

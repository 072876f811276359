{#-
    Risk scoring for fct_apprentice_risk_weekly. The points and thresholds live in ONE
    place, the var `risk_scoring` in dbt_project.yml, which the Data & Insights team edits
    without touching SQL. These macros turn it into plain CASE expressions (read them in the
    compiled SQL) and stop the run with a clear message when the configuration is unusable.

    Per factor, a value earns the points of the most severe threshold it crosses:
      points_below     [{below: x, points: p}, ...]     value <  x earns p (lower is worse)
      points_at_least  [{at_least: x, points: p}, ...]  value >= x earns p (higher is worse)
      points_by_value  {value: p, ...}                   exact value earns p (status)
      if_null          points when the measure is NULL (no data in the window)
    A value crossing no threshold earns 0. Thresholds are applied most points first, so
    the list order does not matter. risk_score = min(score_cap, sum of the factors' points);
    risk_band: Red >= red_min_score, Amber >= amber_min_score, else Green.
-#}

{#-
    The risk mart's factors, in display order: factor -> the measure column it scores (a
    column of fct_apprentice_risk_weekly). Each factor has a points_<factor> column there.
-#}
{% macro risk_factor_measures() -%}
    {{ return({
        'status': 'current_progression_status',
        'attendance': 'attendance_rate_last_30d',
        'attendance_drop': 'attendance_change_vs_prior',
        'attendance_trend': 'attendance_trend_6_weeks',
        'missed_sessions': 'sessions_missed_in_a_row',
        'quiz': 'quiz_score_avg_last_30d',
        'quiz_drop': 'quiz_change_vs_prior',
        'quiz_activity': 'quiz_attempts_ratio_vs_prior',
        'otj': 'otj_plan_attainment_last_30d',
        'otj_drop': 'otj_ratio_vs_prior',
        'otj_trend': 'otj_trend_6_weeks',
        'otj_gap': 'weeks_without_otj_in_a_row',
        'inactivity': 'weeks_inactive_in_a_row',
        'feedback': 'days_since_last_contact',
    }) }}
{%- endmacro %}


{% macro risk_scoring_config() -%}
    {%- set factors = pipeline_health.risk_factor_measures().keys() | list -%}
    {%- set cfg = var('risk_scoring', none) -%}
    {%- if cfg is none or cfg is not mapping -%}
        {{ exceptions.raise_compiler_error("var risk_scoring is missing or not a mapping (see dbt_project.yml)") }}
    {%- endif -%}
    {%- for key in ['red_min_score', 'amber_min_score', 'score_cap', 'factors'] -%}
        {%- if key not in cfg -%}
            {{ exceptions.raise_compiler_error("var risk_scoring needs the key '" ~ key ~ "'") }}
        {%- endif -%}
    {%- endfor -%}
    {%- if not (cfg.amber_min_score is number and cfg.red_min_score is number and cfg.score_cap is number
                and 0 < cfg.amber_min_score < cfg.red_min_score <= cfg.score_cap) -%}
        {{ exceptions.raise_compiler_error("var risk_scoring: need 0 < amber_min_score < red_min_score <= score_cap, got "
            ~ cfg.amber_min_score ~ ", " ~ cfg.red_min_score ~ ", " ~ cfg.score_cap) }}
    {%- endif -%}
    {%- for factor in factors -%}
        {%- if factor not in cfg.factors -%}
            {{ exceptions.raise_compiler_error("var risk_scoring.factors needs the factor '" ~ factor ~ "' (factors: " ~ factors | join(', ') ~ ")") }}
        {%- endif -%}
    {%- endfor -%}
    {%- for factor in cfg.factors -%}
        {%- if factor not in factors -%}
            {{ exceptions.raise_compiler_error("var risk_scoring.factors." ~ factor ~ " is not a factor of the risk mart (factors: " ~ factors | join(', ') ~ ")") }}
        {%- endif -%}
    {%- endfor -%}
    {{ return(cfg) }}
{%- endmacro %}


{% macro _risk_points_value(points, where) -%}
    {%- if points is not number or points < 0 or (points | int) != points -%}
        {{ exceptions.raise_compiler_error("var risk_scoring." ~ where ~ ": points must be a whole number >= 0, got " ~ points) }}
    {%- endif -%}
    {{ return(points | int) }}
{%- endmacro %}


{#- CASE expression giving the factor's points for the SQL expression `measure`. -#}
{% macro risk_factor_points(factor, measure) -%}
    {%- set cfg = pipeline_health.risk_scoring_config().factors[factor] -%}
    {%- set if_null = pipeline_health._risk_points_value(cfg.get('if_null', 0), factor ~ '.if_null') -%}
    {%- set rules = [] -%}
    {%- if 'points_by_value' in cfg -%}
        {%- for value, points in cfg.points_by_value.items() -%}
            {%- do rules.append({'points': pipeline_health._risk_points_value(points, factor ~ '.points_by_value.' ~ value),
                                 'condition': measure ~ " = '" ~ (value | replace("'", "''")) ~ "'"}) -%}
        {%- endfor -%}
    {%- endif -%}
    {%- for rule in cfg.get('points_below', []) -%}
        {%- if rule.below is not number -%}
            {{ exceptions.raise_compiler_error("var risk_scoring." ~ factor ~ ".points_below: each entry needs a number 'below', got " ~ rule) }}
        {%- endif -%}
        {%- do rules.append({'points': pipeline_health._risk_points_value(rule.points, factor ~ '.points_below'),
                             'condition': measure ~ ' < ' ~ rule.below}) -%}
    {%- endfor -%}
    {%- for rule in cfg.get('points_at_least', []) -%}
        {%- if rule.at_least is not number -%}
            {{ exceptions.raise_compiler_error("var risk_scoring." ~ factor ~ ".points_at_least: each entry needs a number 'at_least', got " ~ rule) }}
        {%- endif -%}
        {%- do rules.append({'points': pipeline_health._risk_points_value(rule.points, factor ~ '.points_at_least'),
                             'condition': measure ~ ' >= ' ~ rule.at_least}) -%}
    {%- endfor -%}
    case
        when {{ measure }} is null then {{ if_null }}
        {%- for rule in rules | sort(attribute='points', reverse=true) %}
        when {{ rule.condition }} then {{ rule.points }}
        {%- endfor %}
        else 0
    end
{%- endmacro %}


{% macro risk_score(points_total) -%}
    {%- set cfg = pipeline_health.risk_scoring_config() -%}
    case when {{ points_total }} > {{ cfg.score_cap }} then {{ cfg.score_cap }} else {{ points_total }} end
{%- endmacro %}


{% macro risk_band(score) -%}
    {%- set cfg = pipeline_health.risk_scoring_config() -%}
    case
        when {{ score }} >= {{ cfg.red_min_score }} then 'Red'
        when {{ score }} >= {{ cfg.amber_min_score }} then 'Amber'
        else 'Green'
    end
{%- endmacro %}

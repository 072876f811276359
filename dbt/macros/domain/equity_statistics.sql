{#-
    Statistics of the equity mart (fct_equity_gaps_weekly), kept out of the model so the
    model reads as a list of figures. All take and return SQL expressions.
-#}

{#- The smallest group (and complement) shown; also the smallest denominator of a rate. -#}
{% macro equity_min_cell() -%}{{ return(10) }}{%- endmacro %}

{#- z for a two-sided 95 % normal interval. -#}
{% macro equity_z() -%}{{ return(1.96) }}{%- endmacro %}

{#- expr, or NULL when the row is suppressed (reads figures.is_suppressed). -#}
{% macro unless_suppressed(expr) -%}
    case when not figures.is_suppressed then {{ expr }} end
{%- endmacro %}

{#- A count rounded to the nearest 5, NULL when suppressed: differencing rows and totals
    then cannot pin down a suppressed group exactly. -#}
{% macro rounded_count(expr) -%}
    case when not figures.is_suppressed
        then cast(round({{ expr }} / 5.0) * 5 as {{ pipeline_health.type_integer() }}) end
{%- endmacro %}

{#- Half-width of the 95 % Wald interval of p1 - p2 (independent samples of n1 and n2). -#}
{% macro proportion_gap_half_width(p1, n1, p2, n2) -%}
    {{ pipeline_health.equity_z() }} * sqrt(
        {{ p1 }} * (1 - {{ p1 }}) / nullif({{ n1 }}, 0) + {{ p2 }} * (1 - {{ p2 }}) / nullif({{ n2 }}, 0))
{%- endmacro %}

{#- Half-width of the 95 % interval of mean1 - mean2 (Welch, normal approximation). -#}
{% macro mean_gap_half_width(var1, n1, var2, n2) -%}
    {{ pipeline_health.equity_z() }} * sqrt(
        greatest({{ var1 }}, 0) / nullif({{ n1 }}, 0) + greatest({{ var2 }}, 0) / nullif({{ n2 }}, 0))
{%- endmacro %}

{#- Half-width of the 95 % interval of 100 w1/n1 - 100 w2/n2, counts w taken as Poisson. -#}
{% macro rate_per_100_gap_half_width(w1, n1, w2, n2) -%}
    {{ pipeline_health.equity_z() }} * 100.0 * sqrt(
        {{ w1 }} / nullif(cast({{ n1 }} as {{ pipeline_health.type_double() }}) * {{ n1 }}, 0)
        + {{ w2 }} / nullif(cast({{ n2 }} as {{ pipeline_health.type_double() }}) * {{ n2 }}, 0))
{%- endmacro %}

"""The page's Jinja templates (autoescaped), kept in Python so a non-editable install ships them.

No script and no external asset: filters are GET forms, tabs are links, charts are inline SVG.
"""

from __future__ import annotations

from datetime import UTC, datetime

from jinja2 import DictLoader, Environment, select_autoescape
from markupsafe import Markup

_CSS = """
body{font:14px/1.4 system-ui,-apple-system,"Segoe UI",Roboto,sans-serif;margin:0;color:#1c1c1c;
  background:#fff}
header{padding:12px 20px 0;border-bottom:1px solid #ddd}
h1{font-size:20px;margin:0 0 8px}
h2{font-size:16px;margin:20px 0 8px}
nav.tabs a{display:inline-block;padding:6px 14px;margin-right:4px;border:1px solid #ddd;border-bottom:none;
  border-radius:6px 6px 0 0;text-decoration:none;color:#333;background:#f6f6f6}
nav.tabs a[aria-current=page]{background:#fff;font-weight:600;position:relative;top:1px}
main{padding:12px 20px 24px}
form.filters{display:flex;flex-wrap:wrap;gap:10px;align-items:end;margin:4px 0 12px}
form.filters label{display:flex;flex-direction:column;font-size:12px;color:#555}
select,button{font:inherit;padding:3px 6px}
.tiles{display:flex;flex-wrap:wrap;gap:10px;margin:8px 0 12px}
.tile{border:1px solid #ddd;border-radius:6px;padding:8px 14px;min-width:110px}
.tile .value{font-size:24px;font-weight:600}
.tile .label{font-size:12px;color:#555}
table{border-collapse:collapse;margin:4px 0 12px}
th,td{border-bottom:1px solid #e4e4e4;padding:4px 8px;text-align:left;vertical-align:top}
th{font-size:12px;color:#555;background:#fafafa}
td.num,th.num{text-align:right;font-variant-numeric:tabular-nums}
tr.newly-red{background:#fdecea}
.badge{display:inline-block;border-radius:4px;padding:0 6px;font-size:12px;font-weight:600;color:#fff}
.band-Red{background:#c62828}.band-Amber{background:#ef8f00}.band-Green{background:#2e7d32}
.new{background:#7b1fa2}
.fresh-pass{background:#2e7d32}.fresh-warn{background:#ef8f00}.fresh-error,.fresh-runtime-error{background:#c62828}
tr.stale{background:#fff4e5}
.muted{color:#777;font-size:12px}
.factor{white-space:nowrap}
.reasons{font-size:12px;color:#444;min-width:220px}
.notice{background:#fff8e1;border:1px solid #ffe082;padding:8px 12px;border-radius:6px;margin:8px 0}
.error{background:#fdecea;border:1px solid #ef9a9a;padding:8px 12px;border-radius:6px;margin:8px 0}
.suppressed{color:#666;font-style:italic}
.clear{font-weight:600;color:#1565c0}
svg text{font-size:11px;fill:#444}
svg .chart-title{font-size:13px;font-weight:600;fill:#222}
svg .grid{stroke:#eee}svg .zero{stroke:#bbb}
.charts{display:flex;flex-wrap:wrap;gap:16px}
footer{padding:0 20px 16px;color:#777;font-size:12px}
"""

_BASE = """<!DOCTYPE html>
<html lang="en"><head><meta charset="utf-8"><title>Pipeline Health – {{ title }}</title>
<meta name="viewport" content="width=device-width, initial-scale=1">
<style>{{ css }}</style></head>
<body>
<header><h1>Pipeline Health</h1>
<nav class="tabs" aria-label="Dashboard tabs">
{%- for key, label, href in tabs %}
<a href="{{ href }}"{% if key == tab %} aria-current="page"{% endif %}>{{ label }}</a>
{%- endfor %}
</nav></header>
<main id="tab-{{ tab }}">
{%- for n in notices or [] %}<div class="notice">{{ n }}</div>{% endfor %}
{%- if error %}<div class="error" role="alert">{{ error }}</div>
{%- elif not_built %}<div class="notice not-built">{{ not_built }}</div>
{%- else %}{% block content %}{% endblock %}{% endif %}
</main>
<footer>{% if published_at %}Data published {{ published_at | utc }} UTC by the last
pipeline run.{% endif %} Figures come from the dbt marts; nothing is recomputed here.</footer>
</body></html>
"""

_OPTIONS = """{% macro select(name, label, options, current, all_label) -%}
<label>{{ label }}<select name="{{ name }}">
{%- if all_label %}<option value="">{{ all_label }}</option>{% endif %}
{%- for value, text in options %}
<option value="{{ value }}"{% if value == current %} selected{% endif %}>{{ text }}</option>
{%- endfor %}
</select></label>
{%- endmacro %}
{% macro weeks_select(weeks, current) -%}
<label>Week starting<select name="week">
{%- for w in weeks %}
<option value="{{ w.isoformat() }}"{% if w == current %} selected{% endif %}>{{ w.isoformat() }}</option>
{%- endfor %}
</select></label>
{%- endmacro %}
{% macro tile(label, value, id) -%}
<div class="tile" data-tile="{{ id }}"><div class="value">{{ value }}</div>
<div class="label">{{ label }}</div></div>
{%- endmacro %}
"""

_CASELOAD = """{% extends "base.html" %}{% from "macros.html" import select, weeks_select, tile %}
{% block content %}
<form class="filters" method="get" action="./">
{{ weeks_select(weeks, week) }}
{{ select("coach", "Coach", coaches, filters.coach, "All coaches (overview)") }}
{{ select("programme", "Programme", programmes, filters.programme, "All programmes") }}
{{ select("cohort", "Cohort", cohorts, filters.cohort, "All cohorts") }}
<button type="submit">Apply</button>
</form>
{% if overview is defined %}
<h2>Coaches, week starting {{ week.isoformat() }}</h2>
<p class="muted">Choose a coach to see their Red and Amber apprentices.</p>
<table id="coach-overview"><thead><tr><th>Coach</th><th class="num">In learning</th><th class="num">Red</th>
<th class="num">Amber</th><th class="num">Newly Red</th></tr></thead><tbody>
{%- for c in overview %}
<tr><td>
{%- set query = {'coach': c.coach_id, 'week': week.isoformat(), 'programme': filters.programme,
                 'cohort': filters.cohort} %}
<a href="./?{{ query | urlencode }}">{{ c.coach_name or c.coach_id }}</a></td>
<td class="num">{{ c.in_learning_count }}</td><td class="num">{{ c.red_count }}</td>
<td class="num">{{ c.amber_count }}</td><td class="num">{{ c.newly_red_count }}</td></tr>
{%- endfor %}
</tbody></table>
{% else %}
<h2>{{ coach_name }} – week starting {{ week.isoformat() }}</h2>
<div class="tiles">
{{ tile("In learning", tiles.in_learning_count, "in_learning") }}
{{ tile("Red", tiles.red_count, "red") }}
{{ tile("Amber", tiles.amber_count, "amber") }}
{{ tile("Green", tiles.green_count, "green") }}
{{ tile("Newly Red this week", tiles.newly_red_count, "newly_red") }}
</div>
{% if rows %}
<table id="caseload"><thead><tr><th>Apprentice</th><th>Programme / cohort</th><th class="num">Score</th>
<th>Last 8 weeks</th>{% for f in rows[0].factors %}<th>{{ f[0] }}</th>{% endfor %}<th>Last contact</th>
<th>Why (every factor with points, most first)</th>
</tr></thead><tbody>
{%- for r in rows %}
<tr class="{{ 'newly-red' if r.is_newly_red else '' }}" data-apprentice="{{ r.apprentice_id }}">
<td>
<strong>{{ r.apprentice_name }}</strong>
{% if r.is_newly_red %}<span class="badge new">Newly Red</span>{% endif %}
<br>
<span class="muted">{{ r.apprentice_id }} · {{ r.current_progression_status }} ·
{{ r.weeks_in_current_band }}
week{{ '' if r.weeks_in_current_band == 1 else 's' }} {{ r.risk_band }}</span></td>
<td>{{ r.programme_name }}<br><span class="muted">{{ r.cohort_name }}</span></td>
<td class="num"><span class="badge band-{{ r.risk_band }}">{{ r.risk_score }}</span></td>
<td>{{ r.spark }}</td>
{%- for name, points, measure in r.factors %}
<td class="factor"><strong>{{ points }}</strong> pts<br><span class="muted">{{ measure }}</span></td>
{%- endfor %}
<td>{{ r.last_contact_date.isoformat() if r.last_contact_date else "none" }}</td>
<td class="reasons">{{ r.risk_reasons }}</td></tr>
{%- endfor %}
</tbody></table>
{% else %}<p>No Red or Amber apprentices for these filters.</p>{% endif %}
{% endif %}
{% endblock %}
"""

_TRENDS = """{% extends "base.html" %}{% from "macros.html" import select, tile %}
{% block content %}
<form class="filters" method="get" action="trends">
{{ select("programme", "Programme", programmes, filters.programme, "All programmes") }}
{{ select("cohort", "Cohort", cohorts, filters.cohort, "All cohorts") }}
<button type="submit">Apply</button>
</form>
<h2>Week starting {{ latest.week_start_date.isoformat() }}</h2>
<div class="tiles">
{{ tile("In learning", latest.in_learning_count, "in_learning") }}
{{ tile("Red", latest.red_count, "red") }}
{{ tile("Amber", latest.amber_count, "amber") }}
{{ tile("Withdrawn to date", latest.withdrawn_to_date_count, "withdrawn_to_date") }}
{{ tile("Completed to date", latest.completed_to_date_count, "completed_to_date") }}
{{ tile("Promoted to date", latest.promoted_to_date_count, "promoted_to_date") }}
</div>
<div class="charts">{% for c in charts %}{{ c }}{% endfor %}</div>
<h2>Last 12 weeks</h2>
<table id="trends"><thead><tr><th>Week</th><th class="num">In learning</th><th class="num">Active</th>
<th class="num">Delayed</th><th class="num">At Risk</th><th class="num">Red</th><th class="num">Amber</th>
<th class="num">Green</th><th class="num">Newly Red</th><th class="num">Withdrawn</th>
<th class="num">Completed</th><th class="num">Promoted</th></tr></thead><tbody>
{%- for w in table %}
<tr><td>{{ w.week_start_date.isoformat() }}</td><td class="num">{{ w.in_learning_count }}</td>
<td class="num">{{ w.active_count }}</td><td class="num">{{ w.delayed_count }}</td>
<td class="num">{{ w.at_risk_count }}</td>
<td class="num">{{ w.red_count }}</td><td class="num">{{ w.amber_count }}</td>
<td class="num">{{ w.green_count }}</td>
<td class="num">{{ w.newly_red_count }}</td><td class="num">{{ w.withdrawn_in_week_count }}</td>
<td class="num">{{ w.completed_in_week_count }}</td><td class="num">{{ w.promoted_in_week_count }}</td></tr>
{%- endfor %}
</tbody></table>
<p class="muted">Status counts come from the weekly status snapshot; withdrawn, completed and promoted
count apprentices who reached that status in the week. Promoted means a career promotion after
completion, so promoted apprentices are counted as completed too.</p>
{% endblock %}
"""

_EQUITY = """{% extends "base.html" %}{% from "macros.html" import select, weeks_select %}
{% block content %}
<form class="filters" method="get" action="equity">
{{ weeks_select(weeks, week) }}
{{ select("programme", "Programme", programmes, programme, None) }}
<button type="submit">Apply</button>
</form>
<p class="muted">Each group is compared with everyone else in learning (gap = group − others) with its
95 % interval; a gap in bold blue has an interval that excludes zero. Groups with too few apprentices are
suppressed and shown as “{{ fewer_than_10 }}”. Counts are rounded to the nearest 5.</p>
{% for d in dimensions %}
<h2>{{ d.label }}</h2>
<table class="equity"><thead><tr><th>Group</th><th class="num">In learning<br>(group / others)</th>
{%- for m in metrics %}<th>{{ m[0] }}<br><span class="muted">group / others · gap (95 % interval)</span>
</th>{% endfor %}
</tr></thead><tbody>
{%- for g in d.groups %}
<tr data-group="{{ g.dimension }}:{{ g.group_value }}">
<td>{{ g.group_value }}</td>
{%- if g.is_suppressed %}
<td class="suppressed" colspan="{{ metrics | length + 1 }}"
    title="{{ g.suppression_reason or '' }}">{{ fewer_than_10 }}</td>
{%- else %}
<td class="num">{{ g.group_in_learning_count }} / {{ g.others_in_learning_count }}</td>
{%- for c in g.cells %}
<td>{{ c.group }} / {{ c.others }}<br>
<span class="{{ 'clear' if c.excludes_zero else '' }}">{{ c.gap }}</span>
<span class="muted">({{ c.ci }})</span><br>{{ c.plot }}</td>
{%- endfor %}
{%- endif %}
</tr>
{%- endfor %}
</tbody></table>
{% endfor %}
{% endblock %}
"""

_PIPELINE = """{% extends "base.html" %}{% from "macros.html" import tile %}
{% macro section(name) %}{% set s = sections[name] %}
{%- if s.not_built %}<div class="notice not-built">{{ s.not_built }}</div>
{%- elif not s.rows %}<p class="muted">Nothing recorded yet.</p>{% else %}{{ caller(s.rows) }}{% endif %}
{%- endmacro %}
{% block content %}
<div class="tiles">
{{ tile("Last daily run (day)",
        latest.daily.period_start.isoformat() if latest.daily else "none", "last_daily") }}
{{ tile("Last weekly run (week starting)",
        latest.weekly.period_start.isoformat() if latest.weekly else "none", "last_weekly") }}
</div>
<p class="muted">The dbt project's models, sources and tests:
<a href="dbt-docs/" id="dbt-docs">dbt docs</a>.</p>
<h2>Last runs</h2>
{% call(rows) section("last_runs") %}
<table id="runs"><thead><tr><th>DAG</th><th>Period start</th><th>Finished (UTC)</th><th>Run id</th></tr>
</thead><tbody>
{%- for r in rows %}<tr><td>{{ r.kind }}</td><td>{{ r.period_start.isoformat() }}</td>
<td>{{ r.completed_at | utc }}</td><td class="muted">{{ r.run_id }}</td></tr>{% endfor %}
</tbody></table>
{% endcall %}
<h2>Rows loaded and rejected per load day</h2>
{% call(rows) section("load_days") %}
<table id="load-days"><thead><tr><th>Load day</th><th class="num">Loaded</th><th class="num">Staged</th>
<th class="num">Rejected</th>
{%- for reason in reasons %}<th class="num">{{ reason | replace("_", " ") }}</th>{% endfor %}
<th class="num">Tables not reconciled</th></tr></thead><tbody>
{%- for r in rows %}<tr><td>{{ r.load_date.isoformat() }}</td><td class="num">{{ r.raw_rows }}</td>
<td class="num">{{ r.staged_rows }}</td><td class="num">{{ r.rejected_rows }}</td>
{%- for reason in reasons %}<td class="num">{{ r["rejected_" ~ reason] }}</td>{% endfor %}
<td class="num">{{ r.unreconciled_tables }}</td></tr>{% endfor %}
</tbody></table>
{% endcall %}
<h2>Raw table freshness</h2>
{% call(rows) section("raw_freshness") %}
<p class="muted">{% if freshness_check %}dbt source freshness, checked
{{ freshness_check.checked_at | utc }} UTC by the daily run of {{ freshness_check.run_day.isoformat()
   if freshness_check.run_day else "–" }}{% else %}No dbt source freshness check recorded yet (the daily
run checks after its load){% endif %}. Age is the time since a load last delivered rows to the table, at the
check (loads stamp rows with the time they run, backfills included); warn / error: longer than the
threshold, the table's feed may have stopped. Reference tables are replaced by every load, not checked.</p>
<table id="freshness"><thead><tr><th>Raw table</th><th>Last loaded at (UTC)</th><th>Last load day</th>
<th>Status</th><th class="num">Age at the check</th><th class="num">Warn after</th>
<th class="num">Error after</th></tr></thead><tbody>
{%- for r in rows %}<tr data-table="{{ r.raw_table }}"{% if r.is_stale %} class="stale"{% endif %}>
<td>{{ r.raw_table }}</td>
<td>{{ r.last_loaded_at | utc if r.last_loaded_at else "never" }}</td>
<td>{{ r.last_load_date.isoformat() if r.last_load_date else "–" }}</td>
<td>{% if r.checked %}<span class="badge fresh-{{ r.status | replace(" ", "-") }}">{{ r.status_label }}</span>
{%- else %}<span class="muted">not checked</span>{% endif %}</td>
<td class="num">{{ r.age }}</td><td class="num">{{ r.warn_after }}</td>
<td class="num">{{ r.error_after }}</td></tr>{% endfor %}
</tbody></table>
{% endcall %}
<h2>Snapshot weeks recorded</h2>
{% call(rows) section("snapshot_weeks") %}
<table id="snapshot-weeks"><thead><tr><th>Valid from (week boundary)</th>
<th class="num">Versions opened</th></tr></thead><tbody>
{%- for r in rows %}<tr><td>{{ r.dbt_valid_from | utc }}</td>
<td class="num">{{ r.versions_opened }}</td></tr>{% endfor %}
</tbody></table>
{% endcall %}
<h2>Coach emails sent per week</h2>
{% call(rows) section("emails_per_week") %}
<table id="emails"><thead><tr><th>Week starting</th><th class="num">Emails</th><th class="num">Coaches</th>
<th>Last sent (UTC)</th></tr></thead><tbody>
{%- for r in rows %}<tr><td>{{ r.week_start_date.isoformat() }}</td><td class="num">{{ r.emails_sent }}</td>
<td class="num">{{ r.coaches }}</td><td>{{ r.last_sent_at | utc }}</td></tr>{% endfor %}
</tbody></table>
{% endcall %}
{% endblock %}
"""

TEMPLATES = {
    "base.html": _BASE,
    "macros.html": _OPTIONS,
    "caseload.html": _CASELOAD,
    "trends.html": _TRENDS,
    "equity.html": _EQUITY,
    "pipeline.html": _PIPELINE,
}


def utc(value: datetime) -> str:
    """A timestamp in UTC; naive ones are UTC already (as the warehouse stores them)."""
    if value.tzinfo is not None:
        value = value.astimezone(UTC)
    return value.strftime("%Y-%m-%d %H:%M:%S")


def environment() -> Environment:
    # finalize: a NULL from a mart shows as a dash, never as "None".
    env = Environment(loader=DictLoader(TEMPLATES), autoescape=select_autoescape(default=True),
                      finalize=lambda value: "–" if value is None else value)
    env.filters["utc"] = utc
    env.globals["css"] = Markup(_CSS)  # our own constant; escaping would break the CSS
    return env

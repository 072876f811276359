"""Offline checks of the LookML project in looker/ (Looker itself cannot run here).

Every check is a plain function returning a list of problems (strings naming the file, the
view or explore and the field), so a test can assert the list is empty and print it.
"""

from __future__ import annotations

import json
import re
from dataclasses import dataclass, field
from pathlib import Path

import lkml
import yaml

# LookML constants that stand for a dbt schema (BigQuery dataset <prefix><schema>).
DATASET_CONSTANTS = {"marts_dataset": "marts"}
DEMOGRAPHIC_COLUMNS = frozenset({"gender", "ethnicity_group", "imd_quintile", "has_ldd", "ldd_category"})
APPRENTICE_LEVEL_COLUMNS = frozenset({"apprentice_id", "apprentice_name", "full_name", "first_name",
                                      "last_name", "email", "apprentice_email"})
# Looker's defaults when a dimension_group lists no timeframes / intervals.
DEFAULT_TIMEFRAMES = ["raw", "time", "date", "week", "month", "quarter", "year"]
DEFAULT_INTERVALS = ["day", "hour", "minute", "month", "quarter", "second", "week", "year"]
SQL_KEYS = ("sql", "sql_start", "sql_end")
TABLE_COLUMN = re.compile(r"\$\{TABLE\}\.(\w+)")
FIELD_REF = re.compile(r"\$\{(\w+(?:\.\w+)?)\}")
SINGLE_COLUMN = re.compile(r"^\s*\$\{TABLE\}\.(\w+)\s*$")
NUMERIC_TYPES = ("TINYINT", "SMALLINT", "INTEGER", "BIGINT", "HUGEINT", "UTINYINT", "USMALLINT",
                 "UINTEGER", "UBIGINT", "FLOAT", "DOUBLE", "REAL", "DECIMAL", "NUMERIC", "INT64",
                 "FLOAT64")


@dataclass
class Field:
    name: str  # as referenced in queries, e.g. week_start_date for a dimension_group week_start
    kind: str  # dimension | dimension_group | measure | filter | parameter
    source: dict  # the parsed LookML block (for a group: the group's block)
    hidden: bool

    @property
    def column(self) -> str | None:
        """The mart column when the field is exactly one column (`sql: ${TABLE}.col ;;`)."""
        match = SINGLE_COLUMN.match(self.source.get("sql", "") or "")
        return match.group(1) if match else None


@dataclass
class View:
    name: str
    file: str
    block: dict
    fields: dict[str, Field] = field(default_factory=dict)


@dataclass
class Project:
    root: Path
    views: dict[str, View] = field(default_factory=dict)
    explores: dict[str, tuple[str, dict]] = field(default_factory=dict)  # name -> (file, block)
    models: dict[str, dict] = field(default_factory=dict)  # model name -> parsed file
    constants: dict[str, str] = field(default_factory=dict)
    dashboards: dict[str, tuple[str, dict]] = field(default_factory=dict)  # name -> (file, block)
    parse_problems: list[str] = field(default_factory=list)


def _yes(value) -> bool:
    return str(value).lower() == "yes"


def _view_fields(block: dict) -> dict[str, Field]:
    out: dict[str, Field] = {}
    for kind, key in (("dimension", "dimensions"), ("measure", "measures"), ("filter", "filters"),
                      ("parameter", "parameters")):
        for item in block.get(key, []):
            out[item["name"]] = Field(item["name"], kind, item, _yes(item.get("hidden")))
    for group in block.get("dimension_groups", []):
        hidden = _yes(group.get("hidden"))
        if group.get("type") == "duration":
            names = [f"{interval}s_{group['name']}" for interval in group.get("intervals", DEFAULT_INTERVALS)]
        else:
            names = [f"{group['name']}_{tf}" for tf in group.get("timeframes", DEFAULT_TIMEFRAMES)]
        for name in names:
            out[name] = Field(name, "dimension_group", group, hidden)
    return out


def _field_names(block: dict) -> list[str]:
    """Every field name a view block defines, duplicates kept (a dimension_group expands to one
    name per timeframe / interval, e.g. duration `since_x` with interval day -> `days_since_x`)."""
    names = [item["name"] for key in ("dimensions", "measures", "filters", "parameters")
             for item in block.get(key, [])]
    for group in block.get("dimension_groups", []):
        names += list(_view_fields({"dimension_groups": [group]}))
    return names


def load_project(root: Path) -> Project:
    """Parse every .lkml file (lkml) and every dashboard (YAML) under root."""
    project = Project(root)
    for path in sorted(root.rglob("*.lkml")):
        rel = str(path.relative_to(root))
        try:
            parsed = lkml.load(path.read_text())
        except Exception as exc:  # lkml raises its own syntax errors
            project.parse_problems.append(f"{rel}: does not parse as LookML: {exc}")
            continue
        for constant in parsed.get("constants", []):
            project.constants[constant["name"]] = constant.get("value", "")
        for block in parsed.get("views", []):
            if block["name"] in project.views:
                project.parse_problems.append(f"{rel}: view {block['name']} defined twice")
            project.views[block["name"]] = View(block["name"], rel, block, _view_fields(block))
        for block in parsed.get("explores", []):
            project.explores[block["name"]] = (rel, block)
        if path.name.endswith(".model.lkml"):
            project.models[path.name.removesuffix(".model.lkml")] = parsed
    for path in sorted(root.rglob("*.dashboard.lookml")):
        rel = str(path.relative_to(root))
        try:
            parsed = yaml.safe_load(path.read_text())
        except yaml.YAMLError as exc:
            project.parse_problems.append(f"{rel}: does not parse as YAML: {exc}")
            continue
        if not isinstance(parsed, list) or not parsed:
            project.parse_problems.append(f"{rel}: a LookML dashboard file is a YAML list of dashboards")
            continue
        for block in parsed:
            if not isinstance(block, dict) or "dashboard" not in block:
                project.parse_problems.append(f"{rel}: entry without a `dashboard:` name")
                continue
            project.dashboards[block["dashboard"]] = (rel, block)
    return project


# ------------------------------------------------------------------ explores

def explore_views(project: Project, explore: dict) -> dict[str, tuple[str, list[str] | None]]:
    """Alias -> (view name, the join's `fields` list or None) for the base view and every join."""
    base = explore.get("view_name") or explore.get("from") or explore["name"]
    alias = explore.get("view_name") or explore["name"]
    out = {alias: (base, None)}
    for join in explore.get("joins", []):
        out[join["name"]] = (join.get("from") or join["name"], join.get("fields"))
    return out


def explore_fields(project: Project, explore: dict) -> dict[str, Field]:
    """`alias.field` -> Field for everything an explore exposes (join `fields` lists honoured)."""
    out: dict[str, Field] = {}
    for alias, (view_name, allowed) in explore_views(project, explore).items():
        view = project.views.get(view_name)
        if view is None:
            continue
        for name, fld in view.fields.items():
            if allowed is None or f"{alias}.{name}" in allowed or name in allowed:
                out[f"{alias}.{name}"] = fld
    return out


# ------------------------------------------------------------------ warehouse and dbt

def read_column_catalogue(duckdb_path: Path, schemas=("marts",)) -> dict[tuple[str, str], dict[str, str]]:
    """(schema, table) -> {column: data type} from a DuckDB file's information_schema."""
    import duckdb

    with duckdb.connect(str(duckdb_path), read_only=True) as con:
        rows = con.execute(
            "select table_schema, table_name, column_name, data_type from information_schema.columns "
            f"where table_schema in ({', '.join('?' for _ in schemas)})", list(schemas)).fetchall()
    catalogue: dict[tuple[str, str], dict[str, str]] = {}
    for schema, table, column, data_type in rows:
        catalogue.setdefault((schema, table), {})[column] = data_type
    return catalogue


@dataclass
class DbtModel:
    name: str
    schema: str
    relation: str  # alias or name
    columns: dict[str, str]  # documented column -> description (whitespace normalised)


def read_dbt_models(manifest_path: Path) -> dict[tuple[str, str], DbtModel]:
    """(schema, relation name) -> model, from dbt's manifest.json."""
    manifest = json.loads(manifest_path.read_text())
    out = {}
    for node in manifest["nodes"].values():
        if node.get("resource_type") not in ("model", "snapshot"):
            continue
        relation = node.get("alias") or node["name"]
        docs = {name: " ".join((col.get("description") or "").split())
                for name, col in node.get("columns", {}).items()}
        out[(node["schema"], relation)] = DbtModel(node["name"], node["schema"], relation, docs)
    return out


def resolve_table(project: Project, sql_table_name: str) -> tuple[str, str] | None:
    """`@{marts_dataset}.fct_x` -> ("marts", "fct_x"); None when it is not of that form."""
    match = re.fullmatch(r"\s*`?@\{(\w+)\}\.(\w+)`?\s*", sql_table_name or "")
    if not match or match.group(1) not in DATASET_CONSTANTS:
        return None
    return DATASET_CONSTANTS[match.group(1)], match.group(2)


def _table_columns(view: View) -> list[tuple[str, str]]:
    """(field name, column) for every ${TABLE}.column in the view's SQL."""
    found = []
    for kind in ("dimensions", "dimension_groups", "measures", "filters"):
        for item in view.block.get(kind, []):
            for key in SQL_KEYS:
                for column in TABLE_COLUMN.findall(item.get(key, "") or ""):
                    found.append((item["name"], column))
    return found


def check_tables(project: Project, catalogue: dict[tuple[str, str], dict[str, str]],
                 dbt_models: dict[tuple[str, str], DbtModel]) -> list[str]:
    """Every view reads a dbt model that exists in the warehouse, and every ${TABLE}.column
    exists in it with a type that fits the LookML type."""
    problems = []
    for view in project.views.values():
        where = f"{view.file}: view {view.name}"
        table = resolve_table(project, view.block.get("sql_table_name", ""))
        if table is None:
            problems.append(f"{where}: sql_table_name must be `@{{<dataset constant>}}.<model>` "
                            f"with a constant in {sorted(DATASET_CONSTANTS)}")
            continue
        if table not in dbt_models:
            problems.append(f"{where}: {table[0]}.{table[1]} is not a dbt model (dbt manifest)")
        columns = catalogue.get(table)
        if columns is None:
            problems.append(f"{where}: table {table[0]}.{table[1]} is not in the warehouse")
            continue
        for field_name, column in _table_columns(view):
            if column not in columns:
                problems.append(f"{where}: field {field_name} reads ${{TABLE}}.{column}, "
                                f"which {table[0]}.{table[1]} does not have")
        problems += _type_problems(view, where, columns)
    return problems


def _type_problems(view: View, where: str, columns: dict[str, str]) -> list[str]:
    problems = []
    for kind in ("dimensions", "dimension_groups"):
        for item in view.block.get(kind, []):
            match = SINGLE_COLUMN.match(item.get("sql", "") or "")
            if not match or match.group(1) not in columns:
                continue
            data_type = columns[match.group(1)].upper()
            lk_type = item.get("type", "string")
            ok = True
            if lk_type == "yesno":
                ok = data_type == "BOOLEAN"
            elif lk_type == "number":
                ok = data_type.startswith(NUMERIC_TYPES)
            elif lk_type == "time" and item.get("datatype") == "date":
                ok = data_type == "DATE"
            elif kind == "dimension_groups" and lk_type == "time":
                ok = data_type.startswith("TIMESTAMP")
            if not ok:
                problems.append(f"{where}: field {item['name']} is type {lk_type}"
                                f"{' datatype ' + item['datatype'] if 'datatype' in item else ''} but column "
                                f"{match.group(1)} is {data_type}")
    return problems


def check_descriptions_match_dbt(project: Project,
                                 dbt_models: dict[tuple[str, str], DbtModel]) -> list[str]:
    """A dimension that is exactly one mart column carries (starts with) dbt's description of it."""
    problems = []
    for view in project.views.values():
        table = resolve_table(project, view.block.get("sql_table_name", ""))
        model = dbt_models.get(table) if table else None
        if model is None:
            continue  # reported by check_tables
        for kind in ("dimensions", "dimension_groups"):
            for item in view.block.get(kind, []):
                match = SINGLE_COLUMN.match(item.get("sql", "") or "")
                if not match:
                    continue
                column = match.group(1)
                expected = model.columns.get(column, "")
                where = f"{view.file}: view {view.name} field {item['name']}"
                if not expected:
                    problems.append(f"{where}: dbt model {model.name} documents no description "
                                    f"for column {column}")
                    continue
                actual = " ".join((item.get("description") or "").replace('\\"', '"').split())
                if not actual.startswith(expected):
                    problems.append(f"{where}: description should start with dbt's {model.name}.{column}: "
                                    f"{expected!r}; it is {actual!r}")
    return problems


# ------------------------------------------------------------------ lint

def check_lint(project: Project) -> list[str]:
    """Primary key per view, unique field names, descriptions on visible fields, relationship on
    joins, ${refs} resolve."""
    problems = []
    for view in project.views.values():
        where = f"{view.file}: view {view.name}"
        keys = [d["name"] for d in view.block.get("dimensions", []) if _yes(d.get("primary_key"))]
        if len(keys) != 1:
            problems.append(f"{where}: needs exactly one primary_key dimension, has {keys}")
        names = _field_names(view.block)
        for name in sorted({n for n in names if names.count(n) > 1}):
            problems.append(f"{where}: field name {name} is defined more than once (Looker rejects it)")
        blocks = [b for key in ("dimensions", "dimension_groups", "measures", "filters", "parameters")
                  for b in view.block.get(key, [])]
        for block in blocks:
            if not _yes(block.get("hidden")) and not (block.get("description") or "").strip():
                problems.append(f"{where}: visible field {block['name']} has no description")
            for key in SQL_KEYS:
                for ref in FIELD_REF.findall(block.get(key, "") or ""):
                    if ref != "TABLE" and "." not in ref and ref not in view.fields:
                        problems.append(f"{where}: field {block['name']} refers to ${{{ref}}}, "
                                        "which the view does not define")
        for set_block in view.block.get("sets", []):
            for name in set_block.get("fields", []):
                if name.rstrip("*") not in view.fields and "." not in name:
                    problems.append(f"{where}: set {set_block['name']} lists unknown field {name}")
    for name, (file, explore) in project.explores.items():
        where = f"{file}: explore {name}"
        aliases = explore_views(project, explore)
        for view_name, _ in aliases.values():
            if view_name not in project.views:
                problems.append(f"{where}: uses view {view_name}, which is not defined")
        for join in explore.get("joins", []):
            if join.get("relationship") not in ("many_to_one", "one_to_one", "one_to_many", "many_to_many"):
                problems.append(f"{where}: join {join['name']} declares no relationship")
            for ref in FIELD_REF.findall(join.get("sql_on", "") or ""):
                alias, _, name = ref.partition(".")
                view = project.views.get(aliases.get(alias, ("", None))[0])
                if view is None or name not in view.fields:
                    problems.append(f"{where}: join {join['name']} sql_on refers to unknown ${{{ref}}}")
            joined = project.views.get(join.get("from") or join["name"])
            for listed in join.get("fields", []) or []:
                if joined and listed.split(".")[-1] not in joined.fields:
                    problems.append(f"{where}: join {join['name']} lists unknown field {listed}")
    return problems


# ------------------------------------------------------------------ security and privacy

def _columns_of_fields(fields: dict[str, Field]) -> dict[str, set[str]]:
    """`alias.field` -> every ${TABLE}.column its SQL reads."""
    out = {}
    for ref, fld in fields.items():
        cols = set()
        for key in SQL_KEYS:
            cols |= set(TABLE_COLUMN.findall(fld.source.get(key, "") or ""))
        out[ref] = cols
    return out


def check_security(project: Project, coach_explores=("coach_caseload", "risk_history"),
                   equity_explore="equity_gaps") -> list[str]:
    """Coach explores filter rows by the coach_email user attribute; demographics only in the
    equity explore, which exposes nothing apprentice-level."""
    problems = []
    for name in coach_explores:
        if name not in project.explores:
            problems.append(f"explore {name} is missing")
            continue
        file, explore = project.explores[name]
        fields = explore_fields(project, explore)
        filters = explore.get("access_filters", [])
        good = [f for f in filters if f.get("user_attribute") == "coach_email"
                and f.get("field", "").endswith(".coach_email") and f.get("field") in fields]
        if not good:
            problems.append(f"{file}: explore {name} needs access_filter {{ field: <view>.coach_email "
                            f"user_attribute: coach_email }} on a field of the explore; has {filters}")
    equity_views = set()
    if equity_explore not in project.explores:
        problems.append(f"explore {equity_explore} is missing")
    else:
        file, explore = project.explores[equity_explore]
        equity_views = {v for v, _ in explore_views(project, explore).values()}
        for ref, cols in _columns_of_fields(explore_fields(project, explore)).items():
            leaked = (cols | {ref.split(".")[1]}) & APPRENTICE_LEVEL_COLUMNS
            if leaked:
                problems.append(f"{file}: explore {equity_explore} exposes apprentice-level field {ref} "
                                f"({sorted(leaked)})")
    for name, (file, explore) in project.explores.items():
        if name == equity_explore:
            continue
        used = {v for v, _ in explore_views(project, explore).values()}
        if used & equity_views:
            problems.append(f"{file}: explore {name} uses the equity view(s) {sorted(used & equity_views)}")
        for ref, cols in _columns_of_fields(explore_fields(project, explore)).items():
            demographic = (cols | {ref.split(".")[1]}) & DEMOGRAPHIC_COLUMNS
            if demographic:
                problems.append(f"{file}: explore {name} exposes demographic field {ref} "
                                f"({sorted(demographic)})")
    return problems


# ------------------------------------------------------------------ dashboards

_ELEMENT_FIELD_KEYS = ("fields", "pivots", "sorts", "hidden_fields")


def _element_field_refs(element: dict) -> list[str]:
    refs = []
    for key in _ELEMENT_FIELD_KEYS:
        for value in element.get(key) or []:
            refs.append(str(value).split(" ")[0])  # sorts: "view.field desc"
    refs += list((element.get("filters") or {}).keys())
    refs += list((element.get("listen") or {}).values())
    for key in ("dimension", "measure", "x_axis_field"):
        if element.get(key):
            refs.append(element[key])
    return refs


def check_dashboards(project: Project, model: str = "pipeline_health",
                     wired_by_name: bool = True) -> list[str]:
    """Elements name an existing explore and fields; filters exist and are listened to by every
    element whose explore has a field of the same name (e.g. any `cohort_name`)."""
    problems = []
    for dash_name, (file, dash) in project.dashboards.items():
        where = f"{file}: dashboard {dash_name}"
        filters = {f["name"]: f for f in dash.get("filters") or []}
        for fname, flt in filters.items():
            if flt.get("type", "field_filter") != "field_filter":
                continue
            explore = project.explores.get(flt.get("explore", ""))
            if flt.get("model") != model or explore is None:
                problems.append(f"{where}: filter {fname} names model/explore "
                                f"{flt.get('model')}/{flt.get('explore')}, which does not exist")
            elif flt.get("field") not in explore_fields(project, explore[1]):
                problems.append(f"{where}: filter {fname} field {flt.get('field')} is not in explore "
                                f"{flt.get('explore')}")
        for element in dash.get("elements") or []:
            ename = element.get("name", "?")
            if element.get("type") in ("text", "button"):
                continue
            explore = project.explores.get(element.get("explore", ""))
            if element.get("model") != model or explore is None:
                problems.append(f"{where}: element {ename} names model/explore "
                                f"{element.get('model')}/{element.get('explore')}, which does not exist")
                continue
            fields = explore_fields(project, explore[1])
            for ref in _element_field_refs(element):
                if ref not in fields:
                    problems.append(f"{where}: element {ename} uses {ref}, not a field of explore "
                                    f"{element['explore']}")
            listen = element.get("listen") or {}
            for fname in listen:
                if fname not in filters:
                    problems.append(f"{where}: element {ename} listens to unknown filter {fname}")
            short_names = {ref.split(".", 1)[1] for ref in fields}
            for fname, flt in filters.items():
                target = str(flt.get("field", "")).split(".")[-1]
                if target in short_names and fname not in listen:
                    problems.append(f"{where}: element {ename} (explore {element['explore']} has "
                                    f"{target}) does not listen to filter {fname}")
    return problems


def check_sql_parses(project: Project) -> list[str]:
    """Each field's SQL, with ${TABLE} and ${field} references stubbed, parses as BigQuery SQL."""
    import sqlglot

    problems = []
    for view in project.views.values():
        for kind in ("dimensions", "dimension_groups", "measures"):
            for item in view.block.get(kind, []):
                for key in SQL_KEYS:
                    sql = item.get(key)
                    if not sql:
                        continue
                    stub = FIELD_REF.sub("(1)", TABLE_COLUMN.sub(r"t.\1", sql))
                    try:
                        sqlglot.parse_one(f"select {stub} from t", read="bigquery")
                    except sqlglot.errors.ParseError as exc:
                        problems.append(f"{view.file}: view {view.name} field {item['name']} {key}: "
                                        f"not BigQuery SQL: {str(exc).splitlines()[0]}")
    return problems

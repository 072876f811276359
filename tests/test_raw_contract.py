"""The raw-table contract (`pipeline_health.schemas`) is the one place that says which raw tables
and columns exist; everything else that names them is tied to it here.

Checked against the contract, without building a warehouse:

* dbt sources (`dbt/models/**.yml`): the same tables in the same schemas, the same columns in
  the same order, and `not_null` tests / `data_type`s that agree with the contract where the
  yml carries them;
* validation (`dbt/macros/validation/`): the rules cover exactly the event tables and their
  payload columns, and date each event by the contract's timestamp column; the rejected-rows
  model, the validation CTEs, the staging models, the reconciliation model and the dbt unit
  test fixtures name only contract columns; the status vocabulary equals `STATUSES`;
* the simulator: every column the malformed-row generator corrupts is a contract column that
  a validation rule checks, and every row it emits for a day (clean or malformed), every
  reference row and every truth row has exactly the contract's payload columns.

Every assertion message names the table and the column that differ.
"""

from __future__ import annotations

import re
from datetime import date, timedelta
from pathlib import Path
from types import SimpleNamespace

import jinja2
import pytest
import yaml

from pipeline_health.config import Settings, SimulationConfig
from pipeline_health.schemas import (
    ALL_TABLES,
    EVENT_TABLES,
    LOAD_METADATA,
    STATUSES,
    TABLES_BY_NAME,
    Kind,
    Table,
    schema_for,
)
from pipeline_health.simulator import generate_day, generate_reference
from pipeline_health.simulator.malformed import KINDS, corrupted_columns

REPO = Path(__file__).resolve().parents[1]
DBT = REPO / "dbt"
STAGING = DBT / "models" / "staging"
MACROS = DBT / "macros"

RAW_TABLES = tuple(t for t in ALL_TABLES if t.kind is not Kind.TRUTH)


def _diff(what: str, table: str, actual: list[str], expected: list[str]) -> str:
    """'<what> of <table>: missing column(s) [...]; extra column(s) [...]' (or the order)."""
    missing = [c for c in expected if c not in actual]
    extra = [c for c in actual if c not in expected]
    parts = [f"missing column(s) {missing}" if missing else "",
             f"column(s) not in the contract {extra}" if extra else ""]
    detail = "; ".join(p for p in parts if p)
    if not detail:
        detail = f"same columns in another order: {actual} vs the contract's {expected}"
    return f"{what} of {table}: {detail}"


# ----------------------------------------------------------------------------- dbt sources

def _dbt_sources() -> dict[str, dict]:
    """Every source declared in the dbt project, by name (with the file it comes from)."""
    out: dict[str, dict] = {}
    for path in sorted((DBT / "models").rglob("*.yml")):
        for source in (yaml.safe_load(path.read_text()) or {}).get("sources") or []:
            assert source["name"] not in out, f"dbt source {source['name']} is declared twice"
            out[source["name"]] = {**source, "_file": path.relative_to(REPO)}
    return out


SOURCES = _dbt_sources()


def _duckdb_schema(source: dict) -> str:
    """The schema a source reads on DuckDB: the `else '<schema>'` of its schema expression."""
    found = re.search(r"else\s+'(\w+)'", source["schema"])
    assert found, f"dbt source {source['name']}: no DuckDB schema in {source['schema']!r}"
    return found.group(1)


def _source_tables() -> dict[str, tuple[str, dict]]:
    """Source table name -> (source name, table entry), over every source."""
    out: dict[str, tuple[str, dict]] = {}
    for name, source in SOURCES.items():
        for table in source.get("tables") or []:
            assert table["name"] not in out, f"table {table['name']} is in two dbt sources"
            out[table["name"]] = (name, table)
    return out


SOURCE_TABLES = _source_tables()


def test_every_contract_table_is_a_dbt_source_table_and_back() -> None:
    contract = {t.name for t in ALL_TABLES}
    for name in sorted(contract - set(SOURCE_TABLES)):
        pytest.fail(f"table {name}: in schemas.py but in no dbt source")
    for name in sorted(set(SOURCE_TABLES) - contract):
        source = SOURCES[SOURCE_TABLES[name][0]]
        pytest.fail(f"table {name}: dbt source {source['name']} ({source['_file']}) declares it, "
                    "schemas.py does not")
    for name, (source_name, _) in SOURCE_TABLES.items():
        expected = schema_for(TABLES_BY_NAME[name])
        actual = _duckdb_schema(SOURCES[source_name])
        assert actual == expected, (f"table {name}: dbt source {source_name} reads schema {actual!r}, "
                                    f"the loaders write {expected!r}")


def test_the_raw_source_reads_the_loaders_bigquery_dataset(monkeypatch: pytest.MonkeyPatch) -> None:
    raw = [s for s in SOURCES.values() if _duckdb_schema(s) == schema_for(RAW_TABLES[0])]
    assert len(raw) == 1, "exactly one dbt source must read the raw schema"
    found = re.search(r"env_var\('(\w+)',\s*'(\w+)'\)", raw[0]["schema"])
    assert found, f"dbt source {raw[0]['name']}: no env_var() for its BigQuery dataset"
    # The same variable and default the BigQuery loader writes (config.Settings.from_env).
    monkeypatch.delenv("PIPELINE_HEALTH_BQ_RAW_DATASET", raising=False)
    monkeypatch.delenv("PIPELINE_HEALTH_WAREHOUSE", raising=False)
    default = Settings.from_env().bq_raw_dataset
    assert found.groups() == ("PIPELINE_HEALTH_BQ_RAW_DATASET", default), (
        f"dbt source {raw[0]['name']}: BigQuery dataset env_var{found.groups()}, the loader reads "
        f"PIPELINE_HEALTH_BQ_RAW_DATASET with default {default!r}")


@pytest.mark.parametrize("table", ALL_TABLES, ids=lambda t: t.name)
def test_source_columns_are_the_contract_columns(table: Table) -> None:
    source_name, entry = SOURCE_TABLES[table.name]
    columns = [c["name"] for c in entry.get("columns") or []]
    for name in sorted({c for c in columns if columns.count(c) > 1}):
        pytest.fail(f"dbt source {source_name}, table {table.name}: column {name} is listed twice")
    assert columns == table.column_names, _diff(f"dbt source {source_name}", table.name, columns,
                                                table.column_names)


def _tests(column: dict) -> list:
    return [*(column.get("data_tests") or []), *(column.get("tests") or [])]


@pytest.mark.parametrize("table", ALL_TABLES, ids=lambda t: t.name)
def test_source_not_null_and_types_agree_with_the_contract(table: Table) -> None:
    """The yml carries no not_null tests or data types today; where it does, they must agree."""
    source_name, entry = SOURCE_TABLES[table.name]
    contract = {c.name: c for c in table.columns}
    not_null = {c["name"] for c in entry.get("columns") or [] if "not_null" in _tests(c)}
    for name in sorted(not_null):
        assert contract[name].required, (f"dbt source {source_name}, table {table.name}, column {name}: "
                                         "not_null test on a column the contract says is optional")
    if not_null:  # once a table's columns carry not_null, every required column must
        for name in sorted(c for c, col in contract.items() if col.required and c not in not_null):
            pytest.fail(f"dbt source {source_name}, table {table.name}, column {name}: required in "
                        "the contract but has no not_null test")
    for column in entry.get("columns") or []:
        if column.get("data_type"):
            expected = contract[column["name"]].type
            assert column["data_type"].upper() == expected, (
                f"dbt source {source_name}, table {table.name}, column {column['name']}: data_type "
                f"{column['data_type']!r}, the contract says {expected!r}")


# ------------------------------------------------------------------------ validation rules

class _Return(Exception):
    def __init__(self, value: object) -> None:
        super().__init__()
        self.value = value


def _return(value: object) -> None:
    raise _Return(value)  # dbt's return(): the macro's value, not its text


def _dbt_macros(*files: str) -> SimpleNamespace:
    """The macros of these files, callable from Python as `pipeline_health.<name>()` is in dbt."""
    namespace = SimpleNamespace()
    env = jinja2.Environment(extensions=["jinja2.ext.do"])
    for file in files:
        module = env.from_string((MACROS / file).read_text()).make_module(
            {"return": _return, "pipeline_health": namespace})
        for name in dir(module):
            macro = getattr(module, name)
            if isinstance(macro, jinja2.runtime.Macro):
                def call(*args, _macro=macro, **kwargs):
                    try:
                        return _macro(*args, **kwargs)
                    except _Return as done:
                        return done.value
                setattr(namespace, name, call)
    return namespace


MACRO_NS = _dbt_macros("domain/progression_statuses.sql", "validation/event_table_rules.sql")
RULES: dict[str, dict] = MACRO_NS.event_table_rules()


def test_validation_rules_cover_exactly_the_event_tables() -> None:
    contract = {t.name for t in EVENT_TABLES}
    for name in sorted(contract - set(RULES)):
        pytest.fail(f"table {name}: an event table in schemas.py with no validation rules "
                    "(dbt/macros/validation/event_table_rules.sql)")
    for name in sorted(set(RULES) - contract):
        pytest.fail(f"table {name}: validation rules for a table that is not an event table in schemas.py")
    assert MACRO_NS.event_table_names() == sorted(contract)


@pytest.mark.parametrize("table", EVENT_TABLES, ids=lambda t: t.name)
def test_validation_rules_name_exactly_the_payload_columns(table: Table) -> None:
    rules = RULES[table.name]
    columns = [c["name"] for c in rules["columns"]]
    payload = [c.name for c in table.payload_columns]
    # Each rule column is also a key of the rejected row's raw_payload: all of them, once.
    assert columns == payload, _diff("validation rules", table.name, columns, payload)
    assert rules["occurred_at"] == table.occurred_column, (
        f"validation rules of {table.name}: occurred_at column {rules['occurred_at']}, the contract's "
        f"timestamp column is {table.occurred_column}")
    for rule in rules["columns"]:
        if rule.get("max_column"):
            assert rule["max_column"] in payload, (
                f"validation rules of {table.name}, column {rule['name']}: max_column "
                f"{rule['max_column']} is not a column of the table in the contract")
    # validated_event_ctes.sql keys every event table on these two columns by name.
    assert (table.event_id_column, table.apprentice_column) == ("event_id", "apprentice_id"), (
        f"table {table.name}: validation expects event_id and apprentice_id, the contract has "
        f"{table.event_id_column} and {table.apprentice_column}")


def test_the_status_vocabulary_is_the_contracts() -> None:
    assert tuple(MACRO_NS.all_statuses()) == STATUSES, (
        f"table raw_status_changes, column to_status: dbt statuses {MACRO_NS.all_statuses()} "
        f"(macros/domain/progression_statuses.sql), schemas.STATUSES {list(STATUSES)}")
    to_status = next(c for c in RULES["raw_status_changes"]["columns"] if c["name"] == "to_status")
    assert tuple(to_status["accepted"]) == STATUSES


def _select_list(sql: str, before: str) -> list[str]:
    """Items of the last `select ... from <before>` in sql, one per line, commas dropped."""
    found = re.findall(r"select\s*\n(.*?)\n\s*from " + re.escape(before), sql, flags=re.S)
    assert found, f"no `select ... from {before}` found"
    return [line.strip().rstrip(",") for line in found[-1].splitlines() if line.strip()]


def _columns_read(item: str) -> set[str]:
    """Column names a select item reads: `x`, `x as y`, `trim(x) as y`, `cast(x as t) as y`,
    `{{ pipeline_health.utc_date('x') }} as y`. String literals name no column."""
    item = re.sub(r"\s+as\s+\w+$", "", item)  # the output alias
    quoted = re.findall(r"'(\w+)'", item) if "{{" in item else []
    item = re.sub(r"\{\{.*?\}\}", "", item)
    item = re.sub(r"'[^']*'", "", item)
    names = {n for n in re.findall(r"\b([a-z_][a-z0-9_]*)\b(?!\s*\()", item)} - {"as", "date"}
    return names | set(quoted)


def test_rejected_rows_and_validation_ctes_read_only_contract_columns() -> None:
    sql = (STAGING / "stg_apprenticeship__rejected_rows.sql").read_text()
    derived = {"rejection_reason", "raw_payload"}  # made by validated_event_ctes, not raw columns
    items = _select_list(sql, "{{ table_name[4:] }}__validated")
    read = set().union(*(_columns_read(i) for i in items)) - derived
    ctes = (MACROS / "validation" / "validated_event_ctes.sql").read_text()
    read |= set(re.findall(r"\btyped\.(\w+)", ctes)) - {"first_failed_rule"}
    known = set(re.findall(r"\bknown\.(\w+)", ctes))
    assert read, "no raw column found: the parsing above no longer matches the SQL"
    for table in EVENT_TABLES:
        for column in sorted(read - set(table.column_names)):
            pytest.fail(f"table {table.name}, column {column}: read by stg_apprenticeship__rejected_rows "
                        "or validated_event_ctes for every event table, not in the contract")
    for column in sorted(known - set(TABLES_BY_NAME["raw_apprentices"].column_names)):
        pytest.fail(f"table raw_apprentices, column {column}: validated_event_ctes looks it up, "
                    "not in the contract")


def _staging_models() -> dict[str, tuple[Path, str]]:
    """Raw table -> (staging model file, the name of the CTE its select reads)."""
    out = {}
    for path in sorted(STAGING.glob("stg_apprenticeship__*.sql")):
        sql = path.read_text()
        event = re.search(r"validated_event_ctes\('(\w+)'\)", sql)
        if path.stem.endswith("rejected_rows"):
            continue
        if event:
            out[event.group(1)] = (path, f"{event.group(1)[4:]}__validated")
        else:
            source = re.search(r"source\('apprenticeship',\s*'(\w+)'\)", sql)
            assert source, f"{path.name}: reads no raw table"
            out[source.group(1)] = (path, "source")
    return out


def test_every_raw_table_has_a_staging_model() -> None:
    models = _staging_models()
    for table in RAW_TABLES:
        assert table.name in models, f"table {table.name}: no staging model reads it"
    for name, (path, _) in models.items():
        assert name in TABLES_BY_NAME, f"table {name}: {path.name} reads it, schemas.py has no such table"


@pytest.mark.parametrize("table", RAW_TABLES, ids=lambda t: t.name)
def test_staging_models_read_only_contract_columns(table: Table) -> None:
    path, cte = _staging_models()[table.name]
    items = _select_list(path.read_text(), cte)
    read = set().union(*(_columns_read(i) for i in items))
    assert read, f"{path.name}: no column found: the parsing above no longer matches the SQL"
    for column in sorted(read - set(table.column_names)):
        pytest.fail(f"table {table.name}, column {column}: read by {path.name}, not in the contract")


def test_reconciliation_covers_the_event_tables() -> None:
    sql = (DBT / "models" / "ops" / "ops_raw_load_reconciliation.sql").read_text()
    tables = set(re.findall(r"'(raw_\w+)'\s*:", sql))
    contract = {t.name for t in EVENT_TABLES}
    for name in sorted(contract ^ tables):
        pytest.fail(f"table {name}: "
                    + ("no staging model mapped in ops_raw_load_reconciliation" if name in contract
                       else "mapped in ops_raw_load_reconciliation, not an event table in schemas.py"))


def test_dbt_unit_test_fixtures_use_contract_columns() -> None:
    checked = 0
    for path in sorted((DBT / "models").rglob("*.yml")):
        for unit in (yaml.safe_load(path.read_text()) or {}).get("unit_tests") or []:
            for given in unit.get("given") or []:
                found = re.fullmatch(r"source\('(\w+)',\s*'(\w+)'\)", given["input"].strip())
                if not found:
                    continue
                table = found.group(2)
                assert table in TABLES_BY_NAME, (
                    f"unit test {unit['name']} ({path.name}): table {table} is not in schemas.py")
                for row in given.get("rows") or []:
                    checked += 1
                    for column in sorted(set(row) - set(TABLES_BY_NAME[table].column_names)):
                        pytest.fail(f"unit test {unit['name']} ({path.name}), table {table}, column "
                                    f"{column}: not in the contract")
    assert checked, "no unit test fixture row on a source found"


# ------------------------------------------------------------------------------ simulator

def _rule(table: str, column: str) -> dict:
    return next(r for r in RULES[table]["columns"] if r["name"] == column)


@pytest.mark.parametrize("table", EVENT_TABLES, ids=lambda t: t.name)
def test_malformed_rows_corrupt_only_contract_columns_that_validation_checks(table: Table) -> None:
    kinds = corrupted_columns(table.name)
    assert set(kinds) <= set(KINDS), f"table {table.name}: unknown kinds {set(kinds) - set(KINDS)}"
    for kind, columns in kinds.items():
        for column in sorted(columns):
            assert column in table.column_names, (
                f"table {table.name}, column {column}: the malformed kind {kind} corrupts it, "
                "not in the contract")
            rule = _rule(table.name, column)
            if kind == "out_of_range":
                assert rule.get("min") is not None or rule.get("max") is not None, (
                    f"table {table.name}, column {column}: corrupted out of range, no range rule")
            if kind == "unparseable":
                assert rule["type"] != "string" or rule.get("accepted"), (
                    f"table {table.name}, column {column}: corrupted as unparseable, but validation "
                    "accepts any text there")


SIM_CONFIG = SimulationConfig(seed=7, population=200, first_cohort="2025-06", last_cohort="2026-12",
                              malformed_rate=0.3)
FIRST_DAY = date(2026, 3, 2)


def test_reference_and_truth_rows_have_exactly_the_contract_columns() -> None:
    tables = generate_reference(SIM_CONFIG)
    assert set(tables) == {t.name for t in ALL_TABLES if t.kind is not Kind.EVENT}
    for name, rows in tables.items():
        expected = [c.name for c in TABLES_BY_NAME[name].payload_columns]
        assert rows, f"table {name}: the simulator made no rows"
        for row in rows:
            assert set(row) == set(expected), _diff("simulated row", name, list(row), expected)


def test_a_days_event_rows_have_exactly_the_contract_columns() -> None:
    """A small population's days, with malformed rows, until every event table had rows."""
    seen: dict[str, int] = {t.name: 0 for t in EVENT_TABLES}
    day = FIRST_DAY
    while min(seen.values()) == 0 and day < FIRST_DAY + timedelta(days=42):
        batch = generate_day(SIM_CONFIG, day)
        assert set(batch.tables) == set(seen), (
            f"{day}: simulated tables {sorted(batch.tables)}, event tables {sorted(seen)}")
        for name, rows in batch.tables.items():
            expected = [c.name for c in TABLES_BY_NAME[name].payload_columns]
            for row in rows:
                assert set(row) == set(expected), _diff(f"{day}: simulated row", name, list(row), expected)
                assert not set(row) & set(LOAD_METADATA)  # the loader adds these
            seen[name] += len(rows)
        day += timedelta(days=1)
    for name, n in seen.items():
        assert n, f"table {name}: no rows in six weeks of a small population; widen the window"

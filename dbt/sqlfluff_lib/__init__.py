"""Jinja context of sqlfluff's jinja templater for this dbt project (see dbt/.sqlfluff).

sqlfluff's `apply_dbt_builtins` gives stand-ins for ref / source / config / var /
is_incremental / this, but the models also call this project's macros as
`pipeline_health.<macro>(...)`, and those macros use adapter.dispatch, var, target,
modules, return(), ... This package renders the REAL macros of dbt/macros for the DuckDB
target, the way `dbt compile --target duckdb` would on an incremental weekly run, so the
linter reads SQL close to what runs. It only serves the linter: nothing here runs in dbt.

sqlfluff imports this package as a "library" (library_path) and puts every public name
defined here into the templating context; internals are prefixed with an underscore.
"""

import datetime as _datetime
import json as _json
import os as _os
import re as _re
import sys as _sys
from pathlib import Path as _Path
from types import ModuleType as _ModuleType
from types import SimpleNamespace as _Namespace

import jinja2 as _jinja2
import jinja2.sandbox as _sandbox
import yaml as _yaml

_DBT_DIR = _Path(__file__).resolve().parent.parent
_MACRO_DIR = _DBT_DIR / "macros"

# The weekly DAG's vars for one ISO week (Monday .. Sunday): every window macro then
# yields that week, as in a real weekly run (a daily run's window is the same shape).
_RUN_VARS = {"run_start_date": "2026-11-16", "run_end_date": "2026-11-22"}


def _project_vars() -> dict:
    with open(_DBT_DIR / "dbt_project.yml", encoding="utf-8") as handle:
        project = _yaml.safe_load(handle)
    return {**(project.get("vars") or {}), **_RUN_VARS}


_VARS = _project_vars()

# Names shared with the sqlfluff context (the templated file) and the macros.
execute = False
target = _Namespace(type="duckdb", name="duckdb", schema="main", database="warehouse", threads=1)
modules = _Namespace(datetime=_datetime, re=_re, json=_json)
run_started_at = _datetime.datetime.now(_datetime.UTC)


def var(name, default=None):
    """dbt's var(): dbt_project.yml vars plus the weekly run's dates."""
    return _VARS.get(name, default)


def env_var(name, default=""):
    return _os.environ.get(name, default)


def log(msg, info=False):
    return ""


class _Return(Exception):
    """dbt's return(): leaves the macro with a value that need not be a string."""

    def __init__(self, value):
        super().__init__()
        self.value = value


def _return(value):
    raise _Return(value)


def _raise_compiler_error(msg, node=None):
    raise RuntimeError(f"dbt compiler error while linting: {msg}")


class _Relation:
    """A relation rendered as its bare name (as sqlfluff's ref() / source() do)."""

    def __init__(self, identifier, database=target.database, schema=target.schema):
        self.identifier = identifier
        self.database = database
        self.schema = schema
        self.name = identifier

    def __str__(self):
        return self.identifier

    @classmethod
    def create(cls, database=None, schema=None, identifier=None, **_kwargs):
        return cls(identifier, database, schema)


class _Env(_sandbox.SandboxedEnvironment):
    """Sandbox as dbt uses it: any attribute (pipeline_health._private), and return()
    ends only the macro that called it (also a macro calling one of its own file)."""

    def is_safe_attribute(self, obj, attr, value):
        return True

    def call(self, __context, __obj, *args, **kwargs):
        try:
            return super().call(__context, __obj, *args, **kwargs)
        except _Return as ret:
            if isinstance(__obj, _jinja2.runtime.Macro):
                return ret.value
            raise


class _Macros:
    """The project's macros by name, loaded from dbt/macros once per process."""

    def __init__(self):
        self.env = _Env(extensions=["jinja2.ext.do"], keep_trailing_newline=True)
        self.by_name = {}
        texts = []
        for path in sorted(_MACRO_DIR.rglob("*.sql")):
            text = path.read_text(encoding="utf-8")
            # A generic test is a macro named test_<name> (dbt's {% test %} tag).
            text = _re.sub(r"{%(-?)\s*test\s+(\w+)", r"{%\1 macro test_\2", text)
            text = _re.sub(r"{%(-?)\s*endtest\b", r"{%\1 endmacro", text)
            texts.append(text)
        names = [n for t in texts for n in _re.findall(r"{%-?\s*macro\s+(\w+)", t)]
        # Every macro name is a global before any file is compiled, so macros of one file
        # find those of another by bare name, as in dbt.
        context = {name: self._late(name) for name in names}
        context.update(_macro_globals(self))
        for text in texts:
            template = self.env.from_string(text, globals=context)
            # Rendering the file defines its macros in the render context; unlike the
            # template's module, that also holds the private ones (_check_iso_date).
            render_context = template.new_context()
            "".join(template.root_render_func(render_context))
            for name in _re.findall(r"{%-?\s*macro\s+(\w+)", text):
                self.by_name[name] = render_context.vars[name]

    def _late(self, name):
        return lambda *args, **kwargs: self.call(name, *args, **kwargs)

    def call(self, name, *args, **kwargs):
        try:
            return self.by_name[name](*args, **kwargs)
        except _Return as ret:
            return ret.value

    def dispatch(self, name, macro_namespace=None):
        for candidate in (f"{target.type}__{name}", f"default__{name}"):
            if candidate in self.by_name:
                return self._late(candidate)
        if macro_namespace == "dbt":
            return getattr(_DBT_MACROS, name)
        raise RuntimeError(f"adapter.dispatch: no macro {target.type}__{name} or default__{name}")


# dbt's own cross-database macros the project uses, as dbt-duckdb renders them.
_DBT_MACROS = _Namespace(
    dateadd=lambda datepart, interval, from_date: (
        f"date_add({from_date}, interval ({interval}) {datepart})"
    ),
    datediff=lambda first, second, datepart: f"date_diff('{datepart}', {first}, {second})",
    date_trunc=lambda datepart, date: f"date_trunc('{datepart}', {date})",
    safe_cast=lambda field, type_: f"cast({field} as {type_})",
    snapshot_get_time=lambda: "now()",
)


def _macro_globals(macros):
    """What dbt puts in a macro's context, enough for this project's macros."""

    class _Project:
        def __getattr__(self, name):
            if name in macros.by_name:
                return macros._late(name)
            raise AttributeError(f"pipeline_health has no macro {name}")

    class _Dbt:
        def __getattr__(self, name):
            # A root-project override (e.g. duckdb__snapshot_get_time) wins, as in dbt.
            if f"{target.type}__{name}" in macros.by_name:
                return macros._late(f"{target.type}__{name}")
            return getattr(_DBT_MACROS, name)

    def statement(name=None, fetch_result=False, auto_begin=True, caller=None):
        return ""

    return {
        "pipeline_health": _Project(),
        "dbt": _Dbt(),
        "adapter": _Namespace(dispatch=macros.dispatch, get_relation=lambda **_kwargs: None),
        "api": _Namespace(Relation=_Relation),
        "exceptions": _Namespace(raise_compiler_error=_raise_compiler_error),
        "return": _return,
        "var": var,
        "env_var": env_var,
        "log": log,
        "target": target,
        "modules": modules,
        "execute": execute,
        "run_started_at": run_started_at,
        "run_query": lambda sql: None,
        "statement": statement,
        "is_incremental": lambda: True,
        "this": _Relation("this_model"),
        "ref": lambda *args, **_kwargs: _Relation(args[-1]),
        "source": lambda source_name, table: _Relation(f"{source_name}_{table}"),
        "tojson": _json.dumps,
        "fromjson": _json.loads,
        "zip": zip,
    }


def _cached_macros():
    """The loaded macros, kept for the whole process: sqlfluff runs this package again
    for every file it lints, and loading dbt/macros takes about half a second."""
    key = tuple((str(path), path.stat().st_mtime_ns) for path in sorted(_MACRO_DIR.rglob("*.sql")))
    cache = _sys.modules.setdefault("_pipeline_health_sqlfluff_macros", _ModuleType("cache"))
    if getattr(cache, "key", None) != key:
        cache.macros, cache.key = _Macros(), key
    return cache.macros


class _LazyProject:
    """`pipeline_health` in the templated file: the macros, loaded on first use."""

    _macros = None

    def __getattr__(self, name):
        if _LazyProject._macros is None:
            _LazyProject._macros = _cached_macros()
        if name not in _LazyProject._macros.by_name:
            raise AttributeError(f"pipeline_health has no macro {name}")
        return _LazyProject._macros._late(name)


pipeline_health = _LazyProject()

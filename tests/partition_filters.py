"""Does a BigQuery statement read a partition-filtered table without a partition filter?

BigQuery refuses a query over a table with `require_partition_filter` unless the query filters
the partitioning column in a way it can use to skip partitions. The emulator does not enforce
it (docs/bigquery_emulator.md), so the tests check the SQL that ran there instead: every
reference to such a table must sit in a SELECT (or DELETE/UPDATE) whose WHERE holds, at its
top level (joined by AND, never under OR or NOT), a comparison of that table's partitioning
column with an expression that reads no column: `col = <constant>`, `<`, `<=`, `>`, `>=`,
`BETWEEN` or `IN (<constants>)`. This is stricter than BigQuery in one way (a filter in a
join's ON is not counted) and never looser on the statements it understands.
"""

from __future__ import annotations

from dataclasses import dataclass

import sqlglot
from sqlglot import exp

COMPARISONS = (exp.EQ, exp.GT, exp.GTE, exp.LT, exp.LTE, exp.Between, exp.In)


@dataclass(frozen=True)
class UnfilteredRead:
    table: str
    column: str
    statement: str  # the statement's first characters, to find it

    def __str__(self) -> str:
        return f"{self.table} read without a filter on {self.column}: {self.statement}"


def unfiltered_reads(sql: str, required: dict[str, str]) -> list[UnfilteredRead]:
    """The references in `sql` (BigQuery dialect) to a table of `required` (table name -> its
    partitioning column) that BigQuery would refuse. Tables are matched by their last name part."""
    found = []
    for statement in sqlglot.parse(sql, read="bigquery"):
        if statement is None:
            continue
        for table in statement.find_all(exp.Table):
            column = required.get(table.name)
            if column is None or _is_write_target(table):
                continue
            scope = table.find_ancestor(exp.Select, exp.Delete, exp.Update)
            where = scope.args.get("where") if scope is not None else None
            if where is None or not _filters(where.this, column, table.alias_or_name):
                text = " ".join(statement.sql(dialect="bigquery").split())
                found.append(UnfilteredRead(table.name, column, text[:300]))
    return found


def _is_write_target(table: exp.Table) -> bool:
    """The table an INSERT or MERGE writes (its reads are the statement's sources) or that a
    CREATE/DROP names. A DELETE's or UPDATE's table is read to find its rows: checked."""
    parent = table.parent
    if isinstance(parent, exp.Schema):
        parent = parent.parent
    if isinstance(parent, (exp.Insert, exp.Create, exp.Drop)):
        return parent.this is table or parent.this is table.parent
    if isinstance(parent, exp.Merge):
        return parent.this is table
    return False


def _conjuncts(condition: exp.Expression) -> list[exp.Expression]:
    condition = condition.unnest()
    if isinstance(condition, exp.And):
        return _conjuncts(condition.left) + _conjuncts(condition.right)
    return [condition]


def _filters(condition: exp.Expression, column: str, alias: str) -> bool:
    for predicate in _conjuncts(condition):
        if not isinstance(predicate, COMPARISONS):
            continue
        if isinstance(predicate, exp.In):
            sides = [predicate.this, *predicate.expressions]
        else:
            sides = [predicate.this, *(predicate.args[k] for k in ("expression", "low", "high")
                                       if k in predicate.args)]
        target = [s for s in sides if _is_column(s, column, alias)]
        others = [s for s in sides if not _is_column(s, column, alias)]
        if isinstance(predicate, exp.In) and predicate.args.get("query") is not None:
            continue  # IN (subquery): not a constant
        constant = all(not list(o.find_all(exp.Column, exp.Subquery, exp.Select)) for o in others)
        if len(target) == 1 and constant:
            return True
    return False


def _is_column(node: exp.Expression, column: str, alias: str) -> bool:
    node = node.unnest()
    return (isinstance(node, exp.Column) and node.name.lower() == column.lower()
            and node.table in ("", alias))

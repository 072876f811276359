"""The partition-filter check (tests/partition_filters.py) flags what BigQuery would refuse."""

from __future__ import annotations

import pytest
from partition_filters import unfiltered_reads

REQUIRED = {"fct_apprentice_daily": "as_of_date", "raw_otj_hours": "load_date"}
DAILY = "`p.marts.fct_apprentice_daily`"
RAW = "`p.raw.raw_otj_hours`"


@pytest.mark.parametrize("sql", [
    f"select * from {DAILY} where as_of_date = cast('2026-11-22' as date)",
    f"select * from {DAILY} where as_of_date between cast('2026-11-16' as date) "
    "and cast('2026-11-22' as date) and is_iso_week_end",
    f"select * from {DAILY} as d join t on d.apprentice_id = t.apprentice_id "
    "where d.as_of_date <= '2026-11-22'",
    f"select * from {DAILY} where as_of_date in (cast('2026-11-21' as date), cast('2026-11-22' as date))",
    f"select * from {RAW} where load_date >= cast('2026-11-22' as date) - 14",
    f"with recent as (select * from {RAW} where load_date <= '2026-11-22') select count(*) from recent",
    f"select count(*) from (select * from {DAILY} where as_of_date in ('2026-11-22')) as dbt_subquery "
    "where apprentice_id is null",
    f"delete from {RAW} where load_date = '2026-11-22'",
    f"insert into {DAILY} (apprentice_id) select apprentice_id from t",  # a write, not a read
    f"merge into {DAILY} as dest using (select * from {RAW} where load_date = '2026-11-22') as src "
    "on false when not matched then insert row",
    "select * from `p.marts.fct_apprentice_risk_weekly`",  # not a partition-filtered table
], ids=lambda sql: sql[:60])
def test_a_read_that_names_its_days_passes(sql: str) -> None:
    assert unfiltered_reads(sql, REQUIRED) == []


@pytest.mark.parametrize("sql", [
    f"select count(*) from {DAILY}",
    f"select * from {DAILY} where apprentice_id = 'APP-1'",
    f"select * from {DAILY} where as_of_date = '2026-11-22' or apprentice_id = 'APP-1'",
    f"select * from {DAILY} where not (as_of_date < '2026-11-22')",
    f"select * from {DAILY} as d join t on d.as_of_date = '2026-11-22'",  # ON does not count
    f"select * from {DAILY} as d join t using (apprentice_id) where t.as_of_date = '2026-11-22'",
    f"select * from {DAILY} where as_of_date = (select max(week_end) from t)",
    f"select * from {DAILY} where as_of_date = other_date",
    f"with w as (select * from {RAW}) select * from w where load_date = '2026-11-22'",
    f"merge into {DAILY} as dest using (select * from {RAW}) as src on false "
    "when not matched then insert row",
    f"delete from {RAW} where true",
], ids=lambda sql: sql[:60])
def test_a_read_of_every_day_is_flagged_with_its_table_and_column(sql: str) -> None:
    (read,) = unfiltered_reads(sql, REQUIRED)
    assert (read.table, read.column) in REQUIRED.items()
    assert read.table in str(read) and read.column in str(read)

"""Schedules with real data intervals.

A plain cron string in Airflow 3 gives a run whose data interval is a single point;
the pipeline needs intervals that bound a day (daily DAG) and an ISO week (weekly DAG).
"""

from __future__ import annotations

from airflow.sdk import CronDataIntervalTimetable

# Interval [day 00:00, next day 00:00) UTC; the run starts when the day is over.
DAILY = CronDataIntervalTimetable("0 0 * * *", timezone="UTC")
# Interval [Monday 00:00, next Monday 00:00) UTC: the previous ISO week, run on Monday.
WEEKLY = CronDataIntervalTimetable("0 0 * * 1", timezone="UTC")

"""Airflow-facing pieces: Cosmos configuration, schedules, task callables. DAG files stay declarative."""

"""Local tooling: the demo, the DAG runner, the local Airflow set-up and the mail sink.

For a laptop, the tests and CI only: production code (dags/, plugins/ and the rest of
pipeline_health) imports nothing from here (tests/test_local_boundary.py checks).
"""

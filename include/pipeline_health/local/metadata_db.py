"""Connection arguments of the local stack's SQLite metadata database (read by every Airflow
process through `[database] sql_alchemy_connect_args`; nothing else in this module).

SQLite allows one writer at a time and makes the others wait up to `timeout` seconds (5 by
default). Under the watcher mode the scheduler, the triggerer (each node's task ended by its
trigger), the DAG processor (callbacks) and the API server write often; a reprocessing
backfill, which clears ~60 task instances per run in one transaction, waited longer than
5 s and failed with "database is locked". Production uses PostgreSQL or MySQL.
"""

SQLITE_CONNECT_ARGS = {"timeout": 60}

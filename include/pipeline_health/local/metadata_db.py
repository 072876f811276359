"""Connection arguments of the local stack's SQLite metadata database (read by every Airflow
process through `[database] sql_alchemy_connect_args`; nothing else in this module).

SQLite allows one writer at a time and makes the others wait up to `timeout` seconds (5 by
default). Under the watcher mode the scheduler, the triggerer (each node's task ended by its
trigger), the DAG processor (callbacks) and the API server all write often, so a longer wait
suits this stack. It does not cure every "database is locked": a transaction that read and
then wants to write while another holds the write lock is refused at once (a deadlock
SQLite will not wait on), which `airflow backfill create` still meets on a busy machine
(README, "Backfilling days"). Production uses PostgreSQL or MySQL.
"""

SQLITE_CONNECT_ARGS = {"timeout": 60}

"""A throwaway PostgreSQL server on 127.0.0.1 for a local Airflow metadata database.

Airflow's local SQLite database allows one writer at a time; with the scheduler, triggerer,
DAG processor and API server all writing, `airflow backfill create` can meet a lock-upgrade
deadlock that SQLite refuses at once ("database is locked"). Production runs PostgreSQL, and
so can a local stack that must not meet that: the scheduler backfill test starts one of these.

The cluster lives in a new temporary folder, listens on a free loopback port only, and its one
role has a random password (scram-sha-256); `stop()` removes it all. Uses Debian's postgresql
package (its binaries are under /usr/lib/postgresql/<version>/bin, not on PATH). PostgreSQL
refuses to run as root, so under root the server runs as the package's `postgres` user.
"""

from __future__ import annotations

import os
import pwd
import secrets
import shutil
import subprocess
import tempfile
from pathlib import Path

from pipeline_health.local.local_stack import free_port

SERVICE_USER = "postgres"  # the system user Debian's package creates
ROLE = DATABASE = "airflow"


def postgres_bin(name: str) -> str:
    """Path of a PostgreSQL server binary (initdb, pg_ctl), newest installed version first."""
    for folder in sorted(Path("/usr/lib/postgresql").glob("*/bin"), reverse=True):
        if (folder / name).exists():
            return str(folder / name)
    found = shutil.which(name)
    if found is None:
        raise RuntimeError(f"PostgreSQL's {name} was not found: install Debian's postgresql package "
                           "(apt-get install postgresql)")
    return found


class PostgresServer:
    """`with PostgresServer() as server:` then `server.url` is a SQLAlchemy URL for Airflow."""

    def __init__(self) -> None:
        self.port = free_port()
        self.root: Path | None = None
        self.url = ""

    def _as_owner(self, args: list[str]) -> list[str]:
        return ["runuser", "-u", SERVICE_USER, "--", *args] if os.geteuid() == 0 else args

    def _run(self, args: list[str], env: dict[str, str] | None = None) -> None:
        done = subprocess.run(self._as_owner(args), capture_output=True, text=True, env=env)
        if done.returncode != 0:
            raise RuntimeError(f"`{' '.join(args[:2])}` failed ({done.returncode}):\n"
                               f"{(done.stdout + done.stderr).strip()[-2000:]}")

    def start(self) -> PostgresServer:
        self.root = Path(tempfile.mkdtemp(prefix="pipeline-health-postgres-"))
        password = secrets.token_urlsafe(24)
        pwfile = self.root / "password"
        pwfile.write_text(password)
        pwfile.chmod(0o600)
        if os.geteuid() == 0:
            owner = pwd.getpwnam(SERVICE_USER)
            for path in (self.root, pwfile):
                os.chown(path, owner.pw_uid, owner.pw_gid)
        data = self.root / "data"
        try:
            self._run([postgres_bin("initdb"), "--pgdata", str(data), "--username", ROLE,
                       f"--pwfile={pwfile}", "--auth=scram-sha-256", "--encoding=UTF8",
                       "--no-sync"])
            pwfile.unlink()
            # A test database: durability is not wanted, speed is (fsync and synchronous
            # commit off); the socket sits in the private folder, TCP on loopback only.
            options = (f"-h 127.0.0.1 -p {self.port} -k {self.root} -c fsync=off "
                       "-c synchronous_commit=off -c full_page_writes=off -c max_connections=200")
            self._run([postgres_bin("pg_ctl"), "--pgdata", str(data), "--log",
                       str(self.root / "server.log"), "--options", options, "--wait", "start"])
            self._run([postgres_bin("createdb"), "--host", "127.0.0.1", "--port", str(self.port),
                       "--username", ROLE, DATABASE],
                      env={**os.environ, "PGPASSWORD": password})
        except BaseException:
            self.stop()
            raise
        self.url = f"postgresql+psycopg2://{ROLE}:{password}@127.0.0.1:{self.port}/{DATABASE}"
        return self

    def stop(self) -> None:
        if self.root is None:
            return
        data = self.root / "data"
        if (data / "postmaster.pid").exists():
            subprocess.run(self._as_owner([postgres_bin("pg_ctl"), "--pgdata", str(data),
                                           "--mode", "immediate", "--wait", "stop"]),
                           capture_output=True)
        shutil.rmtree(self.root, ignore_errors=True)
        self.root = None

    def __enter__(self) -> PostgresServer:
        return self.start()

    def __exit__(self, *exc: object) -> None:
        self.stop()

"""Run the local BigQuery emulator (bqemulator, see scripts/setup_bq_emulator.sh) for tests.

The emulator runs from its own virtualenv in its own process group, bound to
127.0.0.1 on a port it picks itself (``--rest-port 0``, read back from its log), so
there is no race for a "free" port. ``stop`` ends the whole group and confirms
that no process of it is left.
"""

from __future__ import annotations

import ctypes
import json
import os
import signal
import subprocess
import time
import urllib.error
import urllib.request
from dataclasses import dataclass
from pathlib import Path

from pipeline_health.config import PROJECT_ROOT

SETUP_SCRIPT = PROJECT_ROOT / "scripts" / "setup_bq_emulator.sh"
START_TIMEOUT_S = 60.0
SETUP_TIMEOUT_S = 600.0
PR_SET_PDEATHSIG = 1  # linux/prctl.h


class EmulatorUnavailable(RuntimeError):
    """The emulator could not be set up or started; the message says why."""


def state_dir() -> Path:
    raw = os.environ.get("PIPELINE_HEALTH_STATE_DIR", "").strip()
    path = Path(raw) if raw else PROJECT_ROOT / ".state"
    return path if path.is_absolute() else PROJECT_ROOT / path


def ensure_installed() -> Path:
    """Run the setup script (a no-op taking milliseconds once installed); return the venv."""
    venv = state_dir() / "bqemu-venv"
    env = {**os.environ, "PIPELINE_HEALTH_STATE_DIR": str(state_dir())}
    try:
        done = subprocess.run(["bash", str(SETUP_SCRIPT)], env=env, capture_output=True,
                              text=True, timeout=SETUP_TIMEOUT_S, check=False)
    except subprocess.TimeoutExpired as exc:
        raise EmulatorUnavailable(f"{SETUP_SCRIPT} took over {SETUP_TIMEOUT_S:.0f} s") from exc
    if done.returncode != 0:
        raise EmulatorUnavailable(f"{SETUP_SCRIPT} failed ({done.returncode}):\n{done.stderr}")
    return venv


@dataclass
class Emulator:
    process: subprocess.Popen
    port: int
    log_path: Path

    @property
    def endpoint(self) -> str:
        return f"http://127.0.0.1:{self.port}"

    @property
    def pgid(self) -> int:
        return self.process.pid  # start_new_session: the leader's pid is the group id

    def log_tail(self, lines: int = 40) -> str:
        try:
            return "\n".join(self.log_path.read_text(errors="replace").splitlines()[-lines:])
        except OSError:
            return ""

    def stop(self, timeout: float = 15.0) -> None:
        """SIGTERM the emulator's process group, SIGKILL it if it lingers, and reap it."""
        if self.process.poll() is None:
            _signal_group(self.pgid, signal.SIGTERM)
            try:
                self.process.wait(timeout=timeout)
            except subprocess.TimeoutExpired:
                _signal_group(self.pgid, signal.SIGKILL)
                self.process.wait(timeout=timeout)
        # Children (none expected) would outlive the leader in the same group.
        _signal_group(self.pgid, signal.SIGKILL)


def _signal_group(pgid: int, sig: signal.Signals) -> None:
    try:
        os.killpg(pgid, sig)
    except ProcessLookupError:
        pass


def group_members(pgid: int) -> list[int]:
    """Live (non-zombie) processes in a process group, read from /proc."""
    members = []
    for entry in Path("/proc").iterdir():
        if not entry.name.isdigit():
            continue
        try:
            stat = (entry / "stat").read_text()
        except OSError:
            continue
        # Fields after the parenthesised command: state ppid pgrp ...
        fields = stat.rsplit(")", 1)[1].split()
        if int(fields[2]) == pgid and fields[0] != "Z":
            members.append(int(entry.name))
    return members


def _die_with_parent() -> None:
    """In the child before exec: get SIGTERM if the test process dies without cleaning up."""
    try:
        libc = ctypes.CDLL(None, use_errno=True)
        libc.prctl(PR_SET_PDEATHSIG, signal.SIGTERM)
    except (OSError, AttributeError):  # not Linux: the fixture's stop() still applies
        pass


def _rest_port(log_path: Path) -> int | None:
    try:
        text = log_path.read_text(errors="replace")
    except OSError:
        return None
    for line in text.splitlines():
        if '"rest.listen"' not in line:
            continue
        try:
            return int(json.loads(line)["port"])
        except (ValueError, KeyError, TypeError):
            continue
    return None


def _ready(port: int) -> bool:
    try:
        with urllib.request.urlopen(f"http://127.0.0.1:{port}/readyz", timeout=2) as response:
            return response.status == 200 and json.loads(response.read()).get("status") == "ok"
    except (OSError, urllib.error.URLError, ValueError):
        return False


def start(project: str, work_dir: Path, timeout: float = START_TIMEOUT_S) -> Emulator:
    """Start an ephemeral (in-memory) emulator and wait until it answers /readyz."""
    venv = ensure_installed()
    home = state_dir() / "bqemu-home"  # where setup installed the DuckDB extensions
    work_dir.mkdir(parents=True, exist_ok=True)
    log_path = work_dir / "bqemulator.log"
    env = {k: v for k, v in os.environ.items() if not k.startswith("BQEMU_")}
    env.update(HOME=str(home), PYTHONUNBUFFERED="1")
    command = [
        str(venv / "bin" / "bqemulator"), "start",
        "--rest-host", "127.0.0.1", "--rest-port", "0",
        "--grpc-host", "127.0.0.1", "--grpc-port", "0",
        "--ephemeral", "--project", project,
        "--log-level", "info", "--log-format", "json",
    ]
    with open(log_path, "wb") as log:
        # cwd = work_dir: the emulator reads a .bqemu.toml from its working directory.
        process = subprocess.Popen(command, cwd=work_dir, env=env, stdout=log,
                                   stderr=subprocess.STDOUT, stdin=subprocess.DEVNULL,
                                   start_new_session=True, preexec_fn=_die_with_parent)
    emulator = Emulator(process, 0, log_path)
    deadline = time.monotonic() + timeout
    try:
        while time.monotonic() < deadline:
            if process.poll() is not None:
                raise EmulatorUnavailable(f"bqemulator exited with {process.returncode}:\n"
                                          f"{emulator.log_tail()}")
            port = emulator.port or _rest_port(log_path)
            if port:
                emulator.port = port
                if _ready(port):
                    return emulator
            time.sleep(0.2)
        raise EmulatorUnavailable(f"bqemulator not ready after {timeout:.0f} s:\n"
                                  f"{emulator.log_tail()}")
    except BaseException:
        emulator.stop()
        raise

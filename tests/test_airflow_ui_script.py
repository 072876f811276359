"""scripts/airflow_ui.sh: stops at the first failed step, starts nothing, never touches ~/airflow."""

from __future__ import annotations

import os
import subprocess
import sys
from pathlib import Path

from e2e_support import free_port

from pipeline_health.config import PROJECT_ROOT

SCRIPT = PROJECT_ROOT / "scripts" / "airflow_ui.sh"


def _shell_env(tmp_path: Path, **extra: str) -> dict[str, str]:
    """A fresh shell: no Airflow settings inherited, a throwaway HOME and state folder."""
    env = {k: v for k, v in os.environ.items()
           if not k.startswith(("AIRFLOW", "PIPELINE_HEALTH_"))}
    (tmp_path / "home").mkdir()
    env.update({"HOME": str(tmp_path / "home"), "PIPELINE_HEALTH_STATE_DIR": str(tmp_path / "state"),
                "PIPELINE_HEALTH_SKIP_SETUP": "1", "PORT": str(free_port()),
                "VENV": str(Path(sys.executable).parent.parent), **extra})
    return env


def _processes_using(state: Path) -> list[str]:
    """Command lines of running processes whose environment names this state folder."""
    found = []
    for proc in Path("/proc").iterdir():
        try:
            if str(state).encode() in (proc / "environ").read_bytes():
                found.append((proc / "cmdline").read_bytes().replace(b"\0", b" ").decode())
        except OSError:
            continue
    return found


def _fake_venv(tmp_path: Path, exports: str) -> Path:
    """A venv whose python prints the given set-up output and whose airflow only records calls."""
    bin_dir = tmp_path / "venv" / "bin"
    bin_dir.mkdir(parents=True)
    (bin_dir / "python").write_text(f"#!/bin/sh\ncat <<'OUT'\n{exports}\nOUT\n")
    (bin_dir / "airflow").write_text(f'#!/bin/sh\necho "$@" >> {tmp_path}/airflow-calls\nsleep 1\n')
    for f in bin_dir.iterdir():
        f.chmod(0o755)
    return bin_dir.parent


def test_a_bad_setting_stops_the_script_before_any_process_starts(tmp_path: Path) -> None:
    env = _shell_env(tmp_path, PIPELINE_HEALTH_POPULATION="abc")
    done = subprocess.run(["bash", str(SCRIPT)], env=env, capture_output=True, text=True,
                          timeout=300)
    assert done.returncode != 0
    assert "PIPELINE_HEALTH_POPULATION='abc' is not a whole number" in done.stderr
    assert "nothing started" in done.stderr
    assert "Airflow UI" not in done.stdout
    assert not (tmp_path / "home" / "airflow").exists()
    assert not (tmp_path / "state" / "airflow" / "processes").exists()
    assert _processes_using(tmp_path / "state") == []


def test_an_airflow_home_outside_the_state_folder_is_refused(tmp_path: Path) -> None:
    elsewhere = tmp_path / "home" / "airflow"
    venv = _fake_venv(tmp_path, f"export AIRFLOW_HOME={elsewhere}\n"
                      f"export AIRFLOW__DATABASE__SQL_ALCHEMY_CONN=sqlite:///{elsewhere}/airflow.db")
    done = subprocess.run(["bash", str(SCRIPT)], env=_shell_env(tmp_path, VENV=str(venv)),
                          capture_output=True, text=True, timeout=60)
    assert done.returncode != 0
    assert "is not inside the state folder" in done.stderr
    assert not (tmp_path / "airflow-calls").exists()
    assert not elsewhere.exists()


def test_start_up_message_names_the_pipeline_health_page(tmp_path: Path) -> None:
    home = tmp_path / "state" / "airflow"
    venv = _fake_venv(tmp_path, f"export AIRFLOW_HOME={home}\n"
                      f"export AIRFLOW__DATABASE__SQL_ALCHEMY_CONN=sqlite:///{home}/airflow.db")
    env = _shell_env(tmp_path, VENV=str(venv))
    done = subprocess.run(["bash", str(SCRIPT)], env=env, capture_output=True, text=True,
                          timeout=60)
    port = env["PORT"]
    assert f"Pipeline Health page: http://127.0.0.1:{port}/plugin/pipeline-health" in done.stdout
    calls = sorted((tmp_path / "airflow-calls").read_text().splitlines())
    assert calls == ["api-server --host 127.0.0.1 --port " + port, "dag-processor",
                     "scheduler --skip-serve-logs", "triggerer --skip-serve-logs"]
    # The fakes exit after a second; the script then stops, saying so.
    assert done.returncode != 0 and "an Airflow process exited" in done.stderr

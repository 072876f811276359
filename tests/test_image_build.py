"""The production image's dbt steps (Dockerfile), run as written, without Docker or Google.

Docker has no engine on this machine, so the image is never built here; the steps that make
the image's dbt manifest and docs are taken from the Dockerfile itself and run on a copy of
the dbt project, with no Google credentials and a HOME holding none.
"""

from __future__ import annotations

import json
import os
import re
import shlex
import shutil
import subprocess
import sys
from pathlib import Path

from pipeline_health.config import PROJECT_ROOT

DOCKERFILE = PROJECT_ROOT / "Dockerfile"
# Facts large enough that a full scan costs money on BigQuery: partitioned by day there.
PARTITIONED_FACTS = {"fct_apprentice_daily": "as_of_date",
                     "fct_apprentice_risk_weekly": "week_start_date",
                     "fct_session_attendance": "load_date"}


def dockerfile_dbt_commands() -> list[list[str]]:
    """The `dbt ...` commands of the Dockerfile's RUN instructions, with inline VAR=value."""
    text = re.sub(r"\\\n", " ", DOCKERFILE.read_text())
    commands = []
    for line in text.splitlines():
        if not line.startswith("RUN "):
            continue
        for part in line[4:].split("&&"):
            words = shlex.split(part)
            first = next((w for w in words if "=" not in w), None)
            if first == "dbt":
                commands.append(words)
    return commands


def test_dockerfile_builds_the_manifest_and_docs_for_the_bigquery_target(tmp_path: Path) -> None:
    commands = dockerfile_dbt_commands()
    assert [c for c in commands if "parse" in c], "the Dockerfile builds no dbt manifest"
    assert all(c[c.index("--target") + 1] == "bigquery" for c in commands), commands

    shutil.copytree(PROJECT_ROOT / "dbt", tmp_path / "dbt",
                    ignore=shutil.ignore_patterns("target", "logs", "dbt_packages"))
    home = tmp_path / "home"
    home.mkdir()
    env = {k: v for k, v in os.environ.items()
           if not k.startswith(("GOOGLE_", "CLOUDSDK_", "PIPELINE_HEALTH_", "DBT_"))}
    env["HOME"] = str(home)  # no gcloud application-default credentials to find
    dbt = str(Path(sys.executable).with_name("dbt"))
    for words in commands:
        at = words.index("dbt")
        inline = dict(w.split("=", 1) for w in words[:at])  # VAR=value before the command
        argv = [dbt, *words[at + 1:]]
        done = subprocess.run(argv, cwd=tmp_path, env={**env, **inline}, capture_output=True,
                              text=True, timeout=600, check=False)
        assert done.returncode == 0, f"{' '.join(words)} failed:\n{done.stdout}\n{done.stderr}"

    target = tmp_path / "dbt" / "target"
    manifest = json.loads((target / "manifest.json").read_text())
    assert manifest["metadata"]["adapter_type"] == "bigquery"
    models = {n["name"]: n for n in manifest["nodes"].values() if n["resource_type"] == "model"}
    for name, column in PARTITIONED_FACTS.items():
        config = models[name]["config"]
        assert config["incremental_strategy"] == "insert_overwrite", name
        assert config["partition_by"]["field"] == column, name
    assert (target / "index.html").is_file() and (target / "catalog.json").is_file()


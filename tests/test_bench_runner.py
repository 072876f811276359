"""`make bench`'s runner (scripts/bench_all.py) merges the rows its sub-benchmarks print as JSON, and
a missing script, one without --json or one that fails gives a "not measured" row, not a crash."""

from __future__ import annotations

import importlib.util
import sys
from pathlib import Path

import pytest

ROOT = Path(__file__).resolve().parents[1]


@pytest.fixture(scope="module")
def bench_all():
    spec = importlib.util.spec_from_file_location("bench_all", ROOT / "scripts" / "bench_all.py")
    module = importlib.util.module_from_spec(spec)
    sys.modules["bench_all"] = module  # dataclasses look their module up by name
    spec.loader.exec_module(module)
    return module


def _script(path: Path, body: str) -> Path:
    path.write_text("import argparse, json, sys\n" + body)
    return path


def test_rows_of_every_script_are_merged_and_the_others_are_not_measured(bench_all, tmp_path: Path):
    row = {"figure": "parse dags/x.py", "value": "0.31 s", "target": "<= 0.5 s", "met": True}
    with_json = _script(tmp_path / "with_json.py", (
        "p = argparse.ArgumentParser(); p.add_argument('--json', action='store_true'); p.parse_args()\n"
        "print('progress line')\n"
        f"print(json.dumps({{'rows': [{row!r}, {{**{row!r}, 'met': None, 'figure': 'b'}}]}}))\n"))
    without_json = _script(tmp_path / "without_json.py",
                           "argparse.ArgumentParser().parse_args()\nprint('figures in prose')\n")
    failing = _script(tmp_path / "failing.py", "print('half'); sys.exit('boom: no warehouse')\n")
    benches = [bench_all.SubBenchmark("parse", with_json),
               bench_all.SubBenchmark("missing", tmp_path / "absent.py"),
               bench_all.SubBenchmark("simulator", without_json),
               bench_all.SubBenchmark("failing", failing)]

    rows = [r for b in benches for r in bench_all.run_sub_benchmark(b)]

    assert [r["figure"] for r in rows] == ["parse dags/x.py", "b", "missing", "simulator", "failing"]
    assert rows[0]["value"] == "0.31 s" and rows[0]["met"] is True and rows[1]["met"] is None
    assert all(r["load"] for r in rows), "every row carries the load average"
    assert "does not exist" in rows[2]["value"] and rows[2]["value"].startswith("not measured")
    assert "no --json option" in rows[3]["value"]
    assert "exited 1" in rows[4]["value"] and "boom" in rows[4]["value"]


def test_the_document_keeps_its_hand_written_text_and_replaces_the_table(bench_all, tmp_path: Path):
    doc = tmp_path / "benchmarks.md"
    doc.write_text(f"# Benchmarks\n\nintro\n\n{bench_all.START}\nold\n{bench_all.END}\n\n## Notes\nkept\n")
    rows = [{"figure": "a|b", "value": "1 s", "target": "", "met": False, "load": "1.00/1.00/1.00"}]
    bench_all.write(doc, bench_all.render(rows, [("cores", "2")]))
    text = doc.read_text()
    assert "intro" in text and "## Notes\nkept" in text and "old" not in text
    assert "| a\\|b | 1 s |  | **no** | 1.00/1.00/1.00 |" in text and "* cores: 2" in text

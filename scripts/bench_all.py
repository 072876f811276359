"""`make bench`: every benchmark's figures in one table, printed and written to docs/benchmarks.md.

Runs each sub-benchmark script in SUB_BENCHMARKS with `--json`; each prints, as its LAST
stdout line, {"rows": [{"figure": str, "value": str, "target": str, "met": bool|null}]}
(optionally "load": the load average when it was measured). A missing script, one without
`--json`, or one that fails gives a "not measured" row instead of stopping the others.
Figures are printed, never asserted. The machine (cores, memory, CPU, versions) and the
load average before and after are written next to the table: this machine is shared.

  .venv/bin/python scripts/bench_all.py [--quick] [--only daily_run parse]   (make bench BENCH_ARGS=--quick)
"""

from __future__ import annotations

import argparse
import json
import os
import platform
import re
import subprocess
import sys
import tempfile
import time
from dataclasses import dataclass, field
from importlib.metadata import PackageNotFoundError, version
from pathlib import Path

ROOT = Path(__file__).resolve().parents[1]
DOC = ROOT / "docs" / "benchmarks.md"
START, END = "<!-- bench:start -->", "<!-- bench:end -->"


@dataclass
class SubBenchmark:
    name: str
    script: Path
    args: list[str] = field(default_factory=list)
    quick_args: list[str] = field(default_factory=list)  # replaces args under --quick
    timeout: float = 1800
    by_default: bool = True  # False: runs only when named in --only (its last rows are kept)


# In priority order; the scheduler-run DAGs come first (the longest, ~15 min at full size).
SUB_BENCHMARKS = [
    SubBenchmark("daily_run", ROOT / "scripts" / "benchmark_daily_run.py",
                 args=["--population", "1500", "--days", "3"],
                 quick_args=["--population", "300", "--days", "1"], timeout=2400),
    # The per-model mode the DAGs used before watcher, the same comparison (opt-in:
    # `--only daily_run_after_all`).
    SubBenchmark("daily_run_after_all", ROOT / "scripts" / "benchmark_daily_run.py",
                 args=["--population", "1500", "--days", "3", "--cosmos-mode", "after_all", "--no-dagtest"],
                 quick_args=["--population", "300", "--days", "1", "--cosmos-mode", "after_all",
                             "--no-dagtest"], timeout=2400, by_default=False),
    SubBenchmark("parse", ROOT / "scripts" / "benchmark_parse.py", timeout=600),
    SubBenchmark("history", ROOT / "scripts" / "benchmark_history.py",
                 args=["--population", "1500", "--days", "3"],
                 quick_args=["--population", "300", "--days", "1"], timeout=1800),
    SubBenchmark("simulator", ROOT / "scripts" / "benchmark_simulator.py", timeout=900),
    # `make demo` step by step, three times (~5 min each; --quick: once). It replaces the state
    # folder's demo warehouse and Airflow home, as `make demo` does.
    SubBenchmark("demo", ROOT / "scripts" / "benchmark_demo.py", quick_args=["--runs", "1"],
                 timeout=2400),
    # 100,000 apprentices x one year: ~7 min, peak ~19 GiB (DuckDB's default memory limit).
    SubBenchmark("scale", ROOT / "scripts" / "benchmark_scale.py", quick_args=["--quick"],
                 timeout=1800),
]


# The rows of each sub-benchmark's last run: `--only x` re-measures x and keeps the others' rows.
CACHE = Path(os.environ.get("PIPELINE_HEALTH_STATE_DIR", ROOT / ".state")) / "bench" / "rows.json"


def loadavg() -> str:
    return "/".join(f"{x:.2f}" for x in os.getloadavg())


def not_measured(name: str, why: str) -> dict:
    return {"figure": name, "value": f"not measured: {why}", "target": "", "met": None,
            "load": loadavg()}


def _last_json_rows(stdout: str) -> list[dict] | None:
    lines = [line for line in stdout.strip().splitlines() if line.strip()]
    if not lines:
        return None
    try:
        rows = json.loads(lines[-1])["rows"]
    except (ValueError, KeyError, TypeError):
        return None
    return rows if isinstance(rows, list) else None


def run_sub_benchmark(bench: SubBenchmark, quick: bool = False) -> list[dict]:
    """The rows of one sub-benchmark, or one "not measured" row saying why."""
    rel = bench.script.relative_to(ROOT) if bench.script.is_relative_to(ROOT) else bench.script
    if not bench.script.is_file():
        return [not_measured(bench.name, f"`{rel}` does not exist yet")]
    cmd = [sys.executable, str(bench.script), "--json", *(bench.quick_args if quick else bench.args)]
    print(f"\n== {bench.name}: {' '.join(str(c) for c in cmd[1:])} [load {loadavg()}]", flush=True)
    started = time.perf_counter()
    # Progress goes to the console as it comes; stdout is also kept for the JSON line. stderr
    # goes to a file (a second pipe could fill up and block the child).
    with tempfile.TemporaryFile("w+") as errors, subprocess.Popen(
            cmd, stdout=subprocess.PIPE, stderr=errors, text=True, cwd=ROOT) as proc:
        out: list[str] = []
        try:
            assert proc.stdout is not None
            for line in proc.stdout:
                out.append(line)
                print(f"  {line}", end="", flush=True)
            proc.wait(timeout=max(1.0, bench.timeout - (time.perf_counter() - started)))
        except subprocess.TimeoutExpired:
            proc.kill()
            return [not_measured(bench.name, f"`{rel}` exceeded {bench.timeout:.0f} s")]
        errors.seek(0)
        err = errors.read()
    rows = _last_json_rows("".join(out))
    if rows is not None:
        return [{"load": loadavg(), **row} for row in rows]
    if "--json" in err and ("unrecognized arguments" in err or "no such option" in err):
        return [not_measured(bench.name, f"`{rel}` has no --json option yet")]
    tail = " ".join(err.strip().splitlines()[-1:])[:200]
    return [not_measured(bench.name, f"`{rel}` exited {proc.returncode} without JSON rows ({tail})")]


def _cpu_model() -> str:
    try:
        for line in Path("/proc/cpuinfo").read_text().splitlines():
            if line.startswith("model name"):
                return line.split(":", 1)[1].strip()
    except OSError:
        pass
    return platform.processor() or platform.machine()


def _memory_gib() -> str:
    try:
        kib = next(int(line.split()[1]) for line in Path("/proc/meminfo").read_text().splitlines()
                   if line.startswith("MemTotal"))
        return f"{kib / 2**20:.1f} GiB"
    except (OSError, StopIteration):
        return "unknown"


def _version(package: str) -> str:
    try:
        return version(package)
    except PackageNotFoundError:
        return "not installed"


def machine() -> list[tuple[str, str]]:
    packages = ("apache-airflow", "astronomer-cosmos", "dbt-core", "dbt-duckdb", "duckdb")
    return [("cores", str(os.cpu_count())), ("memory", _memory_gib()), ("CPU", _cpu_model()),
            ("OS", f"{platform.system()} {platform.release()}"),
            ("Python", platform.python_version()),
            ("packages", ", ".join(f"{p} {_version(p)}" for p in packages))]


def _cell(value: object) -> str:
    return str(value).replace("|", "\\|").replace("\n", " ")


def render(rows: list[dict], facts: list[tuple[str, str]]) -> str:
    met = {True: "yes", False: "**no**", None: "–"}
    lines = [START, "", *(f"* {k}: {v}" for k, v in facts), "",
             "| figure | value | target | met | load average 1/5/15 min |", "|---|---|---|---|---|"]
    lines += [f"| {_cell(r.get('figure', '?'))} | {_cell(r.get('value', ''))} | {_cell(r.get('target', ''))} "
              f"| {met.get(r.get('met'), _cell(r.get('met')))} | {_cell(r.get('load', ''))} |" for r in rows]
    return "\n".join([*lines, "", END])


def write(doc: Path, block: str) -> None:
    """Replace the generated block of the document, keeping the hand-written text around it."""
    text = doc.read_text() if doc.exists() else "# Benchmarks\n\n"
    if START in text and END in text:
        text = re.sub(f"{re.escape(START)}.*?{re.escape(END)}", lambda _: block, text, flags=re.S)
    else:
        text = text.rstrip() + "\n\n" + block + "\n"
    doc.write_text(text)


def main(argv: list[str] | None = None) -> int:
    parser = argparse.ArgumentParser(description=__doc__,
                                     formatter_class=argparse.RawDescriptionHelpFormatter)
    parser.add_argument("--quick", action="store_true", help="smaller runs (one day, population 300)")
    parser.add_argument("--only", nargs="*", choices=[b.name for b in SUB_BENCHMARKS])
    parser.add_argument("--out", type=Path, help="default: docs/benchmarks.md; with --quick "
                        "the state folder's bench/benchmarks-quick.md (the doc keeps the full figures)")
    args = parser.parse_args(argv)
    args.out = args.out or (CACHE.parent / "benchmarks-quick.md" if args.quick else DOC)
    before, started = loadavg(), time.perf_counter()
    cache = json.loads(CACHE.read_text()) if CACHE.exists() else {}
    rows: list[dict] = []
    for bench in SUB_BENCHMARKS:
        if (args.only and bench.name not in args.only) or (not args.only and not bench.by_default):
            earlier = cache.get(bench.name)
            rows += [{**r, "value": f"{r['value']} (earlier run, {earlier['measured']})"}
                     for r in earlier["rows"]] if earlier else []
            continue
        measured = run_sub_benchmark(bench, quick=args.quick)
        rows += measured
        cache[bench.name] = {"rows": measured, "measured": time.strftime("%Y-%m-%d %H:%M UTC", time.gmtime())
                             + (" --quick" if args.quick else "")}
    CACHE.parent.mkdir(parents=True, exist_ok=True)
    CACHE.write_text(json.dumps(cache, indent=1))
    command = "make bench" + (" BENCH_ARGS=--quick" if args.quick else "")
    if args.only:
        command += f" (only {', '.join(args.only)})"
    facts = [("measured", f"{time.strftime('%Y-%m-%d %H:%M UTC', time.gmtime())} by `{command}`, "
                          f"{time.perf_counter() - started:.0f} s in all"),
             *machine(),
             ("load average (1/5/15 min)", f"{before} before, {loadavg()} after; the machine was "
                                           "shared with other jobs, so figures vary with the load")]
    block = render(rows, facts)
    print("\n" + block)
    write(args.out, block)
    print(f"\nwritten to {args.out}")
    return 0


if __name__ == "__main__":
    sys.exit(main())

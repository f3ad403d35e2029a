"""Where results go: the JSON file, the row in docs/benchmarks.md, and the machine facts.

Every result carries the same ``meta`` block (benchmark, mode, date, git commit, machine) so
figures from different machines and commits can be told apart.
"""

from __future__ import annotations

import argparse
import dataclasses
import json
import os
import platform
import statistics
import subprocess
from collections.abc import Callable, Sequence
from datetime import UTC, datetime
from pathlib import Path
from typing import Any, Protocol, TypeVar

ROOT = Path(__file__).resolve().parents[1]
RESULTS_DIR = ROOT / "bench-results"
DOCS_FILE = ROOT / "docs" / "benchmarks.md"
TABLE_HEADER = (
    "| date (UTC) | commit | machine | benchmark | mode | figures | result file |\n"
    "|---|---|---|---|---|---|---|\n"
)


def cpu_model() -> str:
    """The CPU's model name from /proc/cpuinfo (the platform string elsewhere)."""
    try:
        for line in Path("/proc/cpuinfo").read_text().splitlines():
            if line.startswith("model name"):
                return line.split(":", 1)[1].strip()
    except OSError:
        pass
    return platform.processor() or platform.machine()


def machine() -> dict[str, Any]:
    """CPU count, model, memory and OS of this machine."""
    import psutil

    return {
        "cpu_count": os.cpu_count() or 1,
        "cpu_model": cpu_model(),
        "memory_gb": round(psutil.virtual_memory().total / 2**30, 1),
        "os": platform.platform(terse=True),
        "python": platform.python_version(),
    }


def _git(*args: str) -> str:
    return subprocess.run(
        ["git", *args], cwd=ROOT, capture_output=True, text=True, check=True, timeout=10
    ).stdout.strip()


def git_commit() -> str:
    """Short commit of the working tree, with ``-dirty`` when it has uncommitted changes."""
    try:
        commit = _git("rev-parse", "--short", "HEAD")
        # the results table itself changes with every full run: not a change to the code
        dirty = _git(
            "status", "--porcelain", "--untracked-files=no", "--", ".", ":!docs/benchmarks.md"
        )
    except (OSError, subprocess.SubprocessError):
        return "unknown"
    return f"{commit}-dirty" if dirty else commit


def meta(benchmark: str, *, smoke: bool) -> dict[str, Any]:
    return {
        "benchmark": benchmark,
        "mode": "smoke" if smoke else "full",
        "date": datetime.now(UTC).strftime("%Y-%m-%dT%H:%M:%SZ"),
        "commit": git_commit(),
        "machine": machine(),
        "load_average_at_start": _load_average(),
    }


def _load_average() -> list[float]:
    """1/5/15-minute load averages: other work on the machine skews the figures."""
    return [round(x, 2) for x in os.getloadavg()]


def write_result(result: dict[str, Any], results_dir: Path | None = None) -> Path:
    """Write ``result`` (with its ``meta``) to ``<results_dir>/<benchmark>-<date>.json``."""
    folder = results_dir or RESULTS_DIR
    folder.mkdir(parents=True, exist_ok=True)
    stamp = result["meta"]["date"].replace(":", "").replace("-", "")
    path = folder / f"{result['meta']['benchmark']}-{stamp}.json"
    path.write_text(json.dumps(result, indent=2, default=str) + "\n", "utf-8")
    return path


def append_docs_row(
    result: dict[str, Any], figures: str, path: Path, docs: Path | None = None
) -> None:
    """Append one row to the results table that ends ``docs/benchmarks.md``."""
    target = docs or DOCS_FILE
    m = result["meta"]
    mach = m["machine"]
    where = path.relative_to(ROOT) if path.is_relative_to(ROOT) else path
    row = (
        f"| {m['date'][:16].replace('T', ' ')} | `{m['commit']}` | "
        f"{mach['cpu_count']} × {mach['cpu_model']} | {m['benchmark']} | "
        f"{m['mode']} | {figures} | `{where}` |\n"
    )
    if not target.exists():
        target.parent.mkdir(parents=True, exist_ok=True)
        target.write_text("# Benchmarks\n\n## Results\n\n" + TABLE_HEADER, "utf-8")
    with target.open("a", encoding="utf-8") as out:
        out.write(row)


def percentiles(values: Sequence[float], points: Sequence[int] = (50, 95)) -> dict[str, float]:
    """``{"p50": …, "p95": …}`` (inclusive method); zeros for an empty sequence."""
    if not values:
        return {f"p{p}": 0.0 for p in points}
    if len(values) == 1:
        return {f"p{p}": round(float(values[0]), 3) for p in points}
    cuts = statistics.quantiles(values, n=100, method="inclusive")
    return {f"p{p}": round(cuts[p - 1], 3) for p in points}


def parser_for(doc: str | None) -> argparse.ArgumentParser:
    """A benchmark's command line with the options every benchmark has."""
    parser = argparse.ArgumentParser(description=(doc or "").splitlines()[0])
    parser.add_argument("--smoke", action="store_true", help="tiny inputs, seconds")
    parser.add_argument("--results-dir", type=Path, help="where the JSON result goes")
    parser.add_argument("--no-docs", action="store_true", help="never append to the docs table")
    return parser


class RoundsConfig(Protocol):
    """A frozen dataclass with a ``rounds`` field."""

    @property
    def rounds(self) -> int: ...


C = TypeVar("C", bound=RoundsConfig)


def rounds_main(
    argv: list[str] | None,
    doc: str | None,
    configs: tuple[C, C],
    run: Callable[..., dict[str, Any]],
    figures: Callable[[dict[str, Any]], str],
) -> int:
    """The command line of a benchmark whose one knob is ``--rounds``: ``configs`` is
    (smoke, full); ``run(config, smoke=…)`` measures, ``figures`` sums up."""
    parser = parser_for(doc)
    parser.add_argument("--rounds", type=int)
    args = parser.parse_args(argv)
    config = configs[0] if args.smoke else configs[1]
    if args.rounds:
        config = dataclasses.replace(config, rounds=args.rounds)  # type: ignore[type-var]
    result = run(config, smoke=args.smoke)
    return finish(result, figures(result), args)


def finish(result: dict[str, Any], figures: str, args: argparse.Namespace) -> int:
    """A standalone run's end: the figures as JSON on stdout, then :func:`record`."""
    print(json.dumps({k: v for k, v in result.items() if k != "meta"}, indent=1))
    record(result, figures, results_dir=args.results_dir, append_docs=not args.no_docs)
    return 0


def record(
    result: dict[str, Any],
    figures: str,
    *,
    results_dir: Path | None = None,
    docs: Path | None = None,
    append_docs: bool = True,
) -> Path:
    """Write the JSON and print where; in full mode also append the row to the docs table."""
    result["meta"]["load_average_at_end"] = _load_average()
    path = write_result(result, results_dir)
    if append_docs and result["meta"]["mode"] == "full":
        append_docs_row(result, figures, path, docs)
    print(f"{result['meta']['benchmark']}: {figures}\n  → {path}")
    return path

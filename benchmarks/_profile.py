"""Where a process spends its CPU: py-spy samples summarised by package and by role.

:func:`py_spy` records running processes (``py-spy record --format raw --gil``, non-blocking:
only the thread holding the GIL is sampled, so the samples follow Python CPU time) until the
block ends. :func:`summarize` attributes every sample to the innermost frame of a known
package, and to the role it plays (a pipeline activity, attempt bookkeeping, a workflow
activation in the sandbox, Temporal polling …). py-spy is optional (``pip install py-spy``).
"""

from __future__ import annotations

import contextlib
import re
import shutil
import signal
import subprocess
from collections import Counter
from collections.abc import Iterator
from pathlib import Path
from typing import Any

# Innermost matching frame wins; order from most to least specific.
PACKAGES = (
    ("myloware.extraction", "myloware/extraction/"),
    ("myloware.normalize", "myloware/normalize/"),
    ("myloware.validation", "myloware/validation/"),
    ("myloware.policy", "myloware/policy/"),
    ("myloware.workflows", "myloware/workflows/"),
    ("myloware (other)", "myloware/"),
    ("temporalio.worker.workflow_sandbox", "temporalio/worker/workflow_sandbox/"),
    ("temporalio.converter", "temporalio/converter"),
    ("temporalio (other)", "temporalio/"),
    ("protobuf", "google/protobuf/"),
    ("sqlalchemy", "sqlalchemy/"),
    ("psycopg", "psycopg/"),
    ("pydantic", "pydantic"),
    ("structlog/logging", "structlog/"),
    ("jsonschema", "jsonschema/"),
    ("asyncio", "asyncio/"),
    ("dateparser", "dateparser/"),
    ("regex", "regex/"),
)
# What a sample is doing, by the frames it passes: the first rule that matches names it.
# (label or None to use the matching frame's function name, file marker, outermost match?)
ROLES = (
    (None, "myloware/agents/", True),
    (None, "myloware/worker/bookkeeping.py", True),
    (None, "myloware/worker/attempts.py", False),
    ("workflow activation (sandbox)", "temporalio/worker/_workflow", True),
    ("activity dispatch (temporal)", "temporalio/worker/_activity.py", True),
    ("temporal bridge polling", "temporalio/bridge/", True),
)
FRAME = re.compile(r"^(?P<func>.*) \((?P<file>[^()]*?)(?::\d+)?\)$")


def available() -> bool:
    return shutil.which("py-spy") is not None


@contextlib.contextmanager
def py_spy(pids: dict[str, int], out_dir: Path, *, rate: int = 200) -> Iterator[dict[str, Path]]:
    """Record each ``{name: pid}`` while the block runs; yields ``{name: recording path}``."""
    out_dir.mkdir(parents=True, exist_ok=True)
    paths = {name: out_dir / f"{name}.collapsed.txt" for name in pids}
    procs = [
        subprocess.Popen(
            [
                "py-spy",
                "record",
                "--pid",
                str(pid),
                "--format",
                "raw",
                "--output",
                str(paths[name]),
                "--rate",
                str(rate),
                "--nonblocking",
                "--gil",
                "--full-filenames",
            ],
            stdout=subprocess.DEVNULL,
            stderr=subprocess.DEVNULL,
        )
        for name, pid in pids.items()
    ]
    try:
        yield paths
    finally:
        for proc in procs:
            with contextlib.suppress(ProcessLookupError):
                proc.send_signal(signal.SIGINT)
        for proc in procs:
            try:
                proc.wait(60)
            except subprocess.TimeoutExpired:
                proc.kill()


def _frames(stack: str) -> list[tuple[str, str]]:
    """``(function, file)`` outermost first, from one collapsed line's stack part."""
    out = []
    for part in stack.split(";"):
        match = FRAME.match(part)
        if match:
            out.append((match["func"], match["file"]))
    return out


def _package(file: str) -> str | None:
    return next((name for name, marker in PACKAGES if marker in file), None)


def _role(frames: list[tuple[str, str]]) -> str:
    for label, marker, outermost in ROLES:
        hits = [func for func, file in frames if marker in file]
        if hits:
            return label or (hits[0] if outermost else hits[-1])
    return "other (event loop, threads)"


def summarize(path: Path, *, top: int = 15) -> dict[str, Any]:
    """Shares of samples by package (innermost known frame) and top self-time functions."""
    by_package: Counter[str] = Counter()
    by_function: Counter[str] = Counter()
    by_activity: Counter[str] = Counter()
    total = 0
    for line in path.read_text(errors="replace").splitlines():
        stack, _, count_text = line.rpartition(" ")
        if not count_text.isdigit():
            continue
        count = int(count_text)
        frames = _frames(stack)
        total += count
        package = next((p for _f, file in reversed(frames) if (p := _package(file))), "other")
        by_package[package] += count
        if frames:
            func, file = frames[-1]
            by_function[f"{func} ({file.rsplit('site-packages/', 1)[-1]})"] += count
        activity = _role(frames)
        by_activity[activity] += count

    def shares(counter: Counter[str], limit: int) -> dict[str, float]:
        return {k: round(v / total, 3) for k, v in counter.most_common(limit)} if total else {}

    return {
        "samples": total,
        "by_package": shares(by_package, 30),
        "by_role": shares(by_activity, 25),
        "top_self_functions": shares(by_function, top),
    }

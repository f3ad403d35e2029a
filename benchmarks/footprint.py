"""Footprint: install size, start-up time of ``myloware up``, idle and loaded memory.

* Installed size: the whole virtualenv, and the part that is MyloWare's runtime dependency
  closure (the distributions ``myloware`` requires, recursively; dev tools excluded).
* Start-up: ``myloware up`` (every service embedded, free ports) from launch to the first
  200 from ``/health`` — first start on an empty data folder (initdb included), then a restart.
* Memory of the whole stack — the ``up`` process (API, worker, relay), Temporal, Redis and
  every PostgreSQL process — idle, and at its peak while a burst of documents is processed
  and then embedded by the relay's memory indexer.
  RSS counts shared pages once per process (PostgreSQL's shared buffers many times); PSS
  splits them, so the PSS sum is the honest total. Target (reported): < 1 GB.

``python -m benchmarks.footprint [--smoke] [--documents N]``
"""

from __future__ import annotations

import asyncio
import contextlib
import json
import os
import shutil
import signal
import subprocess
import sys
import time
from dataclasses import asdict, dataclass, replace
from importlib import metadata
from pathlib import Path
from typing import Any

import psutil
from packaging.requirements import Requirement

from benchmarks import _report
from benchmarks._documents import document_mix
from benchmarks._platform import (
    AUTO_APPROVE_POLICY,
    memory_caught_up,
    publish_policy,
    submit_burst,
    wait_settled,
)
from benchmarks._sampler import MB, ProcessSampler, totals
from benchmarks._stack import exit_on_sigterm, free_port, make_workdir, wait_healthy
from myloware.db.engine import create_engine
from myloware.runtime._process import stop_popen

TARGET_MB = 1024.0


@dataclass(frozen=True)
class FootprintConfig:
    documents: int = 100
    idle_seconds: float = 5.0
    restart: bool = True


SMOKE = FootprintConfig(documents=4, idle_seconds=1.0, restart=False)


def tree_size(path: Path) -> int:
    """Bytes of the regular files under ``path`` (symlinks not followed)."""
    total = 0
    for root, _dirs, files in os.walk(path):
        for name in files:
            with contextlib.suppress(OSError):
                st = os.lstat(os.path.join(root, name))
                total += st.st_size if not os.path.islink(os.path.join(root, name)) else 0
    return total


def runtime_closure(root: str = "myloware") -> set[str]:
    """Names of the distributions ``root`` needs at run time (extras excluded), recursively."""
    seen: set[str] = set()
    todo = [root]
    while todo:
        name = todo.pop()
        try:
            dist = metadata.distribution(name)
        except metadata.PackageNotFoundError:
            continue
        key = dist.metadata["Name"].lower().replace("_", "-")
        if key in seen:
            continue
        seen.add(key)
        for spec in dist.requires or []:
            req = Requirement(spec)
            if req.marker is None or req.marker.evaluate({"extra": ""}):
                todo.append(req.name)
    return seen


def closure_size(names: set[str]) -> int:
    total = 0
    for name in names:
        dist = metadata.distribution(name)
        for file in dist.files or []:
            with contextlib.suppress(OSError):
                total += Path(str(dist.locate_file(file))).lstat().st_size
    return total


def install_size() -> dict[str, Any]:
    venv = Path(sys.prefix)
    names = runtime_closure()
    return {
        "venv": str(venv),
        "venv_mb": round(tree_size(venv) / MB, 1),
        "runtime_closure_mb": round(closure_size(names) / MB, 1),
        "runtime_distributions": len(names),
    }


def _up_env(data_dir: Path, api_port: int) -> dict[str, str]:
    env = {k: v for k, v in os.environ.items() if not k.startswith("MYLOWARE_")}
    env.update(
        MYLOWARE_DATA_DIR=str(data_dir),
        MYLOWARE_API_PORT=str(api_port),
        MYLOWARE_REDIS_PORT="0",
        MYLOWARE_TEMPORAL_PORT="0",
        MYLOWARE_TEMPORAL_UI_PORT="0",
        MYLOWARE_RATE_LIMIT_PER_MINUTE="0",
        # the platform's own footprint: the bundled model's server (about 1.2 GB, mapped
        # from its file) is measured by benchmarks.local_model
        MYLOWARE_LOCAL_MODEL_EMBEDDED="false",
    )
    return env


def start_up(data_dir: Path, api_port: int) -> tuple[subprocess.Popen[bytes], float]:
    """Launch ``myloware up``; return it and the seconds until /health answered 200."""
    log = (data_dir.parent / f"{data_dir.name}-up.log").open("ab")
    began = time.monotonic()
    proc = subprocess.Popen(
        [sys.executable, "-m", "myloware.cli", "up"],
        env=_up_env(data_dir, api_port),
        stdin=subprocess.DEVNULL,
        stdout=log,
        stderr=subprocess.STDOUT,
    )
    log.close()
    try:
        wait_healthy(f"http://127.0.0.1:{api_port}", proc, 180)
    except BaseException:
        stop_up(proc)  # never leave its servers running behind a failed measurement
        raise
    return proc, time.monotonic() - began


def stop_up(proc: subprocess.Popen[bytes]) -> float:
    """Ctrl-C (SIGINT) as a user would; the seconds until it exited."""
    began = time.monotonic()
    stop_popen(proc, grace=60, sig=signal.SIGINT)
    return time.monotonic() - began


def stack_groups(up: psutil.Process, data_dir: Path) -> dict[str, list[psutil.Process]]:
    """The ``up`` process, its server children by name, and every PostgreSQL process."""
    groups: dict[str, list[psutil.Process]] = {"myloware-up": [up], "temporal": [], "redis": []}
    with contextlib.suppress(psutil.Error):
        for child in up.children(recursive=True):
            name = child.name()
            groups.setdefault(
                "temporal" if "temporal" in name else "redis" if "redis" in name else "other", []
            ).append(child)
    groups["postgres"] = []
    with contextlib.suppress(OSError, ValueError, psutil.Error):
        pid = int((data_dir / "postgres" / "postmaster.pid").read_text().split()[0])
        master = psutil.Process(pid)
        groups["postgres"] = [master, *master.children(recursive=True)]
    return groups


async def _load(data_dir: Path, api_url: str, documents: int) -> dict[str, Any]:
    runtime = json.loads((data_dir / "runtime.json").read_text())
    headers = {"Authorization": f"Bearer {runtime['dev_token']}"}
    publish_policy(api_url, headers, AUTO_APPROVE_POLICY)
    engine = create_engine(runtime["database_url"], pool_size=1)
    try:
        began = time.monotonic()
        subs = await submit_burst(api_url, headers, document_mix(documents))
        await wait_settled(engine, [s.order_id for s in subs], limit_s=900)
        seconds = round(time.monotonic() - began, 2)
        # the relay embeds the burst once it is over (loading its model): part of the peak
        indexed = await memory_caught_up(engine)
        return {"documents": documents, "seconds": seconds, "memory_indexed_after_s": indexed}
    finally:
        await engine.dispose()


def _memory(summary: dict[str, dict[str, Any]]) -> dict[str, Any]:
    return {"processes": summary, "totals": totals(summary)}


def measure_stack(config: FootprintConfig) -> dict[str, Any]:
    """Start, idle, load, stop (and restart) ``myloware up`` in a fresh folder."""
    work = make_workdir("myloware-footprint-")
    data_dir = work / "data"
    api_port = free_port()
    api_url = f"http://127.0.0.1:{api_port}"
    out: dict[str, Any] = {}
    proc: subprocess.Popen[bytes] | None = None
    try:
        proc, out["startup_first_seconds"] = start_up(data_dir, api_port)
        up = psutil.Process(proc.pid)
        time.sleep(config.idle_seconds)
        with ProcessSampler(lambda: stack_groups(up, data_dir)) as idle:
            time.sleep(config.idle_seconds)
        out["idle"] = _memory(idle.summary())
        with ProcessSampler(lambda: stack_groups(up, data_dir)) as loaded:
            out["load"] = asyncio.run(_load(data_dir, api_url, config.documents))
        out["loaded"] = _memory(loaded.summary())
        out["shutdown_seconds"] = round(stop_up(proc), 2)
        proc = None
        if config.restart:
            proc, out["startup_restart_seconds"] = start_up(data_dir, api_port)
            stop_up(proc)
            proc = None
    finally:
        if proc is not None:
            stop_up(proc)
        shutil.rmtree(work, ignore_errors=True)
    for key in ("startup_first_seconds", "startup_restart_seconds"):
        if key in out:
            out[key] = round(out[key], 2)
    return out


def run(config: FootprintConfig, *, smoke: bool) -> dict[str, Any]:
    result: dict[str, Any] = {
        "meta": _report.meta("footprint", smoke=smoke),
        "config": asdict(config),
        "install": install_size(),
    }
    result.update(measure_stack(config))
    loaded = result["loaded"]["totals"]
    result["targets"] = {
        "loaded_pss_mb": loaded["peak_pss_mb"],
        "loaded_rss_mb": loaded["peak_rss_mb"],
        "target_mb": TARGET_MB,
        "met_pss": loaded["peak_pss_mb"] < TARGET_MB,
        "met_rss": loaded["peak_rss_mb"] < TARGET_MB,
    }
    return result


def figures(result: dict[str, Any]) -> str:
    idle, loaded = result["idle"]["totals"], result["loaded"]["totals"]
    restart = result.get("startup_restart_seconds")
    return (
        f"venv {result['install']['venv_mb']} MB (runtime closure "
        f"{result['install']['runtime_closure_mb']} MB); up→healthy "
        f"{result['startup_first_seconds']} s first"
        + (f", {restart} s restart" if restart is not None else "")
        + f"; idle PSS {idle['peak_pss_mb']} MB (RSS {idle['peak_rss_mb']}); loaded "
        f"({result['load']['documents']} docs) PSS {loaded['peak_pss_mb']} MB "
        f"(RSS {loaded['peak_rss_mb']})"
    )


def main(argv: list[str] | None = None) -> int:
    parser = _report.parser_for(__doc__)
    parser.add_argument("--documents", type=int, help="documents in the loaded phase")
    args = parser.parse_args(argv)
    exit_on_sigterm()
    config = SMOKE if args.smoke else FootprintConfig()
    if args.documents:
        config = replace(config, documents=args.documents)
    result = run(config, smoke=args.smoke)
    return _report.finish(result, figures(result), args)


if __name__ == "__main__":
    sys.exit(main())

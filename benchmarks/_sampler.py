"""CPU seconds and peak memory of named process groups over a measured window.

A background thread samples every ``interval`` seconds. CPU is user + system time; a process
that appears during the window counts from its birth, one that exits between two samples
keeps its last sample, and the groups are looked up again every 2 s (a process living less
than that may be missed; PostgreSQL backends of pooled connections live long). Memory is
summed per group: RSS (what ``ps`` shows, which counts shared pages once per process) and
PSS (shared pages split between their users, so sums are honest, e.g. for PostgreSQL's
shared buffers).
"""

from __future__ import annotations

import contextlib
import threading
import time
from collections.abc import Callable
from dataclasses import dataclass, field
from types import TracebackType
from typing import Any

import psutil

Groups = Callable[[], dict[str, list[psutil.Process]]]
MB = 1024 * 1024


@dataclass
class _GroupStats:
    cpu_start: dict[int, float] = field(default_factory=dict)
    cpu_last: dict[int, float] = field(default_factory=dict)
    peak_rss: int = 0
    peak_pss: int = 0
    peak_processes: int = 0


def _machine_busy_seconds() -> float:
    """CPU seconds all cores have spent busy since boot (user, nice, system, irq, steal)."""
    t = psutil.cpu_times()
    return float(
        t.user
        + t.nice
        + t.system
        + sum(getattr(t, name, 0.0) for name in ("irq", "softirq", "steal"))
    )


def _cpu(proc: psutil.Process) -> float:
    times = proc.cpu_times()
    return float(times.user + times.system)


def _memory(proc: psutil.Process) -> tuple[int, int]:
    """(rss, pss) in bytes; PSS falls back to RSS where smaps cannot be read."""
    try:
        info = proc.memory_full_info()
        return int(info.rss), int(getattr(info, "pss", info.rss))
    except psutil.AccessDenied:
        rss = int(proc.memory_info().rss)
        return rss, rss


class CachedGroups:
    """Finding processes scans /proc (milliseconds); redo it every ``refresh_s`` seconds only."""

    def __init__(self, groups: Groups, refresh_s: float = 2.0) -> None:
        self._groups = groups
        self._refresh_s = refresh_s
        self._found: dict[str, list[psutil.Process]] = {}
        self._at = -refresh_s

    def __call__(self) -> dict[str, list[psutil.Process]]:
        now = time.monotonic()
        if now - self._at >= self._refresh_s:
            self._found, self._at = self._groups(), now
        return self._found


class ProcessSampler:
    """``with ProcessSampler(groups) as s: …`` then ``s.summary()``.

    Sampling costs this process about 0.05 ms per process for CPU and 0.3 ms for PSS, plus
    the group look-up every 2 s: at the default 0.5 s interval, 1-2 % of a core for ~50
    processes.
    """

    def __init__(self, groups: Groups, *, interval: float = 0.5) -> None:
        self._groups = CachedGroups(groups)
        self._interval = interval
        self._stats: dict[str, _GroupStats] = {}
        self._stop = threading.Event()
        self._thread = threading.Thread(target=self._loop, name="bench-sampler", daemon=True)
        self._began = 0.0
        self._busy_start = 0.0
        self.busy_seconds = 0.0
        self.seconds = 0.0

    def __enter__(self) -> ProcessSampler:
        self._began = time.monotonic()
        self._busy_start = _machine_busy_seconds()
        self._sample(first=True)
        self._thread.start()
        return self

    def __exit__(
        self,
        exc_type: type[BaseException] | None,
        exc: BaseException | None,
        tb: TracebackType | None,
    ) -> None:
        self._stop.set()
        self._thread.join()
        self._sample()
        self.busy_seconds = _machine_busy_seconds() - self._busy_start
        self.seconds = time.monotonic() - self._began

    def _loop(self) -> None:
        while not self._stop.wait(self._interval):
            self._sample()

    def _sample(self, *, first: bool = False) -> None:
        for name, procs in self._groups().items():
            stats = self._stats.setdefault(name, _GroupStats())
            rss = pss = alive = 0
            for proc in procs:
                with contextlib.suppress(psutil.Error):
                    cpu = _cpu(proc)
                    proc_rss, proc_pss = _memory(proc)
                    if proc.pid not in stats.cpu_start:
                        stats.cpu_start[proc.pid] = cpu if first else 0.0
                    stats.cpu_last[proc.pid] = cpu
                    rss += proc_rss
                    pss += proc_pss
                    alive += 1
            stats.peak_rss = max(stats.peak_rss, rss)
            stats.peak_pss = max(stats.peak_pss, pss)
            stats.peak_processes = max(stats.peak_processes, alive)

    def summary(self) -> dict[str, dict[str, Any]]:
        """Per group: cpu_seconds, cpu_percent (of one core over the window), peak MB."""
        out: dict[str, dict[str, Any]] = {}
        for name, stats in sorted(self._stats.items()):
            cpu = sum(stats.cpu_last[pid] - stats.cpu_start[pid] for pid in stats.cpu_last)
            out[name] = {
                "cpu_seconds": round(cpu, 3),
                "cpu_percent": round(100 * cpu / self.seconds, 1) if self.seconds else 0.0,
                "peak_rss_mb": round(stats.peak_rss / MB, 1),
                "peak_pss_mb": round(stats.peak_pss / MB, 1),
                "processes": stats.peak_processes,
            }
        return out


def others(sampler: ProcessSampler, summary: dict[str, dict[str, Any]]) -> dict[str, float]:
    """CPU the machine spent on processes outside the groups during the window: other work
    competing with the benchmark (a high figure means the run's timings are pessimistic)."""
    ours = sum(g["cpu_seconds"] for g in summary.values())
    spent = max(0.0, sampler.busy_seconds - ours)
    return {
        "cpu_seconds": round(spent, 2),
        "cpu_percent": round(100 * spent / sampler.seconds, 1) if sampler.seconds else 0.0,
    }


def totals(
    summary: dict[str, dict[str, Any]], exclude: tuple[str, ...] = ("driver",)
) -> dict[str, float]:
    """Whole-stack sums of a :meth:`ProcessSampler.summary`, without the benchmark's own
    process (peaks summed: an upper bound)."""
    groups = [g for name, g in summary.items() if name not in exclude]
    return {
        "cpu_seconds": round(sum(g["cpu_seconds"] for g in groups), 3),
        "peak_rss_mb": round(sum(g["peak_rss_mb"] for g in groups), 1),
        "peak_pss_mb": round(sum(g["peak_pss_mb"] for g in groups), 1),
    }

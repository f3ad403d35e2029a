"""``myloware up`` watches the servers it started and brings a dead one back.

Every ``interval_s`` the watchdog asks each embedded server (PostgreSQL, Redis, Temporal)
whether its process is still there. A dead one is logged (``service_died``) and started again
on the same port and data (``service_restarted``), with backoff between failed tries (1 s,
2 s, 4 s … at most 30 s) for as long as it takes. Meanwhile :meth:`Watchdog.status` says
``restarting`` for it, and ``/health`` shows that. The clients reconnect by themselves: the
Temporal worker polls again, the pools open new connections, and the reconciler starts the
orders stored while Temporal was away.
"""

from __future__ import annotations

import asyncio
import time
from collections.abc import Sequence
from dataclasses import dataclass
from typing import Protocol

import structlog

log = structlog.get_logger(__name__)

FIRST_BACKOFF_S = 1.0
MAX_BACKOFF_S = 30.0


class Supervised(Protocol):
    @property
    def alive(self) -> bool: ...

    def restart(self) -> str: ...


@dataclass
class ServiceState:
    status: str = "up"  # "up" | "restarting"
    restarts: int = 0
    last_error: str | None = None
    next_try: float = 0.0  # monotonic time of the next restart attempt
    backoff: float = FIRST_BACKOFF_S


def _alive(service: Supervised) -> bool:
    return service.alive


class Watchdog:
    def __init__(
        self, services: Sequence[tuple[str, Supervised]], *, interval_s: float = 2.0
    ) -> None:
        self.services = services
        self.interval_s = interval_s
        self.states = {name: ServiceState() for name, _ in services}

    def status(self) -> dict[str, dict[str, object]]:
        """Per server: ``status`` (up/restarting), ``restarts`` so far, the last error."""
        return {
            name: {"status": s.status, "restarts": s.restarts, "last_error": s.last_error}
            for name, s in self.states.items()
        }

    async def run(self, stop: asyncio.Event) -> None:
        while not stop.is_set():
            await self.check_once()
            try:
                await asyncio.wait_for(stop.wait(), self.interval_s)
            except TimeoutError:
                pass

    async def check_once(self) -> None:
        """Look at every server once; restart the dead ones whose backoff has run out."""
        for name, service in self.services:
            state = self.states[name]
            if state.status == "up":
                if await asyncio.to_thread(_alive, service):
                    continue
                state.status, state.next_try = "restarting", time.monotonic()
                state.backoff = FIRST_BACKOFF_S
                log.error("service_died", service=name)
            if time.monotonic() < state.next_try:
                continue
            await self._restart(name, service, state)

    async def _restart(self, name: str, service: Supervised, state: ServiceState) -> None:
        try:
            await asyncio.to_thread(service.restart)
        except Exception as exc:  # keep trying: the port may still be held, the disk full…
            state.last_error = str(exc)[:500]
            state.next_try = time.monotonic() + state.backoff
            log.warning(
                "service_restart_failed",
                service=name,
                error=state.last_error,
                retry_in_s=state.backoff,
            )
            state.backoff = min(state.backoff * 2, MAX_BACKOFF_S)
            return
        state.status, state.last_error = "up", None
        state.restarts += 1
        log.warning("service_restarted", service=name, restarts=state.restarts)

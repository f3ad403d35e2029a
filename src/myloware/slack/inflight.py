"""What Slack listeners are still doing, so shutdown can let it finish.

Bolt acknowledges a request first and runs its listener afterwards, on a task of its own
(Slack wants an answer within 3 s). A listener still running when the process stops — a
file share being downloaded and stored, a decision being sent to the workflow — would be
lost: Slack already counts the request as delivered and sends it no more. Listeners run
inside :meth:`InFlight.track`; the API's shutdown waits on :meth:`InFlight.drain` (bounded)
before it closes the database pool. :attr:`InFlight.finished` counts the listeners that have
ended, so a caller (the tests, a metric) can tell that a request's listener has run its course.
"""

from __future__ import annotations

import asyncio
import contextlib
from collections.abc import AsyncIterator


class InFlight:
    def __init__(self) -> None:
        self._running = 0
        self._finished = 0
        self._idle = asyncio.Event()
        self._idle.set()

    @property
    def running(self) -> int:
        return self._running

    @property
    def finished(self) -> int:
        """How many tracked listeners have ended (returned or raised) so far."""
        return self._finished

    @contextlib.asynccontextmanager
    async def track(self) -> AsyncIterator[None]:
        self._running += 1
        self._idle.clear()
        try:
            yield
        finally:
            self._running -= 1
            self._finished += 1
            if not self._running:
                self._idle.set()

    async def drain(self, wait_s: float) -> bool:
        """Wait up to ``wait_s`` for every tracked listener to end; whether they all did."""
        with contextlib.suppress(TimeoutError):
            await asyncio.wait_for(self._idle.wait(), timeout=wait_s)
        return not self._running

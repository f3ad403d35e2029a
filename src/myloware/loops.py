"""Small helpers for the long-running event loops (relay, consumers)."""

from __future__ import annotations

import asyncio
import contextlib
from collections.abc import AsyncIterator, Awaitable
from typing import TypeVar

from redis.exceptions import RedisError
from sqlalchemy.exc import SQLAlchemyError

T = TypeVar("T")

#: Failures of the infrastructure a loop survives by backing off and trying again.
TRANSIENT_ERRORS: tuple[type[Exception], ...] = (RedisError, SQLAlchemyError, OSError)


async def sleep_unless_stopped(stop: asyncio.Event, seconds: float) -> None:
    """Sleep ``seconds``, returning early as soon as ``stop`` is set."""
    with contextlib.suppress(TimeoutError):
        await asyncio.wait_for(stop.wait(), timeout=seconds)


async def unless_stopped(stop: asyncio.Event, work: Awaitable[T]) -> T | None:
    """``work``'s result, or None once ``stop`` is set first (``work`` is then cancelled).

    For work that may wait long on something a stop need not wait for, such as a batch in a
    low-priority thread (what that thread still does is dropped, and done again next time).
    """
    task = asyncio.ensure_future(work)
    stopping = asyncio.ensure_future(stop.wait())
    try:
        await asyncio.wait({task, stopping}, return_when=asyncio.FIRST_COMPLETED)
    except BaseException:  # cancelled from outside: the work goes with it
        task.cancel()
        raise
    finally:
        stopping.cancel()
    if task.done():
        return task.result()
    task.cancel()
    await asyncio.wait({task})
    return None


class Backoff:
    """Exponential delay after consecutive failures, reset by a success."""

    def __init__(self, *, initial: float = 0.5, maximum: float = 10.0) -> None:
        self._initial = initial
        self._maximum = maximum
        self._next = initial

    def reset(self) -> None:
        self._next = self._initial

    def next_delay(self) -> float:
        delay = self._next
        self._next = min(self._next * 2, self._maximum)
        return delay


class InFlight:
    """What listeners are still doing, so shutdown can let it finish (Slack's Bolt answers a
    request first and runs its listener afterwards: a listener cut off at shutdown would be
    lost). Listeners run inside :meth:`track`; shutdown waits on :meth:`drain` (bounded)."""

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

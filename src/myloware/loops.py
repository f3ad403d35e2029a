"""Small helpers for the long-running event loops (relay, consumers)."""

from __future__ import annotations

import asyncio
import contextlib

from redis.exceptions import RedisError
from sqlalchemy.exc import SQLAlchemyError

#: Failures of the infrastructure a loop survives by backing off and trying again.
TRANSIENT_ERRORS: tuple[type[Exception], ...] = (RedisError, SQLAlchemyError, OSError)


async def sleep_unless_stopped(stop: asyncio.Event, seconds: float) -> None:
    """Sleep ``seconds``, returning early as soon as ``stop`` is set."""
    with contextlib.suppress(TimeoutError):
        await asyncio.wait_for(stop.wait(), timeout=seconds)


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

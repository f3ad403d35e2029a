"""Circuit breakers for model providers: in one process, or shared by every worker via Redis.

A breaker opens after ``failures`` failed calls in a row and skips its provider for
``reset_s``. Then it is half-open: exactly one caller may try the provider (a probe; others
still skip it), and the probe's success closes the breaker while its failure opens it again.
A probe that never reports (its caller was cancelled) expires after ``probe_s`` (the longest
one call may take: the model chain's deadline).

:class:`RedisBreakers` keeps that state in Redis, so a provider that fails for one worker is
skipped by all of them, and after the pause one probe is sent for the whole fleet rather than
one per worker. Keys (``myloware:breaker:<provider>:…``) expire on their own; if Redis cannot
be reached the breaker lets calls through (the model chain must not stop because the
breaker's memory is away) and logs it.
"""

from __future__ import annotations

import time
from collections.abc import Callable
from typing import Protocol

import structlog
from redis.asyncio import Redis
from redis.exceptions import RedisError

log = structlog.get_logger(__name__)


class Breaker(Protocol):
    async def allow(self) -> bool:
        """Whether to call the provider now (closed, or this caller is the half-open probe)."""
        ...

    async def succeeded(self) -> None: ...

    async def failed(self) -> None: ...


BreakerFactory = Callable[[str], Breaker]


class CircuitBreaker:
    """One process's breaker for one provider."""

    def __init__(
        self,
        *,
        failures: int,
        reset_s: float,
        clock: Callable[[], float] = time.monotonic,
        probe_s: float | None = None,
    ) -> None:
        self._limit, self._reset_s, self._clock = failures, reset_s, clock
        self._probe_s = probe_s or reset_s
        self._failures = 0
        self._open_until = 0.0
        self._probe_until = 0.0

    async def allow(self) -> bool:
        if self._failures < self._limit:
            return True
        now = self._clock()
        if now < self._open_until or now < self._probe_until:
            return False
        self._probe_until = now + self._probe_s  # half-open: this caller probes, alone
        return True

    async def succeeded(self) -> None:
        self._failures = 0
        self._probe_until = 0.0

    async def failed(self) -> None:
        self._failures += 1
        self._probe_until = 0.0
        if self._failures >= self._limit:
            self._open_until = self._clock() + self._reset_s


class RedisBreakers:
    """Breakers whose state every worker shares; ``breaker(name)`` is a BreakerFactory."""

    def __init__(
        self, redis: Redis, *, failures: int, reset_s: float, probe_s: float | None = None
    ) -> None:
        self.redis, self.limit, self.reset_ms = redis, failures, max(1, int(reset_s * 1000))
        self.probe_ms = max(1, int((probe_s or reset_s) * 1000))

    def breaker(self, provider: str) -> Breaker:
        return _SharedBreaker(self, f"myloware:breaker:{provider}")


class _SharedBreaker:
    def __init__(self, owner: RedisBreakers, key: str) -> None:
        self.owner, self.key = owner, key

    async def allow(self) -> bool:
        redis = self.owner.redis
        try:
            async with redis.pipeline(transaction=False) as pipe:
                pipe.get(f"{self.key}:failures")
                pipe.exists(f"{self.key}:open")
                failures, is_open = await pipe.execute()
            if int(failures or 0) < self.owner.limit:
                return True
            if is_open:
                return False
            # half-open: the one caller that sets the probe key tries the provider
            probe = await redis.set(f"{self.key}:probe", "1", nx=True, px=self.owner.probe_ms)
            return bool(probe)
        except RedisError as exc:
            log.warning("breaker_state_unavailable", key=self.key, error=str(exc))
            return True

    async def succeeded(self) -> None:
        try:
            await self.owner.redis.delete(
                f"{self.key}:failures", f"{self.key}:open", f"{self.key}:probe"
            )
        except RedisError as exc:
            log.warning("breaker_state_unavailable", key=self.key, error=str(exc))

    async def failed(self) -> None:
        redis, reset_ms = self.owner.redis, self.owner.reset_ms
        try:
            failures_key = f"{self.key}:failures"
            async with redis.pipeline(transaction=True) as pipe:
                pipe.incr(failures_key)
                pipe.pexpire(failures_key, reset_ms * 10)  # a quiet provider's count fades
                count, _ = await pipe.execute()
            if int(count) >= self.owner.limit:
                async with redis.pipeline(transaction=True) as pipe:
                    pipe.set(f"{self.key}:open", "1", px=reset_ms)
                    pipe.delete(f"{self.key}:probe")
                    await pipe.execute()
        except RedisError as exc:
            log.warning("breaker_state_unavailable", key=self.key, error=str(exc))

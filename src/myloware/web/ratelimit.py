"""Sliding-window rate limits kept in Redis (one atomic Lua call per request).

Two limits use it: requests per principal (:attr:`AppState.rate_limiter`) and failed
authentications per client address (:class:`AuthFailureThrottle`).

Redis down is not an API outage: a limiter that cannot reach Redis lets the request through
(or, for failed authentications, counts in this process instead), logs ``rate_limiter_degraded``
once per outage, counts every such request in ``myloware_rate_limit_degraded_total``, and
stops asking Redis for :data:`RETRY_REDIS_S` seconds so a hanging Redis costs no latency.
"""

from __future__ import annotations

import time
import uuid
from collections import deque
from typing import Any

import structlog
from prometheus_client import Counter
from redis.asyncio import Redis
from redis.exceptions import RedisError

log = structlog.get_logger(__name__)

#: After Redis failed, the limiter answers without it for this long before trying again.
RETRY_REDIS_S = 5.0

# KEYS[1] = the window's sorted set; ARGV = now_ms, window_ms, limit, member
_SLIDING_WINDOW = """
local key = KEYS[1]
local now = tonumber(ARGV[1])
local window = tonumber(ARGV[2])
local limit = tonumber(ARGV[3])
redis.call('ZREMRANGEBYSCORE', key, 0, now - window)
local count = redis.call('ZCARD', key)
if count >= limit then
  local oldest = redis.call('ZRANGE', key, 0, 0, 'WITHSCORES')
  local retry = window
  if oldest[2] then retry = tonumber(oldest[2]) + window - now end
  return {0, retry}
end
redis.call('ZADD', key, now, ARGV[4])
redis.call('PEXPIRE', key, window)
return {1, 0}
"""


class LocalWindow:
    """The same sliding window in this process's memory (bounded number of keys)."""

    def __init__(self, *, max_keys: int = 10_000) -> None:
        self.max_keys = max_keys
        self._hits: dict[str, deque[float]] = {}

    def hit(self, key: str, *, limit: int, window_s: float) -> int:
        """Record one hit; 0 when allowed, else the seconds to wait."""
        now = time.monotonic()
        hits = self._hits.get(key)
        if hits is None:
            if len(self._hits) >= self.max_keys:
                self._hits.clear()
            hits = self._hits[key] = deque()
        while hits and hits[0] <= now - window_s:
            hits.popleft()
        if len(hits) >= limit:
            return max(1, -(-int((hits[0] + window_s - now) * 1000) // 1000))
        hits.append(now)
        return 0


class RateLimiter:
    """Allow ``limit`` hits per ``window_s`` seconds per key; ``limit`` 0 disables it.

    ``name`` labels the degraded counter and log line; ``fallback``: where to count while
    Redis is unreachable (None: let every hit through).
    """

    def __init__(
        self,
        redis: Redis,
        *,
        limit: int,
        window_s: int = 60,
        name: str = "requests",
        degraded: Counter | None = None,
        fallback: LocalWindow | None = None,
    ) -> None:
        self.redis = redis
        self.limit = limit
        self.window_ms = window_s * 1000
        self.name = name
        self.degraded = degraded
        self.fallback = fallback
        self._script: Any = redis.register_script(_SLIDING_WINDOW)
        self._redis_back_at = 0.0  # monotonic time before which Redis is not asked

    async def hit(self, key: str) -> int:
        """Record one hit; return 0 when allowed, else the seconds to wait."""
        if self.limit <= 0:
            return 0
        if time.monotonic() >= self._redis_back_at:
            now_ms = int(time.time() * 1000)
            try:
                allowed, retry_ms = await self._script(
                    keys=[f"myloware:ratelimit:{key}"],
                    args=[now_ms, self.window_ms, self.limit, f"{now_ms}-{uuid.uuid4().hex[:8]}"],
                )
            except (RedisError, OSError) as exc:
                self._redis_failed(exc)
            else:
                if self._redis_back_at:
                    log.info("rate_limiter_recovered", limiter=self.name)
                    self._redis_back_at = 0.0
                if int(allowed):
                    return 0
                return max(1, -(-int(retry_ms) // 1000))
        if self.degraded is not None:
            self.degraded.labels(self.name).inc()
        if self.fallback is None:
            return 0
        return self.fallback.hit(key, limit=self.limit, window_s=self.window_ms / 1000)

    def _redis_failed(self, exc: Exception) -> None:
        if not self._redis_back_at:
            log.warning(
                "rate_limiter_degraded",
                limiter=self.name,
                error_type=type(exc).__name__,
                fallback="this process" if self.fallback else "none: requests pass",
            )
        self._redis_back_at = time.monotonic() + RETRY_REDIS_S


class AuthFailureThrottle:
    """Failed authentications per client address: ``limit`` a minute, then 429 for that
    address (before its credentials are even looked at) until the window allows again.

    Failures are counted in Redis (every API process sees them) and, while Redis is down, in
    this process. The block itself is remembered here, so a blocked address costs no Redis
    call; a process that has not seen the address fail yet learns of the block at its next
    failure there.
    """

    def __init__(self, limiter: RateLimiter) -> None:
        self.limiter = limiter
        self._blocked: dict[str, float] = {}  # address -> monotonic time the block ends

    def blocked_for(self, address: str) -> int:
        """Seconds ``address`` must still wait; 0 when it may try."""
        until = self._blocked.get(address)
        if until is None:
            return 0
        left = until - time.monotonic()
        if left <= 0:
            del self._blocked[address]
            return 0
        return max(1, -(-int(left * 1000) // 1000))

    async def failed(self, address: str) -> int:
        """Count one failure of ``address``; the seconds it must now wait (0: none)."""
        retry_after = await self.limiter.hit(f"authfail:{address}")
        if retry_after:
            if len(self._blocked) >= 10_000:
                self._blocked.clear()
            self._blocked[address] = time.monotonic() + retry_after
            log.warning("auth_failures_throttled", client=address, retry_after=retry_after)
        return retry_after

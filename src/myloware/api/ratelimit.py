"""Per-principal sliding-window rate limit kept in Redis (one atomic Lua call per request)."""

from __future__ import annotations

import time
import uuid
from typing import Any

from redis.asyncio import Redis

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


class RateLimiter:
    """Allow ``limit`` requests per ``window_s`` seconds per key; ``limit`` 0 disables it."""

    def __init__(self, redis: Redis, *, limit: int, window_s: int = 60) -> None:
        self.redis = redis
        self.limit = limit
        self.window_ms = window_s * 1000
        self._script: Any = redis.register_script(_SLIDING_WINDOW)

    async def hit(self, key: str) -> int:
        """Record one request; return 0 when allowed, else the seconds to wait."""
        if self.limit <= 0:
            return 0
        now_ms = int(time.time() * 1000)
        allowed, retry_ms = await self._script(
            keys=[f"myloware:ratelimit:{key}"],
            args=[now_ms, self.window_ms, self.limit, f"{now_ms}-{uuid.uuid4().hex[:8]}"],
        )
        if int(allowed):
            return 0
        return max(1, -(-int(retry_ms) // 1000))

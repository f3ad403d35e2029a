"""The API's services, built once in the lifespan and reached through dependencies."""

from __future__ import annotations

import time
import uuid
from collections.abc import Callable
from dataclasses import dataclass, field
from typing import Any

from redis.asyncio import Redis
from sqlalchemy.ext.asyncio import AsyncEngine, AsyncSession, async_sessionmaker

from myloware.settings import Settings
from myloware.web.middleware import Metrics
from myloware.web.ratelimit import AuthFailureThrottle, RateLimiter


class TTLCache:
    """A tiny time-bounded cache for hot auth look-ups (tenant existence, API keys)."""

    def __init__(self, ttl_s: float, max_items: int = 10_000) -> None:
        self.ttl_s = ttl_s
        self.max_items = max_items
        self._items: dict[Any, tuple[float, Any]] = {}

    def get(self, key: Any) -> Any | None:
        hit = self._items.get(key)
        if hit is None or hit[0] < time.monotonic():
            return None
        return hit[1]

    def put(self, key: Any, value: Any) -> None:
        if len(self._items) >= self.max_items:
            self._items.clear()
        self._items[key] = (time.monotonic() + self.ttl_s, value)

    def discard(self, key: Any) -> None:
        self._items.pop(key, None)


@dataclass
class AppState:
    settings: Settings
    temporal_address: str
    engine: AsyncEngine
    sessions: async_sessionmaker[AsyncSession]
    redis: Redis
    rate_limiter: RateLimiter
    metrics: Metrics
    auth_failures: AuthFailureThrottle
    temporal: Any = None  # temporalio.client.Client, connected lazily
    # under `myloware up`: the watchdog's status of the embedded servers, for /health
    supervision: Callable[[], dict[str, dict[str, object]]] | None = None
    # starts a work order's workflow: (work_order_id, tenant_id) -> None
    dispatcher: Any = None
    blobs: Any = None  # myloware.documents.BlobStore
    embedder: Any = None  # myloware.memory.Embedder; None when memory embeddings are off
    smtp_port: int | None = None  # the e-mail intake's port, when it listens
    slack_inflight: Any = None  # myloware.slack.inflight.InFlight: listeners still running
    tenants: TTLCache = field(default_factory=lambda: TTLCache(60))
    api_keys: TTLCache = field(default_factory=lambda: TTLCache(30))
    known_tenants: set[uuid.UUID] = field(default_factory=set)

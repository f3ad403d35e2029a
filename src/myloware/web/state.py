"""The API's services, built once in the lifespan and reached through dependencies."""

from __future__ import annotations

import asyncio
import uuid
from collections.abc import Awaitable, Callable
from dataclasses import dataclass, field
from typing import Any

from cachetools import TTLCache
from redis.asyncio import Redis
from sqlalchemy.ext.asyncio import AsyncEngine, AsyncSession, async_sessionmaker
from temporalio.client import Client

from myloware.auth.tokens import VerifiedTokens
from myloware.documents.blobs import BlobStore
from myloware.loops import InFlight
from myloware.memory import Embedder
from myloware.services.pages import PageCache
from myloware.settings import Settings
from myloware.web.middleware import Metrics
from myloware.web.ratelimit import AuthFailureThrottle, RateLimiter


@dataclass
class AppState:
    settings: Settings
    temporal_address: str
    engine: AsyncEngine
    sessions: async_sessionmaker[AsyncSession]
    read_sessions: async_sessionmaker[AsyncSession]  # autocommit: read-only routes
    redis: Redis
    rate_limiter: RateLimiter
    metrics: Metrics
    auth_failures: AuthFailureThrottle
    blobs: BlobStore  # where uploaded files go (documents.blob_store_for: local folder or S3)
    temporal: Client | None = None  # connected lazily (web.temporal.temporal_client)
    # one connect at a time; this app's own lock (a module-wide one is bound to the first
    # event loop that waited on it, and fails in any other: a second app, a test's loop)
    temporal_lock: asyncio.Lock = field(default_factory=asyncio.Lock)
    # under `myloware up`: the watchdog's status of the embedded servers, for /health
    supervision: Callable[[], dict[str, dict[str, object]]] | None = None
    # starts a work order's workflow: (work_order_id, tenant_id) -> None
    dispatcher: Callable[[uuid.UUID, uuid.UUID], Awaitable[None]] | None = None
    embedder: Embedder | None = None  # None when memory embeddings are off
    smtp_port: int | None = None  # the e-mail intake's port, when it listens
    slack_inflight: InFlight = field(default_factory=InFlight)  # Slack listeners still running
    # set when the app shuts down: long-lived responses (the UI's event stream) end
    stopping: asyncio.Event = field(default_factory=asyncio.Event)
    # hot auth look-ups: a tenant's status ("" when there is none), an API key's row by hash;
    # short TTLs: another API process's disabling or revoking takes effect here within them
    tenants: TTLCache[uuid.UUID, str] = field(
        default_factory=lambda: TTLCache(maxsize=10_000, ttl=30)
    )
    api_keys: TTLCache[str, Any] = field(default_factory=lambda: TTLCache(maxsize=10_000, ttl=30))
    tokens: VerifiedTokens = field(init=False)  # the JWTs this process has verified
    known_tenants: set[uuid.UUID] = field(default_factory=set)
    pages: PageCache = field(default_factory=PageCache)  # rendered document pages

    def __post_init__(self) -> None:
        self.tokens = VerifiedTokens(self.settings)

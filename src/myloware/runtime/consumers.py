"""The platform's consumer groups, run next to the outbox relay (``myloware up`` / ``relay``).

Two groups: ``webhooks`` (:mod:`myloware.events.webhooks`) and ``slack``
(:mod:`myloware.slack.notifier`). Each process joins every group as one consumer named
``<host>:<pid>``; start more relays to share the work.
"""

from __future__ import annotations

import asyncio
import contextlib
import os
import socket

import httpx
from redis.asyncio import Redis
from sqlalchemy.ext.asyncio import AsyncSession, async_sessionmaker

from myloware import slack
from myloware.events import webhooks
from myloware.events.consumer import StreamConsumer
from myloware.loops import TRANSIENT_ERRORS
from myloware.settings import Settings

CLAIM_IDLE_MS = 30_000
BLOCK_MS = 1_000


def consumer_name() -> str:
    """This process's name in every group."""
    return f"{socket.gethostname()}:{os.getpid()}"


def platform_consumers(
    settings: Settings,
    sessions: async_sessionmaker[AsyncSession],
    redis: Redis,
    http: httpx.AsyncClient,
    *,
    claim_idle_ms: int = CLAIM_IDLE_MS,
    block_ms: int = BLOCK_MS,
) -> list[StreamConsumer]:
    """One consumer per platform group, not started."""
    dispatcher = webhooks.WebhookDispatcher(
        sessions, http, allow_private_targets=settings.webhooks_allow_private_targets
    )
    return [
        StreamConsumer(
            redis,
            sessions,
            stream=settings.events_stream,
            group=webhooks.GROUP,
            consumer_name=consumer_name(),
            handler=dispatcher,
            relevant=webhooks.has_webhooks(sessions),
            max_deliveries=settings.events_max_deliveries,
            claim_idle_ms=claim_idle_ms,
            block_ms=block_ms,
        ),
        StreamConsumer(
            redis,
            sessions,
            stream=settings.events_stream,
            group=slack.CONSUMER_GROUP,
            consumer_name=consumer_name(),
            handler=slack.slack_event_handler(settings),
            relevant=slack.slack_relevance(sessions),
            max_deliveries=settings.events_max_deliveries,
            claim_idle_ms=claim_idle_ms,
            block_ms=block_ms,
        ),
    ]


async def run_consumers(
    settings: Settings,
    sessions: async_sessionmaker[AsyncSession],
    redis: Redis,
    stop: asyncio.Event,
    *,
    http: httpx.AsyncClient | None = None,
    claim_idle_ms: int = CLAIM_IDLE_MS,
    block_ms: int = BLOCK_MS,
) -> None:
    """Run the platform's consumer groups until ``stop`` is set.

    The groups are created first (from the end of the stream, when new), so events relayed
    once this has started reach them. ``http`` defaults to a client made (and closed) here.
    """
    async with contextlib.AsyncExitStack() as stack:
        if http is None:
            http = await stack.enter_async_context(webhooks.webhook_client())
        consumers = platform_consumers(
            settings, sessions, redis, http, claim_idle_ms=claim_idle_ms, block_ms=block_ms
        )
        for consumer in consumers:
            with contextlib.suppress(*TRANSIENT_ERRORS):  # run() creates it once Redis is back
                await consumer.ensure_group()
        async with asyncio.TaskGroup() as group:
            for consumer in consumers:
                group.create_task(consumer.run(stop))

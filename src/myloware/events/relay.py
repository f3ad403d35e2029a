"""The outbox relay: publishes committed outbox rows to the Redis Stream.

Each :meth:`OutboxRelay.publish_once` locks a batch of unpublished rows (``FOR UPDATE SKIP
LOCKED``, so several relays share the work without publishing a row twice), XADDs them in one
pipeline and marks them published in the same transaction. A crash between XADD and COMMIT
publishes the batch again later: delivery is at-least-once and consumers deduplicate by
``event_id``. Rows are taken in ``seq`` order, but with several relays (or transactions that
commit out of order) consumers must not rely on a global order.

The loop polls (a query on a partial index, cheap when idle) and drains without sleeping while
full batches keep coming.

The stream is bounded (``maxlen``) without ever dropping what a consumer group still needs:
when a batch would take it past the bound, the relay first trims the entries every group is
done with (:func:`~myloware.events.trim.trim_stream`, whatever their age); if the stream is
still full, a group is behind (a consumer down, say), and the relay holds the events back in
the outbox — durable in PostgreSQL — until that group catches up. The outbox's age
(``myloware_outbox_oldest_age_seconds``) shows the hold-up; nothing is lost.
"""

from __future__ import annotations

import asyncio
import time

import structlog
from redis.asyncio import Redis
from sqlalchemy import func, select, update
from sqlalchemy.ext.asyncio import AsyncSession, async_sessionmaker

from myloware.db.engine import transaction
from myloware.db.models import OutboxEvent
from myloware.events.stream import DEFAULT_MAXLEN, Event
from myloware.events.trim import trim_stream
from myloware.loops import TRANSIENT_ERRORS, Backoff, sleep_unless_stopped

log = structlog.get_logger(__name__)


def event_from_row(row: OutboxEvent) -> Event:
    """The stream event for one outbox row."""
    return Event(
        event_id=row.event_id,
        event_type=row.event_type,
        tenant_id=row.tenant_id,
        aggregate_type=row.aggregate_type,
        aggregate_id=row.aggregate_id,
        payload=row.payload,
        created_at=row.created_at,
    )


class OutboxRelay:
    """Moves committed outbox rows to one Redis Stream."""

    def __init__(
        self,
        sessions: async_sessionmaker[AsyncSession],
        redis: Redis,
        *,
        stream: str,
        batch_size: int = 100,
        maxlen: int = DEFAULT_MAXLEN,
    ) -> None:
        self._sessions = sessions
        self._redis = redis
        self._stream = stream
        self._batch_size = batch_size
        self._maxlen = maxlen
        self._held_by: str | None = None  # the group the relay waits for, while it waits

    async def publish_once(self) -> int:
        """Publish one batch of unpublished rows; returns how many were published (0 while
        the stream is full of entries a consumer group still needs)."""
        async with transaction(self._sessions) as session:
            rows = (
                await session.scalars(
                    select(OutboxEvent)
                    .where(OutboxEvent.published_at.is_(None))
                    .order_by(OutboxEvent.seq)
                    .limit(self._batch_size)
                    .with_for_update(skip_locked=True)
                )
            ).all()
            if not rows or await self._stream_full(len(rows)):
                return 0
            pipe = self._redis.pipeline(transaction=False)
            for row in rows:
                pipe.xadd(self._stream, event_from_row(row).to_fields())  # type: ignore[arg-type]
            await pipe.execute()
            await session.execute(
                update(OutboxEvent)
                .where(OutboxEvent.seq.in_([row.seq for row in rows]))
                .values(published_at=func.now())
            )
        log.debug("outbox_published", count=len(rows), stream=self._stream)
        return len(rows)

    async def _stream_full(self, adding: int) -> bool:
        """Whether ``adding`` entries would take the stream past ``maxlen`` even after
        trimming what every consumer group is done with."""
        if await self._redis.xlen(self._stream) + adding <= self._maxlen:
            return self._released()
        now_ms = int(time.time() * 1000)
        _, bound = await trim_stream(self._redis, self._stream, cutoff_ms=now_ms)
        if await self._redis.xlen(self._stream) + adding <= self._maxlen:
            return self._released()
        if self._held_by is None:
            self._held_by = bound.held_by if bound else "unknown"
            log.warning(
                "relay_holding_events",
                stream=self._stream,
                maxlen=self._maxlen,
                waiting_for_group=self._held_by,
            )
        return True

    def _released(self) -> bool:
        if self._held_by is not None:
            log.info("relay_resumed", stream=self._stream, waited_for_group=self._held_by)
            self._held_by = None
        return False

    async def run(self, stop: asyncio.Event, poll_interval: float = 0.2) -> None:
        """Publish until ``stop`` is set, surviving database and Redis outages."""
        backoff = Backoff()
        log.info("relay_started", stream=self._stream)
        while not stop.is_set():
            try:
                published = await self.publish_once()
            except TRANSIENT_ERRORS as exc:
                delay = backoff.next_delay()
                log.warning("relay_failed", error=repr(exc), retry_in_s=delay)
                await sleep_unless_stopped(stop, delay)
                continue
            backoff.reset()
            if published < self._batch_size:
                await sleep_unless_stopped(stop, poll_interval)
        log.info("relay_stopped", stream=self._stream)

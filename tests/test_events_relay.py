"""The outbox relay against real PostgreSQL and Redis: committed rows are published once."""

from __future__ import annotations

import asyncio
import uuid

import pytest
import redis.asyncio as aioredis
from sqlalchemy import func, select
from sqlalchemy.ext.asyncio import AsyncSession, async_sessionmaker

from myloware.db.engine import transaction
from myloware.db.models import OutboxEvent
from myloware.events import Event, OutboxRelay, record_event
from myloware.events.catalogue import EventType, WorkOrderCreated
from tests.polling import eventually
from tests.stream_support import stream_entries

STREAM = "test:events"


async def stage(sessions: async_sessionmaker[AsyncSession], count: int) -> list[uuid.UUID]:
    """Commit ``count`` outbox events in one transaction; returns their ids."""
    async with transaction(sessions) as session:
        return [
            record_event(
                session,
                EventType.WORK_ORDER_CREATED,
                WorkOrderCreated(work_order_id=(order_id := uuid.uuid4()), items=i),
                tenant_id=None,
                aggregate_id=order_id,
            )
            for i in range(count)
        ]


async def published_ids(redis: aioredis.Redis) -> list[uuid.UUID]:
    return [Event.from_fields(fields).event_id for _, fields in await stream_entries(redis, STREAM)]


async def test_committed_events_are_published_once(
    sessions: async_sessionmaker[AsyncSession], redis: aioredis.Redis
) -> None:
    """Each committed outbox row reaches the stream once, in order, with all its fields."""
    ids = await stage(sessions, 3)
    relay = OutboxRelay(sessions, redis, stream=STREAM)
    assert await relay.publish_once() == 3
    assert await relay.publish_once() == 0
    assert await published_ids(redis) == ids
    first = Event.from_fields((await stream_entries(redis, STREAM, count=1))[0][1])
    assert first.event_type == "work_order.created"
    assert first.aggregate_type == "work_order" and first.payload["items"] == 0
    async with sessions() as session:
        unpublished = await session.scalar(
            select(func.count()).where(OutboxEvent.published_at.is_(None))
        )
    assert unpublished == 0


async def test_rolled_back_events_are_never_published(
    sessions: async_sessionmaker[AsyncSession], redis: aioredis.Redis
) -> None:
    """An event staged in a transaction that rolls back is never published."""

    class Abort(Exception):
        pass

    with pytest.raises(Abort):
        async with transaction(sessions) as session:
            record_event(
                session,
                EventType.WORK_ORDER_CREATED,
                WorkOrderCreated(work_order_id=uuid.uuid4(), items=0),
                tenant_id=None,
                aggregate_id=None,
            )
            await session.flush()
            raise Abort
    kept = await stage(sessions, 1)
    assert await OutboxRelay(sessions, redis, stream=STREAM).publish_once() == 1
    assert await published_ids(redis) == kept


async def test_concurrent_relays_do_not_double_publish(
    sessions: async_sessionmaker[AsyncSession], redis: aioredis.Redis
) -> None:
    """Two relays draining the outbox at the same time publish every event exactly once."""
    ids = await stage(sessions, 200)
    relays = [OutboxRelay(sessions, redis, stream=STREAM, batch_size=15) for _ in range(2)]

    async def drain(relay: OutboxRelay) -> int:
        total = 0
        while published := await relay.publish_once():
            total += published
        return total

    counts = await asyncio.gather(*(drain(r) for r in relays))
    assert sum(counts) == 200 and all(counts)
    published = await published_ids(redis)
    assert len(published) == 200 and set(published) == set(ids)


async def test_run_publishes_new_events_until_stopped(
    sessions: async_sessionmaker[AsyncSession], redis: aioredis.Redis
) -> None:
    """The running relay picks up events committed after it started and stops on request."""
    stop = asyncio.Event()
    task = asyncio.create_task(
        OutboxRelay(sessions, redis, stream=STREAM).run(stop, poll_interval=0.05)
    )
    ids = await stage(sessions, 2)
    await eventually(lambda: _has_entries(redis, 2), timeout_s=5)
    stop.set()
    await asyncio.wait_for(task, timeout=2)
    assert await published_ids(redis) == ids


async def _has_entries(redis: aioredis.Redis, count: int) -> bool:
    return int(await redis.xlen(STREAM)) >= count


async def test_a_full_stream_holds_events_back_until_a_lagging_group_catches_up(
    sessions: async_sessionmaker[AsyncSession], redis: aioredis.Redis
) -> None:
    """With the stream at its bound and a consumer group that has not read it, the relay
    drops nothing: the events wait in the outbox. Once the group has read and acknowledged
    the stream, the relay trims what it is done with and publishes the rest."""
    await redis.xgroup_create(STREAM, "slow", id="0", mkstream=True)
    first = await stage(sessions, 4)
    relay = OutboxRelay(sessions, redis, stream=STREAM, batch_size=4, maxlen=6)
    assert await relay.publish_once() == 4
    held = await stage(sessions, 4)
    assert await relay.publish_once() == 0  # 4 + 4 > 6 and "slow" needs all 4
    assert await relay.publish_once() == 0
    assert await published_ids(redis) == first  # nothing was trimmed unread
    async with sessions() as session:
        waiting = await session.scalar(
            select(func.count()).where(OutboxEvent.published_at.is_(None))
        )
    assert waiting == 4
    await redis.xreadgroup("slow", "c1", {STREAM: ">"}, count=10)  # delivered ...
    entry_ids = [entry_id for entry_id, _ in await stream_entries(redis, STREAM)]
    await redis.xack(STREAM, "slow", *entry_ids)  # ... and acknowledged
    assert await relay.publish_once() == 4  # the read entries made room
    assert await published_ids(redis) == held

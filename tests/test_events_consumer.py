"""Stream consumers against real PostgreSQL and Redis 6.2: idempotency, reclaim, dead letters."""

from __future__ import annotations

import asyncio
import uuid
from collections.abc import Awaitable, Callable, Sequence
from typing import Any

import pytest
import redis.asyncio as aioredis
import structlog
from sqlalchemy import select
from sqlalchemy.ext.asyncio import AsyncSession, async_sessionmaker

from myloware.db.engine import transaction
from myloware.db.models import DeadLetter, OutboxEvent, ProcessedEvent
from myloware.events import (
    Event,
    Handler,
    OutboxRelay,
    StreamConsumer,
    record_event,
    replay_dead_letter,
)
from myloware.events.catalogue import (
    EventType,
    ItemSettled,
    RecordPersisted,
    WorkOrderSettled,
)
from tests.polling import eventually
from tests.rows import count_rows
from tests.stream_support import stream_entries

STREAM = "test:events"
GROUP = "notifier"
IDLE_MS = 60


class Recorder:
    """A handler that remembers the events it saw and writes a follow-up event as its effect."""

    def __init__(self, fail_with: BaseException | None = None, *, effect: bool = True) -> None:
        self.seen: list[uuid.UUID] = []
        self.fail_with = fail_with
        self.effect = effect
        self.called = asyncio.Event()

    async def __call__(self, event: Event, session: AsyncSession) -> None:
        self.seen.append(event.event_id)
        self.called.set()
        if not self.effect:
            return
        record_event(  # any catalogued event: a visible effect in the handler's transaction
            session,
            EventType.RECORD_PERSISTED,
            RecordPersisted(record_id=event.event_id, version=1),
            tenant_id=None,
            aggregate_id=event.event_id,
        )
        if self.fail_with is not None:
            raise self.fail_with


def consumer(
    redis: aioredis.Redis,
    sessions: async_sessionmaker[AsyncSession],
    name: str,
    handler: Handler,
    **overrides: Any,
) -> StreamConsumer:
    options: dict[str, Any] = {"max_deliveries": 3, "claim_idle_ms": IDLE_MS, "block_ms": 20}
    return StreamConsumer(
        redis,
        sessions,
        stream=STREAM,
        group=GROUP,
        consumer_name=name,
        handler=handler,
        **(options | overrides),
    )


async def publish(
    sessions: async_sessionmaker[AsyncSession], redis: aioredis.Redis, count: int = 1
) -> list[uuid.UUID]:
    """Commit ``count`` events and relay them to the stream."""
    async with transaction(sessions) as session:
        ids = [
            record_event(
                session,
                EventType.ITEM_FAILED,
                ItemSettled(
                    work_item_id=uuid.uuid4(),
                    work_order_id=uuid.uuid4(),
                    status="FAILED",
                    error=f"failure {i}",
                ),
                tenant_id=None,
                aggregate_id=None,
            )
            for i in range(count)
        ]
    await OutboxRelay(sessions, redis, stream=STREAM).publish_once()
    return ids


async def has_dead_letter(sessions: async_sessionmaker[AsyncSession]) -> bool:
    return await count_rows(sessions, DeadLetter) > 0


async def pending(redis: aioredis.Redis) -> int:
    return int((await redis.xpending(STREAM, GROUP))["pending"])


async def until(check: Callable[[], Awaitable[bool]], step: Callable[[], Awaitable[Any]]) -> None:
    """Run ``step`` until ``check`` holds (at most 5 s)."""

    async def stepped() -> bool:
        if await check():
            return True
        await step()
        return False

    await eventually(stepped, timeout_s=5, interval=IDLE_MS / 1000)


async def test_events_are_processed_and_acknowledged(
    sessions: async_sessionmaker[AsyncSession], redis: aioredis.Redis
) -> None:
    """Each event runs the handler once; its effect and processed mark commit; it is ACKed."""
    handler = Recorder()
    worker = consumer(redis, sessions, "a", handler)
    await worker.ensure_group()
    ids = await publish(sessions, redis, 3)
    assert await worker.process_once() == 3
    assert handler.seen == ids
    assert await pending(redis) == 0
    assert await count_rows(sessions, ProcessedEvent) == 3
    assert await count_rows(sessions, OutboxEvent) == 6  # 3 events + 3 handler effects


async def test_a_handler_logs_with_the_event_ids_bound(
    sessions: async_sessionmaker[AsyncSession], redis: aioredis.Redis
) -> None:
    """While a handler runs, the event's id, type, order and item are in the structlog
    context; after it, nothing of the event is left bound."""
    contexts: list[dict[str, Any]] = []

    async def handler(event: Event, session: AsyncSession) -> None:
        contexts.append(structlog.contextvars.get_contextvars())

    worker = consumer(redis, sessions, "a", handler)
    await worker.ensure_group()
    [event_id] = await publish(sessions, redis)
    assert await worker.process_once() == 1
    [context] = contexts
    assert context["event_id"] == str(event_id) and context["event_type"] == "work_item.failed"
    assert {"work_item_id", "work_order_id"} <= set(context)  # named by the payload
    assert "event_id" not in structlog.contextvars.get_contextvars()


async def test_duplicate_delivery_is_applied_once(
    sessions: async_sessionmaker[AsyncSession], redis: aioredis.Redis
) -> None:
    """An event published twice (at-least-once relay) runs the handler only once."""
    handler = Recorder()
    worker = consumer(redis, sessions, "a", handler)
    await worker.ensure_group()
    [event_id] = await publish(sessions, redis)
    [(_, fields)] = await stream_entries(redis, STREAM)
    await redis.xadd(STREAM, fields)
    assert await worker.process_once() == 2
    assert handler.seen == [event_id]
    assert await pending(redis) == 0


async def test_crashed_consumer_message_is_reclaimed_once(
    sessions: async_sessionmaker[AsyncSession], redis: aioredis.Redis
) -> None:
    """A message whose consumer died mid-handler is reclaimed by another and applied once."""
    crashing = consumer(redis, sessions, "a", Recorder(fail_with=asyncio.CancelledError()))
    await crashing.ensure_group()
    [event_id] = await publish(sessions, redis)
    with pytest.raises(asyncio.CancelledError):
        await crashing.process_once()
    assert await pending(redis) == 1
    survivor_handler = Recorder()
    survivor = consumer(redis, sessions, "b", survivor_handler)
    assert await survivor.process_once() == 0  # not idle long enough yet
    await asyncio.sleep(IDLE_MS / 1000 + 0.02)
    assert await survivor.process_once() == 1
    assert survivor_handler.seen == [event_id]
    assert await pending(redis) == 0
    assert await count_rows(sessions, ProcessedEvent) == 1
    assert await count_rows(sessions, OutboxEvent) == 2  # the crashed attempt left no effect


async def test_poison_event_is_dead_lettered_then_replayed(
    sessions: async_sessionmaker[AsyncSession], redis: aioredis.Redis
) -> None:
    """A failing event is dead-lettered after max deliveries; a replay runs the fixed handler."""
    poisoned = Recorder(fail_with=ValueError("vendor id missing"))
    worker = consumer(redis, sessions, "a", poisoned)
    await worker.ensure_group()
    [event_id] = await publish(sessions, redis)
    await until(lambda: has_dead_letter(sessions), worker.process_once)
    assert poisoned.seen == [event_id] * 3
    assert await pending(redis) == 0
    async with sessions() as session:
        dead = (await session.scalars(select(DeadLetter))).one()
    assert dead.event_id == event_id and dead.source == GROUP
    assert dead.retry_count == 3 and dead.event_type == "work_item.failed"
    assert "ValueError: vendor id missing" in dead.error
    assert await count_rows(sessions, ProcessedEvent) == 0

    fixed = Recorder()
    worker = consumer(redis, sessions, "a", fixed)
    async with transaction(sessions) as session:
        await replay_dead_letter(session, redis, dead.id, tenant_id=None, stream=STREAM)
    assert await worker.process_once() == 1
    assert fixed.seen == [event_id]
    assert await count_rows(sessions, ProcessedEvent) == 1
    async with sessions() as session:
        assert (await session.get(DeadLetter, dead.id)).processed_at is not None  # type: ignore[union-attr]


async def test_malformed_entry_is_dead_lettered_at_once(
    sessions: async_sessionmaker[AsyncSession], redis: aioredis.Redis
) -> None:
    """A stream entry that is not an event goes to dead letters without running the handler."""
    handler = Recorder()
    worker = consumer(redis, sessions, "a", handler)
    await worker.ensure_group()
    added = await redis.xadd(STREAM, {"event_type": "x.y", "payload": "{"})
    assert isinstance(added, bytes)  # the client does not decode replies
    entry_id = added.decode()
    assert await worker.process_once() == 1
    assert handler.seen == [] and await pending(redis) == 0
    async with sessions() as session:
        dead = (await session.scalars(select(DeadLetter))).one()
    assert dead.event_id is None and dead.event_type == "x.y" and dead.retry_count == 1
    assert dead.payload["stream_id"] == entry_id and dead.error.startswith("malformed event")


async def test_message_whose_consumers_keep_dying_is_dead_lettered(
    sessions: async_sessionmaker[AsyncSession], redis: aioredis.Redis
) -> None:
    """A message reclaimed more than max_deliveries times without finishing is dead-lettered."""
    crash = Recorder(fail_with=asyncio.CancelledError())
    workers = [consumer(redis, sessions, n, crash, max_deliveries=2) for n in "abc"]
    await workers[0].ensure_group()
    await publish(sessions, redis)
    for worker in workers[:2]:
        with pytest.raises(asyncio.CancelledError):
            await until(lambda: has_dead_letter(sessions), worker.process_once)
    await until(lambda: has_dead_letter(sessions), workers[2].process_once)
    assert len(crash.seen) == 2
    async with sessions() as session:
        dead = (await session.scalars(select(DeadLetter))).one()
    assert dead.retry_count == 3 and "without completion" in dead.error
    assert await pending(redis) == 0


async def test_trimmed_pending_entry_is_acknowledged_on_reclaim(
    sessions: async_sessionmaker[AsyncSession], redis: aioredis.Redis
) -> None:
    """A pending entry deleted from the stream is dropped from the group when reclaimed."""
    crashing = consumer(redis, sessions, "a", Recorder(fail_with=asyncio.CancelledError()))
    await crashing.ensure_group()
    await publish(sessions, redis)
    with pytest.raises(asyncio.CancelledError):
        await crashing.process_once()
    [(entry_id, _)] = await stream_entries(redis, STREAM)
    await redis.xdel(STREAM, entry_id)
    await asyncio.sleep(IDLE_MS / 1000 + 0.02)
    handler = Recorder()
    assert await consumer(redis, sessions, "b", handler).process_once() == 0
    assert handler.seen == [] and await pending(redis) == 0
    assert not await has_dead_letter(sessions)


async def test_relay_and_consumer_run_loops_deliver_end_to_end(
    sessions: async_sessionmaker[AsyncSession], redis: aioredis.Redis
) -> None:
    """With relay and consumer running, a committed event is handled and both stop on request."""
    handler = Recorder(effect=False)
    worker = consumer(redis, sessions, "a", handler)
    await worker.ensure_group()
    stop = asyncio.Event()
    tasks = [
        asyncio.create_task(OutboxRelay(sessions, redis, stream=STREAM).run(stop, 0.05)),
        asyncio.create_task(worker.run(stop)),
    ]
    async with transaction(sessions) as session:
        event_id = record_event(
            session,
            EventType.WORK_ORDER_COMPLETED,
            WorkOrderSettled(work_order_id=uuid.uuid4(), completed=1, failed=0),
            tenant_id=None,
            aggregate_id=None,
        )
    await asyncio.wait_for(handler.called.wait(), timeout=5)
    stop.set()
    await asyncio.wait_for(asyncio.gather(*tasks), timeout=3)
    assert handler.seen == [event_id]


async def test_pre_check_sees_the_batch_and_acknowledges_what_it_turns_down(
    sessions: async_sessionmaker[AsyncSession], redis: aioredis.Redis
) -> None:
    """``relevant`` is asked once per batch; turned-down events are ACKed without a transaction."""
    batches: list[int] = []

    async def even_only(events: Sequence[Event]) -> list[bool]:
        batches.append(len(events))
        return [int(event.payload["error"].split()[-1]) % 2 == 0 for event in events]

    handler = Recorder()
    worker = consumer(redis, sessions, "a", handler, relevant=even_only)
    await worker.ensure_group()
    ids = await publish(sessions, redis, 5)
    assert await worker.process_once() == 5
    assert batches == [5]
    assert handler.seen == [ids[0], ids[2], ids[4]]
    assert await pending(redis) == 0
    assert await count_rows(sessions, ProcessedEvent) == 3


async def test_a_slow_batch_stays_with_its_consumer(
    sessions: async_sessionmaker[AsyncSession], redis: aioredis.Redis
) -> None:
    """A batch that takes longer than the idle time is not claimed away from its consumer,
    not even while one of its handlers runs for longer than the idle time."""
    idle_ms = 400  # room for the event loop to stall a while on a loaded machine

    class Slow(Recorder):
        async def __call__(self, event: Event, session: AsyncSession) -> None:
            await asyncio.sleep(idle_ms / 6000)  # 12 of them take twice the idle time
            if len(self.seen) == 5:
                await asyncio.sleep(idle_ms / 1000)  # and one alone the whole idle time
            await super().__call__(event, session)

    slow, rival = Slow(), Recorder()
    owner = consumer(redis, sessions, "a", slow, claim_idle_ms=idle_ms)
    other = consumer(redis, sessions, "b", rival, claim_idle_ms=idle_ms)
    await owner.ensure_group()
    ids = await publish(sessions, redis, 12)

    taken_by_rival = 0
    owner_done = asyncio.Event()

    async def own() -> None:
        try:
            assert await owner.process_once() == 12
        finally:
            owner_done.set()

    async def compete() -> None:
        nonlocal taken_by_rival
        while not owner_done.is_set():
            taken_by_rival += await other.process_once()
            await asyncio.sleep(idle_ms / 4000)

    await asyncio.gather(own(), compete())
    assert slow.seen == ids and rival.seen == []
    assert taken_by_rival == 0  # nothing was claimed away (each claim counts a delivery)
    assert await pending(redis) == 0


async def test_many_batches_leave_the_client_its_connections(
    sessions: async_sessionmaker[AsyncSession], clean_redis: str
) -> None:
    """Ending a batch while its claim refresh is in flight leaves nothing running: on a pool
    of four connections, hundreds of one-event batches with a refresh every millisecond all
    complete. (Refreshes were once cancelled; redis-py swallowed a cancel that landed
    mid-command, the refresh ran on, holding connections, and its batch waited forever.)"""
    small = aioredis.from_url(clean_redis, max_connections=4)
    try:
        handler = Recorder(effect=False)
        worker = consumer(small, sessions, "a", handler, claim_idle_ms=2, batch_size=1)
        await worker.ensure_group()
        ids = [event_id for _ in range(3) for event_id in await publish(sessions, small, 100)]
        async with asyncio.timeout(120):  # with no connection left, a command waits forever
            for _ in ids:
                assert await worker.process_once() == 1
        assert handler.seen == ids
        assert await pending(small) == 0
    finally:
        await small.aclose()

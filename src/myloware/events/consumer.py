"""Consumers of the event stream: one Redis consumer group per purpose, exactly-once effects.

Each message goes through:

1. **Idempotency.** In one database transaction the consumer inserts ``processed_events
   (group, event_id)`` and calls ``handler(event, session)``; the handler writes its effects
   with that session, so effects and the "processed" mark commit (or roll back) together. A
   redelivered event whose mark exists is skipped. Only then is the message XACKed. An
   optional ``relevant`` pre-check sees the whole batch at once (one query, not one per
   event); the events it turns down are acknowledged together, without a transaction.
2. **Retries.** A failed message stays pending. After ``claim_idle_ms`` any consumer of the
   group (the same one, or another when its owner died) takes it over with XAUTOCLAIM, which
   also raises its delivery count. While a batch is being handled, its consumer re-claims
   the unfinished messages every half of that time, so slow handlers keep their batch.
3. **Dead letters.** When a failure happens on delivery ``max_deliveries`` (from XPENDING),
   the event goes to ``dead_letters`` with the error and the count, and is acknowledged. A
   message reclaimed more often than that without a recorded failure (its consumers keep
   dying) is dead-lettered before running; so is an entry that is not a valid event.
"""

from __future__ import annotations

import asyncio
import traceback
from collections.abc import Awaitable, Callable, Sequence
from typing import Any

import structlog
from redis.asyncio import Redis
from redis.exceptions import ResponseError
from sqlalchemy.dialects.postgresql import insert
from sqlalchemy.ext.asyncio import AsyncSession, async_sessionmaker

from myloware.db.engine import transaction
from myloware.db.models import ProcessedEvent
from myloware.events.dead_letters import record_dead_letter
from myloware.events.stream import (
    Event,
    StreamMessage,
    parse_autoclaim_reply,
    parse_read_reply,
    text,
)
from myloware.loops import TRANSIENT_ERRORS, Backoff, sleep_unless_stopped

log = structlog.get_logger(__name__)

#: What a consumer runs per event: write effects with ``session``; raise to have it retried.
Handler = Callable[[Event, AsyncSession], Awaitable[None]]
#: A batch pre-check: for each event, whether the handler has anything to do with it.
Relevance = Callable[[Sequence[Event]], Awaitable[Sequence[bool]]]

MAX_ERROR_CHARS = 8_000


def event_log_context(event: Event) -> dict[str, str]:
    """The ids a consumer's log lines carry while it handles ``event``."""
    context = {"event_id": str(event.event_id), "event_type": event.event_type}
    if event.tenant_id is not None:
        context["tenant_id"] = str(event.tenant_id)
    for key in ("work_order_id", "work_item_id"):
        if isinstance(value := event.payload.get(key), str):
            context[key] = value
    if event.aggregate_type in ("work_order", "work_item") and event.aggregate_id is not None:
        context.setdefault(f"{event.aggregate_type}_id", str(event.aggregate_id))
    return context


def describe_failure(exc: BaseException) -> str:
    """The error text kept with a dead letter: the traceback, its tail if long."""
    return "".join(traceback.format_exception(exc))[-MAX_ERROR_CHARS:]


class StreamConsumer:
    """One member (``consumer_name``) of the consumer group ``group`` on ``stream``."""

    def __init__(
        self,
        redis: Redis,
        sessions: async_sessionmaker[AsyncSession],
        *,
        stream: str,
        group: str,
        consumer_name: str,
        handler: Handler,
        max_deliveries: int = 5,
        claim_idle_ms: int = 30_000,
        batch_size: int = 100,
        block_ms: int = 1_000,
        start_id: str = "$",
        relevant: Relevance | None = None,
    ) -> None:
        self._redis = redis
        self._sessions = sessions
        self._stream = stream
        self._group = group
        self._name = consumer_name
        self._handler = handler
        # a cheap pre-check: events it rejects are acknowledged without a database transaction
        self._relevant = relevant
        self._max_deliveries = max_deliveries
        self._claim_idle_ms = claim_idle_ms
        self._batch_size = batch_size
        self._block_ms = block_ms
        self._start_id = start_id
        self._group_ready = False
        self._claim_cursor = "0-0"
        # a message can only be claimed once idle for claim_idle_ms: looking more often than
        # every half of that finds nothing new and costs a round trip per loop
        self._claim_every_s = claim_idle_ms / 2000
        self._next_claim = 0.0
        self._log = log.bind(stream=stream, group=group, consumer=consumer_name)

    async def ensure_group(self) -> None:
        """Create the consumer group (and the stream) unless it exists."""
        try:
            await self._redis.xgroup_create(
                self._stream, self._group, id=self._start_id, mkstream=True
            )
        except ResponseError as exc:
            if "BUSYGROUP" not in str(exc):
                raise
        self._group_ready = True

    async def process_once(self) -> int:
        """Reclaim stuck messages, then read new ones (blocking up to ``block_ms`` only when
        nothing was reclaimed), and process them; returns how many messages were taken."""
        if not self._group_ready:
            await self.ensure_group()
        try:
            reclaimed = await self._reclaim()
            await self._process_batch(reclaimed, reclaimed=True)
            fresh = await self._read(block_ms=None if reclaimed else self._block_ms)
            await self._process_batch(fresh, reclaimed=False)
        except ResponseError as exc:
            if "NOGROUP" not in str(exc):
                raise
            self._group_ready = False  # the stream or group was deleted: recreate next time
            return 0
        return len(reclaimed) + len(fresh)

    async def run(self, stop: asyncio.Event) -> None:
        """Process messages until ``stop`` is set, surviving database and Redis outages."""
        backoff = Backoff()
        self._log.info("consumer_started")
        while not stop.is_set():
            try:
                await self.process_once()
            except TRANSIENT_ERRORS as exc:
                delay = backoff.next_delay()
                self._log.warning("consumer_failed", error=repr(exc), retry_in_s=delay)
                await sleep_unless_stopped(stop, delay)
                continue
            backoff.reset()
        self._log.info("consumer_stopped")

    # --- reading -------------------------------------------------------------------------

    async def _reclaim(self) -> list[StreamMessage]:
        now = asyncio.get_running_loop().time()
        if self._claim_cursor == "0-0" and now < self._next_claim:
            return []
        raw = await self._redis.xautoclaim(
            self._stream,
            self._group,
            self._name,
            min_idle_time=self._claim_idle_ms,
            start_id=self._claim_cursor,
            count=self._batch_size,
        )
        reply = parse_autoclaim_reply(raw)
        self._claim_cursor = reply.next_id
        if reply.next_id == "0-0":  # the whole pending list was scanned
            self._next_claim = now + self._claim_every_s
        if reply.deleted_ids:  # Redis 7 already dropped them from the pending list
            self._log.warning("claimed_entries_deleted", ids=reply.deleted_ids)
        if reply.vanished:
            await self._ack_vanished()
        return reply.messages

    async def _ack_vanished(self) -> None:
        """Redis 6.2: acknowledge our pending ids whose entries were trimmed from the stream."""
        pending = await self._redis.xpending_range(
            self._stream, self._group, "-", "+", 100, consumername=self._name
        )
        ids = [text(p["message_id"]) for p in pending]
        pipe = self._redis.pipeline(transaction=False)
        for entry_id in ids:
            pipe.xrange(self._stream, entry_id, entry_id, count=1)
        found = await pipe.execute()
        gone = [entry_id for entry_id, entries in zip(ids, found, strict=True) if not entries]
        if gone:
            self._log.warning("claimed_entries_deleted", ids=gone)
            await self._redis.xack(self._stream, self._group, *gone)

    async def _read(self, *, block_ms: int | None) -> list[StreamMessage]:
        reply = await self._redis.xreadgroup(
            self._group,
            self._name,
            {self._stream: ">"},
            count=self._batch_size,
            block=block_ms,
        )
        return parse_read_reply(reply)

    async def _deliveries(self, message_id: str) -> int:
        """How often the group has delivered ``message_id`` (0 when no longer pending)."""
        pending = await self._redis.xpending_range(
            self._stream, self._group, message_id, message_id, 1
        )
        return int(pending[0]["times_delivered"]) if pending else 0

    # --- processing ----------------------------------------------------------------------

    async def _process_batch(self, messages: list[StreamMessage], *, reclaimed: bool) -> None:
        taken: list[tuple[StreamMessage, Event]] = []
        for message in messages:
            try:
                taken.append((message, Event.from_fields(message.fields)))
            except ValueError as exc:
                deliveries = await self._deliveries(message.id)
                await self._dead_letter(message, None, f"malformed event: {exc}", deliveries)
        if self._relevant is not None and taken:
            wanted = await self._relevant([event for _, event in taken])
            skipped = [m.id for (m, _), keep in zip(taken, wanted, strict=True) if not keep]
            if skipped:
                await self._redis.xack(self._stream, self._group, *skipped)
            taken = [pair for pair, keep in zip(taken, wanted, strict=True) if keep]
        if not taken:
            return
        unfinished = [m.id for m, _ in taken]  # the one being handled, then the rest
        finished = asyncio.Event()
        keeping = asyncio.create_task(self._keep_claimed(unfinished, finished))
        try:
            for message, event in taken:
                await self._process(message, event, reclaimed=reclaimed)
                unfinished.remove(message.id)
        finally:
            # told, not cancelled: redis-py can swallow a cancel that lands mid-command, and
            # the refresh would then run on with this batch waiting for it forever
            finished.set()
            await asyncio.wait([keeping])
            keeping.result()  # an unexpected error of the refresh is not lost

    async def _keep_claimed(self, unfinished: list[str], finished: asyncio.Event) -> None:
        """Until ``finished``, keep the batch's unfinished messages ours: every
        ``claim_every_s`` (half the idle time after which the other consumers take them),
        however long one handler runs. JUSTID resets the idle time without counting a
        delivery."""
        while True:
            await sleep_unless_stopped(finished, self._claim_every_s)
            if finished.is_set():
                return
            if not unfinished:
                continue
            ids: list[Any] = list(unfinished)
            try:
                await self._redis.xclaim(self._stream, self._group, self._name, 0, ids, justid=True)
            except TRANSIENT_ERRORS as exc:  # at worst another consumer repeats one (idempotent)
                self._log.warning("consumer_claim_refresh_failed", error=repr(exc))

    async def _process(self, message: StreamMessage, event: Event, *, reclaimed: bool) -> None:
        # every line logged while this event is handled (the handler's too) names it
        with structlog.contextvars.bound_contextvars(**event_log_context(event)):
            await self._process_bound(message, event, reclaimed=reclaimed)

    async def _process_bound(
        self, message: StreamMessage, event: Event, *, reclaimed: bool
    ) -> None:
        logger = self._log
        if reclaimed:
            deliveries = await self._deliveries(message.id)
            if deliveries > self._max_deliveries:
                error = f"gave up after {deliveries} deliveries without completion"
                await self._dead_letter(message, event, error, deliveries)
                return
        try:
            applied = await self._apply(event)
        except Exception as exc:
            deliveries = await self._deliveries(message.id)
            if deliveries >= self._max_deliveries:
                await self._dead_letter(message, event, describe_failure(exc), deliveries)
                logger.error("event_dead_lettered", deliveries=deliveries, error=repr(exc))
            else:
                logger.warning("event_failed", deliveries=deliveries, error=repr(exc))
            return
        await self._redis.xack(self._stream, self._group, message.id)
        logger.debug("event_processed" if applied else "event_duplicate_skipped")

    async def _apply(self, event: Event) -> bool:
        """Run the handler once per (group, event id); False when it had already run."""
        async with transaction(self._sessions) as session:
            marked = await session.execute(
                insert(ProcessedEvent)
                .values(consumer=self._group, event_id=event.event_id)
                .on_conflict_do_nothing()
                .returning(ProcessedEvent.event_id)
            )
            if marked.first() is None:
                return False
            await self._handler(event, session)
        return True

    async def _dead_letter(
        self, message: StreamMessage, event: Event | None, error: str, deliveries: int
    ) -> None:
        async with transaction(self._sessions) as session:
            record_dead_letter(
                session,
                source=self._group,
                event=event,
                message=message,
                error=error,
                retry_count=deliveries,
            )
        await self._redis.xack(self._stream, self._group, message.id)

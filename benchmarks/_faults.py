"""The faults :mod:`benchmarks.faults` injects, and what it counts afterwards.

A fault is a name — ``worker``, ``relay``, ``api`` (kill -9 the role process, start it again at
once, as a supervisor would), ``temporal``, ``redis`` (kill -9 the embedded server, then its
``restart()``, as ``myloware up``'s watchdog does), ``postgres-<N>s`` (``pg_ctl stop -m fast``,
N seconds down, start again) or ``none`` (a baseline). :func:`inject` returns when the part is
back: the worker polls its task queue again, the API answers ``/health``, the server answers.

:func:`count` reads the outcome from PostgreSQL and the Redis stream, scoped to one run's
orders: their states, their items' records and record versions, their outbox events, and the
stream entries of those events.
"""

from __future__ import annotations

import asyncio
import contextlib
import os
import re
import signal
import time
import uuid
from collections import Counter
from collections.abc import Sequence
from dataclasses import dataclass
from typing import Any

import redis
from sqlalchemy import text
from sqlalchemy.ext.asyncio import AsyncEngine

from benchmarks._stack import READY_TIMEOUT_S, Stack, wait_for_pollers, wait_healthy

ROLES = {"worker": "worker-1", "relay": "relay", "api": "api"}
SERVERS = ("temporal", "redis")
POSTGRES = re.compile(r"postgres-(\d+)s")
SETTLED_EVENTS = ("work_item.completed", "work_item.failed")
SETTLED_ORDER_EVENTS = ("work_order.completed", "work_order.failed")
STAGE_COMPLETED, PERSISTED = "work_item.stage_completed", "record.persisted"


def check_fault(name: str) -> str:
    """``name`` if it is a fault this module knows, else ValueError."""
    if name == "none" or name in ROLES or name in SERVERS or POSTGRES.fullmatch(name):
        return name
    raise ValueError(
        f"unknown fault {name!r}: one of none, {', '.join([*ROLES, *SERVERS])}, postgres-<N>s"
    )


@dataclass
class FaultTimes:
    """When the fault began (``time.time()``) and when the part was back."""

    began: float
    back: float

    @property
    def seconds(self) -> float:
        return round(self.back - self.began, 2)


async def inject(stack: Stack, fault: str) -> FaultTimes:
    """Break one part of ``stack`` and bring it back; return when each happened."""
    if fault == "none":
        now = time.time()
        return FaultTimes(now, now)
    if fault in ROLES:
        return await _kill_role(stack, fault, ROLES[fault])
    if fault in SERVERS:
        return await _kill_server(stack, fault)
    match = POSTGRES.fullmatch(fault)
    assert match is not None, fault
    return await _stop_postgres(stack, float(match.group(1)))


async def _kill_role(stack: Stack, role: str, name: str) -> FaultTimes:
    proc = stack.roles[name]
    proc.send_signal(signal.SIGKILL)
    await asyncio.to_thread(proc.wait)
    began = time.time()
    new = stack.spawn_role(name, role)
    if role == "worker":
        await wait_for_pollers(stack, [new], stack.settings.task_queue)
    elif role == "api":
        await asyncio.to_thread(wait_healthy, stack.api_url, new, READY_TIMEOUT_S)
    return FaultTimes(began, time.time())


def _server(stack: Stack, name: str) -> Any:
    assert stack.services is not None, "the stack has no embedded services"
    return dict(stack.services.supervised())[name]


async def _kill_server(stack: Stack, name: str) -> FaultTimes:
    server = _server(stack, name)
    os.kill(server.pid, signal.SIGKILL)
    await asyncio.to_thread(_until_dead, server)
    began = time.time()
    await asyncio.to_thread(server.restart)
    return FaultTimes(began, time.time())


def _until_dead(server: Any) -> None:
    while server.alive:  # asking reaps the dead child
        time.sleep(0.05)


async def _stop_postgres(stack: Stack, seconds: float) -> FaultTimes:
    server = _server(stack, "postgres")
    await asyncio.to_thread(server.stop)
    began = time.time()
    await asyncio.sleep(seconds)
    url = await asyncio.to_thread(server.start)
    if url != stack.database_url:  # the roles would never find it again
        raise RuntimeError(f"PostgreSQL came back at {url}, not {stack.database_url}")
    return FaultTimes(began, time.time())


# -- counting -----------------------------------------------------------------------------------


async def _all(engine: AsyncEngine, sql: str, **params: Any) -> list[Any]:
    async with engine.connect() as conn:
        return list((await conn.execute(text(sql), params)).all())


async def count(
    engine: AsyncEngine, redis_url: str, stream: str, orders: Sequence[uuid.UUID], keys: list[str]
) -> dict[str, Any]:
    """What became of the accepted ``orders`` (sent with idempotency ``keys``)."""
    ids = list(orders)
    states = dict(
        await _all(engine, "SELECT id, status::text FROM work_orders WHERE id = ANY(:ids)", ids=ids)
    )
    by_state = Counter(states.values())
    [(extra,)] = await _all(
        engine,
        "SELECT count(*) FROM work_orders WHERE idempotency_key = ANY(:keys) AND id <> ALL(:ids)",
        keys=keys,
        ids=ids,
    )
    items = dict(
        await _all(
            engine,
            "SELECT id, status::text FROM work_items WHERE work_order_id = ANY(:ids)",
            ids=ids,
        )
    )
    [(record_rows, items_recorded, repeated_hashes, versions, unrecorded)] = await _all(
        engine,
        """
        SELECT (SELECT count(*) FROM records WHERE work_item_id = ANY(:items)),
               (SELECT count(DISTINCT work_item_id) FROM records WHERE work_item_id = ANY(:items)),
               (SELECT count(*) FROM (
                    SELECT 1 FROM record_versions v JOIN records r ON r.id = v.record_id
                    WHERE r.work_item_id = ANY(:items)
                    GROUP BY v.record_id, v.content_hash HAVING count(*) > 1) AS d),
               (SELECT count(*) FROM record_versions v JOIN records r ON r.id = v.record_id
                WHERE r.work_item_id = ANY(:items)),
               (SELECT count(*) FROM work_items w WHERE w.id = ANY(:items)
                AND w.status::text = 'COMPLETED'
                AND NOT EXISTS (SELECT 1 FROM records r WHERE r.work_item_id = w.id))
        """,
        items=list(items),
    )
    done = [item for item, status in items.items() if status == "COMPLETED"]
    events = await _events(engine, redis_url, stream, ids, list(items), done)
    settled = by_state["COMPLETED"] + by_state["FAILED"]
    return {
        "accepted": len(ids),
        "completed": by_state["COMPLETED"],
        "failed": by_state["FAILED"],
        "stuck": len(states) - settled,
        "stuck_states": {k: v for k, v in by_state.items() if k not in ("COMPLETED", "FAILED")},
        "lost": len(set(ids) - set(states)),
        "orders_created_but_never_answered": int(extra),
        "items": len(items),
        "items_completed": sum(1 for s in items.values() if s == "COMPLETED"),
        "records": int(record_rows),
        "record_versions": int(versions),
        "completed_items_without_record": int(unrecorded),
        # records.work_item_id is unique: a second row per item cannot exist, but is counted
        "duplicated_records": int(record_rows) - int(items_recorded) + int(repeated_hashes),
        **events,
    }


async def _events(
    engine: AsyncEngine,
    redis_url: str,
    stream: str,
    orders: list[uuid.UUID],
    items: list[uuid.UUID],
    completed: list[uuid.UUID],
) -> dict[str, Any]:
    """Settlement events per aggregate in the outbox; the run's events on the stream."""
    rows = await _all(
        engine,
        "SELECT event_id, event_type, aggregate_id, published_at IS NOT NULL,"
        " coalesce(payload->>'agent', payload->>'version', '') FROM outbox"
        " WHERE aggregate_id = ANY(:aggregates)",
        aggregates=[*orders, *items],
    )
    settle = Counter(
        (agg, kind) for _, kind, agg, *_ in rows if kind in SETTLED_EVENTS + SETTLED_ORDER_EVENTS
    )
    stages = Counter((agg, what) for _, kind, agg, _, what in rows if kind == STAGE_COMPLETED)
    persisted = Counter((agg, what) for _, kind, agg, _, what in rows if kind == PERSISTED)
    per_aggregate = Counter(agg for agg, _ in settle.elements())
    missing = _stages_missing(stages, completed)
    on_stream = _stream_event_ids(redis_url, stream)
    published = {str(event_id) for event_id, _, _, done, _ in rows if done}
    ours = Counter({k: v for k, v in on_stream.items() if k in published})
    return {
        "events": len(rows),
        # more than one settlement event (completed or failed, either) for one order or item,
        # or one record version announced twice
        "duplicated_events": sum(n - 1 for n in per_aggregate.values() if n > 1)
        + sum(n - 1 for n in persisted.values() if n > 1),
        "orders_without_settle_event": sum(
            1 for o in orders if not any((o, k) in settle for k in SETTLED_ORDER_EVENTS)
        ),
        # a stage that completed again for the same item: work redone after the fault
        "stages_rerun": sum(n - 1 for n in stages.values() if n > 1),
        # a completed item without the stage_completed event (and attempts row) of a stage
        # the other items ran: the trace of that stage is gone
        "stage_events_missing": sum(missing.values()),
        "stage_events_missing_by_agent": dict(missing),
        "events_unpublished": sum(1 for _, _, _, done, _ in rows if not done),
        # at-least-once delivery: a relay killed between XADD and COMMIT publishes again
        "stream_duplicates": sum(n - 1 for n in ours.values() if n > 1),
        "stream_missing": len(published - set(ours)),
    }


def _stages_missing(stages: Counter[tuple[Any, str]], completed: list[uuid.UUID]) -> Counter[str]:
    """Per agent, the completed items without its stage_completed event."""
    ran: dict[Any, set[str]] = {}
    for agg, agent in stages:
        ran.setdefault(agg, set()).add(agent)
    every: set[str] = set().union(*ran.values()) if ran else set()
    return Counter(agent for item in completed for agent in every - ran.get(item, set()))


def _stream_event_ids(redis_url: str, stream: str) -> Counter[str]:
    """How many entries of ``stream`` carry each event id."""
    found: Counter[str] = Counter()
    client: Any = redis.Redis.from_url(redis_url, socket_timeout=30, decode_responses=True)
    with contextlib.closing(client):
        start = "-"
        while True:
            batch: list[tuple[str, dict[str, str]]] = client.xrange(stream, start, "+", count=1000)
            found.update(fields["event_id"] for _, fields in batch)
            if len(batch) < 1000:
                return found
            start = "(" + batch[-1][0]

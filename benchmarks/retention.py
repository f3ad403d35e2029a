"""Retention: how fast old rows are deleted, archived and trimmed, in the worker's batches.

On the embedded PostgreSQL and Redis: a tenant's closed work orders with attempts, audit rows,
published outbox rows and processed-event marks, all 100 days old, and a stream whose entries
one consumer group has acknowledged. One :func:`run_retention_once` (batches of 500, as the
worker runs it) then moves or removes them; reported per sweep: rows and rows per second, and
the dry run's time (the counts ``myloware retention run --dry-run`` prints).

``python -m benchmarks.retention [--smoke] [--rows N]``
"""

from __future__ import annotations

import asyncio
import sys
import time
import uuid
from dataclasses import asdict, dataclass, replace
from datetime import UTC, datetime, timedelta
from typing import Any

import redis.asyncio as aioredis
from sqlalchemy import insert
from sqlalchemy.ext.asyncio import AsyncSession, async_sessionmaker

from benchmarks import _report
from benchmarks._stack import running_stack
from myloware.db.base import AttemptStatus, WorkOrderStatus
from myloware.db.engine import create_engine, session_factory
from myloware.db.models import (
    Attempt,
    AuditLog,
    OutboxEvent,
    ProcessedEvent,
    WorkItem,
    WorkOrder,
)
from myloware.events.stream import parse_read_reply
from myloware.worker.retention import Retention, run_retention_once

ATTEMPTS_PER_ITEM = 10
STREAM = "myloware:events"
GROUP = "webhooks"


@dataclass(frozen=True)
class RetentionConfig:
    rows: int = 20_000  # of each kind: attempts, audit rows, outbox rows, marks, stream entries


SMOKE = RetentionConfig(rows=500)


async def _seed(sessions: async_sessionmaker[AsyncSession], tenant: uuid.UUID, rows: int) -> None:
    old = datetime.now(UTC) - timedelta(days=100)
    orders = [
        {
            "id": uuid.uuid4(),
            "tenant_id": tenant,
            "status": WorkOrderStatus.COMPLETED,
            "workflow_id": f"wo-{n}",
            "created_by": "bench",
            "created_at": old,
            "updated_at": old,
        }
        for n in range(max(1, rows // ATTEMPTS_PER_ITEM))
    ]
    items = [
        {"id": uuid.uuid4(), "tenant_id": tenant, "work_order_id": o["id"], "content": "x"}
        for o in orders
    ]
    attempts = [
        {
            "tenant_id": tenant,
            "work_item_id": items[n % len(items)]["id"],
            "agent_id": "ExtractorLLM",
            "attempt_number": 1 + n // len(items),
            "status": AttemptStatus.COMPLETED,
            "input": {"work_item_id": str(items[n % len(items)]["id"])},
            "output": {"record": {"total_amount": "1190.00", "vendor_name": "ACME"}},
            "started_at": old,
            "completed_at": old,
            "duration_ms": 40,
        }
        for n in range(rows)
    ]
    audits = [
        {
            "tenant_id": tenant,
            "action": "approval.decided",
            "resource_type": "work_item",
            "details": {"decision": "APPROVED"},
            "created_at": old,
        }
        for _ in range(rows)
    ]
    outbox = [
        {
            "event_type": "work_item.completed",
            "aggregate_type": "work_item",
            "payload": {"n": n},
            "created_at": old,
            "published_at": old,
        }
        for n in range(rows)
    ]
    marks = [
        {"consumer": GROUP, "event_id": uuid.uuid4(), "processed_at": old} for _ in range(rows)
    ]
    for model, values in (
        (WorkOrder, orders),
        (WorkItem, items),
        (Attempt, attempts),
        (AuditLog, audits),
        (OutboxEvent, outbox),
        (ProcessedEvent, marks),
    ):
        async with sessions.begin() as session:
            for start in range(0, len(values), 5_000):
                await session.execute(insert(model), values[start : start + 5_000])


async def _stream(redis: aioredis.Redis, rows: int) -> None:
    old_ms = int((time.time() - 100 * 86_400) * 1000)
    pipe = redis.pipeline(transaction=False)
    for n in range(rows):
        pipe.xadd(STREAM, {"n": str(n)}, id=f"{old_ms}-{n + 1}")
    await pipe.execute()
    await redis.xgroup_create(STREAM, GROUP, id="0")
    while read := parse_read_reply(
        await redis.xreadgroup(GROUP, "bench", {STREAM: ">"}, count=1_000)
    ):
        await redis.xack(STREAM, GROUP, *[message.id for message in read])


async def _measure(
    database_url: str, redis_url: str, tenant: uuid.UUID, rows: int
) -> dict[str, Any]:
    engine = create_engine(database_url, pool_size=2)
    sessions = session_factory(engine)
    redis = aioredis.from_url(redis_url)
    retention = Retention(events_days=7, stream_hours=24, attempts_days=30, audit_days=30)
    try:
        await _seed(sessions, tenant, rows)
        await _stream(redis, rows)
        started = time.perf_counter()
        dry = await run_retention_once(sessions, redis, retention, dry_run=True)
        dry_s = time.perf_counter() - started
        done = await run_retention_once(sessions, redis, retention)
    finally:
        await redis.aclose()
        await engine.dispose()
    return {
        "dry_run": {"seconds": round(dry_s, 3), "due": {o.name: o.rows for o in dry}},
        "sweeps": {
            o.name: {
                "action": o.action,
                "rows": o.rows,
                "seconds": round(o.seconds, 3),
                "rows_per_s": round(o.rows_per_s),
            }
            for o in done
        },
    }


def run(config: RetentionConfig, *, smoke: bool) -> dict[str, Any]:
    with running_stack(api=False, relay=False) as stack:
        measured = asyncio.run(
            _measure(stack.database_url, stack.endpoints.redis_url, stack.tenant_id, config.rows)
        )
    return {"meta": _report.meta("retention", smoke=smoke), "config": asdict(config), **measured}


def figures(result: dict[str, Any]) -> str:
    sweeps = result["sweeps"]
    rates = ", ".join(
        f"{name} {s['rows']} {s['action']} at {s['rows_per_s']:,}/s" for name, s in sweeps.items()
    )
    return f"batches of 500: {rates}; dry run {result['dry_run']['seconds']} s"


def main(argv: list[str] | None = None) -> int:
    parser = _report.parser_for(__doc__)
    parser.add_argument("--rows", type=int)
    args = parser.parse_args(argv)
    config = SMOKE if args.smoke else RetentionConfig()
    if args.rows:
        config = replace(config, rows=args.rows)
    result = run(config, smoke=args.smoke)
    return _report.finish(result, figures(result), args)


if __name__ == "__main__":
    sys.exit(main())

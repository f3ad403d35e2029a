"""Driving the platform over HTTP and reading what it recorded.

Documents go in through ``POST /v1/work-orders`` (one inline-text item per order) — all at once
(:func:`submit_burst`) or paced at a fixed rate, open loop (:func:`submit_paced`). The figures
come from the database afterwards: per document ``work_items.processed_at - created_at``, per
stage ``attempts.duration_ms`` by agent, and what is left of each document's time once its
stages are taken away (queueing, Temporal round trips, attempt bookkeeping).
"""

from __future__ import annotations

import asyncio
import os
import time
import uuid
from collections import Counter
from collections.abc import Callable, Sequence
from dataclasses import dataclass
from typing import Any

import httpx
from sqlalchemy import text
from sqlalchemy.ext.asyncio import AsyncEngine

from benchmarks._documents import Document
from benchmarks._report import percentiles

TERMINAL = ("COMPLETED", "FAILED")
# Throughput is measured without people in the loop: every record is approved automatically,
# so every document runs all seven stages (the shipped policy would park some for approval).
AUTO_APPROVE_POLICY = {
    "name": "benchmark-auto-approve",
    "version": "1",
    "description": "benchmarks: no human approval step",
    "default_action": "AUTO_APPROVE",
    "rules": [],
}


@dataclass(frozen=True)
class Submission:
    """One accepted document: its order, when it was sent, how long the POST took (its
    last try), and how many times it was sent again after a dropped connection."""

    order_id: uuid.UUID
    sent_at: float
    api_seconds: float
    resent: int = 0


#: a POST whose connection dropped is sent again, with its Idempotency-Key, at most this often
RESENDS = 3
#: the pause before the n-th resend is n times this
RESEND_PAUSE_S = 0.5


async def submit(client: httpx.AsyncClient, doc: Document) -> Submission:
    """POST one document; a connection that drops before the answer (``ReadError`` at 1M
    documents) is retried with the same ``Idempotency-Key``, so an order the API had already
    created is answered, not created twice."""
    sent = time.time()
    key = uuid.uuid4().hex
    body = {"work_items": [{"content": doc.text}]}
    for resent in range(RESENDS + 1):
        began = time.perf_counter()
        try:
            response = await client.post(
                "/v1/work-orders", json=body, headers={"Idempotency-Key": key}
            )
            break
        except httpx.TransportError:
            if resent == RESENDS:
                raise
            await asyncio.sleep(RESEND_PAUSE_S * (resent + 1))
    if response.status_code not in (200, 201):  # 200: the replay of an order already made
        raise RuntimeError(f"POST /v1/work-orders → {response.status_code}: {response.text[:300]}")
    order_id = uuid.UUID(response.json()["data"]["id"])
    return Submission(order_id, sent, time.perf_counter() - began, resent)


def publish_policy(base_url: str, admin_headers: dict[str, str], document: dict[str, Any]) -> None:
    """Make ``document`` the tenant's active policy (``POST /v1/policies``, admin)."""
    response = httpx.post(
        f"{base_url}/v1/policies", json={"document": document}, headers=admin_headers, timeout=30
    )
    if response.status_code not in (200, 201):
        raise RuntimeError(f"POST /v1/policies → {response.status_code}: {response.text[:300]}")


def http_client(base_url: str, headers: dict[str, str], connections: int) -> httpx.AsyncClient:
    limits = httpx.Limits(max_connections=connections, max_keepalive_connections=connections)
    return httpx.AsyncClient(base_url=base_url, headers=headers, limits=limits, timeout=60)


async def submit_burst(
    base_url: str, headers: dict[str, str], docs: Sequence[Document], *, connections: int = 32
) -> list[Submission]:
    """Send every document at once (``connections`` requests in flight at most)."""
    async with http_client(base_url, headers, connections) as client:
        return list(await asyncio.gather(*(submit(client, d) for d in docs)))


async def submit_paced(
    base_url: str, headers: dict[str, str], docs: Sequence[Document], *, rate: float
) -> list[Submission]:
    """Send document ``i`` at ``start + i / rate`` whatever the earlier ones are doing."""
    async with http_client(base_url, headers, 64) as client:
        start = time.monotonic()
        tasks = []
        for i, doc in enumerate(docs):
            delay = start + i / rate - time.monotonic()
            if delay > 0:
                await asyncio.sleep(delay)
            tasks.append(asyncio.create_task(submit(client, doc)))
        return list(await asyncio.gather(*tasks))


async def settle(
    engine: AsyncEngine,
    subs: Sequence[Submission],
    *,
    limit_s: float,
    alive: Callable[[], str | None] | None = None,
) -> float:
    """:func:`wait_settled` for the orders of ``subs``."""
    return await wait_settled(engine, [s.order_id for s in subs], limit_s=limit_s, alive=alive)


async def wait_settled(
    engine: AsyncEngine,
    order_ids: Sequence[uuid.UUID],
    *,
    limit_s: float,
    poll: float = 0.2,
    alive: Callable[[], str | None] | None = None,
    stall_s: float = 120.0,
) -> float:
    """Wait until every order is COMPLETED or FAILED; return ``time.time()`` when seen.

    Gives up early, with the orders' states in the message, when ``alive()`` reports a dead
    process or no order settled for ``stall_s`` seconds."""
    settled_q = text(
        "SELECT count(*) FROM work_orders WHERE id = ANY(:ids) AND status::text = ANY(:done)"
    )
    states_q = text(
        "SELECT status::text, count(*) FROM work_orders WHERE id = ANY(:ids) GROUP BY 1"
    )
    ids = list(order_ids)
    now = time.monotonic()
    deadline, last_progress, last_settled = now + limit_s, now, -1
    async with engine.connect() as conn:
        while True:
            settled = int(await conn.scalar(settled_q, {"ids": ids, "done": list(TERMINAL)}) or 0)
            if settled == len(ids):
                return time.time()
            now = time.monotonic()
            if settled != last_settled:
                last_settled, last_progress = settled, now
            problem = alive() if alive is not None else None
            if problem is None and now - last_progress > stall_s:
                problem = f"no order settled for {stall_s:g} s"
            if problem is None and now > deadline:
                problem = f"not settled within {limit_s:g} s"
            if problem is not None:
                states = {str(k): int(v) for k, v in (await conn.execute(states_q, {"ids": ids}))}
                raise RuntimeError(f"{len(ids) - settled} orders unsettled {states}: {problem}")
            await asyncio.sleep(poll)


def cpu_per_unit(processes: dict[str, dict[str, Any]], units: int) -> dict[str, Any]:
    """CPU ms per document (or workflow) by process group, the stack's sum without the
    benchmark driver, and the rate that CPU alone would allow on all of this machine's cores."""
    per = {k: round(1000 * v["cpu_seconds"] / units, 1) for k, v in processes.items()}
    stack = round(sum(v for k, v in per.items() if k != "driver"), 1)
    cores = os.cpu_count() or 1
    return {
        "by_process": per,
        "stack": stack,
        "cpu_bound_ceiling_per_second": round(1000 * cores / stack, 1) if stack else None,
    }


async def history_summary(address: str, namespace: str, workflow_id: str) -> dict[str, Any]:
    """Events of one workflow's history by type (how many server round trips it took)."""
    from temporalio.api.enums.v1 import EventType
    from temporalio.client import Client

    client = await Client.connect(address, namespace=namespace)
    history = await client.get_workflow_handle(workflow_id).fetch_history()
    kinds = Counter(
        EventType.Name(e.event_type).removeprefix("EVENT_TYPE_").lower() for e in history.events
    )
    return {
        "events": sum(kinds.values()),
        "bytes": sum(e.ByteSize() for e in history.events),
        "by_type": dict(sorted(kinds.items())),
    }


async def _rows(engine: AsyncEngine, sql: str, ids: Sequence[uuid.UUID]) -> list[Any]:
    async with engine.connect() as conn:
        return list((await conn.execute(text(sql), {"ids": list(ids)})).all())


async def collect(
    engine: AsyncEngine, subs: Sequence[Submission], *, seconds: float | None = None
) -> dict[str, Any]:
    """Throughput, latency per document and per stage, from the rows this run wrote."""
    ids = [s.order_id for s in subs]
    items = await _rows(
        engine,
        "SELECT id, status::text, extract(epoch FROM created_at), extract(epoch FROM processed_at)"
        " FROM work_items WHERE work_order_id = ANY(:ids)",
        ids,
    )
    attempts = await _rows(
        engine,
        "SELECT a.work_item_id, a.agent_id, a.duration_ms, extract(epoch FROM a.started_at)"
        " FROM attempts a JOIN work_items w ON w.id = a.work_item_id"
        " WHERE w.work_order_id = ANY(:ids) AND a.status::text = 'COMPLETED'",
        ids,
    )
    # only completed documents count as throughput and latency; failures are reported apart
    done = [row for row in items if row[3] is not None and row[1] == "COMPLETED"]
    first_sent = min(s.sent_at for s in subs)
    last_done = max((float(row[3]) for row in done), default=first_sent)
    wall = seconds if seconds is not None else last_done - first_sent
    latency = [float(row[3]) - float(row[2]) for row in done]
    stage_ms: dict[str, list[float]] = {}
    per_item_ms: dict[uuid.UUID, float] = {}
    first_stage: dict[uuid.UUID, float] = {}
    for item_id, agent, ms, started in attempts:
        stage_ms.setdefault(agent, []).append(float(ms or 0))
        per_item_ms[item_id] = per_item_ms.get(item_id, 0.0) + float(ms or 0)
        first_stage[item_id] = min(first_stage.get(item_id, float(started)), float(started))
    created = {row[0]: float(row[2]) for row in done}
    outside = [
        1000 * (float(row[3]) - float(row[2])) - per_item_ms.get(row[0], 0.0) for row in done
    ]
    to_first = [1000 * (first_stage[i] - created[i]) for i in created if i in first_stage]
    return {
        "documents": len(subs),
        "completed": sum(1 for row in items if row[1] == "COMPLETED"),
        "failed": sum(1 for row in items if row[1] == "FAILED"),
        "wall_seconds": round(wall, 3),
        "docs_per_second": round(len(done) / wall, 2) if wall > 0 else 0.0,
        "latency_s": percentiles(latency),
        "api_post_ms": percentiles([1000 * s.api_seconds for s in subs]),
        "stage_ms": {agent: percentiles(v) for agent, v in sorted(stage_ms.items())},
        "stage_sum_ms": percentiles(list(per_item_ms.values())),
        "outside_stages_ms": percentiles(outside),
        "created_to_first_stage_ms": percentiles(to_first),
    }


UNEMBEDDED = text(
    "SELECT count(*) FROM mem_docs WHERE embedding IS NULL AND NOT metadata ? 'embedding_error'"
)


async def memory_caught_up(engine: AsyncEngine, limit_s: float = 180.0) -> float | None:
    """Seconds until every CONTEXT doc has its embedding (None: not within ``limit_s``)."""
    started = time.monotonic()
    while time.monotonic() - started < limit_s:
        async with engine.connect() as conn:
            if not await conn.scalar(UNEMBEDDED):
                return round(time.monotonic() - started, 2)
        await asyncio.sleep(0.2)
    return None

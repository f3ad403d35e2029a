"""The scale benchmark's last phase: pipeline throughput on the full database.

Once a size is loaded and measured, two worker processes start and a burst of the usual
document mix (:func:`benchmarks._documents.document_mix`) goes through the whole pipeline
of the stack's own tenant, auto-approved, against the loaded tables, their indexes and the
HNSW graph: documents per second, latency per document and per stage, from the rows the run
wrote (:func:`benchmarks._platform.collect`). The relay is not running (the scale stack has
none), so this is the pipeline without memory indexing after the burst.
"""

from __future__ import annotations

import asyncio
from typing import Any

from benchmarks._documents import document_mix
from benchmarks._platform import (
    AUTO_APPROVE_POLICY,
    collect,
    publish_policy,
    settle,
    submit_burst,
)
from benchmarks._stack import Stack
from myloware.db.engine import create_engine

WORKERS = 2
WARMUP = 10
SETTLE_TIMEOUT_S = 900.0


async def _burst(stack: Stack, documents: int) -> dict[str, Any]:
    docs = document_mix(documents + WARMUP)
    engine = create_engine(stack.database_url, pool_size=2)
    headers = stack.headers()
    try:
        for batch in (docs[:WARMUP], docs[WARMUP:]):  # the warm-up first: caches, JIT plans
            subs = await submit_burst(stack.api_url, headers, batch)
            await settle(engine, subs, limit_s=SETTLE_TIMEOUT_S, alive=stack.dead_role)
        # uploads sent again after a dropped connection (idempotent: one order each)
        return {**await collect(engine, subs), "resent_uploads": sum(s.resent for s in subs)}
    finally:
        await engine.dispose()


def pipeline_on_full_database(stack: Stack, documents: int) -> dict[str, Any]:
    """``documents`` through the pipeline with :data:`WORKERS` workers; what it measured."""
    publish_policy(stack.api_url, stack.headers("admin"), AUTO_APPROVE_POLICY)
    with stack.workers(WORKERS):
        figures = asyncio.run(_burst(stack, documents))
    return {"workers": WORKERS, **figures}

"""The memory indexer: embeds CONTEXT docs that have no embedding yet, off the hot path.

RecordGen writes each document's CONTEXT memory doc without an embedding (29 ms of CPU a
document would cost the pipeline a third of its throughput); the relay process runs this
loop, which takes the oldest unembedded docs (``FOR UPDATE SKIP LOCKED``, so several relays
share the work), embeds them on a thread of its own at the lowest CPU priority — it uses
the CPU the pipeline leaves idle and catches up after a burst — and stores the vectors. A
partial index (``embedding IS NULL``) keeps finding them cheap however large the table.
"""

from __future__ import annotations

import asyncio
import contextlib
import os
import threading
from concurrent.futures import ThreadPoolExecutor

import psycopg
import structlog
from sqlalchemy.ext.asyncio import AsyncEngine

from myloware.db.direct import transaction
from myloware.events._loop import TRANSIENT_ERRORS, Backoff, sleep_unless_stopped
from myloware.memory import store
from myloware.memory.embedder import Embedder, EmbeddingUnavailable

log = structlog.get_logger(__name__)

#: what the loop survives by backing off: the relay's, and psycopg's own on the raw connection
FAILURES: tuple[type[Exception], ...] = (*TRANSIENT_ERRORS, psycopg.OperationalError)

BATCH = 16
IDLE_S = 1.0


def lowest_priority() -> None:
    """Make the calling thread yield the CPU to everything else (Linux: per-thread nice)."""
    with contextlib.suppress(OSError, AttributeError):
        os.setpriority(os.PRIO_PROCESS, threading.get_native_id(), 19)


class MemoryIndexer:
    def __init__(
        self, engine: AsyncEngine, embedder: Embedder, *, batch: int = BATCH, idle_s: float = IDLE_S
    ) -> None:
        self._engine = engine
        self._embedder = embedder
        self._batch = batch
        self._idle_s = idle_s
        self._executor = ThreadPoolExecutor(
            1, thread_name_prefix="memory-indexer", initializer=lowest_priority
        )

    async def index_once(self) -> int:
        """Embed one batch of pending docs; how many were embedded."""
        loop = asyncio.get_running_loop()
        async with transaction(self._engine) as pg:
            rows = await store.pending(pg, self._batch)
            if not rows:
                return 0
            texts = [content for _, content in rows]
            vectors = await loop.run_in_executor(self._executor, self._embedder.embed, texts)
            await store.save_embeddings(
                pg, [(doc_id, vectors[i]) for i, (doc_id, _) in enumerate(rows)],
                self._embedder.model_id,
            )  # fmt: skip
        return len(rows)

    async def run(self, stop: asyncio.Event) -> None:
        """Index until ``stop`` is set; survives database outages; gives up (saying why) when
        the embedding model cannot be loaded."""
        backoff = Backoff()
        log.info("memory_indexer_started", model=self._embedder.model_id)
        try:
            while not stop.is_set():
                try:
                    done = await self.index_once()
                except EmbeddingUnavailable as exc:
                    log.error("memory_indexer_disabled", error=exc.message)
                    return
                except FAILURES as exc:
                    delay = backoff.next_delay()
                    log.warning("memory_indexer_failed", error=repr(exc), retry_in_s=delay)
                    await sleep_unless_stopped(stop, delay)
                    continue
                backoff.reset()
                if done:
                    log.debug("memory_docs_embedded", count=done)
                if done < self._batch:
                    await sleep_unless_stopped(stop, self._idle_s)
        finally:
            self._executor.shutdown(wait=False, cancel_futures=True)
            log.info("memory_indexer_stopped")

"""The memory indexer: embeds CONTEXT docs that have no embedding yet, off the hot path.

RecordGen writes each document's CONTEXT memory doc without an embedding (29 ms of CPU a
document would cost the pipeline a third of its throughput); the relay process runs this
loop, which reads the newest unembedded docs, embeds them on a thread of its own at the
lowest CPU priority, and stores each vector unless the doc was embedded or replaced
meanwhile. It stays out of the pipeline's way twice over: while documents keep arriving (a
new CONTEXT doc within the last :data:`QUIET_S`) it waits — unless a doc has waited
:data:`MAX_DEFER_S` — and what it does run yields the CPU to everything else. Nothing is held
while embedding (no transaction, no lock): two relays may at worst embed a doc twice. A
partial index (``embedding IS NULL``) keeps finding them cheap however large the table.

A doc whose text the embedder fails on is marked (``metadata.embedding_error``) and skipped
from then on; any other failure is logged and retried with backoff — the indexer never
takes the relay's outbox publishing or consumers down with it.
"""

from __future__ import annotations

import asyncio
import contextlib
import os
import threading
import uuid
from concurrent.futures import ThreadPoolExecutor

import numpy as np
import psycopg
import structlog
from sqlalchemy.ext.asyncio import AsyncEngine

from myloware.db.direct import transaction
from myloware.loops import TRANSIENT_ERRORS, Backoff, sleep_unless_stopped, unless_stopped
from myloware.memory import store
from myloware.memory.embedder import Embedder, EmbeddingUnavailable

log = structlog.get_logger(__name__)

#: what the loop survives by backing off: the relay's, and psycopg's own on the raw connection
FAILURES: tuple[type[Exception], ...] = (*TRANSIENT_ERRORS, psycopg.OperationalError)

BATCH = 16
IDLE_S = 1.0
#: a text any working embedder reads: tells a broken embedder from unreadable texts
PROBE = "Invoice from ACME Office Supplies, total 60.00 EUR"
#: the pipeline counts as busy while unembedded docs this young keep appearing
QUIET_S = 2.0
#: but no doc waits longer than this for its embedding
MAX_DEFER_S = 60.0


def lowest_priority() -> None:
    """Make the calling thread yield the CPU to everything else (Linux: per-thread nice)."""
    with contextlib.suppress(OSError, AttributeError):
        os.setpriority(os.PRIO_PROCESS, threading.get_native_id(), 19)


class MemoryIndexer:
    def __init__(
        self,
        engine: AsyncEngine,
        embedder: Embedder,
        *,
        batch: int = BATCH,
        idle_s: float = IDLE_S,
        quiet_s: float = QUIET_S,
        max_defer_s: float = MAX_DEFER_S,
    ) -> None:
        self._engine = engine
        self._embedder = embedder
        self._batch = batch
        self._idle_s = idle_s
        self._quiet_s = quiet_s
        self._max_defer_s = max_defer_s
        self._executor = ThreadPoolExecutor(
            1, thread_name_prefix="memory-indexer", initializer=lowest_priority
        )

    async def index_once(self) -> int:
        """Embed one batch of pending docs; how many were taken (embedded or marked failed)."""
        async with transaction(self._engine) as pg:
            if self._quiet_s > 0 and await store.busy(pg, self._quiet_s, self._max_defer_s):
                return 0
            rows = await store.pending(pg, self._batch)
        if not rows:
            return 0
        loop = asyncio.get_running_loop()
        done, failed = await loop.run_in_executor(self._executor, self._embed_each, rows)
        async with transaction(self._engine) as pg:
            await store.save_embeddings(pg, done, self._embedder.model_id)
            for doc_id, error in failed:
                await store.mark_failed(pg, doc_id, error)
        return len(rows)

    def _embed_each(
        self, rows: list[tuple[uuid.UUID, str]]
    ) -> tuple[list[tuple[uuid.UUID, np.ndarray]], list[tuple[uuid.UUID, str]]]:
        self._embedder.load()  # EmbeddingUnavailable: nothing to mark, the model is missing
        done: list[tuple[uuid.UUID, np.ndarray]] = []
        failed: list[tuple[uuid.UUID, str]] = []
        for doc_id, text in rows:
            if not text.strip():  # like every other blank text: nothing to find it by
                failed.append((doc_id, "no text to embed"))
                continue
            try:
                done.append((doc_id, self._embedder.embed_one(text)))
            except Exception as exc:  # this text: mark it, go on with the others
                log.warning("memory_doc_not_embedded", mem_doc_id=str(doc_id), error=repr(exc))
                failed.append((doc_id, repr(exc)[:500]))
        if failed and not done and len(rows) > 1:
            self._embedder.embed_one(PROBE)  # every text failed: raises when the embedder is
        return done, failed  # the fault (retried later); otherwise the texts are marked

    async def run(self, stop: asyncio.Event) -> None:
        """Index until ``stop`` is set; survives database outages and its own failures; gives
        up (saying why) only when the embedding model cannot be loaded."""
        backoff = Backoff()
        log.info("memory_indexer_started", model=self._embedder.model_id)
        try:
            while not stop.is_set():
                try:  # a batch in the low-priority thread can take long on a busy machine
                    done = await unless_stopped(stop, self.index_once())
                    if done is None:
                        break
                except EmbeddingUnavailable as exc:
                    log.error("memory_indexer_disabled", error=exc.message)
                    return
                except Exception as exc:  # never the relay's end: log, back off, go on
                    delay = backoff.next_delay()
                    level = log.warning if isinstance(exc, FAILURES) else log.exception
                    level("memory_indexer_failed", error=repr(exc), retry_in_s=delay)
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

"""Memory docs in PostgreSQL (pgvector): filling in embeddings, and what is near a vector.

Plain psycopg like the rest of the worker's per-document SQL (:mod:`myloware.db.direct`);
vectors travel as pgvector's text form (``'[0.1,0.2,…]'``), so no type registration is
needed on the pooled connections.
"""

from __future__ import annotations

import uuid
from collections.abc import Sequence
from dataclasses import dataclass
from typing import Any

import numpy as np

from myloware.db.direct import Connection, jsonb
from myloware.memory.ann import NEAR, Found, near_params, nearest_docs


def vector_literal(vector: np.ndarray | Sequence[float]) -> str:
    """pgvector's text form of a vector (9 significant digits: float32 exactly)."""
    return "[" + ",".join(f"{float(x):.9g}" for x in vector) + "]"


#: characters of a doc the indexer reads (the embedder reads no more)
INDEXED_CHARS = 8192
#: newest first: what was just submitted becomes searchable at once, a backlog (after an
#: upgrade, or a burst) is worked off when the machine is idle; docs whose text could not
#: be embedded are marked and skipped
PENDING = f"""
SELECT id, left(content, {INDEXED_CHARS}) FROM mem_docs
WHERE embedding IS NULL AND NOT metadata ? 'embedding_error'
ORDER BY created_at DESC LIMIT %(limit)s
"""
# only while still unembedded: a doc RecordGen replaced meanwhile has a new id, and one
# another indexer embedded first is left as it is
SAVE_EMBEDDING = """
UPDATE mem_docs SET embedding = %(vector)s::vector, metadata = metadata || %(meta)s
WHERE id = %(id)s AND embedding IS NULL
"""
MARK_FAILED = """
UPDATE mem_docs SET metadata = metadata || %(meta)s WHERE id = %(id)s AND embedding IS NULL
"""


# both ends of the queue from the partial index (two index probes, however long the queue)
BUSY = """
SELECT now() - max(created_at) < make_interval(secs => %(quiet)s)
   AND now() - min(created_at) < make_interval(secs => %(max_defer)s)
FROM mem_docs WHERE embedding IS NULL AND NOT metadata ? 'embedding_error'
"""


async def busy(pg: Connection, quiet_s: float, max_defer_s: float) -> bool:
    """Whether docs keep arriving (the newest unembedded one is under ``quiet_s`` old) and
    none has waited ``max_defer_s`` yet: then the indexer leaves the CPU to the pipeline."""
    cur = await pg.execute(BUSY, {"quiet": quiet_s, "max_defer": max_defer_s})
    row = await cur.fetchone()
    return bool(row and row[0])


async def pending(pg: Connection, limit: int) -> list[tuple[uuid.UUID, str]]:
    """Up to ``limit`` docs without an embedding (their first :data:`INDEXED_CHARS`
    characters), newest first. Nothing is locked: embedding takes a while at low priority,
    and a lock held that long would block RecordGen re-writing the doc."""
    cur = await pg.execute(PENDING, {"limit": limit})
    return [(row[0], row[1]) for row in await cur.fetchall()]


async def save_embeddings(
    pg: Connection, rows: Sequence[tuple[uuid.UUID, np.ndarray]], model_id: str
) -> None:
    meta = jsonb({"embedding_model": model_id})
    async with pg.cursor() as cur:
        await cur.executemany(
            SAVE_EMBEDDING,
            [{"id": doc_id, "vector": vector_literal(v), "meta": meta} for doc_id, v in rows],
        )


SAVE_CONTEXT_EMBEDDING = """
UPDATE mem_docs SET embedding = %(vector)s::vector, metadata = metadata || %(meta)s
WHERE work_item_id = %(item)s AND tenant_id = %(tenant)s AND type = 'CONTEXT'
  AND embedding IS NULL
"""


async def save_context_embedding(
    pg: Connection, tenant_id: uuid.UUID, item_id: uuid.UUID, vector: str, model_id: str
) -> None:
    """Store an embedding computed outside the indexer (unless it got there first)."""
    meta = jsonb({"embedding_model": model_id})
    await pg.execute(
        SAVE_CONTEXT_EMBEDDING,
        {"vector": vector, "meta": meta, "item": item_id, "tenant": tenant_id},
    )


async def mark_failed(pg: Connection, doc_id: uuid.UUID, error: str) -> None:
    """Record why a doc cannot be embedded; the indexer skips it from then on."""
    await pg.execute(MARK_FAILED, {"id": doc_id, "meta": jsonb({"embedding_error": error})})


CONTEXT_EMBEDDING = """
SELECT embedding::text FROM mem_docs
WHERE work_item_id = %(item)s AND tenant_id = %(tenant)s AND type = 'CONTEXT'
"""


async def context_embedding(pg: Connection, tenant_id: uuid.UUID, item_id: uuid.UUID) -> str | None:
    """The item's CONTEXT embedding (pgvector text); None until indexed."""
    cur = await pg.execute(CONTEXT_EMBEDDING, {"item": item_id, "tenant": tenant_id})
    row = await cur.fetchone()
    return None if row is None else row[0]


@dataclass(frozen=True)
class RelatedRecord:
    """An approved record of an earlier document like this one."""

    work_item_id: uuid.UUID
    similarity: float
    data: dict[str, Any]


#: The tenant's CONTEXT docs of approved items of the type (COMPLETED, Verifier check
#: passed, not forgotten): what a similarity look-up compares with (a ``pool`` of
#: :func:`myloware.memory.ann.nearest_docs`). Each doc's item is checked by its primary key
#: in a sub-select the planner cannot turn into a join: as a join, with a young table's
#: statistics, it scanned every approved item of the type again for each doc.
APPROVED_POOL = """
    m.work_item_id <> %(item)s AND NOT m.metadata ? 'forgotten'
    AND (
        SELECT w.tenant_id = m.tenant_id AND w.status = 'COMPLETED'
           AND w.type = %(doc_type)s::work_item_type
           AND (w.result -> 'verification' ->> 'passed')::boolean IS TRUE
        FROM work_items w WHERE w.id = m.work_item_id
    )
"""

# The approved records of the docs found; last_accessed of those used is refreshed at most
# hourly and never waits for a row lock (the hot path must not queue on it).
RELATED_RECORDS = f"""
WITH near AS ({NEAR}), used AS (
    SELECT near.*, r.data FROM near
    JOIN records r ON r.work_item_id = near.work_item_id AND r.tenant_id = %(tenant)s
), touched AS (
    UPDATE mem_docs SET last_accessed = now()
    WHERE id IN (
        SELECT id FROM mem_docs
        WHERE id IN (SELECT id FROM used) AND tenant_id = %(tenant)s
          AND last_accessed < now() - interval '1 hour'
        FOR UPDATE SKIP LOCKED
    )
)
SELECT work_item_id, similarity, data FROM used ORDER BY similarity DESC
"""


async def approved_near(
    pg: Connection,
    tenant_id: uuid.UUID,
    item_id: uuid.UUID,
    document_type: str,
    vector: str,
    *,
    limit: int,
    min_similarity: float,
) -> Found:
    """The tenant's ``limit`` approved docs of the type nearest ``vector`` (not the item's
    own), at least ``min_similarity`` alike."""
    return await nearest_docs(
        pg,
        tenant_id=tenant_id,
        vector=vector,
        limit=limit,
        pool=APPROVED_POOL,
        params={"item": item_id, "doc_type": document_type},
        max_distance=1.0 - min_similarity,
    )


async def related_records(
    pg: Connection,
    *,
    tenant_id: uuid.UUID,
    item_id: uuid.UUID,
    document_type: str,
    vector: str,
    limit: int,
    min_similarity: float,
) -> list[RelatedRecord]:
    found = await approved_near(
        pg, tenant_id, item_id, document_type, vector, limit=limit, min_similarity=min_similarity
    )
    if not found.near:
        return []
    cur = await pg.execute(RELATED_RECORDS, {"tenant": tenant_id, **near_params(found)})
    return [RelatedRecord(row[0], float(row[1]), row[2]) for row in await cur.fetchall()]

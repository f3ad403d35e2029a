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


def vector_literal(vector: np.ndarray | Sequence[float]) -> str:
    """pgvector's text form of a vector."""
    return "[" + ",".join(f"{float(x):.7g}" for x in vector) + "]"


PENDING = """
SELECT id, content FROM mem_docs WHERE embedding IS NULL
ORDER BY created_at LIMIT %(limit)s
FOR UPDATE SKIP LOCKED
"""
SAVE_EMBEDDING = """
UPDATE mem_docs SET embedding = %(vector)s::vector, metadata = metadata || %(meta)s
WHERE id = %(id)s
"""


async def pending(pg: Connection, limit: int) -> list[tuple[uuid.UUID, str]]:
    """Up to ``limit`` docs without an embedding, oldest first, locked for this transaction
    (another indexer skips them)."""
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


CONTEXT_EMBEDDING = """
SELECT id, content, embedding::text FROM mem_docs
WHERE work_item_id = %(item)s AND type = 'CONTEXT'
"""


async def context_embedding(
    pg: Connection, item_id: uuid.UUID
) -> tuple[uuid.UUID, str, str | None] | None:
    """The item's CONTEXT doc: its id, text and embedding (pgvector text; None until indexed)."""
    cur = await pg.execute(CONTEXT_EMBEDDING, {"item": item_id})
    row = await cur.fetchone()
    return None if row is None else (row[0], row[1], row[2])


@dataclass(frozen=True)
class RelatedRecord:
    """An approved record of an earlier document like this one."""

    work_item_id: uuid.UUID
    similarity: float
    data: dict[str, Any]


# The nearest CONTEXT docs of the tenant's completed items of the type (HNSW on the cosine
# distance), their records, and last_accessed of those used — one statement.
RELATED_RECORDS = """
WITH near AS (
    SELECT m.id, m.work_item_id, 1 - (m.embedding <=> %(vector)s::vector) AS similarity
    FROM mem_docs m JOIN work_items w ON w.id = m.work_item_id
    WHERE m.tenant_id = %(tenant)s AND m.type = 'CONTEXT' AND m.embedding IS NOT NULL
      AND m.work_item_id <> %(item)s AND w.status = 'COMPLETED'
      AND w.type = %(doc_type)s::work_item_type
    ORDER BY m.embedding <=> %(vector)s::vector
    LIMIT %(limit)s
), used AS (
    SELECT near.*, r.data FROM near JOIN records r ON r.work_item_id = near.work_item_id
    WHERE near.similarity >= %(min_similarity)s
), touched AS (
    UPDATE mem_docs SET last_accessed = now() WHERE id IN (SELECT id FROM used)
)
SELECT work_item_id, similarity, data FROM used ORDER BY similarity DESC
"""


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
    cur = await pg.execute(
        RELATED_RECORDS,
        {
            "tenant": tenant_id,
            "item": item_id,
            "doc_type": document_type,
            "vector": vector,
            "limit": limit,
            "min_similarity": min_similarity,
        },
    )
    return [RelatedRecord(row[0], float(row[1]), row[2]) for row in await cur.fetchall()]

"""Memory search for the API, the UI and the CLI: a tenant's documents nearest a text or an
item, by the cosine distance of their CONTEXT embeddings (HNSW index, exact where it
cannot vouch for its answer)."""

from __future__ import annotations

import asyncio
import uuid
from datetime import datetime
from typing import Any

import structlog
from pydantic import BaseModel
from sqlalchemy import select
from sqlalchemy.ext.asyncio import AsyncSession

from myloware.db.base import WorkItemStatus
from myloware.db.direct import Connection
from myloware.db.models import WorkItem
from myloware.errors import NotFoundError, ServiceUnavailable, ValidationFailed
from myloware.memory import Embedder, EmbeddingUnavailable
from myloware.memory.ann import nearest_docs
from myloware.memory.store import vector_literal
from myloware.records import DocumentType

log = structlog.get_logger(__name__)

SNIPPET_CHARS = 200


class MemoryHit(BaseModel):
    work_item_id: uuid.UUID
    work_order_id: uuid.UUID
    document_type: DocumentType | None
    status: WorkItemStatus
    filename: str | None
    similarity: float
    snippet: str
    created_at: datetime


async def embed_query(embedder: Embedder | None, text: str) -> list[float]:
    if not text.strip():
        raise ValidationFailed("nothing to search for: the text is blank")
    if embedder is None:
        raise ServiceUnavailable("memory search is off (MYLOWARE_MEMORY_EMBEDDINGS=off)")
    try:
        vector = await asyncio.to_thread(embedder.embed_one, text)
    except EmbeddingUnavailable as exc:  # the details (paths) are for the operator's log
        log.error("memory_search_unavailable", error=exc.message)
        raise ServiceUnavailable(
            "memory search is unavailable: the embedding model cannot be loaded (see the "
            "server log)"
        ) from exc
    return [float(x) for x in vector]


#: the search's pool: CONTEXT docs of the type asked (any when none), not the item's own
SEARCH_POOL = """
    m.work_item_id IS DISTINCT FROM %(exclude)s::uuid
    AND (%(doc_type)s::text IS NULL OR (
        SELECT w.type::text FROM work_items w
        WHERE w.id = m.work_item_id AND w.tenant_id = m.tenant_id
    ) = %(doc_type)s::text)
"""


async def nearest(
    session: AsyncSession,
    *,
    tenant_id: uuid.UUID,
    vector: Any,
    limit: int,
    document_type: DocumentType | None = None,
    exclude_item: uuid.UUID | None = None,
) -> list[MemoryHit]:
    """The tenant's ``limit`` documents nearest ``vector`` (floats, or pgvector's text form),
    the nearest first (the HNSW index, or exactly where it cannot vouch for its answer:
    :mod:`myloware.memory.ann`)."""
    pg = await _psycopg(session)
    found = await nearest_docs(
        pg,
        tenant_id=tenant_id,
        vector=vector if isinstance(vector, str) else vector_literal(vector),
        limit=limit,
        pool=SEARCH_POOL,
        params={
            "exclude": exclude_item,
            "doc_type": None if document_type is None else document_type.value,
        },
    )
    distance = {n.doc_id: n.distance for n in found.near}
    if not distance:
        return []
    cur = await pg.execute(_HITS, {"tenant": tenant_id, "ids": list(distance)})
    rows = sorted(await cur.fetchall(), key=lambda row: distance[row[0]])
    return [
        MemoryHit(
            work_item_id=item_id,
            work_order_id=order_id,
            document_type=doc_type,
            status=status,
            filename=filename,
            similarity=round(1.0 - distance[doc_id], 4),
            snippet=" ".join(head.split())[:SNIPPET_CHARS],
            created_at=created_at,
        )
        for doc_id, head, item_id, order_id, doc_type, status, filename, created_at in rows
    ]


# The look-ups around a search run as SQL on the session's own psycopg connection (in its
# transaction), as the search does: two ORM statements cost more CPU than the rest of it.
#: what a hit shows of the docs found: their items' columns and the head of their text
_HITS = f"""
SELECT m.id, left(m.content, {SNIPPET_CHARS * 2}), w.id, w.work_order_id, w.type, w.status,
       w.filename, w.created_at
FROM mem_docs m JOIN work_items w ON w.id = m.work_item_id
WHERE m.tenant_id = %(tenant)s AND m.id = ANY(%(ids)s)
"""
#: an item's CONTEXT doc: its embedding in pgvector's text form (passed on as it is, not
#: parsed and written out again; NULL until indexed), its text, the item's type
_CONTEXT = """
SELECT m.embedding::text, m.content, w.type::text
FROM mem_docs m JOIN work_items w ON w.id = m.work_item_id
WHERE m.tenant_id = %(tenant)s AND m.work_item_id = %(item)s AND m.type = 'CONTEXT'
"""


async def _psycopg(session: AsyncSession) -> Connection:
    """The session's own psycopg connection (its transaction)."""
    raw = await (await session.connection()).get_raw_connection()
    pg: Connection = raw.driver_connection  # type: ignore[assignment]
    return pg


async def _context_row(
    session: AsyncSession, *, tenant_id: uuid.UUID, work_item_id: uuid.UUID
) -> tuple[str | None, str, DocumentType | None] | None:
    """The item's CONTEXT embedding (pgvector's text form; None until indexed), text and
    type."""
    pg = await _psycopg(session)
    cur = await pg.execute(_CONTEXT, {"tenant": tenant_id, "item": work_item_id})
    row = await cur.fetchone()
    if row is None:
        return None
    return row[0], row[1], None if row[2] is None else DocumentType(row[2])


async def similar_items(
    session: AsyncSession,
    embedder: Embedder | None,
    *,
    tenant_id: uuid.UUID,
    work_item_id: uuid.UUID,
    limit: int,
) -> list[MemoryHit]:
    """The tenant's other documents of the same type most like this one (its embedding is
    computed now when the indexer has not reached it yet)."""
    row = await _context_row(session, tenant_id=tenant_id, work_item_id=work_item_id)
    if row is None:
        exists = await session.scalar(
            select(WorkItem.id).where(WorkItem.tenant_id == tenant_id, WorkItem.id == work_item_id)
        )
        if exists is None:
            raise NotFoundError(f"work item {work_item_id} not found")
        raise NotFoundError(f"work item {work_item_id} has not been read yet (no memory doc)")
    embedding, content, doc_type = row
    if embedding is None and not content.strip():
        return []  # no text, nothing it is like
    vector = embedding if embedding is not None else await embed_query(embedder, content)
    return await nearest(
        session,
        tenant_id=tenant_id,
        vector=vector,
        limit=limit,
        document_type=doc_type,
        exclude_item=work_item_id,
    )


async def similar_if_indexed(
    session: AsyncSession, *, tenant_id: uuid.UUID, work_item_id: uuid.UUID, limit: int
) -> list[MemoryHit] | None:
    """As :func:`similar_items` from the stored embedding only (no model in the caller);
    None while the item is not indexed."""
    row = await _context_row(session, tenant_id=tenant_id, work_item_id=work_item_id)
    if row is None or row[0] is None:
        return None
    return await nearest(
        session,
        tenant_id=tenant_id,
        vector=row[0],
        limit=limit,
        document_type=row[2],
        exclude_item=work_item_id,
    )

"""Related memory for ExtractorLLM: the approved records of the most similar past documents,
and what the tenant's approvals teach a record (learning).

Related records are only asked for when a model is about to be called (a model call takes
seconds; this takes one embedding, ~30 ms, and one index scan). Learning runs after every
extractor, so it is kept cheap: a tenant known to have approvals of the type is cached
(:class:`~myloware.memory.caches.ApprovedTypes`), a record with an exact key (tax id, IBAN,
e-mail) is matched by one indexed statement, and only a document that no key matched is
compared by similarity — the one step that needs its embedding. The document's embedding is
the indexer's when it has run already, computed here otherwise and stored with the look-up,
so the indexer does not compute it again. A missing embedding model costs the extraction
its context, never the document: it is logged once and the model is asked without examples
(a database failure fails the activity, which Temporal retries, like any other).
"""

from __future__ import annotations

import asyncio
from concurrent.futures import ThreadPoolExecutor

import structlog
from sqlalchemy.ext.asyncio import AsyncEngine

from myloware.contracts import ItemRef
from myloware.db.direct import Connection, transaction
from myloware.documents.model import LoadedDocument
from myloware.extraction.learned import LEARNED_FIELDS, Lesson, keys_of, name_key
from myloware.memory import embedder_for
from myloware.memory.caches import ApprovedTypes, RecentVectors
from myloware.memory.embedder import EmbeddingUnavailable
from myloware.memory.lessons import (
    LESSON_NEIGHBOURS,
    any_approved,
    lessons_by_key,
    lessons_by_name,
    lessons_by_similarity,
)
from myloware.memory.store import (
    RelatedRecord,
    context_embedding,
    related_records,
    save_context_embedding,
    vector_literal,
)
from myloware.records import CanonicalRecord, DocumentType
from myloware.settings import Settings

log = structlog.get_logger(__name__)


class RelatedMemory:
    def __init__(self, engine: AsyncEngine, settings: Settings) -> None:
        self._engine = engine
        wanted = settings.memory_context_records or settings.memory_learning
        self._embedder = embedder_for(settings) if wanted else None
        self._limit = settings.memory_context_records
        self._learning = settings.memory_learning
        self._min_similarity = settings.memory_min_similarity
        self._approved = ApprovedTypes()
        self._recent = RecentVectors()
        # one embedding at a time: on 2 cores, several at once (the default executor) only
        # made each slower and the worker's own threads wait
        self._embedding = ThreadPoolExecutor(1, thread_name_prefix="memory-embed")

    async def records_like(
        self, ref: ItemRef, doc: LoadedDocument, document_type: DocumentType
    ) -> list[RelatedRecord]:
        """Up to ``memory_context_records`` approved records (completed, Verifier passed) of
        the tenant's documents of the type at least ``memory_min_similarity`` alike, the most
        similar first."""
        if not self._limit:
            return []
        vector = await self._vector(ref, doc)
        if vector is None:
            return []
        async with transaction(self._engine) as pg:
            return await related_records(
                pg,
                tenant_id=ref.tenant_id,
                item_id=ref.work_item_id,
                document_type=document_type.value,
                vector=vector,
                limit=self._limit,
                min_similarity=self._min_similarity,
            )

    async def lessons_for(
        self, ref: ItemRef, doc: LoadedDocument, record: CanonicalRecord
    ) -> list[Lesson]:
        """What the tenant's approvals teach this record (see :mod:`myloware.memory.lessons`):
        the approved records sharing an exact key; only when none does, the nearest by
        similarity (the one step that needs the document's embedding), then those of the
        vendor name as read (a weak match, one index probe); none when learning
        is off, the type learns nothing or the tenant has no approved record of the type."""
        if not self._learning or record.document_type not in LEARNED_FIELDS:
            return []
        doc_type = record.document_type.value
        keys = keys_of(record.values())
        async with transaction(self._engine) as pg:
            if not self._approved.has(ref.tenant_id, doc_type):
                if not await any_approved(pg, ref, doc_type):
                    return []  # never cached: the next approval must teach at once
                self._approved.add(ref.tenant_id, doc_type)
            if keys and (found := await lessons_by_key(pg, ref, doc_type, keys)):
                return found  # the same sender by its key: its approvals teach, no embedding
            stored = await self._stored_vector(pg, ref, doc)
        vector, computed = (stored, False) if stored else (await self._computed(ref, doc), True)
        vendor = name_key(record.values())
        if vector is None and vendor is None:
            return []
        async with transaction(self._engine) as pg:
            near: list[Lesson] = []
            if vector is not None:
                near = await lessons_by_similarity(
                    pg,
                    ref,
                    doc_type,
                    vector,
                    limit=LESSON_NEIGHBOURS,
                    min_similarity=self._min_similarity,
                    save_model=self._embedder.model_id if computed and self._embedder else None,
                )
            if vendor is None:
                return near
            # the same vendor name as read: a weak match, found where no key was read
            return near + await lessons_by_name(pg, ref, doc_type, vendor)

    async def _vector(self, ref: ItemRef, doc: LoadedDocument) -> str | None:
        """The document's embedding (pgvector text): the indexer's, or computed and stored
        now; None when there is none to be had (no model, a blank or unreadable text)."""
        async with transaction(self._engine) as pg:
            stored = await self._stored_vector(pg, ref, doc)
        if stored is not None:
            return stored
        vector = await self._computed(ref, doc)
        if vector is not None and self._embedder is not None:
            async with transaction(self._engine) as pg:  # the indexer need not redo it
                await save_context_embedding(
                    pg, ref.tenant_id, ref.work_item_id, vector, self._embedder.model_id
                )
        return vector

    async def _stored_vector(self, pg: Connection, ref: ItemRef, doc: LoadedDocument) -> str | None:
        """The embedding this worker or the indexer stored for the document, if any."""
        if self._embedder is None or not doc.text.strip():
            return None
        return self._recent.get(ref.work_item_id) or await context_embedding(
            pg, ref.tenant_id, ref.work_item_id
        )

    async def _computed(self, ref: ItemRef, doc: LoadedDocument) -> str | None:
        """The document's embedding computed here (the caller stores it); None when there is
        none to be had (no model, a blank or unreadable text)."""
        if self._embedder is None or not doc.text.strip():
            return None  # a blank text is like every other blank text: nothing to go by
        embedder = self._embedder
        try:
            loop = asyncio.get_running_loop()
            computed = await loop.run_in_executor(self._embedding, embedder.embed_one, doc.text)
        except EmbeddingUnavailable as exc:
            log.warning("related_memory_disabled", error=exc.message)
            self._embedder = None  # said once; extraction goes on without similar records
            return None
        except Exception as exc:  # this text defeats the embedder: go without memory
            log.warning(
                "related_memory_skipped", work_item_id=str(ref.work_item_id), error=repr(exc)
            )
            return None
        vector = vector_literal(computed)
        self._recent.put(ref.work_item_id, vector)  # hybrid mode asks twice per document
        return vector

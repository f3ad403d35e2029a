"""Related memory for ExtractorLLM: the approved records of the most similar past documents.

Only asked when a model is about to be called (a model call takes seconds; this takes one
embedding, ~30 ms, and one index scan). The document's embedding is the indexer's when it
has run already, computed here otherwise. A missing embedding model costs the extraction its
context, never the document: it is logged once and the model is asked without examples (a
database failure fails the activity, which Temporal retries, like any other).
"""

from __future__ import annotations

import asyncio

import structlog
from sqlalchemy.ext.asyncio import AsyncEngine

from myloware.contracts import ItemRef
from myloware.db.direct import transaction
from myloware.documents.model import LoadedDocument
from myloware.extraction.learned import LEARNED_FIELDS, Lesson, keys_of
from myloware.memory import embedder_for
from myloware.memory.embedder import EmbeddingUnavailable
from myloware.memory.lessons import (
    LESSON_NEIGHBOURS,
    any_approved,
    lessons_by_key,
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
        approved records with the same exact key, then the nearest by similarity; none when
        learning is off or the type learns nothing."""
        if not self._learning or record.document_type not in LEARNED_FIELDS:
            return []
        doc_type = record.document_type.value
        async with transaction(self._engine) as pg:
            if not await any_approved(pg, ref, doc_type):
                return []
            found = await lessons_by_key(pg, ref, doc_type, keys_of(record.values()))
        vector = await self._vector(ref, doc)
        if vector is not None:
            async with transaction(self._engine) as pg:
                found += await lessons_by_similarity(
                    pg,
                    ref,
                    record.document_type.value,
                    vector,
                    limit=LESSON_NEIGHBOURS,
                    min_similarity=self._min_similarity,
                )
        return found

    async def _vector(self, ref: ItemRef, doc: LoadedDocument) -> str | None:
        """The document's embedding (pgvector text): the indexer's, or computed and stored
        now; None when there is none to be had (no model, a blank or unreadable text)."""
        if self._embedder is None or not doc.text.strip():
            return None  # a blank text is like every other blank text: nothing to go by
        embedder = self._embedder
        try:
            async with transaction(self._engine) as pg:
                vector = await context_embedding(pg, ref.tenant_id, ref.work_item_id)
            if vector is not None:
                return vector
            try:
                computed = await asyncio.to_thread(embedder.embed_one, doc.text)
            except EmbeddingUnavailable:
                raise
            except Exception as exc:  # this text defeats the embedder: go without memory
                log.warning(
                    "related_memory_skipped", work_item_id=str(ref.work_item_id), error=repr(exc)
                )
                return None
            vector = vector_literal(computed)
            async with transaction(self._engine) as pg:  # the indexer need not redo it
                await save_context_embedding(
                    pg, ref.tenant_id, ref.work_item_id, vector, embedder.model_id
                )
            return vector
        except EmbeddingUnavailable as exc:
            log.warning("related_memory_disabled", error=exc.message)
            self._embedder = None  # said once; extraction goes on without similar records
        return None

"""What the agents share in one worker: clients, settings and the caches between stages."""

from __future__ import annotations

from dataclasses import dataclass, field
from typing import Any

from cachetools import TTLCache
from redis.asyncio import Redis
from sqlalchemy import select
from sqlalchemy.ext.asyncio import AsyncEngine, AsyncSession, async_sessionmaker

from myloware.agents.context import ContextCache, document_from
from myloware.db import hot_sql
from myloware.db.direct import engine_of, transaction
from myloware.db.models import DocumentSchema
from myloware.documents import DocumentLimits
from myloware.documents.model import LoadedDocument
from myloware.errors import NotFoundError
from myloware.records import DocumentType
from myloware.schemas import current_version, load_builtin_schemas
from myloware.settings import Settings

SCHEMA_CACHE_S = 30.0


@dataclass
class AgentDeps:
    """Built once per worker and handed to every agent class (their one constructor argument).

    ``engine`` is the plain-psycopg engine of ``sessions`` (the per-document statements of
    :mod:`myloware.db.hot_sql` run on it); ``redis`` shares model circuit breakers between
    workers; ``contexts`` keeps the documents RecordGen loaded for the later stages.
    """

    sessions: async_sessionmaker[AsyncSession]
    settings: Settings
    blobs: Any
    redis: Redis | None = None
    engine: AsyncEngine = field(init=False)
    limits: DocumentLimits = field(init=False)
    contexts: ContextCache = field(default_factory=ContextCache)
    _schemas: TTLCache[DocumentType, tuple[str, dict[str, Any]]] = field(
        default_factory=lambda: TTLCache(maxsize=16, ttl=SCHEMA_CACHE_S)
    )

    def __post_init__(self) -> None:
        self.engine = engine_of(self.sessions)
        self.limits = DocumentLimits.from_settings(self.settings)

    async def context(self, work_item_id: Any) -> LoadedDocument:
        """The document RecordGen loaded for this item: from the cache, else as stored."""
        doc = self.contexts.get(work_item_id)
        if doc is None:
            async with transaction(self.engine) as pg:
                row = await hot_sql.load_context(pg, work_item_id)
            if row is None:
                raise NotFoundError(f"no loaded document for work item {work_item_id}")
            doc = document_from(*row)
            self.contexts.put(work_item_id, doc)
        return doc

    async def active_schema(self, doc_type: DocumentType) -> tuple[str, dict[str, Any]]:
        """The active schema version from the ``schemas`` table, cached for a few seconds."""
        cached = self._schemas.get(doc_type)
        if cached is not None:
            return cached
        async with self.sessions() as session:
            row = (
                await session.execute(
                    select(DocumentSchema.version, DocumentSchema.schema_definition)
                    .where(
                        DocumentSchema.document_type == doc_type.value,
                        DocumentSchema.is_active.is_(True),
                    )
                    .order_by(DocumentSchema.created_at.desc())
                    .limit(1)
                )
            ).first()
        if row is None:  # not seeded: fall back to the built-in version
            version, schema = (
                f"builtin-{current_version(doc_type)}",
                load_builtin_schemas()[doc_type],
            )
        else:
            version, schema = row[0], row[1]
        self._schemas[doc_type] = (version, schema)
        return version, schema

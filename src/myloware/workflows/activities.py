"""The six agents as Temporal activities (plus the policy step), with all their I/O.

Each method takes one typed input. Business failures (unreadable document, unknown type,
missing item) become non-retryable ``ApplicationError`` s; anything else is retried under the
workflow's retry policy. Attempts are recorded by :mod:`myloware.workflows.attempts`, not here.
"""

from __future__ import annotations

import asyncio
import functools
import hashlib
import json
import time
import uuid
from collections.abc import Awaitable, Callable
from typing import Any, ParamSpec, TypeVar

from redis.asyncio import Redis
from sqlalchemy import select
from sqlalchemy.ext.asyncio import AsyncSession, async_sessionmaker
from temporalio import activity
from temporalio.exceptions import ApplicationError

from myloware.agents.verifier import verify_record
from myloware.db.direct import Connection, engine_of, transaction
from myloware.db.models import DocumentSchema
from myloware.documents import DocumentLimits, load_document
from myloware.documents.model import LoadedDocument
from myloware.errors import MylowareError, NotFoundError
from myloware.events.outbox import outbox_row
from myloware.extraction import detect_language, detect_type, extract
from myloware.extraction.llm import extract_hybrid, extract_model_or_rules, needs_model
from myloware.memory.related import RelatedMemory
from myloware.models import ModelRouter, Usage
from myloware.normalize import restyle, restyle_with_report
from myloware.policy import Policy, PolicyContext, evaluate
from myloware.records import CanonicalRecord, DocumentType
from myloware.schemas import load_builtin_schemas
from myloware.services.policies import active_policy
from myloware.settings import Settings
from myloware.validation import apply_corrections, validate
from myloware.workflows import hot_sql
from myloware.workflows.context import ContextCache, document_from, layout_of
from myloware.workflows.governance import to_policy_decision
from myloware.workflows.types import (
    CorrectionInput,
    CorrectionOutput,
    ExtractInput,
    ExtractOutput,
    ItemRef,
    PersistInput,
    PersistOutput,
    PolicyDecision,
    PolicyInput,
    RecordGenInput,
    RecordGenOutput,
    RecordInput,
    RelatedUse,
    ValidationOutput,
    VerifyInput,
    VerifyOutput,
)

P = ParamSpec("P")
R = TypeVar("R")
POLICY_CACHE_S = 10.0
SCHEMA_CACHE_S = 30.0


def business_errors(fn: Callable[P, Awaitable[R]]) -> Callable[P, Awaitable[R]]:
    """Turn MylowareError into a non-retryable ApplicationError carrying the reason."""

    @functools.wraps(fn)
    async def wrapper(*args: P.args, **kwargs: P.kwargs) -> R:
        try:
            return await fn(*args, **kwargs)
        except MylowareError as exc:
            raise ApplicationError(
                exc.message, type=type(exc).__name__, non_retryable=True
            ) from exc

    return wrapper


def content_hash(values: dict[str, Any]) -> str:
    return hashlib.sha256(json.dumps(values, sort_keys=True, default=str).encode()).hexdigest()


class PipelineActivities:
    """Agent activities; constructed once per worker with its clients."""

    def __init__(
        self,
        sessions: async_sessionmaker[AsyncSession],
        settings: Settings,
        blobs: Any,
        *,
        redis: Redis | None = None,  # model breakers shared with the other workers
    ) -> None:
        self.sessions = sessions
        self.engine = engine_of(sessions)  # the per-document statements run on plain psycopg
        self.settings = settings
        self.blobs = blobs
        self.limits = DocumentLimits.from_settings(settings)
        self._schemas: dict[DocumentType, tuple[float, str, dict[str, Any]]] = {}
        self._policies: dict[Any, tuple[float, Policy]] = {}
        self.redis = redis
        self._router: ModelRouter | None = None  # built on first use
        self._contexts = ContextCache()
        self._memory = RelatedMemory(self.engine, settings)

    # -- RecordGen -------------------------------------------------------------------------
    @activity.defn(name="RecordGen")
    @business_errors
    async def record_gen(self, inp: RecordGenInput) -> RecordGenOutput:
        ref = inp.item
        async with transaction(self.engine) as pg:
            item = await hot_sql.start_item(pg, ref.work_item_id, ref.tenant_id)
            if item is None:
                raise MylowareError(f"work item {ref.work_item_id} not found")
            if item.blob_ref is None:  # inline text: nothing slow to do, one transaction
                doc = LoadedDocument.from_text(item.content, name=item.filename)
                return await self._record(pg, ref, doc, item.declared_type)
        # a file may need OCR: load it outside any transaction
        doc = await self._load(item.blob_ref, item.content, item.filename, item.media_type)
        async with transaction(self.engine) as pg:
            return await self._record(pg, ref, doc, item.declared_type)

    async def _record(
        self, pg: Connection, ref: ItemRef, doc: LoadedDocument, declared: str | None
    ) -> RecordGenOutput:
        """Detect type and language, save the CONTEXT memory doc and the item's type."""
        if declared is not None:
            doc_type, confidence = DocumentType(declared), 1.0
        else:
            doc_type, confidence = detect_type(doc)
        language = detect_language(doc.text)
        await hot_sql.save_context(
            pg,
            tenant_id=ref.tenant_id,
            item_id=ref.work_item_id,
            content=doc.text,
            metadata={**layout_of(doc), "document_type": doc_type.value, "language": language},
            doc_type=doc_type.value,
        )
        self._contexts.put(ref.work_item_id, doc)
        return RecordGenOutput(
            document_type=doc_type,
            type_confidence=confidence,
            language=language,
            media_type=doc.media_type,
            pages=doc.pages,
            chars=len(doc.text),
        )

    async def _load(
        self, blob_ref: str | None, content: str, filename: str | None, media_type: str | None
    ) -> LoadedDocument:
        if blob_ref is None:
            return LoadedDocument.from_text(content, name=filename)
        data = await asyncio.to_thread(self.blobs.get, blob_ref)
        return await asyncio.to_thread(
            load_document, data, filename=filename, media_type=media_type, limits=self.limits
        )

    # -- ExtractorLLM ----------------------------------------------------------------------
    @activity.defn(name="ExtractorLLM")
    @business_errors
    async def extract(self, inp: ExtractInput) -> ExtractOutput:
        doc = await self._context(inp.item.work_item_id)
        mode = self.settings.extractor
        if mode == "rules":
            return ExtractOutput(record=extract(doc, inp.document_type))
        rules = extract(doc, inp.document_type) if mode == "hybrid" else None
        if rules is not None and not needs_model(rules):
            return ExtractOutput(record=rules, usage=Usage())  # no model needed, no budget spent
        spent = await self._budget_spent(inp.item)
        if spent is not None:
            record = rules or extract(doc, inp.document_type)
            note = f"rules ({spent} token budget spent: no model asked)"
            return ExtractOutput(
                record=record.model_copy(update={"extractor": note}), budget_exhausted=True
            )
        _, schema = await self.active_schema(inp.document_type)  # SchemaGuard checks this one
        related = await self._memory.records_like(inp.item, doc, inp.document_type)
        examples = [r.data for r in related]
        router = self._model_router()
        if rules is not None:
            record, usage = await extract_hybrid(
                doc, inp.document_type, router, schema, rules, examples
            )
        else:
            record, usage = await extract_model_or_rules(
                doc, inp.document_type, router, schema, examples
            )
        shown = [RelatedUse(work_item_id=r.work_item_id, similarity=r.similarity) for r in related]
        return ExtractOutput(record=record, usage=usage, related=shown)

    async def _context(self, work_item_id: Any) -> LoadedDocument:
        doc = self._contexts.get(work_item_id)
        if doc is None:
            async with transaction(self.engine) as pg:
                row = await hot_sql.load_context(pg, work_item_id)
            if row is None:
                raise NotFoundError(f"no loaded document for work item {work_item_id}")
            doc = document_from(*row)
            self._contexts.put(work_item_id, doc)
        return doc

    async def _budget_spent(self, ref: ItemRef) -> str | None:
        """Which token budget is spent ("order" or "tenant's daily"), None while both last."""
        per_order = self.settings.model_budget_tokens_per_order
        per_day = self.settings.model_budget_tokens_per_tenant_day
        if not per_order and not per_day:
            return None
        async with transaction(self.engine) as pg:
            order, today = await hot_sql.tokens_spent(pg, ref.tenant_id, ref.work_order_id)
        if per_order and order >= per_order:
            return "the order's"
        if per_day and today >= per_day:
            return "the tenant's daily"
        return None

    def _model_router(self) -> ModelRouter:
        if self._router is None:
            self._router = ModelRouter.from_settings(self.settings, redis=self.redis)
        return self._router

    # -- JsonRestyler ----------------------------------------------------------------------
    @activity.defn(name="JsonRestyler")
    @business_errors
    async def restyle(self, inp: RecordInput) -> CanonicalRecord:
        return restyle(inp.record)

    # -- SchemaGuard -----------------------------------------------------------------------
    @activity.defn(name="SchemaGuard")
    @business_errors
    async def validate(self, inp: RecordInput) -> ValidationOutput:
        version, schema = await self.active_schema(inp.record.document_type)
        report = validate(inp.record, schema)
        return ValidationOutput(
            valid=report.valid,
            errors=[i.model_dump(mode="json") for i in report.errors],
            warnings=[i.model_dump(mode="json") for i in report.warnings],
            quality_score=report.quality_score,
            schema_version=version,
        )

    async def active_schema(self, doc_type: DocumentType) -> tuple[str, dict[str, Any]]:
        """The active schema version from the ``schemas`` table, cached for a few seconds."""
        cached = self._schemas.get(doc_type)
        if cached and cached[0] > time.monotonic():
            return cached[1], cached[2]
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
            version, schema = "builtin-1", load_builtin_schemas()[doc_type]
        else:
            version, schema = row[0], row[1]
        self._schemas[doc_type] = (time.monotonic() + SCHEMA_CACHE_S, version, schema)
        return version, schema

    # -- Policy ----------------------------------------------------------------------------
    @activity.defn(name="Policy")
    @business_errors
    async def policy(self, inp: PolicyInput) -> PolicyDecision:
        ref, record = inp.item, inp.record
        policy = await self._policy_for(ref.tenant_id)
        known = await self._known_vendor(ref, record.get("vendor_name"))
        ctx = PolicyContext.from_record(
            record,
            work_item_id=str(ref.work_item_id),
            validation=inp.validation,
            known_vendor=known,
            token_budget_exhausted=inp.token_budget_exhausted,
        )
        return to_policy_decision(evaluate(policy, ctx))

    async def _known_vendor(self, ref: ItemRef, vendor: object) -> bool | None:
        """Whether this tenant completed a record from this vendor before; None without one."""
        if not isinstance(vendor, str) or not vendor.strip():
            return None
        async with transaction(self.engine) as pg:
            return await hot_sql.known_vendor(
                pg,
                tenant_id=ref.tenant_id,
                vendor=vendor.strip().lower(),
                item_id=ref.work_item_id,
            )

    async def _policy_for(self, tenant_id: Any) -> Policy:
        cached = self._policies.get(tenant_id)
        if cached and cached[0] > time.monotonic():
            return cached[1]
        async with self.sessions() as session:
            policy, _ = await active_policy(session, tenant_id=tenant_id)
        self._policies[tenant_id] = (time.monotonic() + POLICY_CACHE_S, policy)
        return policy

    @activity.defn(name="ApplyCorrections")
    @business_errors
    async def apply_corrections(self, inp: CorrectionInput) -> CorrectionOutput:
        """A person's corrections, re-normalised and re-validated before anyone trusts them."""
        corrected, rejected = restyle_with_report(apply_corrections(inp.record, inp.corrections))
        validation = await self.validate(RecordInput(item=inp.item, record=corrected))
        refused = [
            {"code": "invalid_correction", "field": r.field, "message": f"{r.field}: {r.reason}"}
            for r in rejected
            if r.field in inp.corrections
        ]
        if refused:
            validation = validation.model_copy(
                update={"valid": False, "errors": refused + validation.errors}
            )
        return CorrectionOutput(record=corrected, validation=validation)

    # -- Persister -------------------------------------------------------------------------
    @activity.defn(name="Persister")
    @business_errors
    async def persist(self, inp: PersistInput) -> PersistOutput:
        ref, record = inp.item, inp.record
        values = record.values()
        digest = content_hash({"values": values, "source": inp.source})
        async with transaction(self.engine) as pg:
            current = await hot_sql.lock_record(pg, ref.work_item_id)
            if current is None:
                record_id, version = uuid.uuid4(), 1
            else:
                record_id, latest, latest_hash = current
                if latest_hash == digest:  # a retried Persister: already written
                    return PersistOutput(record_id=record_id, version=latest, created=False)
                version = latest + 1
            await hot_sql.write_record(
                pg,
                record_id=record_id,
                version=version,
                tenant_id=ref.tenant_id,
                item_id=ref.work_item_id,
                doc_type=record.document_type.value,
                data=values,
                canonical=record.model_dump(mode="json"),
                content_hash=digest,
                source=inp.source,
                event=outbox_row(
                    event_type="record.persisted",
                    tenant_id=ref.tenant_id,
                    aggregate_type="work_item",
                    aggregate_id=ref.work_item_id,
                    payload={"record_id": str(record_id), "version": version},
                ),
            )
        return PersistOutput(record_id=record_id, version=version, created=True)

    # -- Verifier --------------------------------------------------------------------------
    @activity.defn(name="Verifier")
    @business_errors
    async def verify(self, inp: VerifyInput) -> VerifyOutput:
        ref = inp.item
        doc = await self._context(ref.work_item_id)
        result = verify_record(
            inp.record,
            doc.text,
            quality_score=inp.validation.quality_score,
            valid=inp.validation.valid,
        )
        async with transaction(self.engine) as pg:
            await hot_sql.save_verification(
                pg,
                tenant_id=ref.tenant_id,
                item_id=ref.work_item_id,
                score=result.score,
                metrics={**result.metrics, "record_version": inp.persisted.version},
                passed=result.passed,
            )
        return VerifyOutput(score=result.score, passed=result.passed, metrics=result.metrics)

"""RecordGen: load the document (text layer, OCR), detect its type and language, and store it
as the work item's CONTEXT memory doc for the later stages."""

from __future__ import annotations

import asyncio

from temporalio import activity

from myloware.agents.context import layout_of
from myloware.agents.deps import AgentDeps
from myloware.agents.names import AgentName
from myloware.contracts import ItemRef, RecordGenInput, RecordGenOutput
from myloware.db import hot_sql
from myloware.db.direct import Connection, transaction
from myloware.documents import load_document
from myloware.documents.model import LoadedDocument
from myloware.errors import NotFoundError
from myloware.extraction import detect_language, detect_type
from myloware.records import DocumentType
from myloware.services.templates import active_template


class RecordGen:
    def __init__(self, deps: AgentDeps) -> None:
        self.deps = deps

    @activity.defn(name=AgentName.RECORD_GEN)
    async def run(self, inp: RecordGenInput) -> RecordGenOutput:
        ref = inp.item
        async with transaction(self.deps.engine) as pg:
            item = await hot_sql.start_item(pg, ref.work_item_id, ref.tenant_id)
            if item is None:
                raise NotFoundError(f"work item {ref.work_item_id} not found")
            if item.blob_ref is None:  # inline text: nothing slow to do, one transaction
                doc = LoadedDocument.from_text(item.content, name=item.filename)
                return await self._record(pg, ref, doc, item.declared_type)
        # a file may need OCR: load it outside any transaction
        doc = await self._load(item.blob_ref, item.filename, item.media_type)
        async with transaction(self.deps.engine) as pg:
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
        self.deps.contexts.put(ref.work_item_id, doc)
        # the template in force now is the one this item runs with (recorded in its history)
        async with self.deps.sessions() as session:
            template = await active_template(
                session, tenant_id=ref.tenant_id, document_type=doc_type
            )
        return RecordGenOutput(
            template=template,
            document_type=doc_type,
            type_confidence=confidence,
            language=language,
            media_type=doc.media_type,
            pages=doc.pages,
            chars=len(doc.text),
        )

    async def _load(
        self, blob_ref: str, filename: str | None, media_type: str | None
    ) -> LoadedDocument:
        data = await asyncio.to_thread(self.deps.blobs.get, blob_ref)
        return await asyncio.to_thread(
            load_document, data, filename=filename, media_type=media_type, limits=self.deps.limits
        )

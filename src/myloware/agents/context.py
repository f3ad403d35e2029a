"""A loaded document as the work item's CONTEXT memory doc (text + ``layout_of`` metadata).

RecordGen loads a document once (OCR is expensive) and stores it (``hot_sql.save_context``);
later stages rebuild the :class:`LoadedDocument` — text and line layout — with
:func:`document_from` instead of loading again.
A worker also keeps the documents it loaded lately in a :class:`ContextCache`: an item's
CONTEXT doc never changes once RecordGen wrote it, and the later stages of an item usually run
on the worker that ran its RecordGen, so they skip the read.
"""

from __future__ import annotations

import uuid
from dataclasses import replace
from typing import Any

from cachetools import LRUCache

from myloware.documents.model import LoadedDocument, TextLine
from myloware.einvoice import EInvoice


def layout_of(doc: LoadedDocument) -> dict[str, Any]:
    meta: dict[str, Any] = {
        "media_type": doc.media_type,
        "pages": doc.pages,
        "name": doc.name,
        "lines": [
            [ln.start, ln.end, ln.page, list(ln.box) if ln.box else None] for ln in doc.lines
        ],
    }
    if doc.einvoice is not None:  # the structured data later stages extract from
        meta["einvoice"] = doc.einvoice.as_dict()
    if doc.warnings:
        meta["warnings"] = list(doc.warnings)
    if doc.ocr_pages:
        meta["ocr_pages"] = list(doc.ocr_pages)
    return meta


def _ocr_pages(meta: dict[str, Any]) -> tuple[int, ...]:
    """The pages read by OCR; for a document stored before they were recorded, every page
    of an image."""
    if "ocr_pages" in meta:
        return tuple(int(n) for n in meta["ocr_pages"])
    if str(meta.get("media_type", "")).startswith("image/"):
        return tuple(range(1, int(meta.get("pages", 1)) + 1))
    return ()


def document_from(text: str, meta: dict[str, Any]) -> LoadedDocument:
    lines = tuple(
        TextLine(text[s:e], s, e, page, tuple(box) if box else None)
        for s, e, page, box in meta.get("lines", [])
    )
    einvoice = meta.get("einvoice")
    return LoadedDocument(
        text=text,
        lines=lines,
        media_type=meta.get("media_type", "text/plain"),
        pages=int(meta.get("pages", 1)),
        name=meta.get("name"),
        einvoice=EInvoice.from_dict(einvoice) if isinstance(einvoice, dict) else None,
        warnings=tuple(str(w) for w in meta.get("warnings") or ()),
        ocr_pages=_ocr_pages(meta),
    )


class ContextCache:
    """The last ``entries`` loaded documents by work item; only documents of at most
    ``max_chars`` characters, so the cache stays within tens of megabytes."""

    def __init__(self, entries: int = 256, max_chars: int = 50_000) -> None:
        self.entries, self.max_chars = entries, max_chars
        self._docs: LRUCache[uuid.UUID, LoadedDocument] = LRUCache(maxsize=entries)

    def put(self, work_item_id: uuid.UUID, doc: LoadedDocument) -> None:
        if len(doc.text) > self.max_chars:
            self._docs.pop(work_item_id, None)
            return
        # as the stored CONTEXT doc holds it: text and layout, no attachments
        self._docs[work_item_id] = replace(doc, attachments=()) if doc.attachments else doc

    def get(self, work_item_id: uuid.UUID) -> LoadedDocument | None:
        return self._docs.get(work_item_id)

"""The document viewer's data: each field's box on the page it was read from.

The record holds a box per field where the extractor read the value from one line of a
PDF or an image (``FieldValue.box``, in the page's units: PDF points or image pixels). A value
read from several lines (an address, the line items) has a span but no box of its own; its
box is then the union of the CONTEXT document's line boxes that the span covers, on the page
where it starts. A corrected value keeps the box the pipeline read the original from, and is
marked ``corrected``.

Boxes are also given as percentages of their page, so the template places them over a page
picture of any size (the picture is scaled; the page's units never reach the browser's CSS).
:func:`document_view` is what both ``GET /v1/work-items/{id}/pages`` and the Run Trace use.
"""

from __future__ import annotations

import uuid
from collections.abc import Mapping, Sequence
from dataclasses import dataclass
from typing import Any, Literal

from sqlalchemy.ext.asyncio import AsyncSession

from myloware.agents.names import AgentName
from myloware.db.models import WorkItem
from myloware.documents.blobs import BlobStore
from myloware.documents.pages import Pages
from myloware.services import pages as page_svc
from myloware.services import work_orders as svc
from myloware.ui import queries, trace
from myloware.ui.trace import FieldRow

Box = tuple[float, float, float, float]


@dataclass(frozen=True, slots=True)
class FieldBox:
    """Where one field was read: a page, a box in its units, and the same box in percent."""

    field: str
    page: int
    box: Box
    source: Literal["record", "lines"]  # the record's own box, or the lines its span covers
    corrected: bool
    left: float
    top: float
    width: float
    height: float

    @property
    def label(self) -> str:
        return self.field.replace("_", " ")


@dataclass(frozen=True, slots=True)
class Drawn:
    """One box as drawn: the fields read from the same place share it (a total and its
    currency from one line), so clicking it selects them all instead of the topmost one."""

    fields: tuple[str, ...]
    corrected: bool
    left: float
    top: float
    width: float
    height: float

    @property
    def label(self) -> str:
        return ", ".join(f.replace("_", " ") for f in self.fields)


@dataclass(frozen=True, slots=True)
class ViewerPage:
    number: int
    width: float
    height: float
    boxes: tuple[FieldBox, ...]

    @property
    def drawn(self) -> list[Drawn]:
        """The page's boxes, one per place and kind (read or corrected), in reading order."""
        groups: dict[tuple[float, float, float, float, bool], list[str]] = {}
        for b in self.boxes:
            groups.setdefault((b.left, b.top, b.width, b.height, b.corrected), []).append(b.field)
        return [
            Drawn(tuple(names), corrected, left, top, width, height)
            for (left, top, width, height, corrected), names in groups.items()
        ]


@dataclass(frozen=True, slots=True)
class DocumentView:
    """The item's pages (empty when it has none to show) and its fields' boxes."""

    item: WorkItem
    media_type: str | None
    unit: Literal["pt", "px"] | None
    pages: tuple[ViewerPage, ...]
    boxes: tuple[FieldBox, ...]
    record_source: str

    @property
    def page_of(self) -> dict[str, int]:
        """Each boxed field's page (the field list links to it)."""
        return {b.field: b.page for b in self.boxes}


def field_boxes(
    fields: Sequence[FieldRow], meta: Mapping[str, Any], pages: Pages | None
) -> list[FieldBox]:
    """A box per field that has one (its own, or its span's lines), inside its page."""
    if pages is None:
        return []
    lines = _boxed_lines(meta)
    out = []
    for row in fields:
        found = _own_box(row, len(pages.sizes)) or _span_box(row, lines)
        if found is None:
            continue
        number, box, source = found
        if not 1 <= number <= len(pages.sizes):
            continue
        size = pages.sizes[number - 1]
        placed = _placed(box, size.width, size.height)
        if placed is None:
            continue
        clipped, percent = placed
        out.append(FieldBox(row.name, number, clipped, source, row.corrected, *percent))
    return out


def _own_box(row: FieldRow, page_count: int) -> tuple[int, Box, Literal["record"]] | None:
    if row.box is None:
        return None
    page = row.page if row.page is not None else (1 if page_count == 1 else None)
    return None if page is None else (page, row.box, "record")


def _span_box(
    row: FieldRow, lines: Sequence[tuple[int, int, int, Box]]
) -> tuple[int, Box, Literal["lines"]] | None:
    """The union of the boxed lines the span overlaps, on the page of the first of them."""
    if row.span is None:
        return None
    start, end = row.span
    covered = [(page, box) for s, e, page, box in lines if s < end and start < e]
    if not covered:
        return None
    first = covered[0][0]
    boxes = [box for page, box in covered if page == first]
    x0s, y0s, x1s, y1s = zip(*boxes, strict=True)
    return first, (min(x0s), min(y0s), max(x1s), max(y1s)), "lines"


def _boxed_lines(meta: Mapping[str, Any]) -> list[tuple[int, int, int, Box]]:
    """``(start, end, page, box)`` of the CONTEXT document's lines that have a box."""
    out = []
    for line in meta.get("lines") or ():
        if len(line) < 4 or not isinstance(line[3], list | tuple) or len(line[3]) != 4:
            continue
        start, end, page, box = line[:4]
        if all(isinstance(v, int | float) for v in (start, end, page, *box)):
            x0, y0, x1, y1 = (float(v) for v in box)
            out.append((int(start), int(end), int(page), (x0, y0, x1, y1)))
    return out


def _placed(
    box: Box, width: float, height: float
) -> tuple[Box, tuple[float, float, float, float]] | None:
    """The box clipped to its page and as percentages (left, top, width, height); None when
    nothing of it is on the page."""
    if width <= 0 or height <= 0:
        return None
    x0, y0 = max(0.0, box[0]), max(0.0, box[1])
    x1, y1 = min(width, box[2]), min(height, box[3])
    if x1 <= x0 or y1 <= y0:
        return None
    percent = (
        round(x0 / width * 100, 3),
        round(y0 / height * 100, 3),
        round((x1 - x0) / width * 100, 3),
        round((y1 - y0) / height * 100, 3),
    )
    return (round(x0, 2), round(y0, 2), round(x1, 2), round(y1, 2)), percent


def assemble(
    found: page_svc.ItemPages,
    fields: Sequence[FieldRow],
    meta: Mapping[str, Any],
    record_source: str,
) -> DocumentView:
    """The view of pages already measured and fields already read (no I/O)."""
    pages = found.pages
    boxes = field_boxes(fields, meta, pages)
    viewer_pages = tuple(
        ViewerPage(n, size.width, size.height, tuple(b for b in boxes if b.page == n))
        for n, size in enumerate(pages.sizes if pages else (), start=1)
    )
    return DocumentView(
        item=found.item,
        media_type=pages.media_type if pages else found.item.media_type,
        unit=pages.unit if pages else None,
        pages=viewer_pages,
        boxes=tuple(boxes),
        record_source=record_source,
    )


async def document_view(
    session: AsyncSession,
    blobs: BlobStore,
    cache: page_svc.PageCache,
    *,
    tenant_id: uuid.UUID,
    work_item_id: uuid.UUID,
) -> DocumentView:
    """Pages and field boxes of one item, read with the caller's tenant (404 otherwise)."""
    found = await page_svc.item_pages(
        session, blobs, cache, tenant_id=tenant_id, work_item_id=work_item_id
    )
    item_id = found.item.id
    attempts = await svc.list_attempts(session, tenant_id=tenant_id, work_item_id=item_id)
    versions = await queries.record_versions(session, tenant_id=tenant_id, work_item_id=item_id)
    events = await queries.approval_events(session, tenant_id=tenant_id, work_item_id=item_id)
    doc = await queries.context_document(session, tenant_id=tenant_id, work_item_id=item_id)
    record, source = trace.pick_record(versions, attempts)
    extracted = trace.pick_stage_output(attempts, AgentName.RESTYLER)
    text_length = len(doc.text) if doc else 0
    fields = trace.field_rows(record, trace.corrected_fields(events), text_length, extracted)
    return assemble(found, fields, doc.meta if doc else {}, source)

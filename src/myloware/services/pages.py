"""A work item's uploaded document as page pictures, tenant-scoped and cached.

The item is always read with the caller's tenant first (another tenant's id is "not found",
as everywhere), then its blob. Blobs are content-addressed and never change, so a rendered
page is a pure function of ``(blob_ref, page, render size)``: :class:`PageCache` keeps the
latest pictures in memory (bounded in bytes), and the blob's digest makes a strong ETag.
Rendering runs in a thread (PDFium and Pillow are blocking).
"""

from __future__ import annotations

import asyncio
import time
import uuid
from dataclasses import dataclass, field

import structlog
from cachetools import LRUCache
from sqlalchemy.ext.asyncio import AsyncSession

from myloware.db.models import WorkItem
from myloware.documents import mediatypes as kinds
from myloware.documents.blobs import BlobStore, parse_ref
from myloware.documents.pages import (
    RENDER_LONGEST_SIDE,
    PageImage,
    Pages,
    page_sizes,
    render_page,
    renderable,
)
from myloware.errors import DependencyError, DocumentError, NotFoundError
from myloware.services.work_orders import get_work_item

log = structlog.get_logger(__name__)

CACHE_BYTES = 64 * 1024 * 1024  # rendered PNGs kept per API process


@dataclass
class PageCache:
    """Rendered pages by (blob, page) and page sizes by blob, least recently used out."""

    images: LRUCache[tuple[str, int], PageImage] = field(
        default_factory=lambda: LRUCache(maxsize=CACHE_BYTES, getsizeof=lambda p: len(p.png))
    )
    sizes: LRUCache[str, Pages | None] = field(default_factory=lambda: LRUCache(maxsize=4096))


@dataclass(frozen=True, slots=True)
class ItemPages:
    """The item and its pages (None: the item has no page pictures, e.g. typed-in text)."""

    item: WorkItem
    pages: Pages | None


async def item_pages(
    session: AsyncSession,
    blobs: BlobStore,
    cache: PageCache,
    *,
    tenant_id: uuid.UUID,
    work_item_id: uuid.UUID,
) -> ItemPages:
    item = await get_work_item(session, tenant_id=tenant_id, work_item_id=work_item_id)
    ref = item.blob_ref
    if ref is None:
        return ItemPages(item, None)
    if ref not in cache.sizes:
        try:
            cache.sizes[ref] = await asyncio.to_thread(_sizes, blobs, ref, item)
        except (NotFoundError, DependencyError) as exc:  # the trace still shows the text
            log.warning("document_pages_unavailable", work_item_id=str(item.id), reason=str(exc))
            return ItemPages(item, None)  # not cached: the blob store may answer next time
    return ItemPages(item, cache.sizes[ref])


def _sizes(blobs: BlobStore, ref: str, item: WorkItem) -> Pages | None:
    data = blobs.get(ref)
    kind = kinds.sniff(data, item.filename, item.media_type)
    if not renderable(kind):
        return None
    try:
        return page_sizes(data, kind)
    except DocumentError:  # the pipeline failed on it too; there is nothing to show
        return None


def page_etag(blob_ref: str, number: int) -> str:
    """A strong ETag: the same blob, page and render size always give the same picture."""
    return f'"{parse_ref(blob_ref)[:32]}-{number}-{RENDER_LONGEST_SIDE}"'


def checked_page(found: ItemPages, number: int) -> tuple[Pages, str]:
    """The item's pages and blob when it has page ``number``; NotFoundError otherwise."""
    pages, ref = found.pages, found.item.blob_ref
    if pages is None or ref is None:
        raise NotFoundError(f"work item {found.item.id} has no pages to show")
    if not 1 <= number <= len(pages.sizes):
        raise NotFoundError(f"work item {found.item.id} has no page {number}")
    return pages, ref


async def page_image(
    blobs: BlobStore, cache: PageCache, found: ItemPages, number: int
) -> PageImage:
    """Page ``number`` of an item found by :func:`item_pages`; NotFoundError if it has none."""
    pages, ref = checked_page(found, number)
    key = (ref, number)
    picture = cache.images.get(key)
    if picture is None:
        started = time.perf_counter()
        data = await asyncio.to_thread(blobs.get, ref)
        picture = await asyncio.to_thread(render_page, data, pages.media_type, number)
        log.info(
            "document_page_rendered",
            work_item_id=str(found.item.id),
            page=number,
            ms=round((time.perf_counter() - started) * 1000, 1),
            bytes=len(picture.png),
        )
        if len(picture.png) <= CACHE_BYTES // 8:
            cache.images[key] = picture
    return picture

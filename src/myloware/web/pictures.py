"""Page pictures over HTTP: one answer for the API and the Run Trace UI.

A page picture never changes for a given blob (content-addressed), page and render size, so
it carries a strong ETag and may be kept by the browser for a day; ``private`` keeps shared
caches (proxies) from storing a tenant's document. A request that repeats the ETag gets 304
without rendering, but only after the caller's tenant was checked: the item is found first.
"""

from __future__ import annotations

from fastapi import Request
from fastapi.responses import Response

from myloware.documents.blobs import BlobStore
from myloware.services.pages import ItemPages, PageCache, checked_page, page_etag, page_image

CACHE_CONTROL = "private, max-age=86400"


async def page_response(
    request: Request, blobs: BlobStore, cache: PageCache, found: ItemPages, number: int
) -> Response:
    """The PNG of page ``number`` (404 through NotFoundError when the item has none)."""
    _, ref = checked_page(found, number)
    headers = {"ETag": page_etag(ref, number), "Cache-Control": CACHE_CONTROL}
    asked = request.headers.get("if-none-match", "")
    if headers["ETag"] in {tag.strip() for tag in asked.split(",")}:
        return Response(status_code=304, headers=headers)
    picture = await page_image(blobs, cache, found, number)
    return Response(picture.png, media_type="image/png", headers=headers)

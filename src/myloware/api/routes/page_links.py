"""GET /v1/page-links/{id}/{n}: one page picture through a signed, expiring link.

No credential: the link itself is the capability (:mod:`myloware.auth.page_links`). It is
what a Slack card's thumbnail points at, since Slack fetches ``image_url`` from the internet
without signing in. A wrong, altered or expired link is 404, before anything is read.
"""

from __future__ import annotations

import uuid
from typing import Annotated

from fastapi import APIRouter, Path, Query, Request
from fastapi.responses import Response

from myloware.auth.page_links import PATH, link_is_valid, link_key
from myloware.errors import NotFoundError
from myloware.services import pages as page_svc
from myloware.web.deps import SessionDep, StateDep
from myloware.web.errors import error_responses
from myloware.web.pictures import page_response

router = APIRouter(tags=["work items"], responses=error_responses(404, 422, 429))


@router.get(
    PATH,
    response_class=Response,
    summary="Get one page of a work item's document through a signed link",
    description="The page as a PNG, as `GET /v1/work-items/{id}/pages/{n}`, for a reader "
    "without a credential (Slack showing a card's thumbnail): the link's `tenant`, "
    "`expires` (Unix seconds) and `signature` (HMAC-SHA256, keyed from the JWT secret) are "
    "checked first. A wrong or expired link is 404.",
    responses={200: {"content": {"image/png": {}}, "description": "the page as a PNG"}},
)
async def get_linked_page(
    work_item_id: uuid.UUID,
    number: Annotated[int, Path(ge=1, le=10_000)],
    tenant: Annotated[uuid.UUID, Query(description="the item's tenant")],
    expires: Annotated[int, Query(ge=0, description="Unix seconds")],
    signature: Annotated[str, Query(pattern="^[0-9a-f]{64}$", description="hex HMAC-SHA256")],
    request: Request,
    session: SessionDep,
    state: StateDep,
) -> Response:
    if not link_is_valid(
        link_key(state.settings.jwt_secret),
        tenant_id=tenant,
        work_item_id=work_item_id,
        number=number,
        expires=expires,
        signature=signature,
    ):
        raise NotFoundError("no such page link (wrong or expired)")
    found = await page_svc.item_pages(
        session, state.blobs, state.pages, tenant_id=tenant, work_item_id=work_item_id
    )
    return await page_response(request, state.blobs, state.pages, found, number)

"""/v1/work-items/{id}/pages: the uploaded document's pages as pictures, and where each
field was read on them (the document viewer's data, also used by the Run Trace UI)."""

from __future__ import annotations

import uuid
from typing import Annotated, Literal

from fastapi import APIRouter, Path, Request
from fastapi.responses import Response
from pydantic import BaseModel

from myloware.services import pages as page_svc
from myloware.ui import viewer
from myloware.web.deps import Reader, SessionDep, StateDep
from myloware.web.envelope import ApiResponse
from myloware.web.errors import AUTHENTICATED, error_responses
from myloware.web.pictures import page_response

router = APIRouter(
    prefix="/v1/work-items",
    tags=["work items"],
    responses=error_responses(*AUTHENTICATED, 404),
)

PageNumber = Annotated[int, Path(description="the page, counted from 1 (others: 404)")]


class PageOut(BaseModel):
    number: int
    width: float  # in ``unit``
    height: float
    image: str  # where its picture is


class FieldBoxOut(BaseModel):
    field: str
    page: int
    box: tuple[float, float, float, float]  # x0, y0, x1, y1 in ``unit``, origin top-left
    source: Literal["record", "lines"]
    corrected: bool


class DocumentPagesOut(BaseModel):
    media_type: str | None
    unit: Literal["pt", "px"] | None  # PDF points or image pixels; None without pages
    count: int
    pages: list[PageOut]
    boxes: list[FieldBoxOut]
    record_source: str


@router.get(
    "/{work_item_id}/pages",
    response_model=ApiResponse[DocumentPagesOut],
    summary="List a work item's pages and where each field was read on them",
    description="The uploaded document's pages with their sizes (PDF points or image pixels), "
    "a link to each page's picture, and each extracted field's box on its page: the box the "
    "record holds (`source: record`), or the union of the lines its source span covers "
    "(`source: lines`). A corrected field keeps the box its original value was read from. "
    "Documents read as text (typed-in, e-mail, HTML, DOCX, XML) have no pages: `count` 0.",
)
async def list_pages(
    work_item_id: uuid.UUID, principal: Reader, session: SessionDep, state: StateDep
) -> ApiResponse[DocumentPagesOut]:
    view = await viewer.document_view(
        session,
        state.blobs,
        state.pages,
        tenant_id=principal.tenant_id,
        work_item_id=work_item_id,
    )
    base = f"/v1/work-items/{view.item.id}/pages"
    return ApiResponse(
        data=DocumentPagesOut(
            media_type=view.media_type,
            unit=view.unit,
            count=len(view.pages),
            pages=[
                PageOut(number=p.number, width=p.width, height=p.height, image=f"{base}/{p.number}")
                for p in view.pages
            ],
            boxes=[
                FieldBoxOut(
                    field=b.field, page=b.page, box=b.box, source=b.source, corrected=b.corrected
                )
                for b in view.boxes
            ],
            record_source=view.record_source,
        )
    )


@router.get(
    "/{work_item_id}/pages/{number}",
    response_class=Response,
    summary="Get one page of a work item's document as a PNG",
    description="The page rendered at most 1600 px on its longest side (PDF pages with "
    "PDFium at up to 200 dpi; images re-encoded). `ETag` and `Cache-Control: private, "
    "max-age=86400`; `If-None-Match` with the ETag answers 304. 404 for a page the document "
    "does not have, or an item without pages.",
    responses={
        200: {"content": {"image/png": {}}, "description": "the page as a PNG picture"},
        304: {"description": "the picture has not changed (the `If-None-Match` ETag)"},
    },
)
async def get_page(
    work_item_id: uuid.UUID,
    number: PageNumber,
    request: Request,
    principal: Reader,
    session: SessionDep,
    state: StateDep,
) -> Response:
    found = await page_svc.item_pages(
        session, state.blobs, state.pages, tenant_id=principal.tenant_id, work_item_id=work_item_id
    )
    return await page_response(request, state.blobs, state.pages, found, number)

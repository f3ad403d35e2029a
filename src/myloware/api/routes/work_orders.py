"""/v1/work-orders: create, list, get, and list a work order's items."""

from __future__ import annotations

import asyncio
import json
import uuid
from typing import Annotated

import structlog
from fastapi import APIRouter, File, Form, Header, Query, Request, Response, UploadFile, status
from fastapi.exceptions import RequestValidationError
from pydantic import ValidationError, WithJsonSchema

from myloware.db.base import Priority, WorkOrderStatus
from myloware.db.models import WorkOrder
from myloware.errors import ValidationFailed
from myloware.records import DocumentType
from myloware.services import order_reads as reads
from myloware.services import work_orders as svc
from myloware.services.schemas import WorkItemOut, WorkOrderCreate, WorkOrderOut
from myloware.services.uploads import UploadedFile, prepare_items
from myloware.web.deps import (
    Limit,
    Offset,
    ReadConnectionDep,
    Reader,
    SessionDep,
    StateDep,
    Writer,
    client_info,
)
from myloware.web.envelope import ApiResponse, ListResponse, PageResponse, Pagination
from myloware.web.errors import AUTHENTICATED, WITH_BODY, error_responses
from myloware.web.paths import id_param
from myloware.web.temporal import dispatch

router = APIRouter(
    prefix="/v1/work-orders", tags=["work orders"], responses=error_responses(*AUTHENTICATED)
)
WORK_ORDER_ID = id_param("work_order_id")
log = structlog.get_logger(__name__)

IdempotencyKey = Annotated[
    str | None,
    Header(
        alias="Idempotency-Key",
        max_length=255,
        description="repeat a create safely: the same key returns the same work order",
    ),
]

#: The optional form fields as a multipart body carries them: left out, never null (a form
#: has no null), and metadata a JSON object (multipart's default for an object field).
FORM_TYPE = WithJsonSchema(
    {
        "type": "string",
        "enum": [t.value for t in DocumentType],
        "description": "the documents' type; detected from each when left out",
    }
)
FORM_METADATA = WithJsonSchema({"type": "object", "description": "a JSON object"})

#: The answer to a create repeated with its Idempotency-Key: the order created the first time.
REPLAYED = {
    "model": ApiResponse[WorkOrderOut],
    "description": "An idempotent replay: the work order this Idempotency-Key created before",
    "headers": {
        "Idempotent-Replayed": {
            "description": "always 'true'",
            "schema": {"type": "string", "enum": ["true"]},
            "required": True,
        }
    },
}


@router.get("", response_model=PageResponse[WorkOrderOut], summary="List work orders")
async def list_work_orders(
    principal: Reader,
    pg: ReadConnectionDep,
    status_: Annotated[WorkOrderStatus | None, Query(alias="status")] = None,
    priority: Priority | None = None,
    limit: Limit = 20,
    offset: Offset = 0,
) -> PageResponse[WorkOrderOut]:
    found = await reads.list_orders(
        pg,
        tenant_id=principal.tenant_id,
        status=status_,
        priority=priority,
        limit=limit,
        offset=offset,
    )
    return PageResponse(
        data=[WorkOrderOut.model_validate(r) for r in found.rows],
        pagination=Pagination(
            total=found.total, limit=limit, offset=offset, total_exact=found.exact
        ),
    )


@router.post(
    "",
    response_model=ApiResponse[WorkOrderOut],
    status_code=status.HTTP_201_CREATED,
    summary="Create a work order",
    responses={200: REPLAYED, **error_responses(*WITH_BODY, 503)},
)
async def create_work_order(
    payload: WorkOrderCreate,
    principal: Writer,
    session: SessionDep,
    state: StateDep,
    request: Request,
    response: Response,
    idempotency_key: IdempotencyKey = None,
) -> ApiResponse[WorkOrderOut]:
    order, created = await svc.create_work_order(
        session,
        principal=principal,
        payload=payload,
        idempotency_key=idempotency_key,
        client=client_info(request),
    )
    await session.commit()
    return await _created(state, response, order, created, len(payload.work_items))


async def _created(
    state: StateDep, response: Response, order: WorkOrder, created: bool, items: int
) -> ApiResponse[WorkOrderOut]:
    """Start a new order's workflow, or mark an idempotent replay (200, header)."""
    if created:
        await dispatch(state, order.id, order.tenant_id)
    else:
        response.status_code = status.HTTP_200_OK
        response.headers["Idempotent-Replayed"] = "true"
    out = WorkOrderOut.model_validate(order)
    out.item_count = items if created else None
    return ApiResponse(data=out, message="created" if created else "idempotent replay")


@router.get(
    f"/{WORK_ORDER_ID}",
    response_model=ApiResponse[WorkOrderOut],
    summary="Get a work order",
    responses=error_responses(404),
)
async def get_work_order(
    work_order_id: uuid.UUID, principal: Reader, pg: ReadConnectionDep
) -> ApiResponse[WorkOrderOut]:
    order = await reads.get_order(pg, tenant_id=principal.tenant_id, work_order_id=work_order_id)
    return ApiResponse(data=WorkOrderOut.model_validate(order))


@router.get(
    "/{work_order_id}/work-items",
    response_model=ListResponse[WorkItemOut],
    summary="List a work order's items",
    responses=error_responses(404),
)
async def list_work_items(
    work_order_id: uuid.UUID, principal: Reader, pg: ReadConnectionDep
) -> ListResponse[WorkItemOut]:
    items = await reads.list_items(pg, tenant_id=principal.tenant_id, work_order_id=work_order_id)
    return ListResponse(data=[WorkItemOut.model_validate(i) for i in items])


@router.post(
    "/upload",
    response_model=ApiResponse[WorkOrderOut],
    status_code=status.HTTP_201_CREATED,
    summary="Create a work order from uploaded files (multipart)",
    responses={200: REPLAYED, **error_responses(*WITH_BODY, 503)},
)
async def upload_work_order(
    principal: Writer,
    session: SessionDep,
    state: StateDep,
    request: Request,
    response: Response,
    files: Annotated[
        list[UploadFile], File(min_length=1, description="documents: PDF, image, text, .eml …")
    ],
    type_: Annotated[DocumentType | None, Form(alias="type"), FORM_TYPE] = None,
    priority: Annotated[Priority, Form()] = Priority.MEDIUM,
    metadata: Annotated[str | None, Form(), FORM_METADATA] = None,
    idempotency_key: IdempotencyKey = None,
) -> ApiResponse[WorkOrderOut]:
    meta = _parse_metadata(metadata)
    uploads = [
        UploadedFile(
            filename=(f.filename or "upload")[:512],
            data=await f.read(),
            media_type=f.content_type or "application/octet-stream",
        )
        for f in files
    ]
    prepared = await asyncio.to_thread(
        prepare_items,
        uploads,
        doc_type=DocumentType(type_.value) if type_ else None,
        put=state.blobs.put,
    )
    if len(prepared) > state.settings.max_items_per_order:
        raise ValidationFailed(
            f"{len(prepared)} documents in one order; the limit is "
            f"{state.settings.max_items_per_order}"
        )
    try:
        payload = WorkOrderCreate(
            priority=priority, metadata=meta, work_items=[p.item for p in prepared]
        )
    except ValidationError as exc:  # the metadata form field: the answer a JSON body gets
        raise RequestValidationError(exc.errors()) from None
    order, created = await svc.create_work_order(
        session,
        principal=principal,
        payload=payload,
        idempotency_key=idempotency_key,
        client=client_info(request),
        items_extra=[p.extra for p in prepared],
    )
    await session.commit()
    return await _created(state, response, order, created, len(prepared))


def _parse_metadata(raw: str | None) -> dict[str, object]:
    if not raw:
        return {}
    try:
        value = json.loads(raw)
    except ValueError:
        raise ValidationFailed("metadata must be a JSON object") from None
    if not isinstance(value, dict):
        raise ValidationFailed("metadata must be a JSON object")
    return value

"""/v1/work-items: get one item and list its attempts."""

from __future__ import annotations

import uuid

from fastapi import APIRouter

from myloware.api.deps import Reader, SessionDep
from myloware.api.envelope import ApiResponse, ListResponse
from myloware.services import work_orders as svc
from myloware.services.schemas import AttemptOut, WorkItemOut

router = APIRouter(prefix="/v1/work-items", tags=["work items"])


@router.get("/{work_item_id}", response_model=ApiResponse[WorkItemOut], summary="Get a work item")
async def get_work_item(
    work_item_id: uuid.UUID, principal: Reader, session: SessionDep
) -> ApiResponse[WorkItemOut]:
    item = await svc.get_work_item(
        session, tenant_id=principal.tenant_id, work_item_id=work_item_id
    )
    return ApiResponse(data=WorkItemOut.model_validate(item))


@router.get(
    "/{work_item_id}/attempts",
    response_model=ListResponse[AttemptOut],
    summary="List a work item's attempts",
)
async def list_attempts(
    work_item_id: uuid.UUID, principal: Reader, session: SessionDep
) -> ListResponse[AttemptOut]:
    rows = await svc.list_attempts(
        session, tenant_id=principal.tenant_id, work_item_id=work_item_id
    )
    return ListResponse(data=[AttemptOut.model_validate(r) for r in rows])

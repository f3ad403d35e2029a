"""/v1/work-items: get one item and list its attempts."""

from __future__ import annotations

import uuid
from datetime import datetime
from typing import Any

from fastapi import APIRouter
from pydantic import BaseModel, ConfigDict, Field, StrictBool, StrictFloat

from myloware.services import work_orders as svc
from myloware.services.schemas import AttemptOut, WorkItemOut
from myloware.storable import StorableModel
from myloware.web.deps import Reader, ReadSessionDep, SessionDep, Writer
from myloware.web.envelope import ApiResponse, ListResponse
from myloware.web.errors import AUTHENTICATED, WITH_BODY, error_responses

router = APIRouter(
    prefix="/v1/work-items",
    tags=["work items"],
    responses=error_responses(*AUTHENTICATED, 404),
)


@router.get("/{work_item_id}", response_model=ApiResponse[WorkItemOut], summary="Get a work item")
async def get_work_item(
    work_item_id: uuid.UUID, principal: Reader, session: ReadSessionDep
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
    work_item_id: uuid.UUID, principal: Reader, session: ReadSessionDep
) -> ListResponse[AttemptOut]:
    rows = await svc.list_attempts(
        session, tenant_id=principal.tenant_id, work_item_id=work_item_id
    )
    return ListResponse(data=[AttemptOut.model_validate(r) for r in rows])


class EvaluationIn(StorableModel):
    model_config = ConfigDict(extra="forbid")

    evaluation_type: str = Field(min_length=1, max_length=255, pattern=r"^[A-Za-z0-9_.:\-]+$")
    score: StrictFloat = Field(ge=0.0, le=1.0)  # a number, not false or '0.5'
    passed: StrictBool  # true or false, not 0, 1 or "yes"
    metrics: dict[str, Any] = Field(default_factory=dict)


class EvaluationOut(BaseModel):
    model_config = ConfigDict(from_attributes=True)

    id: uuid.UUID
    evaluation_type: str
    score: float
    passed: bool
    metrics: dict[str, Any]
    created_at: datetime


@router.get(
    "/{work_item_id}/evaluations",
    response_model=ListResponse[EvaluationOut],
    summary="List a work item's evaluation results (Verifier, datasets)",
)
async def list_evaluations(
    work_item_id: uuid.UUID, principal: Reader, session: ReadSessionDep
) -> ListResponse[EvaluationOut]:
    rows = await svc.list_evaluations(
        session, tenant_id=principal.tenant_id, work_item_id=work_item_id
    )
    return ListResponse(data=[EvaluationOut.model_validate(r) for r in rows])


@router.post(
    "/{work_item_id}/evaluations",
    response_model=ApiResponse[EvaluationOut],
    status_code=201,
    summary="Store an evaluation result, e.g. a score against ground truth",
    responses=error_responses(*WITH_BODY),
)
async def add_evaluation(
    work_item_id: uuid.UUID, payload: EvaluationIn, principal: Writer, session: SessionDep
) -> ApiResponse[EvaluationOut]:
    row = await svc.add_evaluation(
        session,
        principal=principal,
        work_item_id=work_item_id,
        evaluation_type=payload.evaluation_type,
        score=payload.score,
        passed=payload.passed,
        metrics=payload.metrics,
    )
    await session.commit()
    return ApiResponse(data=EvaluationOut.model_validate(row))

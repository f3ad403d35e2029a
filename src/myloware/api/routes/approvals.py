"""/v1/approvals: submit a human decision for a work item; list what is waiting."""

from __future__ import annotations

import uuid
from datetime import datetime
from typing import Annotated, Any, Literal

from fastapi import APIRouter, Query, Request
from pydantic import BaseModel, Field

from myloware.contracts import DecisionOutcome
from myloware.services import approvals as svc
from myloware.services.schemas import ApprovalIn
from myloware.web.deps import (
    Approver,
    Limit,
    Offset,
    Reader,
    ReadSessionDep,
    SessionDep,
    StateDep,
    client_info,
)
from myloware.web.envelope import ApiResponse, ListResponse
from myloware.web.errors import AUTHENTICATED, WITH_BODY, error_responses
from myloware.web.temporal import temporal_client

router = APIRouter(
    prefix="/v1/approvals", tags=["approvals"], responses=error_responses(*AUTHENTICATED)
)


class PendingApproval(BaseModel):
    id: uuid.UUID
    work_item_id: uuid.UUID
    approver_group: str
    tier: int
    policy_name: str
    policy_version: str
    sla_seconds: int
    due_at: datetime
    created_at: datetime
    age_seconds: float
    seconds_left: float
    reasons: dict[str, Any]
    explanation: str | None
    reason: str = Field(
        description="why a person was asked, in the deciding rule's own words "
        "(the engine's full text is in explanation)"
    )
    # what the person decides on: the record as the pipeline left it (before any correction)
    document_type: str | None = None
    fields: dict[str, Any] = Field(
        default_factory=dict, description="the waiting record's values, by field name"
    )
    vendor: str | None = Field(default=None, description="vendor_name, for an invoice")
    total: str | None = Field(
        default=None, description="total_amount (with the currency when known), for an invoice"
    )
    date: str | None = Field(
        default=None, description="the record's own date (an invoice's invoice_date)"
    )


def _record_facts(record: dict[str, Any] | None) -> dict[str, Any]:
    doc_type, values = svc.record_values(record)
    total, currency = values.get("total_amount"), values.get("currency")
    vendor = values.get("vendor_name")
    return {
        "document_type": doc_type,
        "fields": values,
        "vendor": None if vendor is None else str(vendor),
        "total": None if total is None else f"{total} {currency}" if currency else str(total),
        "date": svc.record_date(values),
    }


@router.post(
    "",
    response_model=ApiResponse[DecisionOutcome],
    summary="Submit an approval decision",
    responses=error_responses(*WITH_BODY, 404, 409, 503),
)
async def submit_approval(
    payload: ApprovalIn,
    principal: Approver,
    session: SessionDep,
    state: StateDep,
    request: Request,
) -> ApiResponse[DecisionOutcome]:
    outcome = await svc.submit_decision(
        session,
        await temporal_client(state),
        principal=principal,
        decision=payload,
        client=client_info(request),
    )
    return ApiResponse(data=outcome, message=f"{outcome.decision.lower()}")


@router.get(
    "",
    response_model=ListResponse[PendingApproval],
    summary="List pending approvals with SLA",
    responses=error_responses(422),
)
async def list_pending(
    principal: Reader,
    session: ReadSessionDep,
    group: Annotated[str | None, Query(max_length=255)] = None,
    vendor: Annotated[
        str | None, Query(max_length=255, description="part of the vendor's name, any case")
    ] = None,
    document_type: Annotated[
        str | None, Query(max_length=50, description="INVOICE, TICKET or STATUS_REPORT")
    ] = None,
    sort: Annotated[
        Literal["due", "group", "vendor", "type"],
        Query(description="due (SLA, due soonest first; the default), group, vendor or type"),
    ] = "due",
    limit: Limit = 50,
    offset: Offset = 0,
) -> ListResponse[PendingApproval]:
    query = svc.pending_query(
        tenant_id=principal.tenant_id,
        group=group or None,
        vendor=vendor or None,
        document_type=document_type or None,
        sort=sort,
    )
    rows = await svc.pending_with_records(session, query, limit=limit, offset=offset)
    return ListResponse(
        data=[
            PendingApproval.model_validate(
                {
                    "id": r.id,
                    "work_item_id": r.work_item_id,
                    "approver_group": r.approver_group,
                    "tier": r.tier,
                    "policy_name": r.policy_name,
                    "policy_version": r.policy_version,
                    "sla_seconds": r.sla_seconds,
                    "due_at": r.due_at,
                    "created_at": r.created_at,
                    "reasons": r.reasons,
                    "explanation": r.explanation,
                    "reason": svc.plain_reason(r),
                    **svc.age_and_sla(r),
                    **_record_facts(record),
                }
            )
            for r, record in rows
        ]
    )

"""/v1/audit-logs: the audit trail of the tenant, filtered (admin)."""

from __future__ import annotations

import uuid
from datetime import datetime
from typing import Annotated, Any

from fastapi import APIRouter, Query
from pydantic import BaseModel, ConfigDict

from myloware.services import audit_logs
from myloware.web.deps import Admin, DateTimeParam, Offset, SessionDep
from myloware.web.envelope import PageResponse, Pagination
from myloware.web.errors import AUTHENTICATED, error_responses

router = APIRouter(
    prefix="/v1/audit-logs", tags=["audit"], responses=error_responses(*AUTHENTICATED)
)


class AuditLogOut(BaseModel):
    model_config = ConfigDict(from_attributes=True)

    id: uuid.UUID
    user_id: str | None
    action: str
    resource_type: str
    resource_id: uuid.UUID | None
    details: dict[str, Any]
    ip_address: Any
    user_agent: str | None
    created_at: datetime


@router.get("", response_model=PageResponse[AuditLogOut], summary="Search the audit trail")
async def list_audit_logs(
    principal: Admin,
    session: SessionDep,
    action: str | None = None,
    resource_type: str | None = None,
    resource_id: uuid.UUID | None = None,
    user_id: str | None = None,
    since: Annotated[
        DateTimeParam | None, Query(description="from this time on (RFC 3339; naive: UTC)")
    ] = None,
    until: Annotated[
        DateTimeParam | None, Query(description="before this time (RFC 3339; naive: UTC)")
    ] = None,
    limit: Annotated[int, Query(ge=1, le=500)] = 50,
    offset: Offset = 0,
) -> PageResponse[AuditLogOut]:
    rows, total = await audit_logs.list_audit_logs(
        session,
        tenant_id=principal.tenant_id,
        where=audit_logs.AuditFilter(action, resource_type, resource_id, user_id, since, until),
        limit=limit,
        offset=offset,
    )
    out = []
    for row in rows:
        item = AuditLogOut.model_validate(row)
        item.ip_address = str(row.ip_address) if row.ip_address is not None else None
        out.append(item)
    return PageResponse(data=out, pagination=Pagination(total=total, limit=limit, offset=offset))

"""/v1/audit-logs: the audit trail of the tenant, filtered (admin)."""

from __future__ import annotations

import uuid
from datetime import datetime
from typing import Annotated, Any

from fastapi import APIRouter, Query
from pydantic import BaseModel, ConfigDict
from sqlalchemy import func, select

from myloware.db.models import AuditLog
from myloware.web.deps import Admin, Offset, SessionDep
from myloware.web.envelope import PageResponse, Pagination

router = APIRouter(prefix="/v1/audit-logs", tags=["audit"])


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
    since: datetime | None = None,
    until: datetime | None = None,
    limit: Annotated[int, Query(ge=1, le=500)] = 50,
    offset: Offset = 0,
) -> PageResponse[AuditLogOut]:
    conditions = [AuditLog.tenant_id == principal.tenant_id]
    for column, value in (
        (AuditLog.action, action),
        (AuditLog.resource_type, resource_type),
        (AuditLog.resource_id, resource_id),
        (AuditLog.user_id, user_id),
    ):
        if value is not None:
            conditions.append(column == value)
    if since is not None:
        conditions.append(AuditLog.created_at >= since)
    if until is not None:
        conditions.append(AuditLog.created_at < until)
    total = await session.scalar(select(func.count()).select_from(AuditLog).where(*conditions))
    rows = (
        await session.scalars(
            select(AuditLog)
            .where(*conditions)
            .order_by(AuditLog.created_at.desc())
            .limit(limit)
            .offset(offset)
        )
    ).all()
    out = []
    for row in rows:
        item = AuditLogOut.model_validate(row)
        item.ip_address = str(row.ip_address) if row.ip_address is not None else None
        out.append(item)
    return PageResponse(
        data=out, pagination=Pagination(total=int(total or 0), limit=limit, offset=offset)
    )

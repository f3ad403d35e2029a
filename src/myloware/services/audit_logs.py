"""Reading the tenant's audit trail (rows are written by :func:`myloware.db.audit.record_audit`
in the transaction of each change)."""

from __future__ import annotations

import uuid
from collections.abc import Sequence
from dataclasses import dataclass
from datetime import datetime

from sqlalchemy import func, select
from sqlalchemy.ext.asyncio import AsyncSession

from myloware.db.models import AuditLog


@dataclass(frozen=True, slots=True)
class AuditFilter:
    """Every field given narrows the search; ``since`` inclusive, ``until`` exclusive."""

    action: str | None = None
    resource_type: str | None = None
    resource_id: uuid.UUID | None = None
    user_id: str | None = None
    since: datetime | None = None
    until: datetime | None = None


async def list_audit_logs(
    session: AsyncSession,
    *,
    tenant_id: uuid.UUID,
    where: AuditFilter,
    limit: int,
    offset: int,
) -> tuple[Sequence[AuditLog], int]:
    """One page of the tenant's audit rows, newest first, and how many match in all."""
    conditions = [AuditLog.tenant_id == tenant_id]
    for column, value in (
        (AuditLog.action, where.action),
        (AuditLog.resource_type, where.resource_type),
        (AuditLog.resource_id, where.resource_id),
        (AuditLog.user_id, where.user_id),
    ):
        if value is not None:
            conditions.append(column == value)
    if where.since is not None:
        conditions.append(AuditLog.created_at >= where.since)
    if where.until is not None:
        conditions.append(AuditLog.created_at < where.until)
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
    return rows, int(total or 0)

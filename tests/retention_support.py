"""Rows of given ages for the retention tests and benchmark."""

from __future__ import annotations

import uuid
from datetime import UTC, datetime, timedelta
from decimal import Decimal

from sqlalchemy.ext.asyncio import AsyncSession, async_sessionmaker

from myloware.db.base import AttemptStatus, WorkOrderStatus
from myloware.db.engine import transaction
from myloware.db.models import Attempt, AuditLog, Tenant, WorkItem, WorkOrder


def ago(days: float) -> datetime:
    return datetime.now(UTC) - timedelta(days=days)


async def new_tenant(sessions: async_sessionmaker[AsyncSession]) -> uuid.UUID:
    async with transaction(sessions) as session:
        tenant = Tenant(slug=f"t-{uuid.uuid4().hex[:12]}", name="Retention")
        session.add(tenant)
        await session.flush()
        return tenant.id


async def order_with_attempts(
    sessions: async_sessionmaker[AsyncSession],
    tenant_id: uuid.UUID,
    *,
    status: WorkOrderStatus,
    closed_days: float,
    attempt_days: tuple[float, ...],
    output: dict[str, object] | None = None,
) -> uuid.UUID:
    """A work order last changed ``closed_days`` ago, one item, one attempt per age; the
    item's id."""
    async with transaction(sessions) as session:
        order = WorkOrder(
            tenant_id=tenant_id,
            workflow_id=f"wo-{uuid.uuid4().hex[:8]}",
            created_by="test",
            status=status,
        )
        session.add(order)
        await session.flush()
        item = WorkItem(tenant_id=tenant_id, work_order_id=order.id, content="invoice")
        session.add(item)
        await session.flush()
        for number, days in enumerate(attempt_days, start=1):
            session.add(
                Attempt(
                    tenant_id=tenant_id,
                    work_item_id=item.id,
                    agent_id="ExtractorLLM",
                    attempt_number=number,
                    status=AttemptStatus.COMPLETED,
                    input={"n": number},
                    output=output or {"record": {"total_amount": "1190.00"}},
                    started_at=ago(days),
                    completed_at=ago(days),
                    duration_ms=12,
                    model="gpt-4o-mini",
                    tokens_in=9,
                    tokens_out=3,
                    cost_usd=Decimal("0.000123"),
                )
            )
        await session.flush()
        # last, so that onupdate does not move it to now
        order.updated_at = ago(closed_days)
        return item.id


async def audit_rows(
    sessions: async_sessionmaker[AsyncSession], tenant_id: uuid.UUID, *ages: float
) -> None:
    async with transaction(sessions) as session:
        for days in ages:
            session.add(
                AuditLog(
                    tenant_id=tenant_id,
                    user_id="alice",
                    action="approval.decided",
                    resource_type="work_item",
                    resource_id=uuid.uuid4(),
                    details={"decision": "APPROVED", "age": days},
                    ip_address="10.0.0.7",
                    user_agent="pytest",
                    created_at=ago(days),
                )
            )

"""Human decisions on work items waiting for approval."""

from __future__ import annotations

from sqlalchemy.ext.asyncio import AsyncSession

from myloware.auth.principal import Capability, Principal
from myloware.db.base import WorkItemStatus
from myloware.errors import ConflictError
from myloware.services.schemas import ApprovalIn
from myloware.services.work_orders import get_work_item


async def check_decidable(
    session: AsyncSession, *, principal: Principal, decision: ApprovalIn
) -> None:
    """Refuse decisions the principal may not make or that have nothing to decide."""
    principal.require(Capability.APPROVALS_DECIDE)
    item = await get_work_item(
        session, tenant_id=principal.tenant_id, work_item_id=decision.work_item_id
    )
    if item.status is not WorkItemStatus.AWAITING_APPROVAL:
        raise ConflictError(
            f"work item {item.id} is {item.status.value}, not awaiting approval",
            details={"status": item.status.value},
        )

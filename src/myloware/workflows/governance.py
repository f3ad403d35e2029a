"""Glue between the pure policy engine and the pipeline: vendor history, decision mapping."""

from __future__ import annotations

import uuid

from sqlalchemy import func, select
from sqlalchemy.ext.asyncio import AsyncSession

from myloware.db.base import WorkItemStatus
from myloware.db.models import Record, WorkItem
from myloware.policy import Decision
from myloware.workflows.types import PolicyDecision, Tier


async def known_vendor(
    session: AsyncSession, *, tenant_id: uuid.UUID, vendor: object, work_item_id: uuid.UUID
) -> bool | None:
    """Whether this tenant completed a record from this vendor before; None without a vendor."""
    if not isinstance(vendor, str) or not vendor.strip():
        return None
    found = await session.scalar(
        select(Record.id)
        .join(WorkItem, WorkItem.id == Record.work_item_id)
        .where(
            Record.tenant_id == tenant_id,
            func.lower(Record.data["vendor_name"].astext) == vendor.strip().lower(),
            Record.work_item_id != work_item_id,
            WorkItem.status == WorkItemStatus.COMPLETED,
        )
        .limit(1)
    )
    return found is not None


def to_policy_decision(decision: Decision) -> PolicyDecision:
    return PolicyDecision(
        action=decision.action.value,
        policy_name=decision.policy_name,
        policy_version=decision.policy_version,
        reasons=decision.reasons,
        explanation=decision.explanation,
        approver_group=decision.approver_group,
        escalation=[Tier(group=t.group, sla_seconds=t.sla_seconds) for t in decision.escalation],
        on_sla_exhausted=decision.on_sla_exhausted.value,
    )

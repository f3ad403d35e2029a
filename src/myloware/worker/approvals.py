"""Activities of the human-in-the-loop step: open, escalate and settle approval requests.

Each writes the ``approval_requests`` row, an ``approval_events`` row with the policy version
that applied, the work item's status, an outbox event and (for people) an audit row — all in
one transaction. The workflow decides *what* happens; these only record it, idempotently.
"""

from __future__ import annotations

import uuid
from datetime import UTC, datetime, timedelta

from sqlalchemy import select, update
from sqlalchemy.ext.asyncio import AsyncSession, async_sessionmaker
from temporalio import activity

from myloware.contracts import ApprovalTicket, OpenApprovalInput, SettleApprovalInput
from myloware.db.audit import ClientInfo, record_audit
from myloware.db.base import ApprovalDecision, WorkItemStatus, WorkOrderStatus
from myloware.db.models import (
    ApprovalEvent,
    ApprovalRequest,
    ApprovalRequestStatus,
    WorkItem,
    WorkOrder,
)
from myloware.events.catalogue import ApprovalDecided, ApprovalRequested, EventType
from myloware.events.outbox import record_event

SYSTEM_PREFIX = "system:"
FINAL = {
    "APPROVED": ApprovalRequestStatus.APPROVED,
    "REJECTED": ApprovalRequestStatus.REJECTED,
    "EXPIRED": ApprovalRequestStatus.EXPIRED,
}


class ApprovalActivities:
    def __init__(self, sessions: async_sessionmaker[AsyncSession]) -> None:
        self.sessions = sessions

    @activity.defn(name="open_approval")
    async def open_approval(self, inp: OpenApprovalInput) -> ApprovalTicket:
        """Create the PENDING request (or return the one a previous run created)."""
        ref, decision = inp.item, inp.decision
        first = decision.escalation[0]
        async with self.sessions() as session, session.begin():
            existing = await session.scalar(
                select(ApprovalRequest).where(
                    ApprovalRequest.work_item_id == ref.work_item_id,
                    ApprovalRequest.status == ApprovalRequestStatus.PENDING,
                )
            )
            if existing is not None:
                return _ticket(existing)
            request = ApprovalRequest(
                tenant_id=ref.tenant_id,
                work_item_id=ref.work_item_id,
                workflow_id=inp.workflow_id,
                policy_name=decision.policy_name,
                policy_version=decision.policy_version,
                approver_group=first.group,
                tier=0,
                sla_seconds=first.sla_seconds,
                due_at=datetime.now(UTC) + timedelta(seconds=first.sla_seconds),
                reasons={
                    "rules": decision.reasons,
                    "on_sla_exhausted": decision.on_sla_exhausted,
                    # the deciding rule's own words, for the approvals queue
                    "cause": decision.cause,
                },
                explanation=decision.explanation,
            )
            session.add(request)
            await session.execute(
                update(WorkItem)
                .where(WorkItem.id == ref.work_item_id)
                .values(status=WorkItemStatus.AWAITING_APPROVAL)
            )
            await session.execute(  # the order waits for a person too
                update(WorkOrder)
                .where(
                    WorkOrder.id == ref.work_order_id,
                    WorkOrder.status.in_((WorkOrderStatus.PENDING, WorkOrderStatus.PROCESSING)),
                )
                .values(status=WorkOrderStatus.AWAITING_APPROVAL)
            )
            await session.flush()
            record_event(
                session,
                EventType.APPROVAL_REQUESTED,
                ApprovalRequested(
                    work_item_id=ref.work_item_id,
                    request_id=request.id,
                    approver_group=first.group,
                    sla_seconds=first.sla_seconds,
                    policy_version=decision.policy_version,
                    reasons=decision.reasons,
                ),
                tenant_id=ref.tenant_id,
                aggregate_id=ref.work_item_id,
            )
            return _ticket(request)

    @activity.defn(name="settle_approval")
    async def settle_approval(self, inp: SettleApprovalInput) -> str:
        """Record a decision; returns the request's status afterwards (idempotent)."""
        ref, ticket = inp.item, inp.ticket
        async with self.sessions() as session, session.begin():
            request = await session.scalar(
                select(ApprovalRequest)
                .where(ApprovalRequest.id == ticket.request_id)
                .with_for_update()
            )
            if request is None:
                raise ValueError(f"approval request {ticket.request_id} not found")
            if request.status is not ApprovalRequestStatus.PENDING or request.tier != ticket.tier:
                return request.status.value  # already recorded by an earlier run
            now = datetime.now(UTC)
            event_decision = "REJECTED" if inp.decision == "EXPIRED" else inp.decision
            session.add(
                ApprovalEvent(
                    tenant_id=ref.tenant_id,
                    work_item_id=ref.work_item_id,
                    approver_id=inp.decided_by,
                    decision=ApprovalDecision(event_decision),
                    reason=inp.reason,
                    corrections=inp.corrections,
                    policy_version=inp.policy_version,
                )
            )
            if inp.decision == "ESCALATED" and inp.next_tier is not None:
                request.tier = inp.next_tier.tier
                request.approver_group = inp.next_tier.group
                request.sla_seconds = inp.next_tier.sla_seconds
                request.due_at = now + timedelta(seconds=inp.next_tier.sla_seconds)
            else:
                request.status = FINAL[inp.decision]
                request.decided_at = now
                request.decided_by = inp.decided_by
                # decided: the item goes on (persisted, or settled REJECTED by its workflow)
                await session.execute(
                    update(WorkItem)
                    .where(
                        WorkItem.id == ref.work_item_id,
                        WorkItem.status == WorkItemStatus.AWAITING_APPROVAL,
                    )
                    .values(status=WorkItemStatus.PROCESSING)
                )
                await _order_goes_on(session, ref.work_order_id)
            record_event(
                session,
                EventType(f"approval.{inp.decision.lower()}"),
                ApprovalDecided(
                    work_item_id=ref.work_item_id,
                    request_id=request.id,
                    decided_by=inp.decided_by,
                    reason=inp.reason,
                    policy_version=inp.policy_version,
                    approver_group=request.approver_group,
                    tier=request.tier,
                ),
                tenant_id=ref.tenant_id,
                aggregate_id=ref.work_item_id,
            )
            if not inp.decided_by.startswith(SYSTEM_PREFIX):
                record_audit(
                    session,
                    principal=None,
                    user_id=inp.decided_by,
                    tenant_id=ref.tenant_id,
                    action=f"approval.{inp.decision.lower()}",
                    resource_type="work_item",
                    resource_id=ref.work_item_id,
                    details={
                        "request_id": str(request.id),
                        "reason": inp.reason,
                        "corrections": inp.corrections,
                        "policy_version": inp.policy_version,
                    },
                    client=ClientInfo(ip_address=inp.client_ip, user_agent=inp.user_agent),
                )
            return request.status.value


async def _order_goes_on(session: AsyncSession, order_id: uuid.UUID) -> None:
    """The order is PROCESSING again once none of its items waits for a person."""
    waiting = (
        select(WorkItem.id)
        .where(
            WorkItem.work_order_id == order_id,
            WorkItem.status == WorkItemStatus.AWAITING_APPROVAL,
        )
        .exists()
    )
    await session.execute(
        update(WorkOrder)
        .where(
            WorkOrder.id == order_id,
            WorkOrder.status == WorkOrderStatus.AWAITING_APPROVAL,
            ~waiting,
        )
        .values(status=WorkOrderStatus.PROCESSING)
    )


def _ticket(request: ApprovalRequest) -> ApprovalTicket:
    return ApprovalTicket(
        request_id=request.id,
        tier=request.tier,
        group=request.approver_group,
        sla_seconds=request.sla_seconds,
    )

"""The event catalogue: every domain event type, its aggregate and its payload model.

Producers build a payload model and :func:`myloware.events.outbox.outbox_row` checks that it
is the one its type carries; consumers read a payload back with :func:`payload_of`. This is
the webhook contract: ``docs/events.md`` shows the same table, and
``tests/test_events_catalogue.py`` keeps the two equal.

==========================  ============  =================
type                        aggregate     payload
==========================  ============  =================
work_order.created          work_order    WorkOrderCreated
work_order.completed        work_order    WorkOrderSettled
work_order.failed           work_order    WorkOrderSettled
work_order.rejected         work_order    WorkOrderSettled
work_item.stage_completed   work_item     StageFinished
work_item.stage_failed      work_item     StageFinished
work_item.completed         work_item     ItemSettled
work_item.failed            work_item     ItemSettled
work_item.rejected          work_item     ItemSettled
record.persisted            work_item     RecordPersisted
approval.requested          work_item     ApprovalRequested
approval.approved           work_item     ApprovalDecided
approval.rejected           work_item     ApprovalDecided
approval.escalated          work_item     ApprovalDecided
approval.expired            work_item     ApprovalDecided
==========================  ============  =================

A payload may gain fields (receivers must ignore what they do not know); a field is never
renamed or removed, and a type never changes its name.
"""

from __future__ import annotations

import uuid
from enum import StrEnum
from typing import Any

from pydantic import BaseModel, ConfigDict


class EventType(StrEnum):
    WORK_ORDER_CREATED = "work_order.created"
    WORK_ORDER_COMPLETED = "work_order.completed"
    WORK_ORDER_FAILED = "work_order.failed"
    WORK_ORDER_REJECTED = "work_order.rejected"
    STAGE_COMPLETED = "work_item.stage_completed"
    STAGE_FAILED = "work_item.stage_failed"
    ITEM_COMPLETED = "work_item.completed"
    ITEM_FAILED = "work_item.failed"
    ITEM_REJECTED = "work_item.rejected"
    RECORD_PERSISTED = "record.persisted"
    APPROVAL_REQUESTED = "approval.requested"
    APPROVAL_APPROVED = "approval.approved"
    APPROVAL_REJECTED = "approval.rejected"
    APPROVAL_ESCALATED = "approval.escalated"
    APPROVAL_EXPIRED = "approval.expired"

    @property
    def aggregate(self) -> str:
        """``work_order`` or ``work_item``: what the event's ``aggregate_id`` names."""
        return "work_order" if self.value.startswith("work_order.") else "work_item"


class EventPayload(BaseModel):
    """Base of the payload models: JSON-ready, extra fields kept when read back."""

    model_config = ConfigDict(frozen=True, extra="allow")

    def as_json(self) -> dict[str, Any]:
        return self.model_dump(mode="json")


class WorkOrderCreated(EventPayload):
    work_order_id: uuid.UUID
    items: int


class WorkOrderSettled(EventPayload):
    """``failed`` > 0 makes the order ``work_order.failed``; else ``rejected`` > 0 makes it
    ``work_order.rejected``."""

    work_order_id: uuid.UUID
    completed: int
    failed: int
    rejected: int = 0  # added later: events written before it have none


class StageFinished(EventPayload):
    """One agent execution (an ``attempts`` row): ``agent`` is an AgentName value."""

    work_item_id: uuid.UUID
    work_order_id: uuid.UUID
    agent: str
    status: str
    duration_ms: int | None
    error: str | None


class ItemSettled(EventPayload):
    work_item_id: uuid.UUID
    work_order_id: uuid.UUID
    status: str
    error: str | None


class RecordPersisted(EventPayload):
    record_id: uuid.UUID
    version: int


class ApprovalRequested(EventPayload):
    work_item_id: uuid.UUID
    request_id: uuid.UUID
    approver_group: str
    sla_seconds: int
    policy_version: str
    reasons: list[str]


class ApprovalDecided(EventPayload):
    """Approved, rejected, escalated (``approver_group``/``tier``: the next tier's) or expired
    (``decided_by`` is ``system:…``)."""

    work_item_id: uuid.UUID
    request_id: uuid.UUID
    decided_by: str
    reason: str | None
    policy_version: str
    approver_group: str
    tier: int


PAYLOADS: dict[EventType, type[EventPayload]] = {
    EventType.WORK_ORDER_CREATED: WorkOrderCreated,
    EventType.WORK_ORDER_COMPLETED: WorkOrderSettled,
    EventType.WORK_ORDER_FAILED: WorkOrderSettled,
    EventType.WORK_ORDER_REJECTED: WorkOrderSettled,
    EventType.STAGE_COMPLETED: StageFinished,
    EventType.STAGE_FAILED: StageFinished,
    EventType.ITEM_COMPLETED: ItemSettled,
    EventType.ITEM_FAILED: ItemSettled,
    EventType.ITEM_REJECTED: ItemSettled,
    EventType.RECORD_PERSISTED: RecordPersisted,
    EventType.APPROVAL_REQUESTED: ApprovalRequested,
    EventType.APPROVAL_APPROVED: ApprovalDecided,
    EventType.APPROVAL_REJECTED: ApprovalDecided,
    EventType.APPROVAL_ESCALATED: ApprovalDecided,
    EventType.APPROVAL_EXPIRED: ApprovalDecided,
}
WORK_ORDER_SETTLED = frozenset(
    {EventType.WORK_ORDER_COMPLETED, EventType.WORK_ORDER_FAILED, EventType.WORK_ORDER_REJECTED}
)
APPROVAL_FINAL = frozenset(
    {EventType.APPROVAL_APPROVED, EventType.APPROVAL_REJECTED, EventType.APPROVAL_EXPIRED}
)


def payload_of(event_type: str, payload: dict[str, Any]) -> EventPayload:
    """A received payload as its model; ValueError for an unknown type or a payload that
    does not fit it (pydantic's ValidationError is a ValueError)."""
    try:
        kind = EventType(event_type)
    except ValueError:
        raise ValueError(f"unknown event type {event_type!r}") from None
    return PAYLOADS[kind].model_validate(payload)

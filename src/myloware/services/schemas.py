"""Pydantic models at the API boundary (requests and responses)."""

from __future__ import annotations

import re
import uuid
from datetime import datetime
from decimal import Decimal
from typing import Any

from pydantic import BaseModel, ConfigDict, Field, model_validator

from myloware.db.base import (
    ApprovalDecision,
    AttemptStatus,
    Priority,
    WorkItemStatus,
    WorkOrderStatus,
)
from myloware.records import DocumentType
from myloware.storable import StorableModel

MAX_CONTENT_CHARS = 2_000_000


class WorkItemIn(StorableModel):
    model_config = ConfigDict(extra="forbid")

    type: DocumentType | None = Field(
        default=None, description="document type; detected from the content when omitted"
    )
    content: str = Field(min_length=1, max_length=MAX_CONTENT_CHARS)
    filename: str | None = Field(default=None, max_length=512)


class WorkOrderCreate(StorableModel):
    model_config = ConfigDict(extra="forbid")

    priority: Priority = Priority.MEDIUM
    metadata: dict[str, Any] = Field(default_factory=dict)
    work_items: list[WorkItemIn] = Field(min_length=1, max_length=100)


class WorkOrderOut(BaseModel):
    model_config = ConfigDict(from_attributes=True)

    id: uuid.UUID
    status: WorkOrderStatus
    priority: Priority
    metadata: dict[str, Any] = Field(validation_alias="metadata_")
    created_at: datetime
    updated_at: datetime
    workflow_id: str
    tenant_id: uuid.UUID
    created_by: str
    item_count: int | None = None


class WorkItemOut(BaseModel):
    model_config = ConfigDict(from_attributes=True)

    id: uuid.UUID
    work_order_id: uuid.UUID
    type: DocumentType | None
    content: str
    filename: str | None
    media_type: str | None
    status: WorkItemStatus
    result: dict[str, Any] | None
    error: str | None
    created_at: datetime
    started_at: datetime | None
    processed_at: datetime | None


class AttemptOut(BaseModel):
    model_config = ConfigDict(from_attributes=True)

    id: uuid.UUID
    agent_id: str
    attempt_number: int
    status: AttemptStatus
    input: dict[str, Any]
    output: dict[str, Any] | None
    error: str | None
    started_at: datetime
    completed_at: datetime | None
    duration_ms: int | None
    model: str | None
    tokens_in: int | None
    tokens_out: int | None
    cost_usd: Decimal | None


#: A reason that says something: at least one character that is not whitespace.
REASON_PATTERN = r"\S"
#: the decisions that must say why, and what a decision without a reason is told
NEEDS_REASON = {
    ApprovalDecision.REJECTED: "a rejection needs a reason",
    ApprovalDecision.ESCALATED: "an escalation needs a reason",
}


class ApprovalIn(StorableModel):
    """A person's decision. A rejection ends the item REJECTED and an escalation hands it to
    other people, so both must say why (``reason``)."""

    model_config = ConfigDict(
        extra="forbid",
        # the rule of _needs_reason, so clients (and schemathesis) can see it
        json_schema_extra={
            "if": {
                "properties": {"decision": {"enum": ["REJECTED", "ESCALATED"]}},
                "required": ["decision"],
            },
            "then": {
                "required": ["reason"],
                "properties": {"reason": {"type": "string", "pattern": REASON_PATTERN}},
            },
        },
    )

    work_item_id: uuid.UUID
    decision: ApprovalDecision
    reason: str | None = Field(
        default=None,
        max_length=4000,
        description="required (not blank) to reject or escalate",
    )
    corrections: dict[str, Any] | None = None
    # The request and tier the person was shown (optional): a decision made on a tier the
    # request has since left (escalated by its SLA or by someone else) is refused with 409.
    request_id: uuid.UUID | None = None
    tier: int | None = Field(default=None, ge=0)

    @model_validator(mode="after")
    def _needs_reason(self) -> ApprovalIn:
        if self.decision in NEEDS_REASON and not (
            self.reason and re.search(REASON_PATTERN, self.reason)
        ):
            raise ValueError(NEEDS_REASON[self.decision])
        return self


class ApprovalOut(BaseModel):
    model_config = ConfigDict(from_attributes=True)

    id: uuid.UUID
    work_item_id: uuid.UUID
    approver_id: str
    decision: ApprovalDecision
    reason: str | None
    timestamp: datetime
    policy_version: str

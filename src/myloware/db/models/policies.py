"""Stored governance policies and the approval requests they open."""

from __future__ import annotations

import uuid
from datetime import datetime
from enum import StrEnum
from typing import Any

from sqlalchemy import (
    Boolean,
    DateTime,
    ForeignKey,
    Index,
    Integer,
    String,
    Text,
    UniqueConstraint,
    text,
)
from sqlalchemy.orm import Mapped, mapped_column

from myloware.db.base import Base, created_at, pg_enum, tenant_fk, uuid_pk


class ApprovalRequestStatus(StrEnum):
    PENDING = "PENDING"
    APPROVED = "APPROVED"
    REJECTED = "REJECTED"
    EXPIRED = "EXPIRED"


approval_request_status = pg_enum(ApprovalRequestStatus, "approval_request_status")


class PolicyDocument(Base):
    """One version of a policy. ``tenant_id`` NULL is the platform-wide default."""

    __tablename__ = "policies"
    __table_args__ = (
        UniqueConstraint("tenant_id", "name", "version", postgresql_nulls_not_distinct=True),
    )

    id: Mapped[uuid.UUID] = uuid_pk()
    tenant_id: Mapped[uuid.UUID | None] = mapped_column(
        ForeignKey("tenants.id", ondelete="CASCADE"), index=True
    )
    name: Mapped[str] = mapped_column(String(255), nullable=False)
    version: Mapped[str] = mapped_column(String(50), nullable=False)
    document: Mapped[dict[str, Any]] = mapped_column(nullable=False)
    digest: Mapped[str] = mapped_column(String(64), nullable=False)
    is_active: Mapped[bool] = mapped_column(Boolean, nullable=False, default=True)
    created_by: Mapped[str | None] = mapped_column(String(255))
    created_at: Mapped[datetime] = created_at()


class ApprovalRequest(Base):
    """A human decision the policy asked for; at most one PENDING per work item."""

    __tablename__ = "approval_requests"
    __table_args__ = (
        Index(
            "uq_approval_requests_pending_item",
            "work_item_id",
            unique=True,
            postgresql_where=text("status = 'PENDING'"),
        ),
        Index("ix_approval_requests_tenant_status", "tenant_id", "status", "due_at"),
    )

    id: Mapped[uuid.UUID] = uuid_pk()
    tenant_id: Mapped[uuid.UUID] = tenant_fk()
    work_item_id: Mapped[uuid.UUID] = mapped_column(
        ForeignKey("work_items.id", ondelete="CASCADE"), nullable=False
    )
    workflow_id: Mapped[str] = mapped_column(String(255), nullable=False)
    status: Mapped[ApprovalRequestStatus] = mapped_column(
        approval_request_status, nullable=False, default=ApprovalRequestStatus.PENDING
    )
    policy_name: Mapped[str] = mapped_column(String(255), nullable=False)
    policy_version: Mapped[str] = mapped_column(String(50), nullable=False)
    approver_group: Mapped[str] = mapped_column(String(255), nullable=False)
    tier: Mapped[int] = mapped_column(Integer, nullable=False, default=0)
    sla_seconds: Mapped[int] = mapped_column(Integer, nullable=False)
    due_at: Mapped[datetime] = mapped_column(DateTime(timezone=True), nullable=False)
    reasons: Mapped[dict[str, Any]] = mapped_column(nullable=False)
    explanation: Mapped[str | None] = mapped_column(Text)
    created_at: Mapped[datetime] = created_at()
    decided_at: Mapped[datetime | None] = mapped_column(DateTime(timezone=True))
    decided_by: Mapped[str | None] = mapped_column(String(255))

"""Work orders, work items, attempts and the extracted records with their versions."""

from __future__ import annotations

import uuid
from datetime import datetime
from decimal import Decimal
from typing import Any

from sqlalchemy import (
    DateTime,
    ForeignKey,
    Index,
    Integer,
    Numeric,
    String,
    Text,
    UniqueConstraint,
    func,
    text,
)
from sqlalchemy.orm import Mapped, mapped_column

from myloware.db.base import (
    AttemptStatus,
    Base,
    Priority,
    WorkItemStatus,
    WorkOrderStatus,
    attempt_status,
    created_at,
    priority,
    tenant_fk,
    uuid_pk,
    work_item_status,
    work_item_type,
    work_order_status,
)
from myloware.records import DocumentType


class WorkOrder(Base):
    __tablename__ = "work_orders"
    __table_args__ = (
        UniqueConstraint("tenant_id", "idempotency_key"),
        Index("ix_work_orders_tenant_status_created", "tenant_id", "status", "created_at"),
        # the list filtered by status and priority: its count and page (migration 0016)
        Index(
            "ix_work_orders_tenant_status_priority_created",
            "tenant_id",
            "status",
            "priority",
            "created_at",
        ),
    )

    id: Mapped[uuid.UUID] = uuid_pk()
    tenant_id: Mapped[uuid.UUID] = tenant_fk()
    status: Mapped[WorkOrderStatus] = mapped_column(
        work_order_status, nullable=False, default=WorkOrderStatus.PENDING, index=True
    )
    priority: Mapped[Priority] = mapped_column(
        priority, nullable=False, default=Priority.MEDIUM, index=True
    )
    metadata_: Mapped[dict[str, Any]] = mapped_column(
        "metadata", nullable=False, default=dict, server_default="{}"
    )
    workflow_id: Mapped[str] = mapped_column(String(255), nullable=False)
    created_by: Mapped[str] = mapped_column(String(255), nullable=False)
    idempotency_key: Mapped[str | None] = mapped_column(String(255))
    created_at: Mapped[datetime] = mapped_column(
        DateTime(timezone=True), nullable=False, server_default=func.now(), index=True
    )
    updated_at: Mapped[datetime] = mapped_column(
        DateTime(timezone=True), nullable=False, server_default=func.now(), onupdate=func.now()
    )


class WorkItem(Base):
    __tablename__ = "work_items"
    __table_args__ = (Index("ix_work_items_order_status_type", "work_order_id", "status", "type"),)

    id: Mapped[uuid.UUID] = uuid_pk()
    tenant_id: Mapped[uuid.UUID] = tenant_fk()
    work_order_id: Mapped[uuid.UUID] = mapped_column(
        ForeignKey("work_orders.id", ondelete="CASCADE"), nullable=False, index=True
    )
    position: Mapped[int] = mapped_column(Integer, nullable=False, default=0)
    # NULL until RecordGen detects it when the submitter did not say.
    type: Mapped[DocumentType | None] = mapped_column(work_item_type, index=True)
    content: Mapped[str] = mapped_column(Text, nullable=False)
    filename: Mapped[str | None] = mapped_column(String(512))
    media_type: Mapped[str | None] = mapped_column(String(255))
    blob_ref: Mapped[str | None] = mapped_column(String(80))
    status: Mapped[WorkItemStatus] = mapped_column(
        work_item_status, nullable=False, default=WorkItemStatus.QUEUED, index=True
    )
    result: Mapped[dict[str, Any] | None] = mapped_column()
    error: Mapped[str | None] = mapped_column(Text)
    created_at: Mapped[datetime] = mapped_column(
        DateTime(timezone=True), nullable=False, server_default=func.now(), index=True
    )
    started_at: Mapped[datetime | None] = mapped_column(DateTime(timezone=True))
    processed_at: Mapped[datetime | None] = mapped_column(DateTime(timezone=True))


class Attempt(Base):
    """One execution of one agent (an activity attempt, retries included)."""

    __tablename__ = "attempts"
    __table_args__ = (
        Index("ix_attempts_item_status_started", "work_item_id", "status", "started_at"),
        # model usage per tenant and day (token budgets): only attempts that called a model
        Index(
            "ix_attempts_model_usage",
            "tenant_id",
            "started_at",
            postgresql_where=text("tokens_in IS NOT NULL"),
        ),
        # the agent's tool calls (no tokens) whose answers expire with the transcripts
        Index(
            "ix_attempts_tool_calls_started",
            "started_at",
            postgresql_where=text("agent_id = 'ExtractorTool'"),
        ),
        # the cost report: a tenant's attempts in a period, the summed columns included
        Index(
            "ix_attempts_tenant_started",
            "tenant_id",
            "started_at",
            postgresql_include=[
                "work_item_id",
                "attempt_number",
                "model",
                "tokens_in",
                "tokens_out",
                "cost_usd",
            ],
        ),
    )

    id: Mapped[uuid.UUID] = uuid_pk()
    tenant_id: Mapped[uuid.UUID] = tenant_fk()
    work_item_id: Mapped[uuid.UUID] = mapped_column(
        ForeignKey("work_items.id", ondelete="CASCADE"), nullable=False, index=True
    )
    agent_id: Mapped[str] = mapped_column(String(255), nullable=False, index=True)
    attempt_number: Mapped[int] = mapped_column(Integer, nullable=False, default=1)
    status: Mapped[AttemptStatus] = mapped_column(
        attempt_status, nullable=False, default=AttemptStatus.STARTED, index=True
    )
    input: Mapped[dict[str, Any]] = mapped_column(nullable=False)
    output: Mapped[dict[str, Any] | None] = mapped_column()
    error: Mapped[str | None] = mapped_column(Text)
    started_at: Mapped[datetime] = mapped_column(
        DateTime(timezone=True), nullable=False, server_default=func.now(), index=True
    )
    completed_at: Mapped[datetime | None] = mapped_column(DateTime(timezone=True))
    duration_ms: Mapped[int | None] = mapped_column(Integer)
    model: Mapped[str | None] = mapped_column(String(255))
    tokens_in: Mapped[int | None] = mapped_column(Integer)
    tokens_out: Mapped[int | None] = mapped_column(Integer)
    cost_usd: Mapped[Decimal | None] = mapped_column(Numeric(12, 6))


#: the exact keys learning from approvals matches records by (myloware.memory.lessons), as
#: SQL on ``records.data`` (``{data}``: the column, qualified as a query needs it): lower
#: case, and letters and digits only or a trimmed e-mail (as
#: :func:`myloware.extraction.learned.key_of` folds them); each has a partial index
RECORD_KEY_SQL: dict[str, str] = {
    "vendor_tax_id": "regexp_replace(lower({data} ->> 'vendor_tax_id'), '[^0-9a-z]', '', 'g')",
    "iban": "regexp_replace(lower({data} ->> 'iban'), '[^0-9a-z]', '', 'g')",
    "sender_email": "btrim(lower({data} ->> 'sender_email'))",
    "customer_email": "btrim(lower({data} ->> 'customer_email'))",
}


#: the vendor name as "was this vendor approved before?" compares it (myloware.db.hot_sql
#: KNOWN_VENDOR, the policy's ``new_vendor``), with its partial index
VENDOR_NAME_SQL = "lower(btrim({data} ->> 'vendor_name'))"


class Record(Base):
    """The current extracted record of a work item; history lives in record_versions."""

    __tablename__ = "records"
    __table_args__ = (
        *(
            Index(
                f"ix_records_key_{name}",
                "tenant_id",
                text(expression.format(data="data")),
                postgresql_where=text(f"data ? '{name}'"),
            )
            for name, expression in RECORD_KEY_SQL.items()
        ),
        Index(
            "ix_records_vendor_name",
            "tenant_id",
            text(VENDOR_NAME_SQL.format(data="data")),
            postgresql_where=text("data ? 'vendor_name'"),
        ),
    )

    id: Mapped[uuid.UUID] = uuid_pk()
    tenant_id: Mapped[uuid.UUID] = tenant_fk()
    work_item_id: Mapped[uuid.UUID] = mapped_column(
        ForeignKey("work_items.id", ondelete="CASCADE"), nullable=False, unique=True
    )
    document_type: Mapped[DocumentType] = mapped_column(work_item_type, nullable=False)
    version: Mapped[int] = mapped_column(Integer, nullable=False, default=1)
    data: Mapped[dict[str, Any]] = mapped_column(nullable=False)
    created_at: Mapped[datetime] = created_at()
    updated_at: Mapped[datetime] = mapped_column(
        DateTime(timezone=True), nullable=False, server_default=func.now(), onupdate=func.now()
    )


class RecordVersion(Base):
    __tablename__ = "record_versions"
    __table_args__ = (UniqueConstraint("record_id", "version"),)

    id: Mapped[uuid.UUID] = uuid_pk()
    tenant_id: Mapped[uuid.UUID] = tenant_fk()
    record_id: Mapped[uuid.UUID] = mapped_column(
        ForeignKey("records.id", ondelete="CASCADE"), nullable=False, index=True
    )
    version: Mapped[int] = mapped_column(Integer, nullable=False)
    data: Mapped[dict[str, Any]] = mapped_column(nullable=False)
    canonical: Mapped[dict[str, Any]] = mapped_column(nullable=False)
    content_hash: Mapped[str] = mapped_column(String(64), nullable=False)
    source: Mapped[str] = mapped_column(String(64), nullable=False)
    created_by: Mapped[str | None] = mapped_column(String(255))
    created_at: Mapped[datetime] = created_at()

"""Approval events, evaluation results, audit logs and memory documents."""

from __future__ import annotations

import uuid
from datetime import datetime
from decimal import Decimal
from typing import Any

from pgvector.sqlalchemy import Vector
from sqlalchemy import (
    Boolean,
    CheckConstraint,
    DateTime,
    ForeignKey,
    Index,
    Numeric,
    String,
    Text,
    func,
    text,
)
from sqlalchemy.dialects.postgresql import INET
from sqlalchemy.orm import Mapped, mapped_column

from myloware.db.base import (
    ApprovalDecision,
    Base,
    MemDocType,
    approval_decision,
    created_at,
    mem_doc_type,
    tenant_fk,
    uuid_pk,
)

EMBEDDING_DIM = 384  # all-MiniLM-L6-v2, the offline embedding model


class MemDoc(Base):
    __tablename__ = "mem_docs"
    __table_args__ = (
        Index(
            "ix_mem_docs_embedding_hnsw",
            "embedding",
            postgresql_using="hnsw",
            postgresql_ops={"embedding": "vector_cosine_ops"},
            postgresql_with={"m": 24, "ef_construction": 128},  # migration 0019: recall
        ),
        # the memory indexer's queue: docs still waiting for an embedding
        Index(
            "ix_mem_docs_unembedded",
            "created_at",
            postgresql_where=text("embedding IS NULL AND NOT (metadata ? 'embedding_error')"),
        ),
        # similarity look-ups: the tenant's embedded CONTEXT docs, newest first
        Index(
            "ix_mem_docs_context_tenant_created",
            "tenant_id",
            "created_at",
            postgresql_where=text("type = 'CONTEXT' AND embedding IS NOT NULL"),
        ),
    )

    id: Mapped[uuid.UUID] = uuid_pk()
    tenant_id: Mapped[uuid.UUID] = tenant_fk()
    work_item_id: Mapped[uuid.UUID] = mapped_column(
        ForeignKey("work_items.id", ondelete="CASCADE"), nullable=False, index=True
    )
    type: Mapped[MemDocType] = mapped_column(mem_doc_type, nullable=False, index=True)
    content: Mapped[str] = mapped_column(Text, nullable=False)
    embedding: Mapped[list[float] | None] = mapped_column(Vector(EMBEDDING_DIM))
    metadata_: Mapped[dict[str, Any]] = mapped_column(
        "metadata", nullable=False, default=dict, server_default="{}"
    )
    created_at: Mapped[datetime] = created_at()
    last_accessed: Mapped[datetime] = mapped_column(
        DateTime(timezone=True), nullable=False, server_default=func.now()
    )


class ApprovalEvent(Base):
    __tablename__ = "approval_events"

    id: Mapped[uuid.UUID] = uuid_pk()
    tenant_id: Mapped[uuid.UUID] = tenant_fk()
    work_item_id: Mapped[uuid.UUID] = mapped_column(
        ForeignKey("work_items.id", ondelete="CASCADE"), nullable=False, index=True
    )
    approver_id: Mapped[str] = mapped_column(String(255), nullable=False, index=True)
    decision: Mapped[ApprovalDecision] = mapped_column(approval_decision, nullable=False)
    reason: Mapped[str | None] = mapped_column(Text)
    corrections: Mapped[dict[str, Any] | None] = mapped_column()
    timestamp: Mapped[datetime] = mapped_column(
        DateTime(timezone=True), nullable=False, server_default=func.now(), index=True
    )
    policy_version: Mapped[str] = mapped_column(String(50), nullable=False)


class EvalResult(Base):
    __tablename__ = "eval_results"
    __table_args__ = (
        CheckConstraint("score >= 0 AND score <= 1", name="score_range"),
        Index("ix_eval_results_tenant_created", "tenant_id", "created_at"),  # accuracy report
    )

    id: Mapped[uuid.UUID] = uuid_pk()
    tenant_id: Mapped[uuid.UUID] = tenant_fk()
    work_item_id: Mapped[uuid.UUID] = mapped_column(
        ForeignKey("work_items.id", ondelete="CASCADE"), nullable=False, index=True
    )
    evaluation_type: Mapped[str] = mapped_column(String(255), nullable=False, index=True)
    score: Mapped[Decimal] = mapped_column(Numeric(3, 2), nullable=False, index=True)
    metrics: Mapped[dict[str, Any]] = mapped_column(nullable=False)
    passed: Mapped[bool] = mapped_column(Boolean, nullable=False)
    created_at: Mapped[datetime] = created_at()


class AuditLog(Base):
    __tablename__ = "audit_logs"
    __table_args__ = (Index("ix_audit_logs_resource", "resource_type", "resource_id"),)

    id: Mapped[uuid.UUID] = uuid_pk()
    tenant_id: Mapped[uuid.UUID] = tenant_fk()
    user_id: Mapped[str | None] = mapped_column(String(255), index=True)
    action: Mapped[str] = mapped_column(String(255), nullable=False, index=True)
    resource_type: Mapped[str] = mapped_column(String(255), nullable=False)
    resource_id: Mapped[uuid.UUID | None] = mapped_column()
    details: Mapped[dict[str, Any]] = mapped_column(nullable=False)
    ip_address: Mapped[str | None] = mapped_column(INET)
    user_agent: Mapped[str | None] = mapped_column(Text)
    created_at: Mapped[datetime] = mapped_column(
        DateTime(timezone=True), nullable=False, server_default=func.now(), index=True
    )

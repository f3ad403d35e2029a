"""Declarative base, shared column types and the PostgreSQL enum types of the schema."""

from __future__ import annotations

import uuid
from datetime import datetime
from enum import StrEnum
from typing import Any, ClassVar

from sqlalchemy import DateTime, ForeignKey, MetaData, func
from sqlalchemy.dialects.postgresql import ENUM as PgEnum
from sqlalchemy.dialects.postgresql import JSONB, UUID
from sqlalchemy.orm import DeclarativeBase, Mapped, mapped_column

from myloware.records import DocumentType

NAMING = {
    "ix": "ix_%(table_name)s_%(column_0_N_name)s",
    "uq": "uq_%(table_name)s_%(column_0_N_name)s",
    "ck": "ck_%(table_name)s_%(constraint_name)s",
    "fk": "fk_%(table_name)s_%(column_0_name)s_%(referred_table_name)s",
    "pk": "pk_%(table_name)s",
}


class Base(DeclarativeBase):
    metadata = MetaData(naming_convention=NAMING)
    type_annotation_map: ClassVar[dict[Any, Any]] = {
        dict[str, Any]: JSONB,
        uuid.UUID: UUID(as_uuid=True),
    }


def uuid_pk() -> Mapped[uuid.UUID]:
    return mapped_column(UUID(as_uuid=True), primary_key=True, default=uuid.uuid4)


def created_at() -> Mapped[datetime]:
    return mapped_column(DateTime(timezone=True), nullable=False, server_default=func.now())


def tenant_fk() -> Mapped[uuid.UUID]:
    return mapped_column(
        UUID(as_uuid=True), ForeignKey("tenants.id", ondelete="CASCADE"), nullable=False, index=True
    )


class WorkOrderStatus(StrEnum):
    PENDING = "PENDING"
    PROCESSING = "PROCESSING"
    AWAITING_APPROVAL = "AWAITING_APPROVAL"  # an item waits for a person's decision
    COMPLETED = "COMPLETED"
    FAILED = "FAILED"
    REJECTED = "REJECTED"  # no item failed, one or more were rejected


class Priority(StrEnum):
    LOW = "LOW"
    MEDIUM = "MEDIUM"
    HIGH = "HIGH"
    URGENT = "URGENT"


class WorkItemStatus(StrEnum):
    QUEUED = "QUEUED"
    PROCESSING = "PROCESSING"
    AWAITING_APPROVAL = "AWAITING_APPROVAL"
    COMPLETED = "COMPLETED"
    FAILED = "FAILED"
    REJECTED = "REJECTED"  # by a person, by the policy, or failed closed at the SLA's end


class AttemptStatus(StrEnum):
    STARTED = "STARTED"
    COMPLETED = "COMPLETED"
    FAILED = "FAILED"
    TIMEOUT = "TIMEOUT"


class MemDocType(StrEnum):
    CONTEXT = "CONTEXT"
    KNOWLEDGE = "KNOWLEDGE"
    TEMPLATE = "TEMPLATE"


class ApprovalDecision(StrEnum):
    APPROVED = "APPROVED"
    REJECTED = "REJECTED"
    ESCALATED = "ESCALATED"


class ConnectorType(StrEnum):
    SLACK = "SLACK"
    EMAIL = "EMAIL"
    API = "API"
    DATABASE = "DATABASE"


class TenantStatus(StrEnum):
    ACTIVE = "ACTIVE"
    DISABLED = "DISABLED"  # its tokens and API keys are refused


class ConnectorStatus(StrEnum):
    ACTIVE = "ACTIVE"
    INACTIVE = "INACTIVE"
    ERROR = "ERROR"


def pg_enum(enum: type[StrEnum], name: str) -> PgEnum:
    return PgEnum(enum, name=name, values_callable=lambda e: [m.value for m in e])


work_order_status = pg_enum(WorkOrderStatus, "work_order_status")
priority = pg_enum(Priority, "priority")
work_item_type = pg_enum(DocumentType, "work_item_type")  # the one DocumentType
work_item_status = pg_enum(WorkItemStatus, "work_item_status")
attempt_status = pg_enum(AttemptStatus, "attempt_status")
mem_doc_type = pg_enum(MemDocType, "mem_doc_type")
approval_decision = pg_enum(ApprovalDecision, "approval_decision")
connector_type = pg_enum(ConnectorType, "connector_type")
connector_status = pg_enum(ConnectorStatus, "connector_status")
tenant_status = pg_enum(TenantStatus, "tenant_status")

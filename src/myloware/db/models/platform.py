"""Connectors, tools, capabilities, document schemas and workflow templates."""

from __future__ import annotations

import uuid
from datetime import datetime
from typing import Any

from sqlalchemy import (
    Boolean,
    Column,
    DateTime,
    ForeignKey,
    Index,
    String,
    Table,
    Text,
    UniqueConstraint,
    text,
)
from sqlalchemy.orm import Mapped, mapped_column

from myloware.db.base import (
    Base,
    ConnectorStatus,
    ConnectorType,
    connector_status,
    connector_type,
    created_at,
    tenant_fk,
    uuid_pk,
)
from myloware.secretbox import SealedJSON

tool_capabilities = Table(
    "tool_capabilities",
    Base.metadata,
    Column("tool_id", ForeignKey("tools.id", ondelete="CASCADE"), primary_key=True),
    Column("capability_id", ForeignKey("capabilities.id", ondelete="CASCADE"), primary_key=True),
)


class Connector(Base):
    __tablename__ = "connectors"

    id: Mapped[uuid.UUID] = uuid_pk()
    tenant_id: Mapped[uuid.UUID] = tenant_fk()
    name: Mapped[str] = mapped_column(String(255), nullable=False)
    type: Mapped[ConnectorType] = mapped_column(connector_type, nullable=False, index=True)
    # webhook and Slack secrets sealed at rest (myloware.secretbox)
    config: Mapped[dict[str, Any]] = mapped_column(SealedJSON, nullable=False)
    status: Mapped[ConnectorStatus] = mapped_column(
        connector_status, nullable=False, default=ConnectorStatus.ACTIVE, index=True
    )
    created_at: Mapped[datetime] = created_at()
    last_health_check: Mapped[datetime | None] = mapped_column(DateTime(timezone=True))


class Tool(Base):
    """A tool an agent may call. ``tenant_id`` NULL: platform-wide; ``connector_id`` NULL: built
    in (a callable in :mod:`myloware.agents.tools`). A tenant row named like a platform tool
    switches it on or off for that tenant (``is_active``)."""

    __tablename__ = "tools"
    __table_args__ = (UniqueConstraint("tenant_id", "name", postgresql_nulls_not_distinct=True),)

    id: Mapped[uuid.UUID] = uuid_pk()
    tenant_id: Mapped[uuid.UUID | None] = mapped_column(
        ForeignKey("tenants.id", ondelete="CASCADE"), index=True
    )
    name: Mapped[str] = mapped_column(String(255), nullable=False)
    description: Mapped[str | None] = mapped_column(Text)
    connector_id: Mapped[uuid.UUID | None] = mapped_column(
        ForeignKey("connectors.id", ondelete="CASCADE"), index=True
    )
    schema: Mapped[dict[str, Any]] = mapped_column(nullable=False)
    is_active: Mapped[bool] = mapped_column(Boolean, nullable=False, default=True, index=True)
    created_at: Mapped[datetime] = created_at()


class Capability(Base):
    __tablename__ = "capabilities"

    id: Mapped[uuid.UUID] = uuid_pk()
    name: Mapped[str] = mapped_column(String(255), nullable=False, unique=True)
    description: Mapped[str | None] = mapped_column(Text)
    scope: Mapped[str] = mapped_column(String(255), nullable=False, index=True)
    permissions: Mapped[dict[str, Any]] = mapped_column(nullable=False)
    created_at: Mapped[datetime] = created_at()


class DocumentSchema(Base):
    """A versioned JSON Schema for one document type (table ``schemas``)."""

    __tablename__ = "schemas"
    __table_args__ = (UniqueConstraint("name", "version"),)

    id: Mapped[uuid.UUID] = uuid_pk()
    name: Mapped[str] = mapped_column(String(255), nullable=False)
    version: Mapped[str] = mapped_column(String(50), nullable=False)
    document_type: Mapped[str] = mapped_column(String(255), nullable=False, index=True)
    schema_definition: Mapped[dict[str, Any]] = mapped_column(nullable=False)
    is_active: Mapped[bool] = mapped_column(Boolean, nullable=False, default=True, index=True)
    created_at: Mapped[datetime] = created_at()


class WorkflowTemplate(Base):
    """One version of a pipeline template (:class:`myloware.pipeline_template.TemplateSettings`
    in ``workflow_definition``) for a document type (``*``: any). ``tenant_id`` NULL is
    platform-wide; at most one version is active per tenant and document type."""

    __tablename__ = "workflow_templates"
    __table_args__ = (
        UniqueConstraint("tenant_id", "name", "version", postgresql_nulls_not_distinct=True),
        Index(
            "uq_workflow_templates_active",
            "tenant_id",
            "document_type",
            unique=True,
            postgresql_where=text("is_active"),
            postgresql_nulls_not_distinct=True,
        ),
    )

    id: Mapped[uuid.UUID] = uuid_pk()
    tenant_id: Mapped[uuid.UUID | None] = mapped_column(
        ForeignKey("tenants.id", ondelete="CASCADE"), index=True
    )
    name: Mapped[str] = mapped_column(String(255), nullable=False)
    version: Mapped[str] = mapped_column(String(50), nullable=False)
    description: Mapped[str | None] = mapped_column(Text)
    document_type: Mapped[str] = mapped_column(String(255), nullable=False, index=True)
    workflow_definition: Mapped[dict[str, Any]] = mapped_column(nullable=False)
    is_active: Mapped[bool] = mapped_column(Boolean, nullable=False, default=True, index=True)
    created_by: Mapped[str | None] = mapped_column(String(255))
    created_at: Mapped[datetime] = created_at()

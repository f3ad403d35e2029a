"""Archived attempts and audit rows (retention, see docs/deploy.md "Retention").

Each archived row keeps the original row whole as JSONB (``row``) beside the columns it is
looked up by; ``jsonb_populate_record(NULL::attempts, row)`` reads one back as a typed
``attempts`` row (the Run Trace still shows archived attempts). Rows get here only by being
moved (deleted from their table and inserted here in one statement): nothing is lost.
"""

from __future__ import annotations

import uuid
from datetime import datetime
from typing import Any

from sqlalchemy import DateTime, ForeignKey, Index, func
from sqlalchemy.orm import Mapped, mapped_column

from myloware.db.base import Base, tenant_fk


class ArchivedAttempt(Base):
    """An attempt of a long-closed work order, moved out of ``attempts``."""

    __tablename__ = "attempts_archive"

    id: Mapped[uuid.UUID] = mapped_column(primary_key=True)
    tenant_id: Mapped[uuid.UUID] = tenant_fk()
    work_item_id: Mapped[uuid.UUID] = mapped_column(
        ForeignKey("work_items.id", ondelete="CASCADE"), nullable=False, index=True
    )
    started_at: Mapped[datetime] = mapped_column(DateTime(timezone=True), nullable=False)
    archived_at: Mapped[datetime] = mapped_column(
        DateTime(timezone=True), nullable=False, server_default=func.now()
    )
    row: Mapped[dict[str, Any]] = mapped_column(nullable=False)


class ArchivedAuditLog(Base):
    """An audit row past its retention, moved out of ``audit_logs`` (never deleted)."""

    __tablename__ = "audit_logs_archive"
    __table_args__ = (
        Index("ix_audit_logs_archive_tenant_id_created_at", "tenant_id", "created_at"),
    )

    id: Mapped[uuid.UUID] = mapped_column(primary_key=True)
    tenant_id: Mapped[uuid.UUID] = mapped_column(
        ForeignKey("tenants.id", ondelete="CASCADE"), nullable=False
    )
    created_at: Mapped[datetime] = mapped_column(DateTime(timezone=True), nullable=False)
    archived_at: Mapped[datetime] = mapped_column(
        DateTime(timezone=True), nullable=False, server_default=func.now()
    )
    row: Mapped[dict[str, Any]] = mapped_column(nullable=False)

"""The delivery log of outgoing webhooks: one row per attempt to POST one event to one connector.

It is what makes deliveries idempotent per connector (a connector with a successful attempt for
an event is not sent that event again), what decides when a connector goes to ``ERROR``
(consecutive failed attempts), and what an admin reads to see why a receiver missed events.
"""

from __future__ import annotations

import uuid
from datetime import datetime

from sqlalchemy import Boolean, DateTime, ForeignKey, Index, Integer, String, Text, text
from sqlalchemy.orm import Mapped, mapped_column

from myloware.db.base import Base, tenant_fk, uuid_pk


class WebhookDelivery(Base):
    """One attempt to deliver one event to one outgoing-webhook (``API``) connector."""

    __tablename__ = "webhook_deliveries"
    __table_args__ = (
        Index("ix_webhook_deliveries_connector_event", "connector_id", "event_id"),
        Index("ix_webhook_deliveries_connector_attempted", "connector_id", "attempted_at"),
    )

    id: Mapped[uuid.UUID] = uuid_pk()
    tenant_id: Mapped[uuid.UUID] = tenant_fk()
    connector_id: Mapped[uuid.UUID] = mapped_column(
        ForeignKey("connectors.id", ondelete="CASCADE"), nullable=False
    )
    event_id: Mapped[uuid.UUID] = mapped_column(nullable=False)
    event_type: Mapped[str] = mapped_column(String(255), nullable=False)
    succeeded: Mapped[bool] = mapped_column(Boolean, nullable=False)
    status_code: Mapped[int | None] = mapped_column(Integer)
    error: Mapped[str | None] = mapped_column(Text)
    duration_ms: Mapped[int] = mapped_column(Integer, nullable=False)
    attempted_at: Mapped[datetime] = mapped_column(
        DateTime(timezone=True), nullable=False, server_default=text("now()")
    )

"""Where MyloWare's Slack approval cards were posted, so later events can update them."""

from __future__ import annotations

import uuid
from datetime import datetime

from sqlalchemy import ForeignKey, Integer, String, UniqueConstraint
from sqlalchemy.orm import Mapped, mapped_column

from myloware.db.base import Base, created_at, tenant_fk, uuid_pk


class SlackMessage(Base):
    """One approval card: the message ``ts`` in ``channel`` for one tier of one request."""

    __tablename__ = "slack_messages"
    __table_args__ = (UniqueConstraint("request_id", "tier"),)

    id: Mapped[uuid.UUID] = uuid_pk()
    tenant_id: Mapped[uuid.UUID] = tenant_fk()
    request_id: Mapped[uuid.UUID] = mapped_column(
        ForeignKey("approval_requests.id", ondelete="CASCADE"), nullable=False
    )
    tier: Mapped[int] = mapped_column(Integer, nullable=False)
    channel: Mapped[str] = mapped_column(String(64), nullable=False)
    ts: Mapped[str] = mapped_column(String(32), nullable=False)
    created_at: Mapped[datetime] = created_at()

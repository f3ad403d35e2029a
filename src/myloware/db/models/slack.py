"""Where MyloWare's Slack approval cards were posted, so later events can update them; and
which work orders arrived through Slack, so their outcome is answered where they came from."""

from __future__ import annotations

import uuid
from datetime import datetime

from sqlalchemy import DateTime, ForeignKey, Integer, String, UniqueConstraint
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


class SlackIntake(Base):
    """A work order made from files shared in Slack: the message they were shared in.

    Written by the intake only, in the order's own transaction: an order's ``metadata`` is
    the submitter's to write, so it cannot say where the bot may post."""

    __tablename__ = "slack_intakes"

    work_order_id: Mapped[uuid.UUID] = mapped_column(
        ForeignKey("work_orders.id", ondelete="CASCADE"), primary_key=True
    )
    tenant_id: Mapped[uuid.UUID] = tenant_fk()
    team_id: Mapped[str] = mapped_column(String(32), nullable=False)
    channel: Mapped[str] = mapped_column(String(64), nullable=False)
    thread_ts: Mapped[str] = mapped_column(String(32), nullable=False)
    user_id: Mapped[str] = mapped_column(String(64), nullable=False)
    created_at: Mapped[datetime] = created_at()
    answered_at: Mapped[datetime | None] = mapped_column(DateTime(timezone=True))

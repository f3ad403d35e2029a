"""Tenants, their API keys, their people's accounts and the UI's sign-in sessions."""

from __future__ import annotations

import uuid
from datetime import datetime

from sqlalchemy import DateTime, ForeignKey, String, Text, text
from sqlalchemy.dialects.postgresql import ARRAY, UUID
from sqlalchemy.orm import Mapped, mapped_column

from myloware.db.base import Base, TenantStatus, created_at, tenant_fk, tenant_status, uuid_pk


class Tenant(Base):
    __tablename__ = "tenants"

    id: Mapped[uuid.UUID] = uuid_pk()
    slug: Mapped[str] = mapped_column(String(63), unique=True, nullable=False)
    name: Mapped[str] = mapped_column(String(255), nullable=False)
    status: Mapped[TenantStatus] = mapped_column(
        tenant_status,
        nullable=False,
        default=TenantStatus.ACTIVE,
        server_default=text("'ACTIVE'"),
    )
    created_at: Mapped[datetime] = created_at()


class ApiKey(Base):
    """An API key; only its SHA-256 is stored, the key itself is shown once at creation."""

    __tablename__ = "api_keys"

    id: Mapped[uuid.UUID] = uuid_pk()
    tenant_id: Mapped[uuid.UUID] = tenant_fk()
    name: Mapped[str] = mapped_column(String(255), nullable=False)
    prefix: Mapped[str] = mapped_column(String(16), nullable=False)
    key_hash: Mapped[str] = mapped_column(String(64), unique=True, nullable=False)
    capabilities: Mapped[list[str]] = mapped_column(ARRAY(String(64)), nullable=False)
    # approver groups the key may decide for (admin keys decide for every group)
    groups: Mapped[list[str]] = mapped_column(
        ARRAY(String(64)), nullable=False, default=list, server_default="{}"
    )
    created_at: Mapped[datetime] = created_at()
    expires_at: Mapped[datetime | None] = mapped_column(DateTime(timezone=True))
    revoked_at: Mapped[datetime | None] = mapped_column(DateTime(timezone=True))
    last_used_at: Mapped[datetime | None] = mapped_column(DateTime(timezone=True))


class Account(Base):
    """A person who signs in to the UI with a password (the embedded default's accounts;
    with an identity provider people sign in through OIDC instead). Only an argon2 hash of
    the password is stored; a one-time set-password link is stored as its SHA-256."""

    __tablename__ = "accounts"

    id: Mapped[uuid.UUID] = uuid_pk()
    tenant_id: Mapped[uuid.UUID] = tenant_fk()
    # lower-case, unique across tenants: the sign-in form asks for nothing else
    username: Mapped[str] = mapped_column(String(255), unique=True, nullable=False)
    email: Mapped[str | None] = mapped_column(String(320))
    display_name: Mapped[str] = mapped_column(String(255), nullable=False)
    capabilities: Mapped[list[str]] = mapped_column(ARRAY(String(64)), nullable=False)
    groups: Mapped[list[str]] = mapped_column(
        ARRAY(String(64)), nullable=False, default=list, server_default="{}"
    )
    password_hash: Mapped[str | None] = mapped_column(Text)  # argon2; None: not set yet
    password_set_at: Mapped[datetime | None] = mapped_column(DateTime(timezone=True))
    setup_token_hash: Mapped[str | None] = mapped_column(String(64), unique=True)
    setup_token_expires_at: Mapped[datetime | None] = mapped_column(DateTime(timezone=True))
    created_at: Mapped[datetime] = created_at()
    disabled_at: Mapped[datetime | None] = mapped_column(DateTime(timezone=True))
    last_sign_in_at: Mapped[datetime | None] = mapped_column(DateTime(timezone=True))


class UiSession(Base):
    """A sign-in to the Run Trace UI. The browser's cookie holds a random id, of which only
    the SHA-256 is stored; the pasted JWT or API key stays here, sealed like connector
    secrets (``myloware.secretbox``), and is checked again on every request. Signing out
    deletes the row; rows past ``expires_at`` are refused and swept at the next sign-in."""

    __tablename__ = "ui_sessions"

    id_hash: Mapped[str] = mapped_column(String(64), primary_key=True)
    tenant_id: Mapped[uuid.UUID] = tenant_fk()
    subject: Mapped[str] = mapped_column(String(255), nullable=False)
    credential: Mapped[str] = mapped_column(Text, nullable=False)  # sealed
    # the account signed in with a password, so disabling it ends its sessions
    account_id: Mapped[uuid.UUID | None] = mapped_column(
        UUID(as_uuid=True), ForeignKey("accounts.id", ondelete="CASCADE"), index=True
    )
    created_at: Mapped[datetime] = created_at()
    expires_at: Mapped[datetime] = mapped_column(
        DateTime(timezone=True), nullable=False, index=True
    )

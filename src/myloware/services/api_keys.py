"""A tenant's API keys: created (shown once, stored as a SHA-256), listed, revoked.

Used by the admin API (``/v1/api-keys``) and the operator CLI (``myloware apikey``). Every
change is audited in the caller's transaction; the caller commits. A revoked key is refused
at once by the API process that revoked it and within the API-key cache's 30 s by the others.
"""

from __future__ import annotations

import uuid
from collections.abc import Sequence
from datetime import UTC, datetime, timedelta

from sqlalchemy import or_, select
from sqlalchemy.ext.asyncio import AsyncSession

from myloware.auth.principal import Principal
from myloware.auth.tokens import new_api_key
from myloware.db.audit import ClientInfo, record_audit
from myloware.db.models import ApiKey
from myloware.errors import NotFoundError


async def create_api_key(
    session: AsyncSession,
    *,
    tenant_id: uuid.UUID,
    name: str,
    capabilities: Sequence[str],
    groups: Sequence[str] = (),
    expires_in_days: int | None = None,
    principal: Principal | None,
    user_id: str | None = None,
    client: ClientInfo | None = None,
) -> tuple[ApiKey, str]:
    """A new key for the tenant; returns its row and the key itself (never stored)."""
    key, prefix, digest = new_api_key()
    row = ApiKey(
        tenant_id=tenant_id,
        name=name,
        prefix=prefix,
        key_hash=digest,
        capabilities=list(capabilities),
        groups=list(groups),
        expires_at=datetime.now(UTC) + timedelta(days=expires_in_days) if expires_in_days else None,
    )
    session.add(row)
    await session.flush()
    await session.refresh(row)
    record_audit(
        session,
        principal=principal,
        user_id=user_id,
        tenant_id=tenant_id,
        action="api_key.create",
        resource_type="api_key",
        resource_id=row.id,
        details={"name": name, "prefix": prefix, "capabilities": list(capabilities)},
        client=client,
    )
    return row, key


async def list_api_keys(
    session: AsyncSession, *, tenant_id: uuid.UUID, include_revoked: bool = False
) -> Sequence[ApiKey]:
    query = select(ApiKey).where(ApiKey.tenant_id == tenant_id)
    if not include_revoked:
        query = query.where(ApiKey.revoked_at.is_(None))
    return (await session.scalars(query.order_by(ApiKey.created_at, ApiKey.id))).all()


async def revoke_api_key(
    session: AsyncSession,
    *,
    tenant_id: uuid.UUID,
    key: str,
    principal: Principal | None,
    user_id: str | None = None,
    client: ClientInfo | None = None,
) -> ApiKey:
    """Revoke the tenant's key given by id or prefix (``mlw_…``); revoking twice changes
    nothing. NotFoundError when no key of this tenant matches."""
    try:
        match = or_(ApiKey.id == uuid.UUID(key), ApiKey.prefix == key)
    except ValueError:
        match = ApiKey.prefix == key
    row = await session.scalar(
        select(ApiKey).where(ApiKey.tenant_id == tenant_id, match).with_for_update()
    )
    if row is None:
        raise NotFoundError(f"API key {key} not found")
    if row.revoked_at is None:
        row.revoked_at = datetime.now(UTC)
        record_audit(
            session,
            principal=principal,
            user_id=user_id,
            tenant_id=tenant_id,
            action="api_key.revoke",
            resource_type="api_key",
            resource_id=row.id,
            details={"name": row.name, "prefix": row.prefix},
            client=client,
        )
    await session.flush()
    return row

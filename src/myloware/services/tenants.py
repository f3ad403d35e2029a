"""Tenants, managed by platform operators: created, listed, renamed, disabled and enabled.

Used by the operator API (``/v1/tenants``, capability ``tenants:admin``) and the CLI
(``myloware tenant``). Every change is audited in the caller's transaction, under the tenant
it changed; the caller commits. A disabled tenant's tokens and API keys are refused: at once
by the API process that disabled it (the route drops its cache entry), within the tenant
cache's 30 s by the others.
"""

from __future__ import annotations

import re
import uuid
from collections.abc import Sequence

from sqlalchemy import func, or_, select
from sqlalchemy.dialects.postgresql import insert
from sqlalchemy.ext.asyncio import AsyncSession

from myloware.auth.principal import Principal
from myloware.db.audit import ClientInfo, record_audit
from myloware.db.base import TenantStatus
from myloware.db.models import Tenant
from myloware.errors import ConflictError, NotFoundError, ValidationFailed

#: A tenant's slug: lower-case letters, digits and inner hyphens, 1 to 63 characters.
SLUG_PATTERN = r"^[a-z0-9](?:[a-z0-9-]{0,61}[a-z0-9])?$"
_SLUG = re.compile(SLUG_PATTERN)


def check_slug(slug: str) -> str:
    """``slug`` if it is a valid tenant slug; ValidationFailed else."""
    if not _SLUG.match(slug):
        raise ValidationFailed(
            f"invalid tenant slug {slug!r}: lower-case letters, digits and inner hyphens"
        )
    return slug


async def create_tenant(
    session: AsyncSession,
    *,
    slug: str,
    name: str,
    principal: Principal | None,
    user_id: str | None = None,
    client: ClientInfo | None = None,
) -> Tenant:
    """A new, active tenant; ConflictError when the slug is taken."""
    tenant_id = await session.scalar(
        insert(Tenant)
        .values(id=uuid.uuid4(), slug=check_slug(slug), name=name, status=TenantStatus.ACTIVE)
        .on_conflict_do_nothing(index_elements=["slug"])
        .returning(Tenant.id)
    )
    if tenant_id is None:
        raise ConflictError(f"a tenant '{slug}' exists already", details={"slug": slug})
    record_audit(
        session,
        principal=principal,
        user_id=user_id,
        tenant_id=tenant_id,
        action="tenant.create",
        resource_type="tenant",
        resource_id=tenant_id,
        details={"slug": slug, "name": name},
        client=client,
    )
    return await get_tenant(session, tenant=str(tenant_id))


async def list_tenants(
    session: AsyncSession,
    *,
    status: TenantStatus | None = None,
    limit: int = 50,
    offset: int = 0,
) -> tuple[Sequence[Tenant], int]:
    """One page of the tenants, oldest first, and how many there are."""
    conditions = [] if status is None else [Tenant.status == status]
    total = await session.scalar(select(func.count()).select_from(Tenant).where(*conditions))
    rows = (
        await session.scalars(
            select(Tenant)
            .where(*conditions)
            .order_by(Tenant.created_at, Tenant.id)
            .limit(limit)
            .offset(offset)
        )
    ).all()
    return rows, int(total or 0)


async def get_tenant(session: AsyncSession, *, tenant: str, for_update: bool = False) -> Tenant:
    """The tenant given by slug or id; NotFoundError when there is none."""
    condition = Tenant.slug == tenant
    try:
        condition = or_(condition, Tenant.id == uuid.UUID(tenant))
    except ValueError:
        pass
    query = select(Tenant).where(condition).order_by(Tenant.slug != tenant).limit(1)
    row = await session.scalar(query.with_for_update() if for_update else query)
    if row is None:
        raise NotFoundError(f"no tenant '{tenant}'")
    return row


async def is_active(session: AsyncSession, tenant_id: uuid.UUID) -> bool:
    """True when the tenant exists and is ACTIVE: the intakes (Slack, e-mail) ask this
    before taking anything, since they act for a tenant without one of its tokens."""
    status = await session.scalar(select(Tenant.status).where(Tenant.id == tenant_id))
    return status is TenantStatus.ACTIVE


async def update_tenant(
    session: AsyncSession,
    *,
    tenant: str,
    name: str | None = None,
    status: TenantStatus | None = None,
    principal: Principal | None,
    user_id: str | None = None,
    client: ClientInfo | None = None,
) -> Tenant:
    """Rename and/or disable or enable the tenant given by id or slug; one audit row per
    actual change (``tenant.rename``, ``tenant.disable``, ``tenant.enable``).

    ConflictError when an operator would disable their own tenant (and so lock themselves
    out); NotFoundError when there is no such tenant."""
    row = await get_tenant(session, tenant=tenant, for_update=True)
    changes: list[tuple[str, dict[str, object]]] = []
    if name is not None and name != row.name:
        changes.append(("tenant.rename", {"from": row.name, "to": name}))
        row.name = name
    if status is not None and status != row.status:
        if (
            status is TenantStatus.DISABLED
            and principal is not None
            and principal.tenant_id == row.id
        ):
            raise ConflictError("an operator cannot disable their own tenant")
        action = "tenant.disable" if status is TenantStatus.DISABLED else "tenant.enable"
        changes.append((action, {"slug": row.slug}))
        row.status = status
    for action, details in changes:
        record_audit(
            session,
            principal=principal,
            user_id=user_id,
            tenant_id=row.id,
            action=action,
            resource_type="tenant",
            resource_id=row.id,
            details=details,
            client=client,
        )
    await session.flush()
    return row

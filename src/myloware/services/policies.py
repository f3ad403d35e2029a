"""Stored policies: the active one for a tenant, new versions, listing; dry runs."""

from __future__ import annotations

import uuid
from collections.abc import Sequence

from sqlalchemy import or_, select
from sqlalchemy.exc import IntegrityError
from sqlalchemy.ext.asyncio import AsyncSession

from myloware.auth.principal import Principal
from myloware.db.audit import ClientInfo, record_audit
from myloware.db.models import PolicyDocument
from myloware.errors import ConflictError
from myloware.policy import Policy, default_policy, policy_digest, policy_from_dict, policy_to_dict


async def active_policy(
    session: AsyncSession, *, tenant_id: uuid.UUID
) -> tuple[Policy, uuid.UUID | None]:
    """The tenant's newest active policy, else the platform default (stored or shipped)."""
    row = await session.scalar(
        select(PolicyDocument)
        .where(
            or_(PolicyDocument.tenant_id == tenant_id, PolicyDocument.tenant_id.is_(None)),
            PolicyDocument.is_active.is_(True),
        )
        .order_by(PolicyDocument.tenant_id.is_(None), PolicyDocument.created_at.desc())
        .limit(1)
    )
    if row is None:
        return default_policy(), None
    return policy_from_dict(row.document), row.id


async def store_policy(
    session: AsyncSession,
    *,
    policy: Policy,
    tenant_id: uuid.UUID | None,
    principal: Principal | None,
    client: ClientInfo | None = None,
) -> PolicyDocument:
    """Add a policy version (and make it the active one); the same name+version twice is 409."""
    row = PolicyDocument(
        tenant_id=tenant_id,
        name=policy.name,
        version=policy.version,
        document=policy_to_dict(policy),
        digest=policy_digest(policy),
        is_active=True,
        created_by=principal.subject if principal else "system",
    )
    session.add(row)
    try:
        await session.flush()
    except IntegrityError:
        await session.rollback()
        raise ConflictError(
            f"policy '{policy.name}' version {policy.version} already exists; "
            "publish a new version instead"
        ) from None
    if tenant_id is not None:
        record_audit(
            session,
            principal=principal,
            tenant_id=tenant_id,
            action="policy.publish",
            resource_type="policy",
            resource_id=row.id,
            details={"name": policy.name, "version": policy.version, "digest": row.digest},
            client=client,
        )
    return row


async def list_policies(session: AsyncSession, *, tenant_id: uuid.UUID) -> Sequence[PolicyDocument]:
    return (
        await session.scalars(
            select(PolicyDocument)
            .where(or_(PolicyDocument.tenant_id == tenant_id, PolicyDocument.tenant_id.is_(None)))
            .order_by(PolicyDocument.created_at.desc())
        )
    ).all()

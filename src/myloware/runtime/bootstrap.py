"""First-run set-up shared by ``myloware up`` and ``myloware migrate``: schema and seed data.

Idempotent: migrations to head, the default tenant, the capability catalogue, the
built-in document schemas and the shipped default policy (each inserted once per version,
never overwritten).
"""

from __future__ import annotations

import uuid

from sqlalchemy import select
from sqlalchemy.dialects.postgresql import insert
from sqlalchemy.ext.asyncio import AsyncSession
from sqlalchemy.orm.attributes import flag_modified

from myloware import secretbox
from myloware.auth.principal import Capability
from myloware.db.engine import create_engine, session_factory
from myloware.db.migrate import upgrade
from myloware.db.models import Capability as CapabilityRow
from myloware.db.models import Connector, PolicyDocument, Tenant
from myloware.policy import default_policy, policy_digest, policy_to_dict
from myloware.services.schemas_registry import seed_builtin_schemas
from myloware.services.tools import seed_builtin_tools

DEFAULT_TENANT_SLUG = "default"
CAPABILITY_TEXT = {
    Capability.WORK_ORDERS_READ: "read work orders, items, attempts and records",
    Capability.WORK_ORDERS_WRITE: "submit documents and create work orders",
    Capability.APPROVALS_DECIDE: "approve, reject, correct or escalate work items",
    Capability.ADMIN: "everything in its tenant, including policies, keys and the audit log",
    Capability.TENANTS_ADMIN: "create, rename and disable tenants (platform operators only)",
}


async def seed(session: AsyncSession) -> uuid.UUID:
    """Insert what a fresh database needs; returns the default tenant's id."""
    await session.execute(
        insert(Tenant)
        .values(id=uuid.uuid4(), slug=DEFAULT_TENANT_SLUG, name="Default tenant")
        .on_conflict_do_nothing(index_elements=["slug"])
    )
    for cap, description in CAPABILITY_TEXT.items():
        await session.execute(
            insert(CapabilityRow)
            .values(
                id=uuid.uuid4(),
                name=cap.value,
                description=description,
                scope=cap.value.split(":")[0],
                permissions={"grants": [cap.value]},
            )
            .on_conflict_do_nothing(index_elements=["name"])
        )
    await seed_builtin_schemas(session)  # every version; the current one active
    await seed_builtin_tools(session)  # tools added since the migration seeded them
    policy = default_policy()
    await session.execute(
        insert(PolicyDocument)
        .values(
            id=uuid.uuid4(),
            tenant_id=None,
            name=policy.name,
            version=policy.version,
            document=policy_to_dict(policy),
            digest=policy_digest(policy),
            is_active=True,
            created_by="system",
        )
        .on_conflict_do_nothing(constraint="uq_policies_tenant_id_name_version")
    )
    tenant_id = await session.scalar(select(Tenant.id).where(Tenant.slug == DEFAULT_TENANT_SLUG))
    assert tenant_id is not None
    return tenant_id


async def bootstrap(database_url: str) -> uuid.UUID:
    """Migrate to head and seed; returns the default tenant id."""
    import asyncio

    await asyncio.to_thread(upgrade, database_url)
    engine = create_engine(database_url, pool_size=1)
    try:
        async with session_factory(engine)() as session, session.begin():
            tenant_id = await seed(session)
            if secretbox.explicitly_keyed():
                await reseal_connectors(session)
            return tenant_id
    finally:
        await engine.dispose()


async def reseal_connectors(session: AsyncSession) -> int:
    """Write every connector again: secrets stored before sealing existed, or under a key
    that is no longer the first, come out sealed under the current key."""
    rows = (await session.scalars(select(Connector).with_for_update())).all()
    for row in rows:
        flag_modified(row, "config")
    await session.flush()
    return len(rows)

"""The tools agents may call: the built-in ones seeded as rows of ``tools`` (with the
capabilities they need in ``tool_capabilities``), and which of them a tenant allows."""

from __future__ import annotations

import uuid
from collections.abc import Sequence
from dataclasses import dataclass

import sqlalchemy as sa
from sqlalchemy import select
from sqlalchemy.dialects.postgresql import insert
from sqlalchemy.ext.asyncio import AsyncSession

from myloware.auth.principal import Principal
from myloware.db.audit import ClientInfo, record_audit
from myloware.db.models import Capability, Tool, tool_capabilities
from myloware.errors import NotFoundError
from myloware.pipeline_template import BUILTIN_TOOLS, CAPABILITIES


def _seed_statements() -> list[sa.Executable]:
    """Idempotent inserts of the built-in tools, their capabilities and the links."""
    stmts: list[sa.Executable] = [
        insert(Capability)
        .values(
            [
                {
                    "id": uuid.uuid4(),
                    "name": name,
                    "scope": scope,
                    "description": description,
                    "permissions": {
                        "tools": [t.name for t in BUILTIN_TOOLS if name in t.capabilities]
                    },
                }
                for name, (scope, description) in CAPABILITIES.items()
            ]
        )
        .on_conflict_do_nothing(index_elements=["name"]),
        insert(Tool)
        .values(
            [
                {
                    "id": uuid.uuid4(),
                    "tenant_id": None,
                    "connector_id": None,
                    "name": t.name,
                    "description": t.description,
                    "schema": t.as_schema(),
                    "is_active": True,
                }
                for t in BUILTIN_TOOLS
            ]
        )
        .on_conflict_do_nothing(),
    ]
    for spec in BUILTIN_TOOLS:
        tool_id = (
            select(Tool.id)
            .where(Tool.tenant_id.is_(None), Tool.name == spec.name)
            .scalar_subquery()
        )
        for cap in spec.capabilities:
            cap_id = select(Capability.id).where(Capability.name == cap).scalar_subquery()
            stmts.append(
                insert(tool_capabilities)
                .from_select(["tool_id", "capability_id"], select(tool_id, cap_id))
                .on_conflict_do_nothing()
            )
    return stmts


def seed_builtin_tools_sync(conn: sa.Connection) -> None:
    """For the migration: the built-in tools as rows (nothing changes when they exist)."""
    for stmt in _seed_statements():
        conn.execute(stmt)


async def seed_builtin_tools(session: AsyncSession) -> None:
    """At start-up: tools added to the catalogue since the migration (idempotent)."""
    for stmt in _seed_statements():
        await session.execute(stmt)


@dataclass(frozen=True)
class ToolView:
    name: str
    description: str | None
    capabilities: list[str]
    builtin: bool
    enabled: bool  # for this tenant


async def list_tools(session: AsyncSession, *, tenant_id: uuid.UUID) -> list[ToolView]:
    """The platform's tools, with their capabilities and whether this tenant allows each."""
    platform = (
        await session.scalars(select(Tool).where(Tool.tenant_id.is_(None)).order_by(Tool.name))
    ).all()
    overrides = {
        t.name: t.is_active
        for t in (await session.scalars(select(Tool).where(Tool.tenant_id == tenant_id))).all()
    }
    caps = await _capabilities(session, [t.id for t in platform])
    return [
        ToolView(
            name=t.name,
            description=t.description,
            capabilities=caps.get(t.id, []),
            builtin=t.connector_id is None,
            enabled=t.is_active and overrides.get(t.name, True),
        )
        for t in platform
    ]


async def enabled_tool_names(session: AsyncSession, *, tenant_id: uuid.UUID) -> set[str]:
    return {t.name for t in await list_tools(session, tenant_id=tenant_id) if t.enabled}


async def set_tool_enabled(
    session: AsyncSession,
    *,
    tenant_id: uuid.UUID,
    name: str,
    enabled: bool,
    principal: Principal | None,
    client: ClientInfo | None = None,
) -> ToolView:
    """Allow or refuse a platform tool for one tenant (a tenant row of the same name)."""
    tool = await session.scalar(select(Tool).where(Tool.tenant_id.is_(None), Tool.name == name))
    if tool is None:
        raise NotFoundError(f"no tool named {name!r}")
    await session.execute(
        insert(Tool)
        .values(
            id=uuid.uuid4(),
            tenant_id=tenant_id,
            connector_id=None,
            name=name,
            description=tool.description,
            schema={},
            is_active=enabled,
        )
        .on_conflict_do_update(index_elements=["tenant_id", "name"], set_={"is_active": enabled})
    )
    record_audit(
        session,
        principal=principal,
        tenant_id=tenant_id,
        action="tool.enable" if enabled else "tool.disable",
        resource_type="tool",
        resource_id=tool.id,
        details={"name": name},
        client=client,
    )
    views = await list_tools(session, tenant_id=tenant_id)
    return next(v for v in views if v.name == name)


async def _capabilities(
    session: AsyncSession, tool_ids: Sequence[uuid.UUID]
) -> dict[uuid.UUID, list[str]]:
    rows = await session.execute(
        select(tool_capabilities.c.tool_id, Capability.name)
        .join(Capability, Capability.id == tool_capabilities.c.capability_id)
        .where(tool_capabilities.c.tool_id.in_(tool_ids))
        .order_by(Capability.name)
    )
    found: dict[uuid.UUID, list[str]] = {}
    for tool_id, cap in rows:
        found.setdefault(tool_id, []).append(cap)
    return found

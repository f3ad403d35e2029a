"""Operator commands for credentials: ``token create``, ``apikey create|list|revoke``."""

from __future__ import annotations

import uuid
from typing import Annotated

import typer
from sqlalchemy.ext.asyncio import AsyncSession

from myloware.auth.principal import CAPABILITIES, parse_capabilities
from myloware.auth.tokens import issue_token
from myloware.cli._common import console, run, settings_for_cli
from myloware.cli._db import in_transaction
from myloware.db.audit import record_audit
from myloware.db.base import TenantStatus
from myloware.db.engine import create_engine, session_factory
from myloware.db.models import ApiKey
from myloware.errors import ConflictError, ValidationFailed
from myloware.runtime.endpoints import resolve_endpoints
from myloware.services import api_keys
from myloware.services.tenants import get_tenant

token_app = typer.Typer(help="Issue JWT bearer tokens.", no_args_is_help=True)
apikey_app = typer.Typer(
    help="API keys (stored hashed): create, list, revoke.", no_args_is_help=True
)

TenantOpt = Annotated[str, typer.Option("--tenant", help="tenant slug or id")]
GroupsOpt = Annotated[
    list[str], typer.Option("--group", "-g", help="approver group the holder decides for")
]
CapsOpt = Annotated[
    list[str],
    typer.Option("--capability", "-c", help=f"repeatable; one of {', '.join(CAPABILITIES)}"),
]


def _capabilities(values: list[str]) -> list[str]:
    try:
        return sorted(parse_capabilities(values or []))
    except ValueError as exc:
        raise ValidationFailed(str(exc)) from None


async def _tenant_id(database_url: str, tenant: str, *, active: bool = False) -> uuid.UUID:
    """The id of the tenant given by slug or id (the one look-up, ``services.tenants``);
    ``active``: refuse a disabled tenant (new credentials for it would be refused anyway)."""

    async def look_up(session: AsyncSession) -> uuid.UUID:
        row = await get_tenant(session, tenant=tenant)
        if active and row.status is TenantStatus.DISABLED:
            raise ConflictError(f"tenant '{tenant}' is disabled: enable it first")
        return row.id

    return await in_transaction(database_url, look_up)


@token_app.command("create")
def token_create(
    tenant: TenantOpt = "default",
    capability: CapsOpt = [],  # noqa: B006 - typer needs a literal default
    subject: Annotated[str, typer.Option(help="who the token is for")] = "operator",
    ttl: Annotated[int, typer.Option(help="lifetime in seconds", min=60)] = 3600,
    group: GroupsOpt = [],  # noqa: B006
) -> None:
    """Print a signed JWT for a tenant with the given capabilities (and approver groups)."""
    settings = settings_for_cli()
    caps = _capabilities(capability or ["work_orders:read", "work_orders:write"])
    database_url = resolve_endpoints(settings).database_url
    tenant_id = run(_tenant_id(database_url, tenant, active=True))
    token = issue_token(
        settings,
        tenant_id=tenant_id,
        capabilities=caps,
        subject=subject,
        ttl_seconds=ttl,
        groups=group,
    )
    details = {"subject": subject, "capabilities": caps, "groups": group, "ttl_seconds": ttl}
    run(_audit(database_url, tenant_id, "token.issue", "token", details))
    print(token)


async def _audit(
    database_url: str, tenant_id: uuid.UUID, action: str, resource: str, details: dict[str, object]
) -> None:
    engine = create_engine(database_url, pool_size=1)
    try:
        async with session_factory(engine)() as session, session.begin():
            record_audit(
                session,
                principal=None,
                user_id="cli",
                tenant_id=tenant_id,
                action=action,
                resource_type=resource,
                resource_id=None,
                details={**details, "via": "cli"},
            )
    finally:
        await engine.dispose()


async def _create_key(
    database_url: str, tenant: str, name: str, caps: list[str], days: int | None, groups: list[str]
) -> str:
    tenant_id = await _tenant_id(database_url, tenant)
    engine = create_engine(database_url, pool_size=1)
    try:
        async with session_factory(engine)() as session, session.begin():
            _, key = await api_keys.create_api_key(
                session,
                tenant_id=tenant_id,
                name=name,
                capabilities=caps,
                groups=groups,
                expires_in_days=days,
                principal=None,
                user_id="cli",
            )
    finally:
        await engine.dispose()
    return key


async def _list_keys(database_url: str, tenant: str, include_revoked: bool) -> list[ApiKey]:
    tenant_id = await _tenant_id(database_url, tenant)
    engine = create_engine(database_url, pool_size=1)
    try:
        async with session_factory(engine)() as session:
            rows = await api_keys.list_api_keys(
                session, tenant_id=tenant_id, include_revoked=include_revoked
            )
    finally:
        await engine.dispose()
    return list(rows)


async def _revoke_key(database_url: str, tenant: str, key: str) -> ApiKey:
    tenant_id = await _tenant_id(database_url, tenant)
    engine = create_engine(database_url, pool_size=1)
    try:
        async with session_factory(engine)() as session, session.begin():
            return await api_keys.revoke_api_key(
                session, tenant_id=tenant_id, key=key, principal=None, user_id="cli"
            )
    finally:
        await engine.dispose()


@apikey_app.command("create")
def apikey_create(
    name: Annotated[str, typer.Option(help="what the key is for")],
    tenant: TenantOpt = "default",
    capability: CapsOpt = [],  # noqa: B006
    expires_in_days: Annotated[int | None, typer.Option(min=1)] = None,
    group: GroupsOpt = [],  # noqa: B006
) -> None:
    """Create an API key and print it once (only its hash is stored)."""
    settings = settings_for_cli()
    caps = _capabilities(capability or ["work_orders:read", "work_orders:write"])
    key = run(
        _create_key(
            resolve_endpoints(settings).database_url, tenant, name, caps, expires_in_days, group
        )
    )
    console.print("[bold]API key[/] (shown once, store it now):", highlight=False)
    print(key)


@apikey_app.command("list")
def apikey_list(
    tenant: TenantOpt = "default",
    include_revoked: Annotated[bool, typer.Option("--all", help="revoked keys too")] = False,
) -> None:
    """List a tenant's API keys (prefix, capabilities, expiry; never the keys)."""
    database_url = resolve_endpoints(settings_for_cli()).database_url
    rows = run(_list_keys(database_url, tenant, include_revoked))
    if not rows:
        console.print("no API keys")
    for row in rows:
        state = (
            f"revoked {row.revoked_at:%Y-%m-%d %H:%M}"
            if row.revoked_at
            else f"expires {row.expires_at:%Y-%m-%d}"
            if row.expires_at
            else "no expiry"
        )
        console.print(
            f"{row.prefix}…  {row.name:<24} {','.join(row.capabilities):<40} {state}  {row.id}",
            highlight=False,
            soft_wrap=True,
        )


@apikey_app.command("revoke")
def apikey_revoke(
    key: Annotated[str, typer.Argument(help="the key's id or prefix (mlw_…)")],
    tenant: TenantOpt = "default",
) -> None:
    """Revoke an API key: the API refuses it within 30 s (its key cache)."""
    database_url = resolve_endpoints(settings_for_cli()).database_url
    row = run(_revoke_key(database_url, tenant, key))
    console.print(f"revoked {row.prefix}… ({row.name}) at {row.revoked_at:%Y-%m-%d %H:%M:%S} UTC")


def register(app: typer.Typer) -> None:
    app.add_typer(token_app, name="token")
    app.add_typer(apikey_app, name="apikey")

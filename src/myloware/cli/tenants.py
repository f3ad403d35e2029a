"""Operator commands for tenants: ``tenant create|list|rename|disable|enable``.

Like ``token`` and ``apikey``, these reach the database directly (whoever holds its URL is
the platform's operator); every change is audited with ``user_id="cli"``. A tenant disabled
here is refused by the running API processes within their tenant cache's 30 s.
"""

from __future__ import annotations

from typing import Annotated

import typer

from myloware.cli._common import console, run
from myloware.cli._db import database_url, in_transaction
from myloware.db.base import TenantStatus
from myloware.db.models import Tenant
from myloware.services import tenants as svc

tenant_app = typer.Typer(
    help="Tenants: create, list, rename, disable, enable.", no_args_is_help=True
)

TenantArg = Annotated[str, typer.Argument(help="the tenant's slug or id")]


def _show(row: Tenant) -> None:
    console.print(
        f"{row.slug:<24} {row.name:<32} {row.status.value:<9} {row.id}",
        highlight=False,
        soft_wrap=True,
    )


@tenant_app.command("create")
def tenant_create(
    slug: Annotated[str, typer.Argument(help="unique: lower-case letters, digits, hyphens")],
    name: Annotated[str, typer.Option(help="the tenant's display name")],
) -> None:
    """Create an active tenant (then: ``myloware token create --tenant SLUG``)."""
    row = run(
        in_transaction(
            database_url(),
            lambda s: svc.create_tenant(s, slug=slug, name=name, principal=None, user_id="cli"),
        )
    )
    _show(row)


@tenant_app.command("list")
def tenant_list(
    status: Annotated[TenantStatus | None, typer.Option(help="only tenants in this status")] = None,
    limit: Annotated[int, typer.Option(min=1, max=1000)] = 200,
    offset: Annotated[int, typer.Option(min=0)] = 0,
) -> None:
    """List tenants, oldest first: slug, name, status, id."""
    rows, total = run(
        in_transaction(
            database_url(),
            lambda s: svc.list_tenants(s, status=status, limit=limit, offset=offset),
        )
    )
    for row in rows:
        _show(row)
    console.print(f"{len(rows)} of {total} tenants", highlight=False)


def _update(tenant: str, *, name: str | None = None, status: TenantStatus | None = None) -> None:
    row = run(
        in_transaction(
            database_url(),
            lambda s: svc.update_tenant(
                s, tenant=tenant, name=name, status=status, principal=None, user_id="cli"
            ),
        )
    )
    _show(row)


@tenant_app.command("rename")
def tenant_rename(
    tenant: TenantArg, name: Annotated[str, typer.Argument(help="the new display name")]
) -> None:
    """Give a tenant a new display name (its slug stays)."""
    _update(tenant, name=name)


@tenant_app.command("disable")
def tenant_disable(tenant: TenantArg) -> None:
    """Disable a tenant: the API refuses its tokens and API keys within 30 s."""
    _update(tenant, status=TenantStatus.DISABLED)


@tenant_app.command("enable")
def tenant_enable(tenant: TenantArg) -> None:
    """Enable a disabled tenant again."""
    _update(tenant, status=TenantStatus.ACTIVE)


def register(app: typer.Typer) -> None:
    app.add_typer(tenant_app, name="tenant")

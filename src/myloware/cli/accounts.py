"""Operator commands for local accounts: ``accounts create|list|disable|enable|password|
sign-out``.

Like ``tenant`` and ``apikey``, these reach the database directly (whoever holds its URL is
the platform's operator) and are audited with ``user_id="cli"``. This is how the first
account of the embedded default is made::

    myloware accounts create alice --name "Alice" -c admin -g finance

prints a one-time link where Alice chooses her password (``--password-stdin`` sets one
instead, read from standard input).
"""

from __future__ import annotations

import sys
from typing import Annotated

import typer
from sqlalchemy.ext.asyncio import AsyncSession

from myloware.auth.principal import TENANT_CAPABILITIES, parse_capabilities
from myloware.cli._common import console, run, settings_for_cli
from myloware.cli._db import database_url, in_transaction
from myloware.db.models import Account
from myloware.errors import ValidationFailed
from myloware.services import accounts as svc
from myloware.services.tenants import get_tenant

accounts_app = typer.Typer(
    help="Local accounts (UI sign-in with a password): create, list, disable, enable, "
    "password, sign-out.",
    no_args_is_help=True,
)

TenantOpt = Annotated[str, typer.Option("--tenant", help="tenant slug or id")]
AccountArg = Annotated[str, typer.Argument(help="the account's username or id")]
StdinOpt = Annotated[
    bool, typer.Option("--password-stdin", help="read the password from standard input")
]


def _show(row: Account) -> None:
    state = "disabled" if row.disabled_at else "active" if row.password_hash else "no password"
    console.print(
        f"{row.username:<24} {row.display_name:<24} {','.join(row.capabilities):<36} "
        f"groups={','.join(row.groups) or '-':<16} {state:<11} {row.id}",
        highlight=False,
        soft_wrap=True,
    )


def _link(token: str | None) -> None:
    if token:
        console.print("[bold]Set-password link[/] (works once, for 72 hours):", highlight=False)
        print(svc.set_password_url(settings_for_cli(), token))


def _stdin_password() -> str:
    password = sys.stdin.readline().rstrip("\r\n")
    if not password:
        raise ValidationFailed("--password-stdin: standard input held no password")
    return password


@accounts_app.command("create")
def accounts_create(
    username: Annotated[str, typer.Argument(help="what the person signs in with")],
    name: Annotated[str, typer.Option(help="the person's display name")] = "",
    email: Annotated[str | None, typer.Option(help="the person's e-mail address")] = None,
    tenant: TenantOpt = "default",
    capability: Annotated[
        list[str],
        typer.Option("--capability", "-c", help=f"repeatable; {', '.join(TENANT_CAPABILITIES)}"),
    ] = [],  # noqa: B006 - typer needs a literal default
    group: Annotated[
        list[str], typer.Option("--group", "-g", help="approver group the person decides for")
    ] = [],  # noqa: B006
    password_stdin: StdinOpt = False,
) -> None:
    """Create an account and print its one-time set-password link (or set the password)."""
    try:
        caps = sorted(
            parse_capabilities(capability or ["work_orders:read"], known=TENANT_CAPABILITIES)
        )
    except ValueError as exc:
        raise ValidationFailed(str(exc)) from None
    password = _stdin_password() if password_stdin else None

    async def create(session: AsyncSession) -> tuple[Account, str | None]:
        tenant_row = await get_tenant(session, tenant=tenant)
        return await svc.create_account(
            session,
            tenant_id=tenant_row.id,
            username=username,
            display_name=name,
            email=email,
            capabilities=caps,
            groups=group,
            password=password,
            principal=None,
            user_id="cli",
        )

    row, token = run(in_transaction(database_url(), create))
    _show(row)
    _link(token)


@accounts_app.command("list")
def accounts_list(
    tenant: TenantOpt = "default",
    include_disabled: Annotated[bool, typer.Option("--all", help="disabled ones too")] = False,
) -> None:
    """List a tenant's accounts: username, name, capabilities, groups, state, id."""

    async def rows(session: AsyncSession) -> list[Account]:
        tenant_id = (await get_tenant(session, tenant=tenant)).id
        found = await svc.list_accounts(
            session, tenant_id=tenant_id, include_disabled=include_disabled
        )
        return list(found)

    found = run(in_transaction(database_url(), rows))
    for row in found:
        _show(row)
    console.print(f"{len(found)} accounts", highlight=False)


def _switch(tenant: str, account: str, disabled: bool) -> None:
    async def switch(session: AsyncSession) -> Account:
        tenant_id = (await get_tenant(session, tenant=tenant)).id
        return await svc.set_disabled(
            session,
            tenant_id=tenant_id,
            account=account,
            disabled=disabled,
            principal=None,
            user_id="cli",
        )

    _show(run(in_transaction(database_url(), switch)))


@accounts_app.command("disable")
def accounts_disable(account: AccountArg, tenant: TenantOpt = "default") -> None:
    """Disable an account: it cannot sign in, and its UI sessions end at once."""
    _switch(tenant, account, True)


@accounts_app.command("enable")
def accounts_enable(account: AccountArg, tenant: TenantOpt = "default") -> None:
    """Enable a disabled account again."""
    _switch(tenant, account, False)


@accounts_app.command("password")
def accounts_password(
    account: AccountArg, tenant: TenantOpt = "default", password_stdin: StdinOpt = False
) -> None:
    """Print a new one-time set-password link, or set the password (``--password-stdin``;
    that ends the account's UI sessions)."""
    password = _stdin_password() if password_stdin else None

    async def reset(session: AsyncSession) -> tuple[Account, str | None]:
        tenant_id = (await get_tenant(session, tenant=tenant)).id
        return await svc.reset_password(
            session,
            tenant_id=tenant_id,
            account=account,
            password=password,
            principal=None,
            user_id="cli",
        )

    row, token = run(in_transaction(database_url(), reset))
    _show(row)
    _link(token)


@accounts_app.command("sign-out")
def accounts_sign_out(account: AccountArg, tenant: TenantOpt = "default") -> None:
    """End every UI session of the account."""

    async def end(session: AsyncSession) -> tuple[Account, int]:
        tenant_id = (await get_tenant(session, tenant=tenant)).id
        return await svc.sign_out_everywhere(
            session, tenant_id=tenant_id, account=account, principal=None, user_id="cli"
        )

    row, ended = run(in_transaction(database_url(), end))
    console.print(f"{row.username}: {ended} sessions ended", highlight=False)


def register(app: typer.Typer) -> None:
    app.add_typer(accounts_app, name="accounts")

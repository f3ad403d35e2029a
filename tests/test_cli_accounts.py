"""``myloware accounts``: an operator makes the first account of the embedded default."""

from __future__ import annotations

import asyncio

import httpx
import pytest
from typer.testing import CliRunner

from myloware.cli import app
from myloware.db.models import AuditLog
from tests.rows import read_rows
from tests.ui_support import password_sign_in

PASSWORD = "a long enough passphrase"


async def test_the_cli_creates_an_account_that_signs_in_and_disables_it(
    api: httpx.AsyncClient,
    tenants: dict[str, object],
    database_url: str,
    redis_url: str,
    temporal_address: str,
    monkeypatch: pytest.MonkeyPatch,
) -> None:
    """`accounts create --password-stdin` signs in; `list` shows it; a link is printed
    without a password; `disable` ends the session; each change is audited as the CLI."""
    monkeypatch.setenv("MYLOWARE_DATABASE_URL", database_url)
    monkeypatch.setenv("MYLOWARE_REDIS_URL", redis_url)
    monkeypatch.setenv("MYLOWARE_TEMPORAL_ADDRESS", temporal_address)
    runner = CliRunner()

    async def cli(*args: str, stdin: str | None = None, ok: bool = True) -> str:
        result = await asyncio.to_thread(runner.invoke, app, list(args), input=stdin)
        assert (result.exit_code == 0) == ok, (result.output, result.exception)
        return result.output + str(result.exception or "")

    made = await cli(
        "accounts", "create", "root", "--tenant", "acme", "--name", "Root", "-c", "admin",
        "-g", "finance", "--password-stdin", stdin=PASSWORD + "\n",
    )  # fmt: skip
    assert "root" in made and "admin" in made and "Set-password link" not in made
    r, cookie = await password_sign_in(api, "root", PASSWORD)
    assert r.status_code == 303 and (await api.get("/ui", headers=cookie)).status_code == 200

    linked = await cli("accounts", "create", "ann", "--tenant", "acme")
    assert "/ui/set-password?token=" in linked and "no password" in linked
    listed = await cli("accounts", "list", "--tenant", "acme")
    assert "root" in listed and "ann" in listed and "2 accounts" in listed
    assert "taken" in await cli("accounts", "create", "ROOT", "--tenant", "acme", ok=False)
    refused = await cli(
        "accounts", "create", "x", "--tenant", "acme", "-c", "tenants:admin", ok=False
    )
    assert "unknown capabilities" in refused

    assert "disabled" in await cli("accounts", "disable", "root", "--tenant", "acme")
    assert (await api.get("/ui", headers=cookie)).status_code == 303
    assert "0 sessions ended" in await cli("accounts", "sign-out", "root", "--tenant", "acme")
    new_link = await cli("accounts", "password", "ann", "--tenant", "acme")
    assert "/ui/set-password?token=" in new_link
    actions = await read_rows(database_url, AuditLog.action, user_id="cli")
    assert sorted(actions) == [
        "account.create",
        "account.create",
        "account.disable",
        "account.password_link",
        "account.sign_out",
    ]

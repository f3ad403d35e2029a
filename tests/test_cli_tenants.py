"""``myloware tenant``: an operator manages tenants from the command line."""

from __future__ import annotations

import asyncio

import httpx
import pytest
from sqlalchemy import select
from sqlalchemy.ext.asyncio import AsyncSession, async_sessionmaker
from typer.testing import CliRunner

from myloware.cli import app
from myloware.db.models import AuditLog, Tenant


async def test_a_tenant_created_by_the_cli_gets_tokens_that_the_api_accepts(
    api: httpx.AsyncClient,
    sessions: async_sessionmaker[AsyncSession],
    database_url: str,
    redis_url: str,
    temporal_address: str,
    monkeypatch: pytest.MonkeyPatch,
) -> None:
    """`tenant create`, then `token create --tenant <new>` works; list, rename, disable too."""
    monkeypatch.setenv("MYLOWARE_DATABASE_URL", database_url)
    monkeypatch.setenv("MYLOWARE_REDIS_URL", redis_url)
    monkeypatch.setenv("MYLOWARE_TEMPORAL_ADDRESS", temporal_address)
    runner = CliRunner()

    async def cli(*args: str) -> str:
        result = await asyncio.to_thread(runner.invoke, app, list(args))
        assert result.exit_code == 0, (result.output, result.exception)
        return result.output

    assert "initech" in await cli("tenant", "create", "initech", "--name", "Initech")
    token = (await cli("token", "create", "--tenant", "initech")).strip().splitlines()[-1]
    bearer = {"Authorization": f"Bearer {token}"}
    assert (await api.get("/v1/work-orders", headers=bearer)).status_code == 200

    assert "Initech Ltd" in await cli("tenant", "rename", "initech", "Initech Ltd")
    assert "DISABLED" in await cli("tenant", "disable", "initech")
    refused = await asyncio.to_thread(
        runner.invoke, app, ["token", "create", "--tenant", "initech"]
    )
    assert refused.exit_code != 0 and "disabled" in str(refused.output) + str(refused.exception)
    listed = await cli("tenant", "list", "--status", "DISABLED")
    assert "initech" in listed and "1 of 1 tenants" in listed
    assert "ACTIVE" in await cli("tenant", "enable", "initech")

    taken = await asyncio.to_thread(
        runner.invoke, app, ["tenant", "create", "initech", "--name", "x"]
    )
    assert taken.exit_code != 0

    async with sessions() as session:
        tenant_id = await session.scalar(select(Tenant.id).where(Tenant.slug == "initech"))
        actions = (
            await session.scalars(
                select(AuditLog.action)
                .where(AuditLog.tenant_id == tenant_id, AuditLog.user_id == "cli")
                .order_by(AuditLog.created_at)
            )
        ).all()
    assert actions == [
        "tenant.create",
        "token.issue",
        "tenant.rename",
        "tenant.disable",
        "tenant.enable",
    ]

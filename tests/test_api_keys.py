"""/v1/api-keys: a tenant's admins create keys (shown once), list and revoke them."""

from __future__ import annotations

import httpx
from sqlalchemy import select
from sqlalchemy.ext.asyncio import AsyncSession, async_sessionmaker

from myloware.db.models import AuditLog
from tests.auth_support import TokenFor


async def test_a_key_is_created_listed_and_revoked_at_once(
    api: httpx.AsyncClient, token_for: TokenFor, sessions: async_sessionmaker[AsyncSession]
) -> None:
    admin = token_for("acme", "admin")
    r = await api.post(
        "/v1/api-keys",
        json={"name": "erp-sync", "capabilities": ["work_orders:read"], "expires_in_days": 30},
        headers=admin,
    )
    assert r.status_code == 201, r.text
    created = r.json()["data"]
    key, prefix = created["key"], created["prefix"]
    assert key.startswith(prefix) and created["expires_at"] and created["revoked_at"] is None
    holder = {"X-API-Key": key}
    assert (await api.get("/v1/work-orders", headers=holder)).status_code == 200  # now cached

    listed = (await api.get("/v1/api-keys", headers=admin)).json()["data"]
    assert [k["prefix"] for k in listed] == [prefix] and "key" not in listed[0]
    assert key not in (await api.get("/v1/api-keys", headers=admin)).text

    revoked = await api.post(f"/v1/api-keys/{prefix}/revoke", headers=admin)
    assert revoked.status_code == 200 and revoked.json()["data"]["revoked_at"]
    refused = await api.get("/v1/work-orders", headers=holder)
    assert refused.status_code == 401 and "revoked" in refused.text  # not after 30 s: now
    again = await api.post(f"/v1/api-keys/{created['id']}/revoke", headers=admin)
    assert again.json()["data"]["revoked_at"] == revoked.json()["data"]["revoked_at"]
    assert (await api.get("/v1/api-keys", headers=admin)).json()["data"] == []
    everything = await api.get("/v1/api-keys?include_revoked=true", headers=admin)
    assert [k["id"] for k in everything.json()["data"]] == [created["id"]]

    async with sessions() as session:
        actions = (
            await session.scalars(
                select(AuditLog.action)
                .where(AuditLog.resource_type == "api_key")
                .order_by(AuditLog.created_at)
            )
        ).all()
    assert actions == ["api_key.create", "api_key.revoke"]  # revoking twice: one row


async def test_keys_are_the_tenants_admins_business(
    api: httpx.AsyncClient, token_for: TokenFor
) -> None:
    admin = token_for("acme", "admin")
    created = (await api.post("/v1/api-keys", json={"name": "k"}, headers=admin)).json()["data"]
    assert created["capabilities"] == ["work_orders:read", "work_orders:write"]
    path = f"/v1/api-keys/{created['prefix']}/revoke"
    assert (await api.post(path, headers=token_for("globex", "admin"))).status_code == 404
    assert (await api.post(path, headers=token_for("acme", "work_orders:write"))).status_code == 403
    assert (await api.get("/v1/api-keys", headers=token_for("globex", "admin"))).json()[
        "data"
    ] == []
    unknown = await api.post(
        "/v1/api-keys", json={"name": "k", "capabilities": ["root"]}, headers=admin
    )
    assert unknown.status_code == 422 and "unknown capabilities" in unknown.text
    missing = await api.post("/v1/api-keys/mlw_nothere/revoke", headers=admin)
    assert missing.status_code == 404

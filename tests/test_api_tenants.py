"""/v1/tenants: platform operators manage tenants; a disabled tenant's credentials stop."""

from __future__ import annotations

import uuid

import httpx
from sqlalchemy import select
from sqlalchemy.ext.asyncio import AsyncSession, async_sessionmaker

from myloware.db.models import AuditLog
from tests.auth_support import TokenFor, store_api_key

OPERATOR = "tenants:admin"


async def test_an_operator_creates_lists_gets_and_renames_tenants(
    api: httpx.AsyncClient, token_for: TokenFor, sessions: async_sessionmaker[AsyncSession]
) -> None:
    """An operator creates a tenant, finds it in the paginated list, reads and renames it."""
    operator = token_for("acme", OPERATOR)
    r = await api.post("/v1/tenants", json={"slug": "initech", "name": "Initech"}, headers=operator)
    assert r.status_code == 201, r.text
    created = r.json()["data"]
    assert created["slug"] == "initech" and created["status"] == "ACTIVE"

    page = (await api.get("/v1/tenants?limit=3", headers=operator)).json()
    assert page["pagination"]["total"] == 4 and len(page["data"]) == 3  # default, acme, globex
    rest = (await api.get("/v1/tenants?limit=3&offset=3", headers=operator)).json()["data"]
    assert [t["slug"] for t in rest] == ["initech"]

    path = f"/v1/tenants/{created['id']}"
    assert (await api.get(path, headers=operator)).json()["data"]["name"] == "Initech"
    renamed = await api.patch(path, json={"name": "Initech Ltd"}, headers=operator)
    assert renamed.status_code == 200 and renamed.json()["data"]["name"] == "Initech Ltd"

    again = await api.post("/v1/tenants", json={"slug": "initech", "name": "x"}, headers=operator)
    assert again.status_code == 409
    bad = await api.post("/v1/tenants", json={"slug": "Not OK", "name": "x"}, headers=operator)
    assert bad.status_code == 422
    missing = await api.get(f"/v1/tenants/{uuid.uuid4()}", headers=operator)
    assert missing.status_code == 404

    async with sessions() as session:
        actions = (
            await session.scalars(
                select(AuditLog.action)
                .where(AuditLog.resource_type == "tenant")
                .order_by(AuditLog.created_at)
            )
        ).all()
    assert actions == ["tenant.create", "tenant.rename"]


async def test_a_tenant_admin_without_the_operator_capability_is_refused(
    api: httpx.AsyncClient, token_for: TokenFor
) -> None:
    """A tenant's ``admin`` does not imply ``tenants:admin``, nor may it grant it to a key."""
    admin = token_for("acme", "admin")
    assert (await api.get("/v1/tenants", headers=admin)).status_code == 403
    create = await api.post("/v1/tenants", json={"slug": "x", "name": "X"}, headers=admin)
    assert create.status_code == 403
    key = await api.post(
        "/v1/api-keys", json={"name": "k", "capabilities": [OPERATOR]}, headers=admin
    )
    assert key.status_code == 422 and "unknown capabilities" in key.text


async def test_a_disabled_tenants_token_and_api_key_are_refused_on_the_next_request(
    api: httpx.AsyncClient,
    token_for: TokenFor,
    tenants: dict[str, uuid.UUID],
    clean_db: str,
    sessions: async_sessionmaker[AsyncSession],
) -> None:
    """Disabling a tenant refuses its JWT and API key at once; enabling lets them in again."""
    operator = token_for("acme", OPERATOR)
    holder = token_for("globex", "work_orders:read")
    key = {"X-API-Key": await store_api_key(clean_db, tenants["globex"])}
    for credential in (holder, key):  # both cached as an active tenant's
        assert (await api.get("/v1/work-orders", headers=credential)).status_code == 200

    path = f"/v1/tenants/{tenants['globex']}"
    disabled = await api.patch(path, json={"status": "DISABLED"}, headers=operator)
    assert disabled.status_code == 200 and disabled.json()["data"]["status"] == "DISABLED"
    for credential in (holder, key):
        refused = await api.get("/v1/work-orders", headers=credential)
        assert refused.status_code == 401 and "disabled" in refused.text

    enabled = await api.patch(path, json={"status": "ACTIVE"}, headers=operator)
    assert enabled.json()["data"]["status"] == "ACTIVE"
    assert (await api.get("/v1/work-orders", headers=holder)).status_code == 200

    own = await api.patch(
        f"/v1/tenants/{tenants['acme']}", json={"status": "DISABLED"}, headers=operator
    )
    assert own.status_code == 409  # an operator does not lock themselves out
    async with sessions() as session:
        rows = (
            await session.execute(
                select(AuditLog.action, AuditLog.tenant_id)
                .where(AuditLog.resource_type == "tenant")
                .order_by(AuditLog.created_at)
            )
        ).all()
    assert [tuple(r) for r in rows] == [
        ("tenant.disable", tenants["globex"]),
        ("tenant.enable", tenants["globex"]),
    ]

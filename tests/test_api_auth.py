"""Authentication: tokens, API keys, expiry, forgery, unknown tenants and rate limits."""

from __future__ import annotations

import uuid
from datetime import UTC, datetime, timedelta

import jwt
import pytest

from myloware.auth.tokens import issue_token
from tests.auth_support import store_api_key


async def test_missing_credentials_are_401(api) -> None:
    """No Authorization and no X-API-Key: 401 with WWW-Authenticate."""
    r = await api.get("/v1/work-orders")
    assert r.status_code == 401
    assert r.headers["www-authenticate"] == "Bearer"
    assert r.json()["error"]["code"] == "unauthorized"


async def test_expired_token_is_401(api, token_for) -> None:
    """A token past its expiry is refused and says so."""
    headers = token_for("acme", "work_orders:read", ttl=-10)
    r = await api.get("/v1/work-orders", headers=headers)
    assert r.status_code == 401
    assert "expired" in r.json()["error"]["message"]


async def test_forged_token_is_401(api, tenants) -> None:
    """A token signed with another secret is refused."""
    claims = {
        "sub": "mallory",
        "tenant": str(tenants["acme"]),
        "caps": ["admin"],
        "iss": "myloware",
        "iat": 0,
        "exp": 4_000_000_000,
    }
    forged = jwt.encode(claims, "not-the-secret-not-the-secret-not-the-secret", "HS256")
    r = await api.get("/v1/work-orders", headers={"Authorization": f"Bearer {forged}"})
    assert r.status_code == 401
    none_alg = jwt.encode(claims, key="", algorithm="none")
    r = await api.get("/v1/work-orders", headers={"Authorization": f"Bearer {none_alg}"})
    assert r.status_code == 401


async def test_token_for_unknown_tenant_is_401(api, settings, tenants) -> None:
    """A valid signature over a tenant that does not exist is refused."""
    token = issue_token(settings, tenant_id=uuid.uuid4(), capabilities=["admin"], subject="x")
    r = await api.get("/v1/work-orders", headers={"Authorization": f"Bearer {token}"})
    assert r.status_code == 401


@pytest.mark.parametrize("header", ["Basic dXNlcjpwYXNz", "Bearer", "Bearer    ", "Token abc"])
async def test_malformed_authorization_header_is_401(api, header: str) -> None:
    """Only 'Bearer <token>' is accepted."""
    r = await api.get("/v1/work-orders", headers={"Authorization": header})
    assert r.status_code == 401


async def test_api_key_authenticates_and_expired_or_revoked_do_not(api, tenants, clean_db) -> None:
    """A stored API key works; an expired or revoked one is refused; an unknown one too."""
    good = await store_api_key(clean_db, tenants["acme"])
    r = await api.get("/v1/work-orders", headers={"X-API-Key": good})
    assert r.status_code == 200
    expired = await store_api_key(
        clean_db, tenants["acme"], expires_at=datetime.now(UTC) - timedelta(days=1)
    )
    r = await api.get("/v1/work-orders", headers={"X-API-Key": expired})
    assert r.status_code == 401 and "expired" in r.json()["error"]["message"]
    revoked = await store_api_key(clean_db, tenants["acme"], revoked_at=datetime.now(UTC))
    r = await api.get("/v1/work-orders", headers={"X-API-Key": revoked})
    assert r.status_code == 401 and "revoked" in r.json()["error"]["message"]
    r = await api.get("/v1/work-orders", headers={"X-API-Key": "mlw_unknown"})
    assert r.status_code == 401
    r = await api.post(
        "/v1/work-orders", json={"work_items": [{"content": "x"}]}, headers={"X-API-Key": good}
    )
    assert r.status_code == 403


async def test_rate_limit_answers_429_with_retry_after(api, token_for) -> None:
    """Past the per-principal limit the API answers 429 with Retry-After; others unaffected."""
    state = api.app.state.myloware
    original = state.rate_limiter.limit
    state.rate_limiter.limit = 3
    try:
        headers = token_for("acme", "work_orders:read")
        codes = [(await api.get("/v1/work-orders", headers=headers)).status_code for _ in range(5)]
        assert codes == [200, 200, 200, 429, 429]
        limited = await api.get("/v1/work-orders", headers=headers)
        assert int(limited.headers["retry-after"]) >= 1
        assert limited.json()["error"]["code"] == "rate_limited"
        other = await api.get("/v1/work-orders", headers=token_for("globex", "work_orders:read"))
        assert other.status_code == 200
    finally:
        state.rate_limiter.limit = original

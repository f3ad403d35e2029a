"""Authentication: tokens, API keys, expiry, forgery, unknown tenants and rate limits."""

from __future__ import annotations

import uuid
from datetime import UTC, datetime, timedelta

import httpx
import jwt
import pytest

from myloware.auth.tokens import issue_token
from myloware.runtime.embedded import EmbeddedServices
from myloware.settings import Settings
from tests.auth_support import TokenFor, store_api_key
from tests.pipeline_support import AppClient


async def test_missing_credentials_are_401(api: httpx.AsyncClient) -> None:
    """No Authorization and no X-API-Key: 401 with WWW-Authenticate."""
    r = await api.get("/v1/work-orders")
    assert r.status_code == 401
    assert r.headers["www-authenticate"] == "Bearer"
    assert r.json()["error"]["code"] == "unauthorized"


async def test_expired_token_is_401(api: httpx.AsyncClient, token_for: TokenFor) -> None:
    """A token past its expiry is refused and says so."""
    headers = token_for("acme", "work_orders:read", ttl=-10)
    r = await api.get("/v1/work-orders", headers=headers)
    assert r.status_code == 401
    assert "expired" in r.json()["error"]["message"]


async def test_forged_token_is_401(api: httpx.AsyncClient, tenants: dict[str, uuid.UUID]) -> None:
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


async def test_token_for_unknown_tenant_is_401(
    api: httpx.AsyncClient, settings: Settings, tenants: dict[str, uuid.UUID]
) -> None:
    """A valid signature over a tenant that does not exist is refused."""
    token = issue_token(settings, tenant_id=uuid.uuid4(), capabilities=["admin"], subject="x")
    r = await api.get("/v1/work-orders", headers={"Authorization": f"Bearer {token}"})
    assert r.status_code == 401


@pytest.mark.parametrize("header", ["Basic dXNlcjpwYXNz", "Bearer", "Bearer    ", "Token abc"])
async def test_malformed_authorization_header_is_401(api: httpx.AsyncClient, header: str) -> None:
    """Only 'Bearer <token>' is accepted."""
    r = await api.get("/v1/work-orders", headers={"Authorization": header})
    assert r.status_code == 401


async def test_api_key_authenticates_and_expired_or_revoked_do_not(
    api: httpx.AsyncClient, tenants: dict[str, uuid.UUID], clean_db: str
) -> None:
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


async def test_rate_limit_answers_429_with_retry_after(api: AppClient, token_for: TokenFor) -> None:
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


async def test_a_stopped_redis_leaves_reads_and_writes_working(
    api: httpx.AsyncClient, token_for: TokenFor, embedded: EmbeddedServices
) -> None:
    """With Redis down the rate limiter lets requests through, counted in /metrics: reads
    answer 200 and writes are accepted, never 500."""
    headers = token_for("acme")
    embedded.stop_redis()
    try:
        read = await api.get("/v1/work-orders", headers=headers)
        write = await api.post(
            "/v1/work-orders", json={"work_items": [{"content": "x"}]}, headers=headers
        )
        again = await api.get("/v1/work-orders", headers=headers)
    finally:
        embedded.start_redis()
    assert read.status_code == 200, read.text
    assert write.status_code == 201, write.text
    assert again.status_code == 200 and again.json()["pagination"]["total"] == 1
    metrics = (await api.get("/metrics")).text
    assert 'myloware_rate_limit_degraded_total{limiter="requests"} 3.0' in metrics


def _client_at(api: AppClient, address: str) -> httpx.AsyncClient:
    import httpx

    transport = httpx.ASGITransport(app=api.app, client=(address, 40000))
    return httpx.AsyncClient(transport=transport, base_url="http://testserver")


async def test_guessing_api_keys_is_throttled_per_client_address(
    api: AppClient, token_for: TokenFor
) -> None:
    """Past the failed-authentication limit an address gets 429 with Retry-After, even for a
    valid credential (it is not looked at); other addresses and good requests are unaffected."""
    api.app.state.myloware.auth_failures.limiter.limit = 5
    good = token_for("acme", "work_orders:read")
    async with _client_at(api, "203.0.113.7") as guesser, _client_at(api, "198.51.100.2") as user:
        for _ in range(10):  # a well-behaved address never fails, so it is never counted
            assert (await user.get("/v1/work-orders", headers=good)).status_code == 200
        codes = [
            (
                await guesser.get("/v1/work-orders", headers={"X-API-Key": f"mlw_guess{n}"})
            ).status_code
            for n in range(8)
        ]
        assert codes == [401] * 5 + [429] * 3
        blocked = await guesser.get("/v1/work-orders", headers=good)
        assert blocked.status_code == 429 and int(blocked.headers["retry-after"]) >= 1
        assert blocked.json()["error"]["code"] == "rate_limited"
        assert (await user.get("/v1/work-orders", headers=good)).status_code == 200


async def test_guessing_is_throttled_in_process_while_redis_is_unreachable(
    settings: Settings,
    database_url: str,
    clean_db: str,
    temporal_address: str,
    tenants: dict[str, uuid.UUID],
) -> None:
    """An API whose Redis is a closed port still throttles failed authentications (counted
    in the process) and still serves good requests."""
    import socket

    from myloware.auth.tokens import issue_token
    from tests.pipeline_support import app_client

    with socket.socket() as probe:
        probe.bind(("127.0.0.1", 0))
        closed = probe.getsockname()[1]
    local = settings.model_copy(update={"auth_failures_per_minute": 3})
    async with app_client(
        local,
        database_url=database_url,
        redis_url=f"redis://127.0.0.1:{closed}/0",
        temporal_address=temporal_address,
    ) as api:
        token = issue_token(
            local, tenant_id=tenants["acme"], capabilities=["work_orders:read"], subject="u"
        )
        ok = await api.get("/v1/work-orders", headers={"Authorization": f"Bearer {token}"})
        assert ok.status_code == 200, ok.text
        codes = [
            (await api.get("/v1/work-orders", headers={"X-API-Key": "mlw_guess"})).status_code
            for _ in range(5)
        ]
        assert codes == [401, 401, 401, 429, 429]

"""Health, metrics, OpenAPI, security headers and request ids."""

from __future__ import annotations

import re
import uuid

import httpx

from myloware.runtime.embedded import EmbeddedServices
from myloware.settings import Settings
from tests.auth_support import TokenFor
from tests.pipeline_support import AppClient


async def test_health_reports_every_dependency_healthy(
    api: httpx.AsyncClient, token_for: TokenFor
) -> None:
    """With all services up, /health is healthy for database, redis and temporal."""
    r = await api.get("/health", headers=token_for("acme"))
    assert r.status_code == 200, r.text
    body = r.json()
    assert body["status"] == "healthy"
    assert body["checks"] == {"database": "healthy", "redis": "healthy", "temporal": "healthy"}


async def test_health_reports_a_stopped_redis_as_unhealthy(
    api: httpx.AsyncClient, embedded: EmbeddedServices, token_for: TokenFor
) -> None:
    """Stopping Redis turns its check unhealthy and the whole status degraded; without a
    credential /health says only that, with no component, error or version."""
    headers = token_for("acme", "work_orders:read")
    embedded.stop_redis()
    try:
        r = await api.get("/health", headers=headers)
        anonymous = await api.get("/health")
    finally:
        embedded.start_redis()
    body = r.json()
    assert body["checks"]["redis"] == "unhealthy"
    assert body["checks"]["database"] == "healthy"
    assert body["status"] == "degraded"
    assert "redis" in body["errors"]
    assert anonymous.status_code == 200
    assert set(anonymous.json()) == {"status", "timestamp"}
    assert anonymous.json()["status"] == "degraded"
    assert "redis" not in anonymous.text.lower() and "error" not in anonymous.text.lower()
    r = await api.get("/health", headers=headers)
    assert r.json()["checks"]["redis"] == "healthy"


async def test_health_shows_an_embedded_server_the_watchdog_is_restarting(
    api: AppClient, token_for: TokenFor
) -> None:
    """Under `myloware up`, a server being restarted makes /health degraded and says which;
    the watchdog's status of each server is in the details."""
    statuses = {
        "postgres": {"status": "up", "restarts": 0, "last_error": None},
        "temporal": {"status": "restarting", "restarts": 1, "last_error": "port in use"},
    }
    api.app.state.myloware.supervision = lambda: statuses
    r = await api.get("/health", headers=token_for("acme"))
    anonymous = await api.get("/health")
    body = r.json()
    assert body["status"] == "degraded" and anonymous.json()["status"] == "degraded"
    assert body["checks"]["embedded"] == "degraded"
    assert body["errors"]["embedded"] == "being restarted by the watchdog: temporal"
    assert body["embedded"] == statuses
    statuses["temporal"] = {"status": "up", "restarts": 1, "last_error": None}
    again = (await api.get("/health", headers=token_for("acme"))).json()
    assert again["status"] == "healthy" and "embedded" not in again["checks"]


async def test_health_refuses_a_credential_that_does_not_verify(api: httpx.AsyncClient) -> None:
    """/health with a wrong credential is 401, not a quiet anonymous answer."""
    r = await api.get("/health", headers={"X-API-Key": "mlw_wrong"})
    assert r.status_code == 401


async def test_openapi_lists_the_blueprint_endpoints(api: httpx.AsyncClient) -> None:
    """/openapi.json is OpenAPI 3 and covers every endpoint of the blueprint."""
    spec = (await api.get("/openapi.json")).json()
    assert spec["openapi"].startswith("3.")
    paths = spec["paths"]
    for path, method in [
        ("/v1/work-orders", "get"),
        ("/v1/work-orders", "post"),
        ("/v1/work-orders/{work_order_id}", "get"),
        ("/v1/work-orders/{work_order_id}/work-items", "get"),
        ("/v1/work-items/{work_item_id}", "get"),
        ("/v1/work-items/{work_item_id}/attempts", "get"),
        ("/v1/approvals", "post"),
        ("/health", "get"),
    ]:
        assert method in paths[path], (path, method)


async def test_security_headers_and_generated_request_id(api: httpx.AsyncClient) -> None:
    """Every response carries security headers and a generated X-Request-ID."""
    r = await api.get("/health")
    assert r.headers["x-content-type-options"] == "nosniff"
    assert r.headers["x-frame-options"] == "DENY"
    assert "default-src" in r.headers["content-security-policy"]
    assert len(r.headers["x-request-id"]) == 32


async def test_metrics_count_requests(api: httpx.AsyncClient, token_for: TokenFor) -> None:
    """/metrics exposes request counters and latency histograms by route."""
    await api.get("/v1/work-orders", headers=token_for("acme"))
    text = (await api.get("/metrics")).text
    assert 'myloware_http_requests_total{method="GET",route="/v1/work-orders",status="200"}' in text
    assert "myloware_http_request_duration_seconds_bucket" in text


async def test_dead_letters_list_and_replay_through_the_api(
    api: AppClient, token_for: TokenFor, tenants: dict[str, uuid.UUID], clean_db: str
) -> None:
    """An admin lists the tenant's dead letters and replays one onto the stream, audited."""
    import uuid

    from sqlalchemy import select

    from myloware.db.engine import create_engine, session_factory
    from myloware.db.models import AuditLog, DeadLetter
    from myloware.events.stream import Event

    event = Event.model_validate(  # created_at as the stream carries it, a string
        {
            "event_id": uuid.uuid4(),
            "event_type": "work_item.completed",
            "tenant_id": tenants["acme"],
            "aggregate_type": "work_item",
            "aggregate_id": None,
            "payload": {"x": 1},
            "created_at": "2024-01-01T00:00:00Z",
        }
    )
    engine = create_engine(clean_db, pool_size=1)
    async with session_factory(engine)() as session, session.begin():
        letter = DeadLetter(
            tenant_id=tenants["acme"],
            source="notifications",
            event_type=event.event_type,
            event_id=event.event_id,
            payload=event.model_dump(mode="json"),
            error="boom",
            retry_count=5,
        )
        session.add(letter)
    admin = token_for("acme", "admin")
    listed = await api.get("/v1/dead-letters", headers=admin)
    assert [d["id"] for d in listed.json()["data"]] == [str(letter.id)]
    assert (await api.get("/v1/dead-letters", headers=token_for("globex", "admin"))).json()[
        "data"
    ] == []
    assert (await api.get("/v1/dead-letters", headers=token_for("acme"))).status_code == 403
    replayed = await api.post(f"/v1/dead-letters/{letter.id}/replay", headers=admin)
    assert replayed.status_code == 200, replayed.text
    again = await api.post(f"/v1/dead-letters/{letter.id}/replay", headers=admin)
    assert again.status_code == 409
    async with session_factory(engine)() as session:
        actions = (await session.scalars(select(AuditLog.action))).all()
    await engine.dispose()
    assert "dead_letter.replay" in actions
    stream = api.app.state.myloware.redis
    entries = await stream.xrange("myloware:events")
    assert any(fields[b"event_id"].decode() == str(event.event_id) for _, fields in entries)


async def test_cors_allows_only_configured_origins(
    settings: Settings, database_url: str, clean_redis: str, temporal_address: str
) -> None:
    """Preflight from a configured origin is allowed; any other origin gets no CORS grant."""
    from tests.pipeline_support import app_client

    async with app_client(
        settings.model_copy(update={"cors_origins": ["https://app.example"]}),
        database_url=database_url,
        redis_url=clean_redis,
        temporal_address=temporal_address,
    ) as client:
        preflight = {"Access-Control-Request-Method": "GET"}
        ok = await client.options(
            "/v1/work-orders", headers={**preflight, "Origin": "https://app.example"}
        )
        evil = await client.options(
            "/v1/work-orders", headers={**preflight, "Origin": "https://evil.example"}
        )
    assert ok.headers.get("access-control-allow-origin") == "https://app.example"
    assert "access-control-allow-origin" not in evil.headers


async def test_docs_page_loads_swagger_ui_from_the_app_itself(api: httpx.AsyncClient) -> None:
    """/docs references only the app's own asset URLs, and each answers with its content type."""
    r = await api.get("/docs")
    assert r.status_code == 200, r.text
    assert "https://" not in r.text and "http://" not in r.text
    assert "cdn" not in r.headers["content-security-policy"]
    urls = re.findall(r'(?:src|href)="([^"]+)"', r.text) + re.findall(r"url: '([^']+)'", r.text)
    expected = {
        "/docs/assets/swagger-ui-bundle.js": "text/javascript",
        "/docs/assets/swagger-ui.css": "text/css",
        "/docs/assets/favicon.png": "image/png",
        "/openapi.json": "application/json",
    }
    assert set(urls) == set(expected), urls
    for url, content_type in expected.items():
        asset = await api.get(url)
        assert asset.status_code == 200, url
        assert asset.headers["content-type"].split(";")[0] == content_type, url
    assert "SwaggerUIBundle" in (await api.get("/docs/assets/swagger-ui-bundle.js")).text


async def test_redoc_page_loads_redoc_from_the_app_itself(api: httpx.AsyncClient) -> None:
    """/redoc references only the app's own script and the API description (no CDN, no
    Google fonts), under the docs Content-Security-Policy."""
    r = await api.get("/redoc")
    assert r.status_code == 200, r.text
    assert "https://" not in r.text and "http://" not in r.text
    assert "worker-src 'self' blob:" in r.headers["content-security-policy"]
    urls = set(re.findall(r'(?:src|href|spec-url)="([^"]+)"', r.text))
    assert urls == {"/docs/assets/redoc.standalone.js", "/docs/assets/favicon.png", "/openapi.json"}
    script = await api.get("/docs/assets/redoc.standalone.js")
    assert script.status_code == 200
    assert script.headers["content-type"].split(";")[0] == "text/javascript"

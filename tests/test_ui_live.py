"""The UI's live updates: ``/ui/events`` streams a tenant's own events, served by uvicorn
(httpx's ASGI transport buffers whole responses, so the stream is read over a real socket),
published from the outbox by the real relay; a stale decision names who decided."""

from __future__ import annotations

import asyncio
import json
import socket
import uuid
from collections.abc import AsyncIterator
from datetime import UTC, datetime
from typing import Any

import httpx
import redis.asyncio as aioredis

from myloware.events.stream import Event, text
from myloware.runtime.endpoints import Endpoints
from myloware.runtime.roles import run_api
from myloware.settings import Settings
from myloware.ui.routes.live import tenant_events
from tests.auth_support import TokenFor
from tests.governance_support import publish_policy, submit_waiting_invoice
from tests.pipeline_support import running_worker, serving, unique_queue
from tests.polling import eventually
from tests.ui_support import bearer, csrf_of, publish, sign_in

FINANCE = ("work_orders:read", "work_orders:write", "approvals:decide")
GUARD_S = 60  # only against a hang: every wait below ends on the message it waits for


async def sse(response: httpx.Response) -> AsyncIterator[tuple[str, dict[str, Any]]]:
    """(event name, data) of each message on an open ``text/event-stream`` response."""
    name, data = "message", ""
    async for line in response.aiter_lines():
        if line == "":
            if data:
                yield name, json.loads(data)
            name, data = "message", ""
        elif line.startswith("event: "):
            name = line.removeprefix("event: ")
        elif line.startswith("data: "):
            data += line.removeprefix("data: ")


async def next_event(stream: AsyncIterator[tuple[str, dict[str, Any]]]) -> dict[str, Any]:
    """The next platform event (skipping the ``ready`` notice)."""
    async for name, data in stream:
        if name == "message":
            return data
    raise AssertionError("the stream ended")


async def ready(stream: AsyncIterator[tuple[str, dict[str, Any]]]) -> None:
    async for name, _ in stream:
        if name == "ready":
            return
    raise AssertionError("the stream ended before it was ready")


INVOICE = "Invoice GX-1001\nVendor: Globex Corp\nTotal: 120.00 EUR\nDate: 2026-01-15"


async def test_a_tenant_receives_its_own_events_and_never_another_tenants(
    settings: Settings,
    database_url: str,
    clean_redis: str,
    temporal_address: str,
    token_for: TokenFor,
) -> None:
    """Acme's order and then Globex's are published; Globex's stream skips acme's event and
    gets its own first, acme's gets acme's. Messages are small JSON naming the order."""
    with serving(
        settings,
        database_url=database_url,
        redis_url=clean_redis,
        temporal_address=temporal_address,
    ) as base:
        async with (
            asyncio.timeout(GUARD_S),
            httpx.AsyncClient(base_url=base, timeout=httpx.Timeout(10, read=30)) as client,
        ):
            acme = await sign_in(client, bearer(token_for("acme")))
            globex = await sign_in(client, bearer(token_for("globex")))
            assert (await client.get("/ui/events")).status_code == 303  # signed out: login
            async with (
                client.stream("GET", "/ui/events", headers=acme) as a_response,
                client.stream("GET", "/ui/events", headers=globex) as b_response,
            ):
                assert a_response.status_code == 200
                assert a_response.headers["content-type"].startswith("text/event-stream")
                a, b = sse(a_response), sse(b_response)
                await ready(a)
                await ready(b)
                orders = {}
                for tenant in ("acme", "globex"):
                    created = await client.post(
                        "/v1/work-orders",
                        json={"work_items": [{"type": "INVOICE", "content": INVOICE}]},
                        headers=token_for(tenant),
                    )
                    assert created.status_code == 201, created.text
                    orders[tenant] = created.json()["data"]["id"]
                assert await publish(database_url, clean_redis, settings) >= 2
                got_b = await next_event(b)
                assert got_b["type"] == "work_order.created"
                assert got_b["order"] == orders["globex"]
                got_a = await next_event(a)
                assert got_a["type"] == "work_order.created"
                assert got_a["order"] == orders["acme"]


async def test_a_decision_taken_elsewhere_reaches_the_page_and_a_stale_one_names_the_decider(
    settings: Settings,
    database_url: str,
    clean_redis: str,
    temporal_address: str,
    tenants: dict[str, uuid.UUID],
    token_for: TokenFor,
) -> None:
    """A page waits on an item; the item is approved through the API: the page's stream
    says who decided. Deciding again from the (stale) page, or through the API, is refused
    with 409 naming the decider."""
    await publish_policy(database_url, tenants["acme"])
    local = settings.model_copy(update={"task_queue": unique_queue()})
    owner = token_for("acme", *FINANCE, groups=("finance",))
    with serving(
        local, database_url=database_url, redis_url=clean_redis, temporal_address=temporal_address
    ) as base:
        async with (
            running_worker(local, database_url, temporal_address),
            asyncio.timeout(GUARD_S * 2),
            httpx.AsyncClient(base_url=base, timeout=httpx.Timeout(10, read=30)) as client,
        ):
            _, item_id = await submit_waiting_invoice(client, owner)
            cookie = await sign_in(client, bearer(owner))
            page = await client.get(f"/ui/work-items/{item_id}", headers=cookie)
            assert f'data-live-item="{item_id}"' in page.text
            async with client.stream("GET", "/ui/events", headers=cookie) as response:
                events = sse(response)
                await ready(events)
                approved = await client.post(
                    "/v1/approvals",
                    json={"work_item_id": item_id, "decision": "APPROVED", "reason": "fine"},
                    headers=owner,
                )
                assert approved.status_code == 200, approved.text
                await publish(database_url, clean_redis, local)
                while True:
                    got = await next_event(events)
                    if got["type"] == "approval.approved":
                        break
                assert got["item"] == item_id
                assert got["decided_by"] == "user@acme"
            stale = await client.post(
                f"/ui/work-items/{item_id}/decision",
                data={"csrf_token": csrf_of(page.text), "decision": "REJECTED", "reason": "no"},
                headers=cookie,
            )
            assert stale.status_code == 409
            assert "already approved by user@acme at " in stale.text
            again = await client.post(
                "/v1/approvals",
                json={"work_item_id": item_id, "decision": "REJECTED", "reason": "no"},
                headers=owner,
            )
            assert again.status_code == 409
            error = again.json()["error"]
            assert error["message"].startswith("already approved by user@acme at ")
            assert error["details"]["decided_by"] == "user@acme"
            assert error["details"]["decision"] == "APPROVED"


class _Open:
    """A request whose client never leaves."""

    async def is_disconnected(self) -> bool:
        return False


async def test_the_stream_survives_a_redis_outage_and_ends_at_shutdown() -> None:
    """With Redis unreachable the stream says it retries (and does not fail); setting the
    app's ``stopping`` event ends it."""
    unreachable = aioredis.from_url("redis://127.0.0.1:1", socket_connect_timeout=1)
    stopping = asyncio.Event()
    stream = tenant_events(
        _Open(),  # type: ignore[arg-type]
        unreachable,
        stream="myloware:events",
        tenant_id=uuid.uuid4(),
        stopping=stopping,
    )
    async with asyncio.timeout(GUARD_S):
        assert (await anext(stream)).startswith("retry: ")
        assert (await anext(stream)) == ": events unavailable, retrying\n\n"
        assert (await anext(stream)) == ": events unavailable, retrying\n\n"  # tried again
        stopping.set()
        rest = [chunk async for chunk in stream]
    assert len(rest) <= 1  # at most the retry already under way, then the end
    await unreachable.aclose()


async def test_an_open_stream_ends_when_the_api_stops(
    settings: Settings,
    database_url: str,
    clean_redis: str,
    temporal_address: str,
    token_for: TokenFor,
) -> None:
    """``myloware api`` stopping ends the open event streams (uvicorn would otherwise wait
    for them forever) and then stops itself."""
    with socket.socket() as probe:
        probe.bind(("127.0.0.1", 0))
        port = probe.getsockname()[1]
    local = settings.model_copy(update={"api_host": "127.0.0.1", "api_port": port})
    stop = asyncio.Event()
    api = asyncio.create_task(
        run_api(local, Endpoints(database_url, clean_redis, temporal_address), stop)
    )

    async def up(client: httpx.AsyncClient) -> bool:
        try:
            return (await client.get("/ui/login")).status_code == 200
        except httpx.TransportError:
            return False

    async with (
        asyncio.timeout(GUARD_S),
        httpx.AsyncClient(base_url=f"http://127.0.0.1:{port}", timeout=10) as client,
    ):
        await eventually(lambda: up(client), message="the API never answered")
        cookie = await sign_in(client, bearer(token_for("acme")))
        async with client.stream("GET", "/ui/events", headers=cookie) as response:
            events = sse(response)
            await ready(events)
            stop.set()
            rest = [message async for message in events]  # until the server ends it
        assert rest == []
        await api


async def test_a_reconnecting_page_resumes_after_its_last_event_id(clean_redis: str) -> None:
    """A browser that reconnects with ``Last-Event-ID`` gets what was published after that
    id (and still only its tenant's), instead of starting at the stream's end."""
    redis = aioredis.from_url(clean_redis)
    tenant, other = uuid.uuid4(), uuid.uuid4()

    def event(tenant_id: uuid.UUID, order: uuid.UUID) -> dict[Any, Any]:
        return Event(
            event_id=uuid.uuid4(),
            event_type="work_order.created",
            tenant_id=tenant_id,
            aggregate_type="work_order",
            aggregate_id=order,
            payload={"work_order_id": str(order), "items": 1},
            created_at=datetime.now(UTC),
        ).to_fields()

    seen = text(await redis.xadd("live-test", event(tenant, uuid.uuid4())))
    await redis.xadd("live-test", event(other, uuid.uuid4()))
    missed = uuid.uuid4()
    missed_id = text(await redis.xadd("live-test", event(tenant, missed)))
    stopping = asyncio.Event()
    stream = tenant_events(
        _Open(),  # type: ignore[arg-type]
        redis,
        stream="live-test",
        tenant_id=tenant,
        stopping=stopping,
        last_event_id=seen,
    )
    async with asyncio.timeout(GUARD_S):
        chunks = [await anext(stream) for _ in range(3)]
    assert chunks[0].startswith("retry: ")
    assert chunks[1] == f'event: ready\ndata: {{"from": "{seen}"}}\n\n'
    head, data = chunks[2].split("\ndata: ")
    assert head == f"id: {missed_id}"
    assert json.loads(data)["order"] == str(missed)
    await stream.aclose()
    await redis.aclose()

"""Outgoing webhooks end to end: outbox -> relay -> Redis -> ``webhooks`` group -> a real HTTP
receiver on 127.0.0.1 (uvicorn), with retries, dead letters, replay and connector health."""

from __future__ import annotations

import asyncio
import contextlib
import hashlib
import hmac
import json
import socket
import uuid
from collections.abc import AsyncIterator, Iterator
from dataclasses import dataclass, field
from datetime import UTC, datetime
from typing import Any

import httpx
import pytest
import redis.asyncio as aioredis
import uvicorn
from sqlalchemy import func, select
from sqlalchemy.ext.asyncio import AsyncSession, async_sessionmaker

from myloware.auth.principal import Principal
from myloware.db.base import ConnectorStatus
from myloware.db.engine import transaction
from myloware.db.models import AuditLog, Connector, DeadLetter, ProcessedEvent, WebhookDelivery
from myloware.events import Event, OutboxRelay, record_event, replay_dead_letter
from myloware.events.catalogue import EventType, WorkOrderCreated
from myloware.events.webhooks import (
    DeliveryFailed,
    WebhookDispatcher,
    has_webhooks,
    verify_signature,
)
from myloware.runtime.consumers import run_consumers
from myloware.services.connectors import (
    ConnectorChanges,
    WebhookSpec,
    create_webhook,
    update_connector,
)
from myloware.settings import Settings
from tests.auth_support import TokenFor
from tests.polling import eventually

IDLE_MS = 50
Sessions = async_sessionmaker[AsyncSession]


# --- a real HTTP receiver ----------------------------------------------------------------------


@dataclass
class Received:
    path: str
    headers: dict[str, str]
    body: bytes


@dataclass
class Receiver:
    """An ASGI webhook receiver: records each request, answers ``status[path]`` (200)."""

    base: str = ""
    requests: list[Received] = field(default_factory=list)
    status: dict[str, int] = field(default_factory=dict)
    delay_s: dict[str, float] = field(default_factory=dict)

    async def __call__(self, scope: Any, receive: Any, send: Any) -> None:
        body, more = b"", True
        while more:
            message = await receive()
            body += message.get("body", b"")
            more = message.get("more_body", False)
        path = scope["path"]
        self.requests.append(
            Received(path, {k.decode(): v.decode() for k, v in scope["headers"]}, body)
        )
        await asyncio.sleep(self.delay_s.get(path, 0))
        code = self.status.get(path, 200)
        await send({"type": "http.response.start", "status": code, "headers": []})
        await send(
            {"type": "http.response.body", "body": b"receiver broken" if code >= 400 else b""}
        )

    def url(self, path: str) -> str:
        return self.base + path

    def at(self, path: str) -> list[Received]:
        return [r for r in self.requests if r.path == path]


class _QuietServer(uvicorn.Server):
    @contextlib.contextmanager
    def capture_signals(self) -> Iterator[None]:
        yield


@pytest.fixture
async def receiver() -> AsyncIterator[Receiver]:
    """A receiver listening on 127.0.0.1 (an ephemeral port) for the test's duration."""
    app = Receiver()
    sock = socket.socket(socket.AF_INET, socket.SOCK_STREAM)
    sock.bind(("127.0.0.1", 0))
    app.base = f"http://127.0.0.1:{sock.getsockname()[1]}"
    config = uvicorn.Config(
        app, log_config=None, access_log=False, lifespan="off", timeout_graceful_shutdown=1
    )
    server = _QuietServer(config)
    serving = asyncio.create_task(server.serve(sockets=[sock]))
    await eventually(lambda: server.started)
    yield app
    server.should_exit = True
    await serving
    sock.close()


# --- helpers -----------------------------------------------------------------------------------


@pytest.fixture
def fast(settings: Settings) -> Settings:
    """Settings with a small delivery budget, on a stream of the test's own."""
    return settings.model_copy(
        update={"events_max_deliveries": 3, "events_stream": f"test:{uuid.uuid4().hex[:8]}"}
    )


@contextlib.asynccontextmanager
async def platform(settings: Settings, sessions: Sessions, redis: aioredis.Redis) -> Any:
    """The relay and the platform's consumer groups running, as ``myloware relay`` runs them."""
    stop = asyncio.Event()
    tasks = [
        asyncio.create_task(
            OutboxRelay(sessions, redis, stream=settings.events_stream).run(stop, 0.02)
        ),
        asyncio.create_task(
            run_consumers(settings, sessions, redis, stop, claim_idle_ms=IDLE_MS, block_ms=20)
        ),
    ]
    await eventually(lambda: redis.exists(settings.events_stream))  # the group is ready
    try:
        yield
    finally:
        stop.set()
        # bounded: a consumer that does not stop must fail the test, not hang the suite
        done, pending = await asyncio.wait(tasks, timeout=30)
        for task in pending:
            task.cancel()
        assert not pending, "the relay or a consumer did not stop within 30 s of stop"
        for task in done:
            task.result()


async def webhook(
    sessions: Sessions, tenant_id: uuid.UUID, url: str, events: list[str], **extra: Any
) -> tuple[uuid.UUID, str]:
    """Create an outgoing webhook the way the API does; returns its id and secret."""
    async with transaction(sessions) as session:
        row, secret = await create_webhook(
            session,
            tenant_id=tenant_id,
            name=url.rsplit("/", 1)[-1],
            spec=WebhookSpec(url=url, events=events, **extra),
            allow_private_targets=True,
            principal=None,
        )
    return row.id, secret


async def order_created(sessions: Sessions, tenant_id: uuid.UUID) -> uuid.UUID:
    """Commit a work_order.created event for the tenant; returns its event id."""
    order_id = uuid.uuid4()
    async with transaction(sessions) as session:
        return record_event(
            session,
            EventType.WORK_ORDER_CREATED,
            WorkOrderCreated(work_order_id=order_id, items=1),
            tenant_id=tenant_id,
            aggregate_id=order_id,
        )


async def processed(sessions: Sessions, event_id: uuid.UUID) -> bool:
    async with sessions() as session:
        found = await session.scalar(
            select(ProcessedEvent.event_id).where(
                ProcessedEvent.consumer == "webhooks", ProcessedEvent.event_id == event_id
            )
        )
    return found is not None


async def attempts(sessions: Sessions, connector_id: uuid.UUID) -> list[WebhookDelivery]:
    async with sessions() as session:
        rows = await session.scalars(
            select(WebhookDelivery)
            .where(WebhookDelivery.connector_id == connector_id)
            .order_by(WebhookDelivery.attempted_at)
        )
        return list(rows.all())


async def connector(sessions: Sessions, connector_id: uuid.UUID) -> Connector:
    async with sessions() as session:
        row = await session.get(Connector, connector_id)
        assert row is not None
        return row


def an_event(tenant_id: uuid.UUID | None, event_type: str = "work_order.created") -> Event:
    return Event(
        event_id=uuid.uuid4(),
        event_type=event_type,
        tenant_id=tenant_id,
        aggregate_type="work_order",
        aggregate_id=uuid.uuid4(),
        payload={},
        created_at=datetime.now(UTC),
    )


async def dispatch(dispatcher: WebhookDispatcher, sessions: Sessions, event: Event) -> None:
    """Run the handler once the way the consumer does: inside a transaction."""
    async with transaction(sessions) as session:
        await dispatcher(event, session)


# --- through the stream --------------------------------------------------------------------


async def test_subscribed_connector_receives_a_signed_event(
    fast: Settings,
    sessions: Sessions,
    redis: aioredis.Redis,
    tenants: dict[str, uuid.UUID],
    receiver: Receiver,
) -> None:
    """A committed work_order.created reaches the subscribed receiver, signed with its secret."""
    connector_id, secret = await webhook(
        sessions, tenants["acme"], receiver.url("/hook"), ["work_order.*"]
    )
    async with platform(fast, sessions, redis):
        event_id = await order_created(sessions, tenants["acme"])
        await eventually(lambda: processed(sessions, event_id))
    [request] = receiver.at("/hook")
    expected = hmac.new(secret.encode(), request.body, hashlib.sha256).hexdigest()
    assert request.headers["x-myloware-signature"] == f"sha256={expected}"
    assert verify_signature(secret, request.body, request.headers["x-myloware-signature"])
    assert request.headers["x-myloware-event"] == "work_order.created"
    assert request.headers["x-myloware-delivery"] == str(event_id)
    assert request.headers["content-type"] == "application/json"
    body = json.loads(request.body)
    assert body["event_id"] == str(event_id)
    assert body["tenant_id"] == str(tenants["acme"])
    assert body["aggregate"]["type"] == "work_order"
    assert body["payload"]["items"] == 1
    [attempt] = await attempts(sessions, connector_id)
    assert attempt.succeeded and attempt.status_code == 200 and attempt.error is None
    assert (await connector(sessions, connector_id)).last_health_check is not None


async def test_only_active_subscribed_connectors_of_the_tenant_receive_it(
    fast: Settings,
    sessions: Sessions,
    redis: aioredis.Redis,
    tenants: dict[str, uuid.UUID],
    receiver: Receiver,
) -> None:
    """Unsubscribed, INACTIVE and other tenants' connectors get nothing; '*' gets everything."""
    acme, globex = tenants["acme"], tenants["globex"]
    await webhook(sessions, acme, receiver.url("/subscribed"), ["work_order.created"])
    await webhook(sessions, acme, receiver.url("/everything"), ["*"])
    await webhook(sessions, acme, receiver.url("/approvals"), ["approval.*"])
    inactive, _ = await webhook(sessions, acme, receiver.url("/inactive"), ["*"])
    await webhook(sessions, globex, receiver.url("/globex"), ["*"])
    async with transaction(sessions) as session:
        await update_connector(
            session,
            tenant_id=acme,
            connector_id=inactive,
            changes=ConnectorChanges(status=ConnectorStatus.INACTIVE),
            allow_private_targets=True,
            principal=None,
        )
    async with platform(fast, sessions, redis):
        event_id = await order_created(sessions, acme)
        await eventually(lambda: processed(sessions, event_id))
    assert sorted(r.path for r in receiver.requests) == ["/everything", "/subscribed"]


async def test_failing_receiver_is_retried_dead_lettered_and_replayed_once_fixed(
    fast: Settings,
    sessions: Sessions,
    redis: aioredis.Redis,
    tenants: dict[str, uuid.UUID],
    receiver: Receiver,
) -> None:
    """A 500 is retried up to max_deliveries then dead-lettered; the healthy connector got it
    once; replay after the fix re-sends to the failing one only."""
    acme = tenants["acme"]
    broken, _ = await webhook(sessions, acme, receiver.url("/broken"), ["*"])
    await webhook(sessions, acme, receiver.url("/ok"), ["*"])
    receiver.status["/broken"] = 500
    async with platform(fast, sessions, redis):
        event_id = await order_created(sessions, acme)

        async def dead_lettered() -> bool:
            async with sessions() as session:
                return bool(await session.scalar(select(func.count(DeadLetter.id))))

        await eventually(dead_lettered)
        assert len(receiver.at("/broken")) == fast.events_max_deliveries
        assert {r.headers["x-myloware-delivery"] for r in receiver.at("/broken")} == {str(event_id)}
        assert len(receiver.at("/ok")) == 1
        failures = await attempts(sessions, broken)
        assert [a.succeeded for a in failures] == [False] * 3
        assert failures[0].status_code == 500 and failures[0].error == "HTTP 500: receiver broken"
        async with sessions() as session:
            letter = (await session.scalars(select(DeadLetter))).one()
        assert letter.source == "webhooks" and letter.event_id == event_id
        assert "HTTP 500" in letter.error

        receiver.status["/broken"] = 204
        async with transaction(sessions) as session:
            await replay_dead_letter(
                session, redis, letter.id, tenant_id=acme, stream=fast.events_stream
            )
        await eventually(lambda: processed(sessions, event_id))
    assert len(receiver.at("/broken")) == 4
    assert len(receiver.at("/ok")) == 1
    assert (await attempts(sessions, broken))[-1].succeeded


async def test_work_order_created_through_the_api_reaches_the_webhook(
    api: httpx.AsyncClient,
    token_for: TokenFor,
    fast: Settings,
    sessions: Sessions,
    redis: aioredis.Redis,
    tenants: dict[str, uuid.UUID],
    receiver: Receiver,
) -> None:
    """An admin registers a webhook, a user submits an order; the receiver learns of it."""
    created = await api.post(
        "/v1/connectors",
        json={"name": "erp", "config": {"url": receiver.url("/erp"), "events": ["work_order.*"]}},
        headers=token_for("acme", "admin"),
    )
    assert created.status_code == 201, created.text
    secret = created.json()["data"]["secret"]
    async with platform(fast, sessions, redis):
        order = await api.post(
            "/v1/work-orders",
            json={"work_items": [{"type": "INVOICE", "content": "Invoice 1, total 10.00"}]},
            headers=token_for("acme"),
        )
        assert order.status_code == 201, order.text
        await eventually(lambda: receiver.at("/erp"))
    [request] = receiver.at("/erp")
    assert verify_signature(secret, request.body, request.headers["x-myloware-signature"])
    assert json.loads(request.body)["payload"]["work_order_id"] == order.json()["data"]["id"]


# --- the handler on its own ------------------------------------------------------------------


async def test_connector_goes_to_error_after_failures_in_a_row_until_reactivated(
    sessions: Sessions, tenants: dict[str, uuid.UUID], receiver: Receiver
) -> None:
    """Two failed attempts in a row put it in ERROR (audited); new events skip it, the one in
    flight is still retried; re-activation starts a new count."""
    acme = tenants["acme"]
    connector_id, _ = await webhook(sessions, acme, receiver.url("/down"), ["*"])
    receiver.status["/down"] = 503
    async with httpx.AsyncClient() as http:
        dispatcher = WebhookDispatcher(sessions, http, allow_private_targets=True, error_after=2)
        in_flight = an_event(acme)
        for _ in range(2):
            with pytest.raises(DeliveryFailed, match="HTTP 503"):
                await dispatch(dispatcher, sessions, in_flight)
        assert (await connector(sessions, connector_id)).status is ConnectorStatus.ERROR
        async with sessions() as session:
            audit = (
                await session.scalars(select(AuditLog).where(AuditLog.action == "connector.error"))
            ).one()
        assert audit.user_id == "system:webhooks" and audit.resource_id == connector_id
        assert audit.details["consecutive_failures"] == 2

        await dispatch(dispatcher, sessions, an_event(acme))  # a new event: not sent
        assert len(receiver.at("/down")) == 2
        with pytest.raises(DeliveryFailed):  # the event in flight: retried to its end
            await dispatch(dispatcher, sessions, in_flight)
        assert len(receiver.at("/down")) == 3

        async with transaction(sessions) as session:
            await update_connector(
                session,
                tenant_id=acme,
                connector_id=connector_id,
                changes=ConnectorChanges(status=ConnectorStatus.ACTIVE),
                allow_private_targets=True,
                principal=Principal("admin@acme", acme, frozenset({"admin"})),
            )
        with pytest.raises(DeliveryFailed):
            await dispatch(dispatcher, sessions, an_event(acme))
        assert (await connector(sessions, connector_id)).status is ConnectorStatus.ACTIVE


@pytest.mark.parametrize(
    ("setup", "error"),
    [
        ({"status": 302}, "HTTP 302"),  # redirects are not followed
        ({"delay_s": 1.0}, "timed out after 0.2 s"),
        ({"path": "/closed"}, "ConnectError"),
    ],
)
async def test_redirects_timeouts_and_network_errors_are_failed_deliveries(
    sessions: Sessions,
    tenants: dict[str, uuid.UUID],
    receiver: Receiver,
    setup: dict[str, Any],
    error: str,
) -> None:
    """Anything but a 2xx within the timeout raises and is logged as a failed attempt."""
    url = receiver.url("/hook")
    if "path" in setup:
        with socket.socket() as probe:  # a port nobody listens on
            probe.bind(("127.0.0.1", 0))
            url = f"http://127.0.0.1:{probe.getsockname()[1]}/closed"
    receiver.status["/hook"] = setup.get("status", 200)
    receiver.delay_s["/hook"] = setup.get("delay_s", 0)
    connector_id, _ = await webhook(sessions, tenants["acme"], url, ["*"])
    async with httpx.AsyncClient() as http:
        dispatcher = WebhookDispatcher(sessions, http, allow_private_targets=True, timeout_s=0.2)
        with pytest.raises(DeliveryFailed, match=error):
            await dispatch(dispatcher, sessions, an_event(tenants["acme"]))
    [attempt] = await attempts(sessions, connector_id)
    assert not attempt.succeeded and error in (attempt.error or "")


async def test_production_refuses_receivers_resolving_to_private_addresses(
    sessions: Sessions, tenants: dict[str, uuid.UUID], receiver: Receiver
) -> None:
    """With private targets disallowed, a host resolving to loopback is never contacted."""
    url = receiver.url("/hook").replace("127.0.0.1", "localhost")
    connector_id, _ = await webhook(sessions, tenants["acme"], url, ["*"])
    async with httpx.AsyncClient() as http:
        dispatcher = WebhookDispatcher(sessions, http, allow_private_targets=False)
        with pytest.raises(DeliveryFailed, match="non-public address"):
            await dispatch(dispatcher, sessions, an_event(tenants["acme"]))
    assert receiver.requests == []
    assert len(await attempts(sessions, connector_id)) == 1


async def test_events_without_a_tenant_or_subscriber_send_nothing(
    sessions: Sessions, tenants: dict[str, uuid.UUID], receiver: Receiver
) -> None:
    """Platform events (no tenant) and unsubscribed types make no request and log nothing."""
    connector_id, _ = await webhook(sessions, tenants["acme"], receiver.url("/h"), ["record.*"])
    async with httpx.AsyncClient() as http:
        dispatcher = WebhookDispatcher(sessions, http, allow_private_targets=True)
        await dispatch(dispatcher, sessions, an_event(None))
        await dispatch(dispatcher, sessions, an_event(tenants["acme"], "work_order.failed"))
    assert receiver.requests == []
    assert await attempts(sessions, connector_id) == []


async def test_a_connector_failing_unexpectedly_does_not_lose_the_others_log(
    sessions: Sessions, tenants: dict[str, uuid.UUID], receiver: Receiver
) -> None:
    """A stored URL that only breaks at delivery (a 64-letter DNS label: IDNA refuses it) is
    that connector's failed attempt; the other connector's attempt is still logged."""
    broken_id, _ = await webhook(sessions, tenants["acme"], receiver.url("/broken"), ["*"])
    async with transaction(sessions) as session:  # saved before URLs were checked this way
        row = await session.get(Connector, broken_id)
        assert row is not None
        row.config = {**row.config, "url": f"https://{'a' * 64}.example.com/hook"}
    other_id, _ = await webhook(sessions, tenants["acme"], receiver.url("/other"), ["*"])
    async with httpx.AsyncClient() as http:
        dispatcher = WebhookDispatcher(sessions, http, allow_private_targets=False)
        with pytest.raises(DeliveryFailed, match="2 of 2"):
            await dispatch(dispatcher, sessions, an_event(tenants["acme"]))
    [broken] = await attempts(sessions, broken_id)
    [other] = await attempts(sessions, other_id)
    assert "UnicodeError" in (broken.error or "")
    assert "non-public address" in (other.error or "")


async def test_the_pre_check_keeps_erroring_connectors_events_and_drops_inactive_ones(
    sessions: Sessions, tenants: dict[str, uuid.UUID], receiver: Receiver
) -> None:
    """An ERROR connector still has retries in flight: its tenant's events stay relevant; an
    INACTIVE one (or none) makes them irrelevant, acknowledged without a transaction."""
    relevant = has_webhooks(sessions)
    acme, globex = an_event(tenants["acme"]), an_event(tenants["globex"])
    assert await relevant([acme, globex, an_event(None)]) == [False, False, False]
    connector_id, _ = await webhook(sessions, tenants["acme"], receiver.url("/h"), ["*"])
    for status, expected in (
        (ConnectorStatus.ERROR, True),
        (ConnectorStatus.INACTIVE, False),
        (ConnectorStatus.ACTIVE, True),
    ):
        async with transaction(sessions) as session:
            row = await session.get(Connector, connector_id)
            assert row is not None
            row.status = status
        assert await relevant([acme, globex]) == [expected, False], status


async def test_delivery_connects_to_the_address_it_resolved(
    sessions: Sessions, tenants: dict[str, uuid.UUID], receiver: Receiver
) -> None:
    """The receiver's host is resolved once, by the dispatcher, and the POST goes to that
    address with the URL's host name in ``Host`` (a name nothing else can resolve works)."""
    port = receiver.base.rsplit(":", 1)[1]
    lookups: list[tuple[str, int]] = []

    async def resolve(host: str, port: int) -> list[str]:
        lookups.append((host, port))
        return ["127.0.0.1"]

    url = f"http://receiver.invalid:{port}/hook"
    await webhook(sessions, tenants["acme"], url, ["*"])
    async with httpx.AsyncClient() as http:
        dispatcher = WebhookDispatcher(sessions, http, allow_private_targets=True, resolve=resolve)
        await dispatch(dispatcher, sessions, an_event(tenants["acme"]))
    [received] = receiver.at("/hook")
    assert received.headers["host"] == f"receiver.invalid:{port}"
    assert lookups == [("receiver.invalid", int(port))]


async def test_a_dns_answer_that_changes_after_the_check_is_not_followed(
    sessions: Sessions, tenants: dict[str, uuid.UUID]
) -> None:
    """DNS rebinding: the host answers a public address, then loopback; the delivery goes to
    the public address it checked, keeping TLS (SNI, certificate) on the host name."""
    answers = iter([["93.184.215.14"], ["127.0.0.1"]])
    seen: list[httpx.Request] = []

    async def resolve(host: str, port: int) -> list[str]:
        return next(answers)

    def receive(request: httpx.Request) -> httpx.Response:
        seen.append(request)
        return httpx.Response(204)

    await webhook(sessions, tenants["acme"], "https://hooks.example.com/in", ["*"])
    async with httpx.AsyncClient(transport=httpx.MockTransport(receive)) as http:
        dispatcher = WebhookDispatcher(sessions, http, allow_private_targets=False, resolve=resolve)
        await dispatch(dispatcher, sessions, an_event(tenants["acme"]))
    [request] = seen
    assert request.url.host == "93.184.215.14" and request.url.scheme == "https"
    assert request.headers["host"] == "hooks.example.com"
    assert request.extensions["sni_hostname"] == "hooks.example.com"

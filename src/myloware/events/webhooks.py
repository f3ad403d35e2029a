"""Outgoing webhooks: the ``webhooks`` consumer group POSTs domain events to tenants' receivers.

A tenant's ``API`` connector is an outgoing webhook: ``config = {url, events, secret,
description}``. For each event on the stream, :class:`WebhookDispatcher` finds the tenant's
ACTIVE API connectors whose ``events`` patterns match its type and POSTs :func:`webhook_body`
to each (concurrently), signed with :func:`sign`::

    X-MyloWare-Event:      work_order.created
    X-MyloWare-Delivery:   <event id>            (the same on every retry: deduplicate on it)
    X-MyloWare-Signature:  sha256=<hex HMAC-SHA256 of the raw body, keyed by the secret>

Every attempt is written to ``webhook_deliveries`` in a transaction of its own, so it survives
the consumer's rollback. A connector with a successful attempt for an event is never sent that
event again (idempotent per connector); a non-2xx answer (redirects included), a network error
or the 10 s timeout raises :class:`DeliveryFailed`, so the consumer retries the event and
finally dead-letters it; ``myloware dead-letters replay`` then re-sends it to the connectors
that did not get it.

Health: ``connectors.last_health_check`` is when a delivery last succeeded or the status last
changed. After ``error_after`` failed attempts in a row since then, the connector goes to
``ERROR`` (audited as ``connector.error`` by ``system:webhooks``): it receives no new events,
while events already being retried for it run on to their dead letter. An admin sets it back
to ``ACTIVE`` (``PATCH /v1/connectors/{id}``) and replays the dead letters.

Outside development and test, targets must be public: :func:`check_target_url` refuses
loopback, private, link-local and reserved address literals and ``localhost`` when a connector
is saved, and every delivery resolves the host and refuses non-public addresses.

Every delivery resolves the host once and connects to an address it resolved (and, in
production, checked): the request goes to ``<scheme>://<ip>:<port>/…`` with the ``Host``
header and TLS SNI (``sni_hostname``) set to the URL's host name, so the certificate is still
verified against that name and a DNS answer that changes in between (rebinding) cannot send
it elsewhere. Such a request asks for ``Connection: close``: a connection pooled per address
would otherwise carry the next receiver's request on a TLS session verified for another name.
"""

from __future__ import annotations

import asyncio
import hashlib
import hmac
import ipaddress
import json
import socket
import time
import uuid
from collections.abc import Awaitable, Callable, Iterable, Sequence
from dataclasses import dataclass
from urllib.parse import urlsplit

import httpx
import structlog
from pydantic import BaseModel, ConfigDict, ValidationError
from sqlalchemy import and_, exists, func, or_, select, update
from sqlalchemy.ext.asyncio import AsyncSession, async_sessionmaker

import myloware
from myloware.db.audit import record_audit
from myloware.db.base import ConnectorStatus, ConnectorType
from myloware.db.engine import transaction
from myloware.db.models import Connector, WebhookDelivery
from myloware.errors import MylowareError, ValidationFailed
from myloware.events.catalogue import EventType
from myloware.events.consumer import Relevance
from myloware.events.stream import Event

log = structlog.get_logger(__name__)

GROUP = "webhooks"
ACTOR = "system:webhooks"
TIMEOUT_S = 10.0
ERROR_AFTER = 10
EVENT_HEADER = "X-MyloWare-Event"
DELIVERY_HEADER = "X-MyloWare-Delivery"
SIGNATURE_HEADER = "X-MyloWare-Signature"
USER_AGENT = f"MyloWare-Webhooks/{myloware.__version__}"
_EXCERPT_BYTES = 512

#: Every event type on the stream (the catalogue; docs/events.md describes their payloads).
EVENT_TYPES: tuple[str, ...] = tuple(EventType)
_PREFIXES = frozenset(t.split(".", 1)[0] for t in EVENT_TYPES)
#: Every pattern a webhook may subscribe with (what :func:`check_event_patterns` accepts).
EVENT_PATTERNS: tuple[str, ...] = ("*", *sorted(f"{p}.*" for p in _PREFIXES), *EVENT_TYPES)


class DeliveryFailed(MylowareError):
    """At least one receiver did not accept an event; the consumer retries it."""

    code = "webhook_delivery_failed"
    transient = True


class WebhookConfig(BaseModel):
    """The stored ``config`` of an outgoing-webhook connector."""

    model_config = ConfigDict(extra="ignore", frozen=True)

    url: str
    events: list[str]
    secret: str
    description: str | None = None


# --- the protocol: pure functions ------------------------------------------------------------


def check_event_patterns(patterns: Sequence[str]) -> list[str]:
    """The patterns, deduplicated in order; ``ValueError`` names an unknown one.

    A pattern is ``*`` (everything), ``<prefix>.*`` (e.g. ``approval.*``) or an event type.
    """
    unknown = [
        p
        for p in patterns
        if p != "*" and p not in EVENT_TYPES and not (p.endswith(".*") and p[:-2] in _PREFIXES)
    ]
    if unknown:
        raise ValueError(
            f"unknown event types {unknown}; use '*', '<prefix>.*' with a prefix in "
            f"{sorted(_PREFIXES)}, or one of {list(EVENT_TYPES)}"
        )
    return list(dict.fromkeys(patterns))


def subscribed(patterns: Iterable[str], event_type: str) -> bool:
    """Whether any pattern matches ``event_type``."""
    prefix = event_type.split(".", 1)[0]
    return any(p in ("*", event_type, f"{prefix}.*") for p in patterns)


def webhook_body(event: Event) -> bytes:
    """The JSON document POSTed for ``event`` (compact, UTF-8); the signature covers it."""
    document = {
        "event_id": str(event.event_id),
        "event_type": event.event_type,
        "tenant_id": str(event.tenant_id) if event.tenant_id else None,
        "aggregate": {
            "type": event.aggregate_type,
            "id": str(event.aggregate_id) if event.aggregate_id else None,
        },
        "payload": event.payload,
        "created_at": event.created_at.isoformat(),
    }
    return json.dumps(document, separators=(",", ":"), ensure_ascii=False, default=str).encode()


def sign(secret: str, body: bytes) -> str:
    """The ``X-MyloWare-Signature`` value: ``sha256=`` + hex HMAC-SHA256(secret, body)."""
    return "sha256=" + hmac.new(secret.encode(), body, hashlib.sha256).hexdigest()


def verify_signature(secret: str, body: bytes, header: str | None) -> bool:
    """What a receiver runs: does ``header`` sign ``body`` (raw bytes) with ``secret``?"""
    return header is not None and hmac.compare_digest(sign(secret, body), header.strip())


def is_public_address(address: str) -> bool:
    """A globally routable unicast address (IPv4-mapped IPv6 judged by its IPv4)."""
    ip = ipaddress.ip_address(address.split("%", 1)[0])
    if isinstance(ip, ipaddress.IPv6Address) and ip.ipv4_mapped is not None:
        ip = ip.ipv4_mapped
    return ip.is_global and not ip.is_multicast


def check_target_url(url: str, *, allow_private: bool) -> None:
    """Refuse (ValidationFailed) a receiver URL that is not ``http(s)://host…`` without
    credentials, or, unless ``allow_private``, whose host is local or a non-public literal."""
    parts = urlsplit(url)
    if parts.scheme not in ("http", "https") or not parts.hostname:
        raise ValidationFailed("the webhook URL must be an absolute http:// or https:// URL")
    if parts.username is not None or parts.password is not None:
        raise ValidationFailed("the webhook URL may not contain credentials")
    try:  # what delivery will need: a host IDNA can encode (labels ≤ 63) and a valid port
        parts.hostname.encode("idna")
        _ = parts.port
    except (UnicodeError, ValueError):
        raise ValidationFailed("the webhook URL's host or port is not valid") from None
    if allow_private:
        return
    host = parts.hostname.rstrip(".").lower()
    if host == "localhost" or host.endswith(".localhost"):
        raise ValidationFailed("the webhook URL may not point at localhost")
    try:
        public = is_public_address(host)
    except ValueError:
        return  # a name: checked again at every delivery, once resolved
    if not public:
        raise ValidationFailed("the webhook URL must point at a public address")


#: ``(host, port) -> addresses``: how a delivery resolves its receiver's host.
Resolver = Callable[[str, int], Awaitable[list[str]]]


async def system_resolve(host: str, port: int) -> list[str]:
    """The host's addresses from the system resolver, in its order, without duplicates."""
    infos = await asyncio.get_running_loop().getaddrinfo(host, port, type=socket.SOCK_STREAM)
    return list(dict.fromkeys(str(info[4][0]) for info in infos))


async def target_addresses(
    url: str, *, allow_private: bool, resolve: Resolver = system_resolve
) -> list[str]:
    """The addresses to connect to for ``url`` (resolved once); unless ``allow_private``,
    ValidationFailed when any of them is not public."""
    parts = urlsplit(url)
    host = parts.hostname or ""
    port = parts.port or (443 if parts.scheme == "https" else 80)
    addresses = await resolve(host, port)
    if not addresses:
        raise ValidationFailed(f"{host} resolves to no address")
    if not allow_private and not all(is_public_address(a) for a in addresses):
        raise ValidationFailed(f"{host} resolves to a non-public address")
    return addresses


def pinned_request(url: str, address: str) -> tuple[httpx.URL, dict[str, str], dict[str, str]]:
    """``url`` aimed at ``address``: the URL to connect to, the ``Host`` header and the
    request extensions (TLS SNI and certificate check for the URL's own host name)."""
    original = httpx.URL(url)
    pinned = original.copy_with(host=address.split("%", 1)[0])
    return pinned, {"Host": original.netloc.decode("ascii")}, {"sni_hostname": original.host}


# --- the consumer's handler ------------------------------------------------------------------


@dataclass(frozen=True, slots=True)
class Outcome:
    """The result of one attempt to deliver an event to one connector."""

    connector_id: uuid.UUID
    succeeded: bool
    status_code: int | None
    error: str | None
    duration_ms: int


class WebhookDispatcher:
    """The ``webhooks`` group's handler: ``await dispatcher(event, session)``.

    ``sessions`` writes the delivery log in transactions of its own; ``http`` is the shared
    client (see :func:`webhook_client`).
    """

    def __init__(
        self,
        sessions: async_sessionmaker[AsyncSession],
        http: httpx.AsyncClient,
        *,
        allow_private_targets: bool,
        error_after: int = ERROR_AFTER,
        timeout_s: float = TIMEOUT_S,
        resolve: Resolver = system_resolve,
    ) -> None:
        self._sessions = sessions
        self._http = http
        self._allow_private = allow_private_targets
        self._resolve = resolve
        self._error_after = error_after
        self._timeout_s = timeout_s

    async def __call__(self, event: Event, session: AsyncSession) -> None:
        if event.tenant_id is None:
            return
        targets = [c for c in await _targets(session, event) if _wants(c, event.event_type)]
        if not targets:
            return
        body = webhook_body(event)
        outcomes = await asyncio.gather(*(self._deliver(c, event, body) for c in targets))
        await self._record(event, event.tenant_id, outcomes)
        failed = [o for o in outcomes if not o.succeeded]
        if failed:
            reasons = "; ".join(f"connector {o.connector_id}: {o.error}" for o in failed)
            raise DeliveryFailed(
                f"{len(failed)} of {len(outcomes)} webhook deliveries failed: {reasons}"
            )

    async def _deliver(self, connector: Connector, event: Event, body: bytes) -> Outcome:
        started = time.perf_counter()
        status: int | None = None
        error: str | None = None
        try:
            config = WebhookConfig.model_validate(connector.config)
            async with asyncio.timeout(self._timeout_s):
                addresses = await target_addresses(
                    config.url, allow_private=self._allow_private, resolve=self._resolve
                )
                status, excerpt = await self._post_to_any(addresses, config, event, body)
            if not 200 <= status < 300:
                error = f"HTTP {status}" + (f": {excerpt}" if excerpt else "")
        except TimeoutError:
            error = f"timed out after {self._timeout_s:g} s"
        except ValidationError:
            error = "the connector's config is not a valid webhook config"
        except (httpx.HTTPError, httpx.InvalidURL, OSError, ValidationFailed) as exc:
            error = f"{type(exc).__name__}: {exc}" if str(exc) else type(exc).__name__
        except Exception as exc:  # one broken connector must never lose the others' log
            error = f"{type(exc).__name__}: {exc}"[:500]
        elapsed = int((time.perf_counter() - started) * 1000)
        log.bind(connector_id=str(connector.id), event_id=str(event.event_id)).info(
            "webhook_attempt", status_code=status, error=error, duration_ms=elapsed
        )
        return Outcome(connector.id, error is None, status, error, elapsed)

    async def _post_to_any(
        self, addresses: list[str], config: WebhookConfig, event: Event, body: bytes
    ) -> tuple[int, str]:
        """POST to the first of ``addresses`` that takes the connection."""
        for address in addresses[:-1]:
            try:
                return await self._post(address, config, event, body)
            except httpx.ConnectError:
                continue
        return await self._post(addresses[-1], config, event, body)

    async def _post(
        self, address: str, config: WebhookConfig, event: Event, body: bytes
    ) -> tuple[int, str]:
        url, host, extensions = pinned_request(config.url, address)
        headers = {
            **host,
            "Connection": "close",
            "Content-Type": "application/json",
            "User-Agent": USER_AGENT,
            EVENT_HEADER: event.event_type,
            DELIVERY_HEADER: str(event.event_id),
            SIGNATURE_HEADER: sign(config.secret, body),
        }
        async with self._http.stream(
            "POST", url, content=body, headers=headers, extensions=extensions
        ) as reply:
            excerpt = b""
            if not reply.is_success:  # keep the start of an error answer, never all of it
                async for chunk in reply.aiter_bytes():
                    excerpt += chunk
                    if len(excerpt) >= _EXCERPT_BYTES:
                        break
            return reply.status_code, excerpt[:_EXCERPT_BYTES].decode(errors="replace").strip()

    async def _record(
        self, event: Event, tenant_id: uuid.UUID, outcomes: Sequence[Outcome]
    ) -> None:
        """Log the attempts and update the connectors' health, committed on their own."""
        async with transaction(self._sessions) as session:
            session.add_all(
                WebhookDelivery(
                    tenant_id=tenant_id,
                    connector_id=o.connector_id,
                    event_id=event.event_id,
                    event_type=event.event_type,
                    succeeded=o.succeeded,
                    status_code=o.status_code,
                    error=o.error,
                    duration_ms=o.duration_ms,
                )
                for o in outcomes
            )
            await session.flush()
            for outcome in outcomes:
                if outcome.succeeded:
                    await session.execute(
                        update(Connector)
                        .where(Connector.id == outcome.connector_id)
                        .values(last_health_check=func.now())
                    )
                else:
                    await self._trip_if_failing(session, tenant_id, outcome)

    async def _trip_if_failing(
        self, session: AsyncSession, tenant_id: uuid.UUID, outcome: Outcome
    ) -> None:
        """Put an ACTIVE connector in ERROR after ``error_after`` failed attempts in a row."""
        since = (
            select(func.coalesce(Connector.last_health_check, Connector.created_at))
            .where(Connector.id == outcome.connector_id)
            .scalar_subquery()
        )
        failures = await session.scalar(
            select(func.count())
            .select_from(WebhookDelivery)
            .where(
                WebhookDelivery.connector_id == outcome.connector_id,
                WebhookDelivery.succeeded.is_(False),
                WebhookDelivery.attempted_at > since,
            )
        )
        if int(failures or 0) < self._error_after:
            return
        tripped = await session.scalar(
            update(Connector)
            .where(Connector.id == outcome.connector_id, Connector.status == ConnectorStatus.ACTIVE)
            .values(status=ConnectorStatus.ERROR, last_health_check=func.now())
            .returning(Connector.id)
        )
        if tripped is None:
            return
        log.warning("webhook_connector_error", connector_id=str(tripped), failures=failures)
        record_audit(
            session,
            principal=None,
            user_id=ACTOR,
            tenant_id=tenant_id,
            action="connector.error",
            resource_type="connector",
            resource_id=tripped,
            details={"consecutive_failures": int(failures or 0), "last_error": outcome.error},
        )


def _wants(connector: Connector, event_type: str) -> bool:
    events = connector.config.get("events") if isinstance(connector.config, dict) else None
    return isinstance(events, list) and subscribed((str(e) for e in events), event_type)


async def _targets(session: AsyncSession, event: Event) -> Sequence[Connector]:
    """The tenant's API connectors still owed ``event``: ACTIVE ones, and ERROR ones already
    retrying it; none that has a successful attempt for it."""
    attempts = and_(
        WebhookDelivery.connector_id == Connector.id,
        WebhookDelivery.event_id == event.event_id,
    )
    return (
        await session.scalars(
            select(Connector)
            .where(
                Connector.tenant_id == event.tenant_id,
                Connector.type == ConnectorType.API,
                or_(
                    Connector.status == ConnectorStatus.ACTIVE,
                    and_(Connector.status == ConnectorStatus.ERROR, exists().where(attempts)),
                ),
                ~exists().where(attempts, WebhookDelivery.succeeded.is_(True)),
            )
            .order_by(Connector.created_at)
        )
    ).all()


def webhook_client(timeout_s: float = TIMEOUT_S) -> httpx.AsyncClient:
    """The shared HTTP client of the dispatcher: no redirects followed, bounded pool."""
    return httpx.AsyncClient(
        timeout=httpx.Timeout(timeout_s),
        follow_redirects=False,
        limits=httpx.Limits(max_connections=50, max_keepalive_connections=10),
        headers={"User-Agent": USER_AGENT},
    )


def has_webhooks(sessions: async_sessionmaker[AsyncSession]) -> Relevance:
    """The consumer's pre-check: does each event's tenant have any active webhook at all?

    One indexed read per batch instead of the consumer's full transaction per event for the
    (common) tenants without webhooks; subscription filtering proper stays in
    :class:`WebhookDispatcher`.
    """

    async def relevant(events: Sequence[Event]) -> list[bool]:
        tenants = {event.tenant_id for event in events if event.tenant_id is not None}
        if not tenants:
            return [False] * len(events)
        async with sessions() as session:
            subscribed = set(
                await session.scalars(
                    select(Connector.tenant_id)
                    .where(
                        Connector.tenant_id.in_(tenants),
                        Connector.type == ConnectorType.API,
                        Connector.status != ConnectorStatus.INACTIVE,
                    )
                    .distinct()
                )
            )
        return [event.tenant_id in subscribed for event in events]

    return relevant

"""A tenant's connectors: outgoing webhooks (type ``API``) and its Slack workspace (type
``SLACK``, see :mod:`myloware.services.slack_connectors`) created, listed, changed, deleted.

Keyword-only data-access functions, scoped by tenant (another tenant's connector is "not
found"); each change is audited in the caller's transaction, and the caller commits. A
webhook's signing secret is generated unless given, returned once by :func:`create_webhook`
and masked by :func:`public_config` everywhere else.
"""

from __future__ import annotations

import secrets
import uuid
from collections.abc import Sequence
from dataclasses import dataclass
from typing import Any

from sqlalchemy import delete, func, select
from sqlalchemy.ext.asyncio import AsyncSession

from myloware.auth.principal import Principal
from myloware.db.audit import ClientInfo, record_audit
from myloware.db.base import ConnectorStatus, ConnectorType
from myloware.db.models import Connector, WebhookDelivery
from myloware.errors import ConflictError, NotFoundError, ValidationFailed
from myloware.events.webhooks import check_event_patterns, check_target_url
from myloware.logs import SECRET_WORDS
from myloware.services.slack_connectors import SLACK_API_URL, SlackConfig, add_slack_connector

SECRET_PREFIX = "whsec_"


def generate_secret() -> str:
    """A new signing secret: ``whsec_`` and 256 random bits, URL-safe."""
    return SECRET_PREFIX + secrets.token_urlsafe(32)


def mask_secret(secret: str) -> str:
    """Enough of a secret to recognise it, never enough to use it."""
    return "****" + secret[-4:] if len(secret) >= 16 else "****"


def public_config(config: dict[str, Any]) -> dict[str, Any]:
    """``config`` with every secret-like value masked (keys containing secret, token …)."""
    masked: dict[str, Any] = {}
    for key, value in config.items():
        if isinstance(value, dict):
            masked[key] = public_config(value)
        elif isinstance(value, str) and any(w in key.lower() for w in SECRET_WORDS):
            masked[key] = mask_secret(value)
        else:
            masked[key] = value
    return masked


@dataclass(frozen=True, slots=True)
class WebhookSpec:
    """What an admin gives to create an outgoing webhook."""

    url: str
    events: Sequence[str]
    secret: str | None = None
    description: str | None = None


@dataclass(frozen=True, slots=True)
class ConnectorChanges:
    """A partial update; ``None`` leaves a field as it is."""

    name: str | None = None
    status: ConnectorStatus | None = None
    url: str | None = None
    events: Sequence[str] | None = None
    description: str | None = None

    def as_details(self) -> dict[str, Any]:
        """The changed fields, for the audit trail (no secrets among them)."""
        return {
            k: (v.value if isinstance(v, ConnectorStatus) else list(v) if k == "events" else v)
            for k, v in (
                ("name", self.name),
                ("status", self.status),
                ("url", self.url),
                ("events", self.events),
                ("description", self.description),
            )
            if v is not None
        }


def _events(patterns: Sequence[str]) -> list[str]:
    try:
        return check_event_patterns(patterns)
    except ValueError as exc:
        raise ValidationFailed(str(exc)) from None


async def create_webhook(
    session: AsyncSession,
    *,
    tenant_id: uuid.UUID,
    name: str,
    spec: WebhookSpec,
    allow_private_targets: bool,
    principal: Principal | None,
    client: ClientInfo | None = None,
) -> tuple[Connector, str]:
    """Add an ACTIVE outgoing webhook; returns it and its secret (shown to the caller once)."""
    check_target_url(spec.url, allow_private=allow_private_targets)
    secret = spec.secret or generate_secret()
    events = _events(spec.events)
    config = {"url": spec.url, "events": events, "secret": secret, "description": spec.description}
    row = await add_connector(
        session,
        tenant_id=tenant_id,
        name=name,
        type_=ConnectorType.API,
        config=config,
        principal=principal,
        client=client,
        details={"url": spec.url, "events": events},
    )
    return row, secret


async def add_connector(
    session: AsyncSession,
    *,
    tenant_id: uuid.UUID,
    name: str,
    type_: ConnectorType,
    config: dict[str, Any],
    principal: Principal | None,
    client: ClientInfo | None,
    details: dict[str, Any] | None = None,
) -> Connector:
    """Stage a new ACTIVE connector and its audit row (``details`` added to the row's)."""
    row = Connector(
        tenant_id=tenant_id, name=name, type=type_, status=ConnectorStatus.ACTIVE, config=config
    )
    session.add(row)
    await session.flush()
    await session.refresh(row)
    record_audit(
        session,
        principal=principal,
        tenant_id=tenant_id,
        action="connector.create",
        resource_type="connector",
        resource_id=row.id,
        details={"name": name, "type": type_.value, **(details or {})},
        client=client,
    )
    return row


def check_slack_api(config: SlackConfig, *, allow_private_targets: bool) -> None:
    """Only Slack itself may receive the bot token, except in development and test (where
    ``api_url`` points at an emulator): a tenant admin must not aim it at internal hosts."""
    if config.api_url != SLACK_API_URL and not allow_private_targets:
        raise ValidationFailed(
            f"api_url must stay {SLACK_API_URL} (another Slack API is for development and test)"
        )


async def _lock_slack(session: AsyncSession, tenant_id: uuid.UUID) -> None:
    """Serialise, per tenant, what may make a Slack connector active (check, then write)."""
    await session.execute(select(func.pg_advisory_xact_lock(func.hashtext(f"slack:{tenant_id}"))))


async def _other_active_slack(
    session: AsyncSession, tenant_id: uuid.UUID, but: uuid.UUID | None = None
) -> uuid.UUID | None:
    conditions = [
        Connector.tenant_id == tenant_id,
        Connector.type == ConnectorType.SLACK,
        Connector.status == ConnectorStatus.ACTIVE,
    ]
    if but is not None:
        conditions.append(Connector.id != but)
    found: uuid.UUID | None = await session.scalar(select(Connector.id).where(*conditions))
    return found


def _slack_taken(active: uuid.UUID) -> ConflictError:
    return ConflictError(
        f"the tenant's Slack workspace is already connected (connector {active}): "
        "change its config, or deactivate or delete it first",
        details={"connector_id": str(active)},
    )


async def create_slack(
    session: AsyncSession,
    *,
    tenant_id: uuid.UUID,
    name: str,
    config: SlackConfig,
    allow_private_targets: bool,
    principal: Principal | None,
    client: ClientInfo | None = None,
) -> Connector:
    """Connect the tenant's Slack workspace (one active SLACK connector per tenant; a unique
    index backs that up against two requests at once)."""
    check_slack_api(config, allow_private_targets=allow_private_targets)
    await _lock_slack(session, tenant_id)
    active = await _other_active_slack(session, tenant_id)
    if active is not None:
        raise _slack_taken(active)
    row = add_slack_connector(session, tenant_id=tenant_id, config=config, name=name)
    await session.flush()
    await session.refresh(row)
    record_audit(
        session,
        principal=principal,
        tenant_id=tenant_id,
        action="connector.create",
        resource_type="connector",
        resource_id=row.id,
        details={"name": name, "type": row.type.value, "team_id": config.team_id},
        client=client,
    )
    return row


async def replace_slack_config(
    session: AsyncSession,
    *,
    tenant_id: uuid.UUID,
    connector_id: uuid.UUID,
    config: SlackConfig,
    allow_private_targets: bool,
    principal: Principal | None,
    client: ClientInfo | None = None,
) -> Connector:
    """Replace a SLACK connector's whole config (channels, users, tokens)."""
    check_slack_api(config, allow_private_targets=allow_private_targets)
    row = await get_connector(session, tenant_id=tenant_id, connector_id=connector_id)
    if row.type is not ConnectorType.SLACK:
        # the request is sound; the connector has no Slack config to replace
        raise NotFoundError(f"connector {connector_id} is not a Slack connector")
    row.config = config.stored()
    await session.flush()
    await session.refresh(row)
    record_audit(
        session,
        principal=principal,
        tenant_id=tenant_id,
        action="connector.update",
        resource_type="connector",
        resource_id=row.id,
        details={"config": "replaced", "team_id": config.team_id},
        client=client,
    )
    return row


async def list_connectors(
    session: AsyncSession,
    *,
    tenant_id: uuid.UUID,
    status: ConnectorStatus | None = None,
    type_: ConnectorType | None = None,
    limit: int = 50,
    offset: int = 0,
) -> tuple[Sequence[Connector], int]:
    """One page of the tenant's connectors, oldest first, and how many there are."""
    conditions = [Connector.tenant_id == tenant_id]
    if status is not None:
        conditions.append(Connector.status == status)
    if type_ is not None:
        conditions.append(Connector.type == type_)
    total = await session.scalar(select(func.count()).select_from(Connector).where(*conditions))
    rows = (
        await session.scalars(
            select(Connector)
            .where(*conditions)
            .order_by(Connector.created_at, Connector.id)
            .limit(limit)
            .offset(offset)
        )
    ).all()
    return rows, int(total or 0)


async def get_connector(
    session: AsyncSession, *, tenant_id: uuid.UUID, connector_id: uuid.UUID
) -> Connector:
    """The tenant's connector; NotFoundError when absent or another tenant's."""
    row = await session.scalar(
        select(Connector).where(Connector.id == connector_id, Connector.tenant_id == tenant_id)
    )
    if row is None:
        raise NotFoundError(f"connector {connector_id} not found")
    return row


async def update_connector(
    session: AsyncSession,
    *,
    tenant_id: uuid.UUID,
    connector_id: uuid.UUID,
    changes: ConnectorChanges,
    allow_private_targets: bool,
    principal: Principal | None,
    client: ClientInfo | None = None,
) -> Connector:
    """Rename, (de)activate or re-target a connector; a status change resets its health."""
    row = await get_connector(session, tenant_id=tenant_id, connector_id=connector_id)
    config_changes: dict[str, Any] = {}
    if changes.url is not None:
        check_target_url(changes.url, allow_private=allow_private_targets)
        config_changes["url"] = changes.url
    if changes.events is not None:
        config_changes["events"] = _events(changes.events)
    if changes.description is not None:
        config_changes["description"] = changes.description or None
    if config_changes and row.type is not ConnectorType.API:
        raise ConflictError(  # the request is sound; this connector's kind has no such config
            f"connector {connector_id} is a {row.type.value} connector: only outgoing-webhook "
            "(API) connectors' url, events and description can be changed here"
        )
    previous = row.status
    reactivated = changes.status is ConnectorStatus.ACTIVE and previous is not changes.status
    if reactivated and row.type is ConnectorType.SLACK:
        await _lock_slack(session, tenant_id)
        active = await _other_active_slack(session, tenant_id, but=row.id)
        if active is not None:
            raise _slack_taken(active)
    if changes.name is not None:
        row.name = changes.name
    if config_changes:
        row.config = {**row.config, **config_changes}  # a new dict: JSONB is not mutation-tracked
    if changes.status is not None and changes.status is not previous:
        row.status = changes.status
        row.last_health_check = func.now()
    await session.flush()
    await session.refresh(row)
    record_audit(
        session,
        principal=principal,
        tenant_id=tenant_id,
        action="connector.update",
        resource_type="connector",
        resource_id=row.id,
        details={"changes": changes.as_details(), "previous_status": previous.value},
        client=client,
    )
    return row


async def delete_connector(
    session: AsyncSession,
    *,
    tenant_id: uuid.UUID,
    connector_id: uuid.UUID,
    principal: Principal | None,
    client: ClientInfo | None = None,
) -> None:
    """Delete a connector (its delivery log goes with it)."""
    row = await get_connector(session, tenant_id=tenant_id, connector_id=connector_id)
    details = {"name": row.name, "type": row.type.value, "url": row.config.get("url")}
    await session.execute(delete(Connector).where(Connector.id == row.id))
    record_audit(
        session,
        principal=principal,
        tenant_id=tenant_id,
        action="connector.delete",
        resource_type="connector",
        resource_id=connector_id,
        details=details,
        client=client,
    )


async def list_deliveries(
    session: AsyncSession,
    *,
    tenant_id: uuid.UUID,
    connector_id: uuid.UUID,
    succeeded: bool | None = None,
    limit: int = 50,
    offset: int = 0,
) -> tuple[Sequence[WebhookDelivery], int]:
    """One page of a connector's delivery attempts, newest first, and how many there are."""
    await get_connector(session, tenant_id=tenant_id, connector_id=connector_id)
    conditions = [WebhookDelivery.connector_id == connector_id]
    if succeeded is not None:
        conditions.append(WebhookDelivery.succeeded.is_(succeeded))
    total = await session.scalar(
        select(func.count()).select_from(WebhookDelivery).where(*conditions)
    )
    rows = (
        await session.scalars(
            select(WebhookDelivery)
            .where(*conditions)
            .order_by(WebhookDelivery.attempted_at.desc(), WebhookDelivery.id)
            .limit(limit)
            .offset(offset)
        )
    ).all()
    return rows, int(total or 0)

"""A tenant's Slack workspace: the ``connectors`` row of type SLACK and what its config means.

The row's ``config`` (JSONB) is validated by :class:`SlackConfig`::

    {
      "team_id": "T0123ABCD",                      # the workspace (Slack's team id)
      "bot_token": "xoxb-...",                     # the tenant's Slack app's bot token
      "signing_secret": "8f1c...",                 # that app's signing secret
      "channels": {"finance": "C0FIN", "finance-leads": "C0LEADS"},   # approver group -> channel
      "default_channel": "C0APPROVALS",            # for groups not listed
      "users": {"U0ALICE": {"subject": "alice@acme.example", "groups": ["finance"]}},
      "intake_channels": ["C0INBOX"],              # files shared here become work orders
      "app_token": "xapp-...",                     # optional: Socket Mode (no public URL)
      "api_url": "https://slack.com/api/"          # optional: Slack-compatible Web API base
    }

A Slack user listed in ``users`` decides as a principal of the connector's tenant with the
``approvals:decide`` capability and the listed approver groups; anybody else is refused.
The same users may submit documents: files they share in an ``intake_channels`` channel, or
in a direct message to the bot, become a work order of the tenant (see
:mod:`myloware.slack.intake`).
"""

from __future__ import annotations

import hashlib
import json
import uuid
from collections.abc import Sequence
from dataclasses import dataclass
from typing import Any

import structlog
from pydantic import ConfigDict, Field, SecretStr, ValidationError, model_validator
from sqlalchemy import select
from sqlalchemy.ext.asyncio import AsyncSession

from myloware.auth.principal import Capability, Principal
from myloware.contracts import SLA_SYSTEM
from myloware.db.base import ConnectorStatus, ConnectorType
from myloware.db.models import Connector
from myloware.storable import StorableModel

log = structlog.get_logger(__name__)

SLACK_API_URL = "https://slack.com/api/"
SYSTEM_DECIDERS = {SLA_SYSTEM: "the SLA timer"}


class SlackUser(StorableModel):
    """The MyloWare identity a Slack user decides as."""

    model_config = ConfigDict(extra="forbid", frozen=True)

    subject: str = Field(min_length=1, max_length=255)
    groups: list[str] = Field(default_factory=list)


class SlackConfig(StorableModel):
    """The validated ``config`` of a SLACK connector."""

    model_config = ConfigDict(
        extra="forbid",
        frozen=True,
        # what _needs_a_channel checks, so that the OpenAPI document says it too
        json_schema_extra={
            "anyOf": [
                {"required": ["channels"], "properties": {"channels": {"minProperties": 1}}},
                {
                    "required": ["default_channel"],
                    "properties": {"default_channel": {"type": "string", "minLength": 1}},
                },
            ]
        },
    )

    team_id: str = Field(pattern=r"^[TE][A-Z0-9]+$")
    bot_token: SecretStr = Field(min_length=1)
    signing_secret: SecretStr = Field(min_length=1)
    channels: dict[str, str] = Field(default_factory=dict)
    default_channel: str | None = None
    users: dict[str, SlackUser] = Field(default_factory=dict)
    intake_channels: list[str] = Field(default_factory=list)
    # an app-level token (connections:write): Slack's requests arrive over a WebSocket the
    # API opens (Socket Mode) instead of at POST /slack/events — no public URL needed
    app_token: SecretStr | None = Field(
        default=None,
        json_schema_extra={"pattern": "^xapp-"},  # _app_token_shape checks it
    )
    api_url: str = Field(default=SLACK_API_URL, pattern=r"^https?://")

    @model_validator(mode="after")
    def _app_token_shape(self) -> SlackConfig:
        if self.app_token is not None and not self.app_token.get_secret_value().startswith("xapp-"):
            raise ValueError("app_token must be an app-level token (xapp-…)")
        return self

    @model_validator(mode="after")
    def _needs_a_channel(self) -> SlackConfig:
        if not self.channels and not self.default_channel:
            raise ValueError("set 'channels' ({approver group: channel id}) or 'default_channel'")
        return self

    def channel_for(self, group: str) -> str | None:
        """The channel where ``group``'s approval cards go (the default when not listed)."""
        return self.channels.get(group, self.default_channel)

    def principal_for(self, slack_user_id: str, tenant_id: uuid.UUID) -> Principal | None:
        """The principal a Slack user decides as, or None when the user is not mapped."""
        return self._principal(slack_user_id, tenant_id, {Capability.APPROVALS_DECIDE})

    def submitter_for(self, slack_user_id: str, tenant_id: uuid.UUID) -> Principal | None:
        """The principal a Slack user submits documents as, or None when not mapped."""
        capabilities = {Capability.WORK_ORDERS_READ, Capability.WORK_ORDERS_WRITE}
        return self._principal(slack_user_id, tenant_id, capabilities)

    def _principal(
        self, slack_user_id: str, tenant_id: uuid.UUID, capabilities: set[Capability]
    ) -> Principal | None:
        user = self.users.get(slack_user_id)
        if user is None:
            return None
        return Principal(
            subject=user.subject,
            tenant_id=tenant_id,
            capabilities=frozenset(c.value for c in capabilities),
            kind="slack",
            groups=frozenset(user.groups),
        )

    def display_name(self, subject: str) -> str:
        """How a decider appears on a card: a Slack mention when the subject is mapped."""
        if subject in SYSTEM_DECIDERS:
            return SYSTEM_DECIDERS[subject]
        for slack_user_id, user in self.users.items():
            if user.subject == subject:
                return f"<@{slack_user_id}>"
        return subject

    def stored(self) -> dict[str, Any]:
        """The JSON to store in ``connectors.config`` (secrets included)."""
        data = self.model_dump(mode="json")
        data["bot_token"] = self.bot_token.get_secret_value()
        data["signing_secret"] = self.signing_secret.get_secret_value()
        if self.app_token is not None:
            data["app_token"] = self.app_token.get_secret_value()
        else:
            data.pop("app_token", None)
        return data


@dataclass(frozen=True, slots=True)
class SlackConnector:
    """An active SLACK connector with its validated config."""

    id: uuid.UUID
    tenant_id: uuid.UUID
    config: SlackConfig

    @property
    def fingerprint(self) -> str:
        """Changes whenever the config does (keys the cache of Bolt apps)."""
        raw = json.dumps(self.config.stored(), sort_keys=True).encode()
        return f"{self.id}:{hashlib.sha256(raw).hexdigest()[:16]}"


def _parse(row: Connector) -> SlackConnector | None:
    try:
        config = SlackConfig.model_validate(row.config)
    except ValidationError as exc:
        log.warning("slack_connector_invalid", connector_id=str(row.id), errors=exc.error_count())
        return None
    return SlackConnector(id=row.id, tenant_id=row.tenant_id, config=config)


def _active() -> Any:
    return (
        select(Connector)
        .where(Connector.type == ConnectorType.SLACK, Connector.status == ConnectorStatus.ACTIVE)
        .order_by(Connector.created_at, Connector.id)
    )


async def tenant_connector(session: AsyncSession, tenant_id: uuid.UUID) -> SlackConnector | None:
    """The tenant's Slack workspace: its oldest active, valid SLACK connector."""
    rows = (await session.scalars(_active().where(Connector.tenant_id == tenant_id))).all()
    return next((c for c in map(_parse, rows) if c is not None), None)


async def team_connectors(session: AsyncSession, team_id: str | None) -> Sequence[SlackConnector]:
    """Active SLACK connectors of a workspace (of every workspace when ``team_id`` is None,
    as for Slack's ``url_verification`` requests, which name none)."""
    query = _active()
    if team_id is not None:
        query = query.where(Connector.config["team_id"].astext == team_id)
    rows = (await session.scalars(query)).all()
    return [c for c in map(_parse, rows) if c is not None]


def add_slack_connector(
    session: AsyncSession, *, tenant_id: uuid.UUID, config: SlackConfig, name: str = "slack"
) -> Connector:
    """Stage a new active SLACK connector for ``tenant_id`` in ``session``."""
    row = Connector(
        tenant_id=tenant_id,
        name=name,
        type=ConnectorType.SLACK,
        config=config.stored(),
        status=ConnectorStatus.ACTIVE,
    )
    session.add(row)
    return row

"""/v1/connectors: a tenant's outgoing webhooks and Slack workspace (admin), and the
webhooks' delivery log.

``POST`` answers a webhook's signing secret once; every other answer masks secrets (Slack's
bot token and signing secret included). Outside development and test, receiver URLs must
point at public addresses (see ``myloware.events.webhooks``).
"""

from __future__ import annotations

import uuid
from datetime import datetime
from typing import Annotated, Any, Literal

from fastapi import APIRouter, Query, Request, Response, status
from pydantic import AfterValidator, BaseModel, ConfigDict, Field, HttpUrl, model_validator

from myloware.db.base import ConnectorStatus, ConnectorType
from myloware.db.models import Connector
from myloware.errors import ValidationFailed
from myloware.events.webhooks import EVENT_PATTERNS, check_event_patterns, check_target_url
from myloware.services import connectors as svc
from myloware.services.slack_connectors import SlackConfig
from myloware.storable import StorableModel
from myloware.web.deps import Admin, Limit, Offset, SessionDep, StateDep, client_info
from myloware.web.envelope import ApiResponse, PageResponse, Pagination
from myloware.web.errors import AUTHENTICATED, WITH_BODY, error_responses
from myloware.web.paths import id_param

router = APIRouter(
    prefix="/v1/connectors", tags=["connectors"], responses=error_responses(*AUTHENTICATED)
)
CONNECTOR_ID = id_param("connector_id")


def _safe_url(value: HttpUrl) -> HttpUrl:
    try:
        check_target_url(str(value), allow_private=True)
    except ValidationFailed as exc:
        raise ValueError(exc.message) from None
    return value


WebhookUrl = Annotated[HttpUrl, AfterValidator(_safe_url), Field(description="http(s) URL")]
EventPatterns = Annotated[
    list[Annotated[str, Field(json_schema_extra={"enum": list(EVENT_PATTERNS)})]],
    Field(min_length=1, max_length=50, description="event types, '<prefix>.*' or ['*']"),
    AfterValidator(check_event_patterns),
]


class WebhookConfigIn(StorableModel):
    """An outgoing webhook: where to POST, which events, the signing secret."""

    model_config = ConfigDict(extra="forbid")

    url: WebhookUrl
    events: EventPatterns
    secret: str | None = Field(
        default=None, min_length=16, max_length=256, description="default: generated"
    )
    description: str | None = Field(default=None, max_length=1000)


class ConnectorIn(StorableModel):
    model_config = ConfigDict(extra="forbid")

    name: str = Field(min_length=1, max_length=255)
    type: Literal[ConnectorType.API] = Field(
        default=ConnectorType.API, description="only API (outgoing webhook) for now"
    )
    config: WebhookConfigIn


class WebhookConfigPatch(StorableModel):
    model_config = ConfigDict(extra="forbid")

    url: WebhookUrl | None = None
    events: EventPatterns | None = None
    description: str | None = Field(default=None, max_length=1000, description="'' clears it")


class ConnectorPatch(StorableModel):
    model_config = ConfigDict(
        extra="forbid",
        # what _not_empty checks, so that the OpenAPI document says it too
        json_schema_extra={
            "anyOf": [
                {"required": ["name"], "properties": {"name": {"type": "string"}}},
                {"required": ["status"], "properties": {"status": {"type": "string"}}},
                {"required": ["config"], "properties": {"config": {"type": "object"}}},
            ]
        },
    )

    name: str | None = Field(default=None, min_length=1, max_length=255)
    status: Literal[ConnectorStatus.ACTIVE, ConnectorStatus.INACTIVE] | None = None
    config: WebhookConfigPatch | None = None

    @model_validator(mode="after")
    def _not_empty(self) -> ConnectorPatch:
        if self.name is None and self.status is None and self.config is None:
            raise ValueError("give at least one of 'name', 'status' or 'config'")
        return self

    def changes(self) -> svc.ConnectorChanges:
        config = self.config or WebhookConfigPatch()
        return svc.ConnectorChanges(
            name=self.name,
            status=self.status,
            url=str(config.url) if config.url is not None else None,
            events=config.events,
            description=config.description,
        )


class ConnectorOut(BaseModel):
    id: uuid.UUID
    name: str
    type: ConnectorType
    status: ConnectorStatus
    config: dict[str, Any] = Field(description="secrets masked")
    created_at: datetime
    last_health_check: datetime | None

    @classmethod
    def of(cls, row: Connector) -> ConnectorOut:
        return cls(
            id=row.id,
            name=row.name,
            type=row.type,
            status=row.status,
            config=svc.public_config(row.config),
            created_at=row.created_at,
            last_health_check=row.last_health_check,
        )


class SlackConnectorIn(StorableModel):
    """The tenant's Slack workspace: its app's credentials, where cards go, who decides."""

    model_config = ConfigDict(extra="forbid")

    name: str = Field(default="slack", min_length=1, max_length=255)
    config: SlackConfig


class ConnectorCreated(ConnectorOut):
    secret: str = Field(description="the signing secret, shown only in this answer")


class DeliveryOut(BaseModel):
    model_config = ConfigDict(from_attributes=True)

    id: uuid.UUID
    event_id: uuid.UUID
    event_type: str
    succeeded: bool
    status_code: int | None
    error: str | None
    duration_ms: int
    attempted_at: datetime


@router.post(
    "",
    response_model=ApiResponse[ConnectorCreated],
    status_code=status.HTTP_201_CREATED,
    summary="Create an outgoing webhook",
    responses=error_responses(*WITH_BODY),
)
async def create_connector(
    payload: ConnectorIn, principal: Admin, session: SessionDep, state: StateDep, request: Request
) -> ApiResponse[ConnectorCreated]:
    config = payload.config
    row, secret = await svc.create_webhook(
        session,
        tenant_id=principal.tenant_id,
        name=payload.name,
        spec=svc.WebhookSpec(
            url=str(config.url),
            events=config.events,
            secret=config.secret,
            description=config.description,
        ),
        allow_private_targets=state.settings.webhooks_allow_private_targets,
        principal=principal,
        client=client_info(request),
    )
    await session.commit()
    out = ConnectorCreated(**ConnectorOut.of(row).model_dump(), secret=secret)
    return ApiResponse(data=out, message="store the secret now: it is not shown again")


@router.post(
    "/slack",
    response_model=ApiResponse[ConnectorOut],
    status_code=status.HTTP_201_CREATED,
    summary="Connect the tenant's Slack workspace",
    responses=error_responses(*WITH_BODY, 409),
)
async def connect_slack(
    payload: SlackConnectorIn,
    principal: Admin,
    session: SessionDep,
    state: StateDep,
    request: Request,
) -> ApiResponse[ConnectorOut]:
    row = await svc.create_slack(
        session,
        tenant_id=principal.tenant_id,
        name=payload.name,
        config=payload.config,
        allow_private_targets=state.settings.webhooks_allow_private_targets,
        principal=principal,
        client=client_info(request),
    )
    await session.commit()
    socket_mode = payload.config.app_token is not None
    return ApiResponse(
        data=ConnectorOut.of(row),
        message=(
            "Socket Mode: the API connects to Slack itself within "
            f"{state.settings.slack_socket_refresh_s:.0f} s (no public URL needed)"
            if socket_mode
            else "point the Slack app's Interactivity and Event Subscriptions Request URLs at "
            "<public URL>/slack/events"
        ),
    )


@router.put(
    "/{connector_id}/slack",
    response_model=ApiResponse[ConnectorOut],
    summary="Replace a Slack connector's config (channels, users, credentials)",
    responses=error_responses(*WITH_BODY, 404, 409),
)
async def replace_slack_config(
    connector_id: uuid.UUID,
    config: SlackConfig,
    principal: Admin,
    session: SessionDep,
    state: StateDep,
    request: Request,
) -> ApiResponse[ConnectorOut]:
    row = await svc.replace_slack_config(
        session,
        tenant_id=principal.tenant_id,
        connector_id=connector_id,
        config=config,
        allow_private_targets=state.settings.webhooks_allow_private_targets,
        principal=principal,
        client=client_info(request),
    )
    await session.commit()
    return ApiResponse(data=ConnectorOut.of(row))


@router.get("", response_model=PageResponse[ConnectorOut], summary="List connectors")
async def list_connectors(
    principal: Admin,
    session: SessionDep,
    status_: Annotated[ConnectorStatus | None, Query(alias="status")] = None,
    type_: Annotated[ConnectorType | None, Query(alias="type")] = None,
    limit: Limit = 50,
    offset: Offset = 0,
) -> PageResponse[ConnectorOut]:
    rows, total = await svc.list_connectors(
        session,
        tenant_id=principal.tenant_id,
        status=status_,
        type_=type_,
        limit=limit,
        offset=offset,
    )
    return PageResponse(
        data=[ConnectorOut.of(r) for r in rows],
        pagination=Pagination(total=total, limit=limit, offset=offset),
    )


@router.get(
    f"/{CONNECTOR_ID}",
    response_model=ApiResponse[ConnectorOut],
    summary="Get one",
    responses=error_responses(404),
)
async def get_connector(
    connector_id: uuid.UUID, principal: Admin, session: SessionDep
) -> ApiResponse[ConnectorOut]:
    row = await svc.get_connector(session, tenant_id=principal.tenant_id, connector_id=connector_id)
    return ApiResponse(data=ConnectorOut.of(row))


@router.patch(
    f"/{CONNECTOR_ID}",
    response_model=ApiResponse[ConnectorOut],
    summary="Rename, (de)activate or re-target a connector",
    responses=error_responses(*WITH_BODY, 404, 409),
)
async def update_connector(
    connector_id: uuid.UUID,
    payload: ConnectorPatch,
    principal: Admin,
    session: SessionDep,
    state: StateDep,
    request: Request,
) -> ApiResponse[ConnectorOut]:
    row = await svc.update_connector(
        session,
        tenant_id=principal.tenant_id,
        connector_id=connector_id,
        changes=payload.changes(),
        allow_private_targets=state.settings.webhooks_allow_private_targets,
        principal=principal,
        client=client_info(request),
    )
    await session.commit()
    return ApiResponse(data=ConnectorOut.of(row))


@router.delete(
    f"/{CONNECTOR_ID}",
    status_code=status.HTTP_204_NO_CONTENT,
    summary="Delete a connector",
    responses=error_responses(404),
)
async def delete_connector(
    connector_id: uuid.UUID, principal: Admin, session: SessionDep, request: Request
) -> Response:
    await svc.delete_connector(
        session,
        tenant_id=principal.tenant_id,
        connector_id=connector_id,
        principal=principal,
        client=client_info(request),
    )
    await session.commit()
    return Response(status_code=status.HTTP_204_NO_CONTENT)


@router.get(
    "/{connector_id}/deliveries",
    response_model=PageResponse[DeliveryOut],
    summary="A connector's delivery attempts, newest first",
    responses=error_responses(404),
)
async def list_deliveries(
    connector_id: uuid.UUID,
    principal: Admin,
    session: SessionDep,
    succeeded: bool | None = None,
    limit: Limit = 50,
    offset: Offset = 0,
) -> PageResponse[DeliveryOut]:
    rows, total = await svc.list_deliveries(
        session,
        tenant_id=principal.tenant_id,
        connector_id=connector_id,
        succeeded=succeeded,
        limit=limit,
        offset=offset,
    )
    return PageResponse(
        data=[DeliveryOut.model_validate(r) for r in rows],
        pagination=Pagination(total=total, limit=limit, offset=offset),
    )

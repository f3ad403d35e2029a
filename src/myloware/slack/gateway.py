"""``POST /slack/events``: Slack's requests routed to the Bolt app of the right tenant.

Each tenant installs its own Slack app, so each SLACK connector has its own signing secret.
For every request the gateway:

1. reads the workspace (team id) the request claims to come from — only to narrow the
   search; nothing is trusted yet;
2. takes that workspace's active connectors (every active one when the request names none,
   as for ``url_verification``) and keeps the one whose signing secret verifies Slack's
   ``X-Slack-Signature`` over ``v0:<timestamp>:<body>`` with a timestamp within 5 minutes;
   none: 401 and nothing happens;
3. hands the request to that connector's Bolt ``AsyncApp`` (cached per connector config),
   which verifies the signature itself, acks within Slack's 3 seconds and runs the
   listeners with ``context["myloware"]`` = :class:`SlackContext` (the tenant comes from the
   connector, never from the request).
"""

from __future__ import annotations

import logging
import uuid
from collections.abc import Callable
from typing import Any

from fastapi import APIRouter, Request, Response
from fastapi.responses import JSONResponse
from slack_bolt.adapter.fastapi.async_handler import AsyncSlackRequestHandler
from slack_bolt.async_app import AsyncApp
from slack_bolt.request.async_request import AsyncBoltRequest
from slack_sdk.signature import SignatureVerifier

from myloware.slack.client import web_client
from myloware.slack.config import SlackConnector, team_connectors
from myloware.slack.decisions import SlackContext, SlackDeps
from myloware.slack.listeners import register_listeners

EVENTS_PATH = "/slack/events"
MAX_CACHED_APPS = 256
bolt_logger = logging.getLogger("myloware.slack.bolt")


def build_bolt_app(connector: SlackConnector) -> AsyncApp:
    """The Bolt app of one connector: its signing secret, its bot token, our listeners."""
    app = AsyncApp(
        name=f"myloware-slack-{connector.id}",
        signing_secret=connector.config.signing_secret.get_secret_value(),
        client=web_client(connector.config),
        logger=bolt_logger,
    )
    register_listeners(app)
    return app


class SlackGateway:
    """Finds the connector a Slack request belongs to and dispatches it to its Bolt app."""

    def __init__(self) -> None:
        self._apps: dict[str, AsyncApp] = {}

    def app_for(self, connector: SlackConnector) -> AsyncApp:
        key = connector.fingerprint
        app = self._apps.get(key)
        if app is None:
            if len(self._apps) >= MAX_CACHED_APPS:
                self._apps.clear()
            app = self._apps[key] = build_bolt_app(connector)
        return app

    async def handle(self, request: Request, deps: SlackDeps) -> Response:
        body = await request.body()
        try:
            claimed_team = _claimed_team(body, request)
        except ValueError:
            return JSONResponse({"error": "invalid request"}, status_code=400)
        async with deps.sessions() as session:
            candidates = await team_connectors(session, claimed_team)
        connector = next((c for c in candidates if _signed_by(c, body, request)), None)
        if connector is None:
            return JSONResponse({"error": "invalid request"}, status_code=401)
        handler = AsyncSlackRequestHandler(self.app_for(connector))
        context = {"myloware": SlackContext(deps=deps, connector=connector)}
        return await handler.handle(request, addition_context_properties=context)


def _claimed_team(body: bytes, request: Request) -> str | None:
    """The team id a request names (unverified); ``ValueError`` when the body is malformed."""
    try:
        parsed = AsyncBoltRequest(body=body.decode("utf-8"), headers=dict(request.headers))
    except (ValueError, TypeError, AttributeError, KeyError) as exc:  # JSON, UTF-8, shape
        raise ValueError("malformed Slack request body") from exc
    team: str | None = parsed.context.team_id
    return team


def _signed_by(connector: SlackConnector, body: bytes, request: Request) -> bool:
    secret = connector.config.signing_secret.get_secret_value()
    return SignatureVerifier(secret).is_valid_request(body, dict(request.headers))


def deps_from_state(state: Any) -> SlackDeps:
    """What Slack requests need, from the API app's state (``create_app``'s lifespan)."""
    from myloware.api.temporal import dispatch, temporal_client

    async def temporal() -> object:
        return await temporal_client(state)

    async def start(order_id: uuid.UUID, tenant_id: uuid.UUID) -> None:
        await dispatch(state, order_id, tenant_id)

    return SlackDeps(
        sessions=state.sessions,
        temporal=temporal,
        settings=state.settings,
        blobs=state.blobs,
        start=start,
        inflight=state.slack_inflight,
    )


def _api_deps(request: Request) -> SlackDeps:
    return deps_from_state(request.app.state.myloware)


def build_slack_router(
    deps_of: Callable[[Request], SlackDeps] = _api_deps, *, path: str = EVENTS_PATH
) -> APIRouter:
    """The router to include in the API app: Slack's Events API and interactivity URL."""
    router = APIRouter(tags=["slack"])
    gateway = SlackGateway()

    @router.post(path, include_in_schema=False)
    async def slack_events(request: Request) -> Response:
        return await gateway.handle(request, deps_of(request))

    return router

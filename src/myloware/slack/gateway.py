"""``POST /slack/events``: Slack's requests routed to the Bolt app of the right tenant.

Each tenant installs its own Slack app, so each SLACK connector has its own signing secret.
For every request the gateway:

1. refuses (401) a request whose ``X-Slack-Request-Timestamp`` is not a number of seconds
   within 5 minutes of now, or that has no ``X-Slack-Signature``, before reading the body;
2. reads the workspace (team id) the request claims to come from — only to narrow the
   search; nothing is trusted yet;
3. takes that workspace's active connectors (every active one when the request names none,
   as for ``url_verification``) and keeps the one whose signing secret verifies Slack's
   ``X-Slack-Signature`` over ``v0:<timestamp>:<body>``; none: 401 and nothing happens;
4. refuses (401) a replay: each accepted signature is remembered in Redis (``SET NX``) until
   its timestamp leaves the 5-minute window, so the same signed request is handled once.
   Redis unreachable: 503, fail-closed — Slack retries a request that failed, and a retry
   is signed anew. A request whose handling fails (5xx) is forgotten again, so Slack's
   retry of it is not taken for a replay;
5. hands the request to that connector's Bolt ``AsyncApp`` (cached per connector config),
   which verifies the signature itself, acks within Slack's 3 seconds and runs the
   listeners with ``context["myloware"]`` = :class:`SlackContext` (the tenant comes from the
   connector, never from the request).
"""

from __future__ import annotations

import hashlib
import logging
import re
import time
import uuid
from collections.abc import Callable
from typing import Any

import structlog
from fastapi import APIRouter, Request, Response
from fastapi.responses import JSONResponse
from redis.exceptions import RedisError
from slack_bolt.adapter.fastapi.async_handler import AsyncSlackRequestHandler
from slack_bolt.async_app import AsyncApp
from slack_bolt.request.async_request import AsyncBoltRequest
from slack_sdk.signature import SignatureVerifier

from myloware.services.slack_connectors import SlackConnector, team_connectors
from myloware.slack.client import web_client
from myloware.slack.decisions import SlackContext, SlackDeps
from myloware.slack.listeners import register_listeners
from myloware.web.temporal import dispatch, temporal_client

EVENTS_PATH = "/slack/events"
MAX_CACHED_APPS = 256
#: How far a request's timestamp may be from now (Slack's own rule), in seconds.
SIGNATURE_WINDOW_S = 5 * 60
TIMESTAMP_RE = re.compile(r"[0-9]{1,12}")
bolt_logger = logging.getLogger("myloware.slack.bolt")
log = structlog.get_logger(__name__)


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
        stamp = request.headers.get("x-slack-request-timestamp", "")
        signature = request.headers.get("x-slack-signature", "")
        if not (TIMESTAMP_RE.fullmatch(stamp) and signature):
            return _refused(401)
        if abs(time.time() - int(stamp)) > SIGNATURE_WINDOW_S:
            return _refused(401)
        body = await request.body()
        try:
            claimed_team = _claimed_team(body, request)
        except ValueError:
            return _refused(400)
        async with deps.sessions() as session:
            candidates = await team_connectors(session, claimed_team)
        connector = next((c for c in candidates if _signed_by(c, body, stamp, signature)), None)
        if connector is None:
            return _refused(401)
        seen = f"myloware:slack:seen:{hashlib.sha256(signature.encode()).hexdigest()}"
        try:
            first = await deps.redis.set(seen, 1, nx=True, ex=_seen_ttl(int(stamp)))
        except RedisError as exc:
            log.warning("slack_replay_check_unavailable", error_type=type(exc).__name__)
            return JSONResponse({"error": "try again"}, status_code=503)
        if not first:
            log.warning("slack_replay_refused", connector_id=str(connector.id))
            return _refused(401)
        handler = AsyncSlackRequestHandler(self.app_for(connector))
        context = {"myloware": SlackContext(deps=deps, connector=connector)}
        response: Response | None = None
        try:
            response = await handler.handle(request, addition_context_properties=context)
        finally:
            if response is None or response.status_code >= 500:  # Slack will retry it
                await _forget(deps, seen)
        return response


def _refused(status: int) -> Response:
    return JSONResponse({"error": "invalid request"}, status_code=status)


def _seen_ttl(stamp: int) -> int:
    """Seconds until a request stamped ``stamp`` can no longer verify (at least 1)."""
    return max(1, int(stamp + SIGNATURE_WINDOW_S - time.time()) + 1)


async def _forget(deps: SlackDeps, seen: str) -> None:
    try:
        await deps.redis.delete(seen)
    except RedisError:  # it expires by itself
        pass


def _claimed_team(body: bytes, request: Request) -> str | None:
    """The team id a request names (unverified); ``ValueError`` when the body is malformed."""
    try:
        parsed = AsyncBoltRequest(body=body.decode("utf-8"), headers=dict(request.headers))
    except (ValueError, TypeError, AttributeError, KeyError) as exc:  # JSON, UTF-8, shape
        raise ValueError("malformed Slack request body") from exc
    team: str | None = parsed.context.team_id
    return team


def _signed_by(connector: SlackConnector, body: bytes, stamp: str, signature: str) -> bool:
    """Whether ``connector``'s signing secret signed ``body`` at ``stamp`` (digits, checked
    to be within the window by the caller)."""
    secret = connector.config.signing_secret.get_secret_value()
    return SignatureVerifier(secret).is_valid(body, stamp, signature)


def deps_from_state(state: Any) -> SlackDeps:
    """What Slack requests need, from the API app's state (``create_app``'s lifespan)."""

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
        redis=state.redis,
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

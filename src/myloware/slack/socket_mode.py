"""Slack's Socket Mode: Slack's requests over a WebSocket the API opens, no public URL needed.

A SLACK connector whose config has an ``app_token`` (``xapp-…``, scope
``connections:write``) is served over Socket Mode: each API process keeps one connection per
such connector (Slack spreads a workspace's events over up to 10 connections, so several
API replicas are fine) and hands every request to the connector's Bolt app — the same app,
listeners and :class:`~myloware.slack.decisions.SlackContext` as ``POST /slack/events``. The
tenant is the connector's; the connection itself is authenticated by the app token, so there
is no request signature to check.

:class:`SocketModeConnections` looks at the connectors every ``slack_socket_refresh_s``: it
connects new ones, reconnects changed ones (a new config fingerprint) and closes those
deactivated or deleted. Connection drops and Slack's periodic ``disconnect`` requests are
handled by ``slack_sdk``'s client, which reconnects by itself.
"""

from __future__ import annotations

import asyncio
import contextlib
import time

import structlog
from slack_bolt.adapter.socket_mode.async_handler import AsyncSocketModeHandler
from slack_bolt.adapter.socket_mode.async_internals import send_async_response
from slack_bolt.adapter.socket_mode.internals import build_headers
from slack_bolt.request.async_request import AsyncBoltRequest
from slack_sdk.socket_mode.aiohttp import SocketModeClient
from slack_sdk.socket_mode.request import SocketModeRequest
from slack_sdk.socket_mode.response import SocketModeResponse

from myloware.loops import TRANSIENT_ERRORS, sleep_unless_stopped
from myloware.services.slack_connectors import SlackConnector, team_connectors
from myloware.slack.decisions import SlackContext, SlackDeps
from myloware.slack.gateway import build_bolt_app

log = structlog.get_logger(__name__)


class ConnectorSocket(AsyncSocketModeHandler):
    """One connector's Socket Mode connection: its Bolt app, with MyloWare's context."""

    def __init__(self, connector: SlackConnector, deps: SlackDeps) -> None:
        app_token = connector.config.app_token
        if app_token is None:
            raise ValueError("a Socket Mode connection needs the connector's app_token")
        super().__init__(build_bolt_app(connector), app_token.get_secret_value())
        self.context = SlackContext(deps=deps, connector=connector)
        self._connecting: asyncio.Task[None] | None = None

    def start(self) -> None:
        """Connect in the background: the client retries by itself (every 10 s) while Slack
        refuses or cannot be reached, and must not hold up the other connectors."""
        self._connecting = asyncio.create_task(self.connect_async())  # type: ignore[no-untyped-call]

    async def stop(self) -> None:
        if self._connecting is not None and not self._connecting.done():
            self._connecting.cancel()
        with contextlib.suppress(Exception):  # closing a broken connection may fail: gone anyway
            await self.close_async()  # type: ignore[no-untyped-call]

    async def handle(self, client: SocketModeClient, req: SocketModeRequest) -> None:  # type: ignore[override]
        started = time.time()
        request = AsyncBoltRequest(
            mode="socket_mode",
            body=req.payload,
            headers=build_headers(req),
            context={"myloware": self.context},
        )
        team = self.context.connector.config.team_id
        if request.context.team_id not in (None, team):  # the app installed elsewhere too
            log.warning("slack_socket_foreign_team", team_id=request.context.team_id, ours=team)
            await client.send_socket_mode_response(SocketModeResponse(envelope_id=req.envelope_id))
            return
        response = await self.app.async_dispatch(request)
        await send_async_response(client, req, response, started)

    async def reconnect_if_stuck(self) -> None:
        """Not connected: the next retry asks Slack for a new URL (its URLs are single-use,
        and the client would otherwise retry a spent one)."""
        if self._connecting is not None and self._connecting.done():
            return  # connected; the client itself handles later drops
        if not await self.client.is_connected():
            self.client.wss_uri = None


class SocketModeConnections:
    """The Socket Mode connections of every connector with an app token, kept current."""

    def __init__(self, deps: SlackDeps) -> None:
        self._deps = deps
        self._open: dict[str, ConnectorSocket] = {}  # connector fingerprint -> connection

    async def refresh(self) -> None:
        """Connect new and changed connectors (the new connection first), close the ones
        gone; one connector that cannot be served never holds up the others."""
        async with self._deps.sessions() as session:
            wanted = {
                c.fingerprint: c
                for c in await team_connectors(session, None)
                if c.config.app_token is not None
            }
        for key, connector in wanted.items():
            if key in self._open:
                await self._open[key].reconnect_if_stuck()
                continue
            try:
                socket = ConnectorSocket(connector, self._deps)
            except Exception:  # its config, say: log it, serve the others
                log.exception("slack_socket_unusable", connector_id=str(connector.id))
                continue
            self._open[key] = socket
            socket.start()
            log.info(
                "slack_socket_opened",
                connector_id=str(connector.id),
                team_id=connector.config.team_id,
            )
        gone = [key for key in self._open if key not in wanted]
        await asyncio.gather(*(self._close(key) for key in gone))

    async def _close(self, key: str) -> None:
        socket = self._open.pop(key)
        await socket.stop()
        log.info("slack_socket_closed", connector_id=str(socket.context.connector.id))

    async def run(self, stop: asyncio.Event, every_s: float) -> None:
        """Keep the connections current until ``stop``; then close them all."""
        try:
            while not stop.is_set():
                try:
                    await self.refresh()
                except TRANSIENT_ERRORS as exc:
                    log.warning("slack_socket_refresh_failed", error=repr(exc))
                except Exception:  # never the API's end: log, try again next round
                    log.exception("slack_socket_refresh_failed")
                await sleep_unless_stopped(stop, every_s)
        finally:
            await asyncio.gather(*(self._close(key) for key in list(self._open)))

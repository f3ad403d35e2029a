"""A local Slack for tests: its Web API on 127.0.0.1, and its side of interactivity.

:class:`SlackEmulator` is a real HTTP server (aiohttp) that answers the Web API methods
MyloWare calls the way Slack does: ``POST /api/<method>`` with a form or JSON body, the bot
token as ``Authorization: Bearer`` (or a ``token`` argument), JSON-encoded ``blocks`` / ``view``
arguments, HTTP 200 with ``{"ok": true, ...}`` or ``{"ok": false, "error": "invalid_auth"}``.
Implemented: ``auth.test``, ``chat.postMessage`` (``thread_ts`` too), ``chat.update``,
``chat.postEphemeral``, ``views.open`` (trigger ids are single-use and expire after 3 s, as
in Slack), ``views.update`` (by ``view_id``) and ``views.publish`` (a user's App Home).
Every call is recorded in :attr:`SlackEmulator.calls`; messages and opened views
are kept as Slack would. Files: :meth:`SlackEmulator.host_file` keeps a file and returns its
Slack file object, whose ``url_private_download`` serves it only with the workspace's bot
token — anything else gets Slack's HTML sign-in page with a 200, as the real one does.

Socket Mode: ``apps.connections.open`` (with a workspace's ``app_token``) hands out a
``ws://`` URL; the WebSocket there says ``hello`` and :meth:`SlackEmulator.push` delivers an
envelope over it and waits for the app's acknowledgement, as Slack does.

Slack's side of events and interactivity: :meth:`SlackEmulator.file_share` builds the Events
API body of a message sharing files, :meth:`SlackEmulator.click` builds the ``block_actions``
payload of a click on a button of a posted message, :meth:`SlackEmulator.submit` the
``view_submission`` of an opened modal (every input's current value: what was typed, else
its ``initial_value``), :meth:`SlackEmulator.slash_command` the form fields of a slash
command and :meth:`SlackEmulator.home_opened` the ``app_home_opened`` event.
:func:`post_interaction` signs a payload like Slack
(``v0=HMAC-SHA256(secret, "v0:<timestamp>:<body>")``) and posts it as
``application/x-www-form-urlencoded`` ``payload=<json>``; :func:`post_command` posts a slash
command's fields the same way, and :func:`post_event` an Events API body as JSON.
"""

from __future__ import annotations

import asyncio
import hashlib
import hmac
import itertools
import json
import secrets
import time
from collections.abc import Callable
from dataclasses import dataclass, field
from typing import Any
from urllib.parse import urlencode

import httpx
from aiohttp import web

from tests.polling import eventually

#: Slack's own lifetime of a click's ``trigger_id``, in seconds.
TRIGGER_TTL_S = 3.0
SIGN_IN_PAGE = "<!DOCTYPE html><html><head><title>Slack</title></head><body>Sign in</body></html>"
Payload = dict[str, Any]


@dataclass
class Workspace:
    """One Slack workspace with one installed app."""

    team_id: str
    bot_token: str
    signing_secret: str
    channels: dict[str, str]  # channel id -> name
    domain: str = "acme"
    app_id: str = "A0MYLOWARE"
    bot_user_id: str = "U0BOT"
    bot_id: str = "B0BOT"
    app_token: str = ""  # Socket Mode: apps.connections.open takes this one


@dataclass
class ApiCall:
    method: str
    args: Payload
    token: str | None
    reply: Payload


@dataclass
class _State:
    messages: dict[tuple[str, str], Payload] = field(default_factory=dict)
    views: dict[str, Payload] = field(default_factory=dict)
    homes: dict[str, Payload] = field(default_factory=dict)  # user id -> published home view
    triggers: dict[str, float] = field(default_factory=dict)  # trigger id -> issued at
    files: dict[str, tuple[str, bytes, str]] = field(default_factory=dict)  # id -> token, ...
    slow_files: dict[str, float] = field(default_factory=dict)  # id -> seconds to wait


class SlackApiRefusal(Exception):
    def __init__(self, error: str, *messages: str) -> None:
        super().__init__(error)
        self.error = error
        self.messages = list(messages)


class SlackEmulator:
    """``async with SlackEmulator(workspace) as slack:`` — ``slack.api_url`` is the base URL."""

    def __init__(self, *workspaces: Workspace, trigger_ttl_s: float = TRIGGER_TTL_S) -> None:
        self.workspaces = {w.bot_token: w for w in workspaces}
        self.trigger_ttl_s = trigger_ttl_s
        self.calls: list[ApiCall] = []
        self.downloads: list[tuple[str, str | None]] = []  # (file id, token it came with)
        # Socket Mode: open connections per team, tickets issued, acks awaited
        self.sockets: dict[str, list[web.WebSocketResponse]] = {}
        self._tickets: dict[str, str] = {}  # ticket -> team id
        self._acks: dict[str, asyncio.Future[Payload]] = {}
        self._held: dict[str, asyncio.Event] = {}  # Web API method -> released when set
        self._state = _State()
        self._ids = itertools.count(1)
        self._runner: web.AppRunner | None = None
        self.port = 0

    # -- server -------------------------------------------------------------------------------
    async def __aenter__(self) -> SlackEmulator:
        app = web.Application()
        app.router.add_post("/api/{method}", self._api)
        app.router.add_get("/api/{method}", self._api)
        app.router.add_get("/files-pri/{team_file}/{name}", self._download)
        app.router.add_get("/link/", self._socket)
        self._runner = web.AppRunner(app, access_log=None)
        await self._runner.setup()
        site = web.TCPSite(self._runner, "127.0.0.1", 0)
        await site.start()
        self.port = int(self._runner.addresses[0][1])
        return self

    async def __aexit__(self, *exc: object) -> None:
        if self._runner is not None:
            await self._runner.cleanup()

    @property
    def api_url(self) -> str:
        return f"http://127.0.0.1:{self.port}/api/"

    async def _api(self, request: web.Request) -> web.Response:
        method = request.match_info["method"]
        if (release := self._held.get(method)) is not None:
            await release.wait()
        args: Payload = dict(request.query)
        try:
            args.update(await _body(request))
        except ValueError:
            return web.json_response({"ok": False, "error": "invalid_form_data"})
        token = _bearer(request.headers.get("Authorization")) or args.pop("token", None)
        try:
            if method == "apps.connections.open":  # the one method taking the app token
                reply = {"ok": True, **self._connections_open(token)}
                self.calls.append(ApiCall(method, args, token, reply))
                return web.json_response(reply)
            workspace = self._authenticate(token)
            handler = METHODS.get(method)
            if handler is None:
                raise SlackApiRefusal("unknown_method")
            reply = {"ok": True, **handler(self, workspace, args)}
        except SlackApiRefusal as refusal:
            reply = {"ok": False, "error": refusal.error}
            if refusal.messages:
                reply["response_metadata"] = {"messages": refusal.messages}
        self.calls.append(ApiCall(method, args, token, reply))
        return web.json_response(reply)

    def _authenticate(self, token: str | None) -> Workspace:
        if not token:
            raise SlackApiRefusal("not_authed")
        workspace = self.workspaces.get(token)
        if workspace is None:
            raise SlackApiRefusal("invalid_auth")
        return workspace

    def _ts(self) -> str:
        return f"{int(time.time())}.{next(self._ids):06d}"

    # -- Web API methods ----------------------------------------------------------------------
    def _auth_test(self, ws: Workspace, args: Payload) -> Payload:
        return {
            "url": f"https://{ws.domain}.slack.com/",
            "team": ws.domain.title(),
            "user": "myloware",
            "team_id": ws.team_id,
            "user_id": ws.bot_user_id,
            "bot_id": ws.bot_id,
            "is_enterprise_install": False,
        }

    def _channel(self, ws: Workspace, args: Payload) -> str:
        channel = str(args.get("channel") or "")
        if channel not in ws.channels:
            raise SlackApiRefusal("channel_not_found")
        return channel

    # -- Socket Mode ----------------------------------------------------------------------------
    def _connections_open(self, token: str | None) -> Payload:
        ws = next((w for w in self.workspaces.values() if token and w.app_token == token), None)
        if ws is None:
            raise SlackApiRefusal("invalid_auth")
        ticket = secrets.token_hex(8)
        self._tickets[ticket] = ws.team_id
        return {"url": f"ws://127.0.0.1:{self.port}/link/?ticket={ticket}"}

    async def _socket(self, request: web.Request) -> web.StreamResponse:
        team = self._tickets.pop(request.query.get("ticket", ""), None)
        if team is None:
            return web.Response(status=401)
        socket = web.WebSocketResponse()  # answers pings itself, as Slack does
        await socket.prepare(request)
        await socket.send_json(
            {"type": "hello", "num_connections": 1, "connection_info": {"app_id": "A0MYLOWARE"}}
        )
        self.sockets.setdefault(team, []).append(socket)
        try:
            async for message in socket:
                if message.type != web.WSMsgType.TEXT:
                    continue
                ack = json.loads(message.data)
                waiter = self._acks.pop(str(ack.get("envelope_id")), None)
                if waiter is not None and not waiter.done():
                    waiter.set_result(ack)
        finally:
            self.sockets[team].remove(socket)
        return socket

    async def push(
        self, team_id: str, kind: str, payload: Payload, limit_s: float = 5.0
    ) -> Payload:
        """Deliver ``payload`` over a Socket Mode connection of the team, as Slack does
        (``kind``: ``events_api``, ``interactive`` or ``slash_commands``); the app's
        acknowledgement."""
        open_ = await eventually(lambda: self.sockets.get(team_id), timeout_s=limit_s)
        envelope_id = secrets.token_hex(12)
        waiter: asyncio.Future[Payload] = asyncio.get_running_loop().create_future()
        self._acks[envelope_id] = waiter
        await open_[0].send_json(
            {
                "envelope_id": envelope_id,
                "type": kind,
                "payload": payload,
                "accepts_response_payload": kind in ("interactive", "slash_commands"),
                "retry_attempt": 0,
                "retry_reason": "",
            }
        )
        return await asyncio.wait_for(waiter, timeout=limit_s)

    async def _download(self, request: web.Request) -> web.Response:
        file_id = request.match_info["team_file"].split("-", 1)[-1]
        token, data, mimetype = self._state.files.get(file_id, ("", b"", ""))
        await asyncio.sleep(self._state.slow_files.get(file_id, 0.0))  # a slow network, say
        self.downloads.append((file_id, _bearer(request.headers.get("Authorization"))))
        if not token or _bearer(request.headers.get("Authorization")) != token:
            return web.Response(text=SIGN_IN_PAGE, content_type="text/html")  # Slack's way
        return web.Response(body=data, content_type=mimetype)

    def host_file(
        self, ws: Workspace, name: str, data: bytes, mimetype: str, *, delay_s: float = 0.0
    ) -> Payload:
        """Keep a file as if ``ws``'s user had uploaded it (served ``delay_s`` late); its
        Slack file object."""
        file_id = f"F{next(self._ids):08d}"
        self._state.files[file_id] = (ws.bot_token, data, mimetype)
        self._state.slow_files[file_id] = delay_s
        url = f"http://127.0.0.1:{self.port}/files-pri/{ws.team_id}-{file_id}/{name}"
        return {
            "id": file_id,
            "created": int(time.time()),
            "name": name,
            "title": name,
            "mimetype": mimetype,
            "filetype": name.rsplit(".", 1)[-1],
            "size": len(data),
            "mode": "hosted",
            "is_external": False,
            "url_private": url,
            "url_private_download": url + "?download=1",
        }

    def _message(self, ws: Workspace, args: Payload, ts: str) -> Payload:
        blocks = _json_arg(args, "blocks", "invalid_blocks")
        text = args.get("text")
        if not text and not blocks:
            raise SlackApiRefusal("no_text")
        if blocks is not None:
            _check_blocks(blocks)
        message: Payload = {
            "type": "message",
            "user": ws.bot_user_id,
            "bot_id": ws.bot_id,
            "app_id": ws.app_id,
            "team": ws.team_id,
            "text": text or "",
            "ts": ts,
        }
        if blocks is not None:
            message["blocks"] = blocks
        if args.get("thread_ts"):
            message["thread_ts"] = str(args["thread_ts"])
        return message

    def _post_message(self, ws: Workspace, args: Payload) -> Payload:
        user = str(args.get("channel") or "")
        if user.startswith(("U", "W")):  # a user id: the app's direct messages with them
            ws.channels.setdefault(f"D{user}", "")
            args = {**args, "channel": f"D{user}"}
        channel = self._channel(ws, args)
        ts = self._ts()
        message = self._message(ws, args, ts)
        self._state.messages[(channel, ts)] = message
        return {"channel": channel, "ts": ts, "message": message}

    def _update(self, ws: Workspace, args: Payload) -> Payload:
        channel = self._channel(ws, args)
        ts = str(args.get("ts") or "")
        if (channel, ts) not in self._state.messages:
            raise SlackApiRefusal("message_not_found")
        message = self._message(ws, args, ts)
        message["edited"] = {"user": ws.bot_user_id, "ts": self._ts()}
        self._state.messages[(channel, ts)] = message
        return {"channel": channel, "ts": ts, "text": message["text"], "message": message}

    def _post_ephemeral(self, ws: Workspace, args: Payload) -> Payload:
        self._channel(ws, args)
        if not args.get("user"):
            raise SlackApiRefusal("user_not_in_channel")
        if not args.get("text") and not args.get("blocks"):
            raise SlackApiRefusal("no_text")
        return {"message_ts": self._ts()}

    def _views_open(self, ws: Workspace, args: Payload) -> Payload:
        issued = self._state.triggers.pop(str(args.get("trigger_id") or ""), None)
        if issued is None:
            raise SlackApiRefusal("invalid_arguments", "invalid `trigger_id`")
        if time.monotonic() - issued > self.trigger_ttl_s:
            raise SlackApiRefusal("expired_trigger_id")
        view = _view_arg(args, "modal")
        view_id = f"V{next(self._ids):08d}"
        opened = {
            "id": view_id,
            "team_id": ws.team_id,
            "app_id": ws.app_id,
            "bot_id": ws.bot_id,
            "state": {"values": {}},
            "hash": f"{int(time.time())}.{view_id}",
            "root_view_id": view_id,
            "private_metadata": "",
            "callback_id": "",
            **view,
        }
        self._state.views[view_id] = opened
        return {"view": opened}

    def _views_update(self, ws: Workspace, args: Payload) -> Payload:
        view_id = str(args.get("view_id") or "")
        if view_id not in self._state.views:
            raise SlackApiRefusal("not_found")
        view = _view_arg(args, "modal")
        updated = {**self._state.views[view_id], "private_metadata": "", **view}
        updated["hash"] = f"{int(time.time())}.{view_id}.{next(self._ids)}"
        self._state.views[view_id] = updated
        return {"view": updated}

    def _views_publish(self, ws: Workspace, args: Payload) -> Payload:
        user = str(args.get("user_id") or "")
        if not user.startswith(("U", "W")):
            raise SlackApiRefusal("invalid_arguments", "`user_id` is required")
        view = _view_arg(args, "home")
        view_id = f"V{next(self._ids):08d}"
        published = {"id": view_id, "team_id": ws.team_id, "app_id": ws.app_id, **view}
        self._state.homes[user] = published
        return {"view": published}

    def hold(self, method: str) -> asyncio.Event:
        """Calls to the Web API ``method`` wait (a slow Slack) until the event returned is set."""
        release = self._held[method] = asyncio.Event()
        return release

    # -- what tests read ------------------------------------------------------------------------
    def calls_to(self, method: str) -> list[ApiCall]:
        return [c for c in self.calls if c.method == method]

    def message(self, channel: str, ts: str) -> Payload:
        """The message as it is now (after any chat.update)."""
        return self._state.messages[(channel, ts)]

    def view(self, view_id: str) -> Payload:
        return self._state.views[view_id]

    def home(self, user_id: str) -> Payload | None:
        """The App Home view last published for ``user_id``."""
        return self._state.homes.get(user_id)

    # -- Slack's side of interactivity ------------------------------------------------------------
    def _workspace_of(self, team_id: str) -> Workspace:
        return next(w for w in self.workspaces.values() if w.team_id == team_id)

    def _user(self, ws: Workspace, user_id: str) -> Payload:
        name = user_id.lower()
        return {"id": user_id, "username": name, "name": name, "team_id": ws.team_id}

    def _trigger(self) -> str:
        trigger = f"{int(time.time())}.{next(self._ids)}.{secrets.token_hex(8)}"
        self._state.triggers[trigger] = time.monotonic()
        return trigger

    def file_share(
        self,
        ws: Workspace,
        channel: str,
        user_id: str,
        files: list[Payload],
        *,
        channel_type: str = "channel",
        text: str = "",
    ) -> Payload:
        """The Events API body (``event_callback``) of ``user_id`` sharing ``files``."""
        ts = self._ts()
        return {
            "token": "deprecated-verification-token",
            "team_id": ws.team_id,
            "api_app_id": ws.app_id,
            "event": {
                "type": "message",
                "subtype": "file_share",
                "text": text,
                "files": files,
                "upload": False,
                "user": user_id,
                "display_as_bot": False,
                "ts": ts,
                "channel": channel,
                "channel_type": channel_type,
                "event_ts": ts,
            },
            "type": "event_callback",
            "event_id": f"Ev{next(self._ids):08d}",
            "event_time": int(time.time()),
            "authorizations": [{"team_id": ws.team_id, "user_id": ws.bot_user_id, "is_bot": True}],
            "is_ext_shared_channel": False,
        }

    def replies(self, channel: str, thread_ts: str) -> list[Payload]:
        """The bot's messages in a thread, oldest first."""
        return [
            m
            for (c, _), m in sorted(self._state.messages.items(), key=lambda kv: kv[0][1])
            if c == channel and m.get("thread_ts") == thread_ts
        ]

    def click(self, channel: str, ts: str, action_id: str, user_id: str) -> Payload:
        """The ``block_actions`` payload Slack sends when ``user_id`` clicks a button."""
        message = self.message(channel, ts)
        ws = self._workspace_of(message["team"])
        action = _action(message.get("blocks", []), action_id)
        if action is None:
            raise AssertionError(f"message {ts} in {channel} has no button {action_id!r}")
        container = {
            "type": "message",
            "message_ts": ts,
            "channel_id": channel,
            "is_ephemeral": False,
        }
        return self._block_actions(
            ws,
            user_id,
            action,
            container,
            channel={"id": channel, "name": ws.channels[channel]},
            message=message,
            state={"values": {}},
            response_url=f"https://hooks.slack.com/actions/{ws.team_id}/1/unused",
        )

    def _block_actions(
        self, ws: Workspace, user_id: str, action: Payload, container: Payload, **extra: Any
    ) -> Payload:
        return {
            "type": "block_actions",
            "user": self._user(ws, user_id),
            "api_app_id": ws.app_id,
            "token": "deprecated-verification-token",
            "container": container,
            "trigger_id": self._trigger(),
            "team": {"id": ws.team_id, "domain": ws.domain},
            "enterprise": None,
            "is_enterprise_install": False,
            **extra,
            "actions": [action],
        }

    def slash_command(self, ws: Workspace, channel: str, user_id: str, text: str) -> Payload:
        """The form fields Slack posts for ``/myloware <text>`` typed by ``user_id``."""
        return {
            "token": "deprecated-verification-token",
            "team_id": ws.team_id,
            "team_domain": ws.domain,
            "channel_id": channel,
            "channel_name": ws.channels.get(channel, "directmessage"),
            "user_id": user_id,
            "user_name": user_id.lower(),
            "command": "/myloware",
            "text": text,
            "api_app_id": ws.app_id,
            "is_enterprise_install": "false",
            "response_url": f"https://hooks.slack.com/commands/{ws.team_id}/1/unused",
            "trigger_id": self._trigger(),
        }

    def home_opened(self, ws: Workspace, user_id: str, tab: str = "home") -> Payload:
        """The Events API body of ``user_id`` opening the app's Home (or Messages) tab."""
        ts = self._ts()
        event: Payload = {
            "type": "app_home_opened",
            "user": user_id,
            "channel": f"D0{user_id}",
            "tab": tab,
            "event_ts": ts,
        }
        if user_id in self._state.homes:
            event["view"] = self._state.homes[user_id]
        return {
            "token": "deprecated-verification-token",
            "team_id": ws.team_id,
            "api_app_id": ws.app_id,
            "event": event,
            "type": "event_callback",
            "event_id": f"Ev{next(self._ids):08d}",
            "event_time": int(time.time()),
            "authorizations": [{"team_id": ws.team_id, "user_id": ws.bot_user_id, "is_bot": True}],
        }

    def click_home(self, user_id: str, action_id: str, index: int = 0) -> Payload:
        """The ``block_actions`` payload of ``user_id`` clicking the ``index``-th button
        ``action_id`` of their App Home (no channel, no message: a view)."""
        home = self._state.homes[user_id]
        ws = self._workspace_of(home["team_id"])
        action = _action(home["blocks"], action_id, index)
        if action is None:
            raise AssertionError(f"{user_id}'s home has no button {action_id!r} #{index}")
        container = {"type": "view", "view_id": home["id"]}
        return self._block_actions(ws, user_id, action, container, view=home)

    def dms(self, user_id: str) -> list[str]:
        """The texts the bot sent ``user_id`` in their direct messages with the app."""
        return [m["text"] for (c, _), m in self._state.messages.items() if c == f"D{user_id}"]

    def submit(self, view_id: str, user_id: str, values: dict[str, dict[str, str]]) -> Payload:
        """The ``view_submission`` payload of ``user_id`` submitting an opened modal, with
        plain-text ``values`` as ``{block_id: {action_id: text}}``."""
        view = self.view(view_id)
        ws = self._workspace_of(view["team_id"])
        state: dict[str, dict[str, Payload]] = {}
        for block in view.get("blocks", []):  # Slack sends every input's current value
            element = block.get("element", {})
            if block.get("type") == "input" and element.get("type") == "plain_text_input":
                state[block["block_id"]] = {
                    element["action_id"]: {
                        "type": "plain_text_input",
                        "value": element.get("initial_value") or None,
                    }
                }
        for block_id, actions in values.items():
            for action, text in actions.items():
                state.setdefault(block_id, {})[action] = {
                    "type": "plain_text_input",
                    "value": text or None,  # Slack sends null for an emptied input
                }
        return {
            "type": "view_submission",
            "team": {"id": ws.team_id, "domain": ws.domain},
            "user": self._user(ws, user_id),
            "api_app_id": ws.app_id,
            "token": "deprecated-verification-token",
            "trigger_id": self._trigger(),
            "view": {**view, "state": {"values": state}},
            "response_urls": [],
            "is_enterprise_install": False,
            "enterprise": None,
        }


METHODS: dict[str, Callable[[SlackEmulator, Workspace, Payload], Payload]] = {
    "auth.test": SlackEmulator._auth_test,
    "chat.postMessage": SlackEmulator._post_message,
    "chat.update": SlackEmulator._update,
    "chat.postEphemeral": SlackEmulator._post_ephemeral,
    "views.open": SlackEmulator._views_open,
    "views.update": SlackEmulator._views_update,
    "views.publish": SlackEmulator._views_publish,
}


async def _body(request: web.Request) -> Payload:
    if not request.can_read_body:
        return {}
    if request.content_type == "application/json":
        data = await request.json()
        if not isinstance(data, dict):
            raise ValueError("a JSON object is required")
        return data
    if request.content_type in ("application/x-www-form-urlencoded", "multipart/form-data"):
        return {k: v for k, v in (await request.post()).items() if isinstance(v, str)}
    raise ValueError(f"unsupported content type {request.content_type}")


def _bearer(header: str | None) -> str | None:
    if header and header.lower().startswith("bearer "):
        return header[7:].strip() or None
    return None


def _json_arg(args: Payload, name: str, error: str) -> Any:
    """A structured argument, given as JSON (JSON bodies) or a JSON-encoded string (forms)."""
    value = args.get(name)
    if isinstance(value, str):
        try:
            return json.loads(value)
        except json.JSONDecodeError:
            raise SlackApiRefusal(error, f"`{name}` is not valid JSON") from None
    return value


def _action(blocks: list[Payload], action_id: str, index: int = 0) -> Payload | None:
    """The action Slack reports for the ``index``-th button ``action_id`` in ``blocks``."""
    found = [
        (block, element)
        for block in blocks
        if block.get("type") == "actions"
        for element in block.get("elements", [])
        if element.get("action_id") == action_id
    ]
    if len(found) <= index:
        return None
    block, element = found[index]
    action = {
        "type": element["type"],
        "action_id": action_id,
        "block_id": block.get("block_id", ""),
        "text": element.get("text"),
        "value": element.get("value"),
        "action_ts": f"{time.time():.6f}",
    }
    if "style" in element:
        action["style"] = element["style"]
    return action


def _view_arg(args: Payload, kind: str) -> Payload:
    """The ``view`` argument, checked as Slack checks a ``kind`` (modal, home) view."""
    view = _json_arg(args, "view", "invalid_arguments")
    if not isinstance(view, dict) or view.get("type") != kind:
        raise SlackApiRefusal("invalid_arguments", f"a {kind} view is required")
    for key in ("title", "submit", "close") if kind == "modal" else ():
        if key in view and len(view[key]["text"]) > 24:
            raise SlackApiRefusal("invalid_arguments", f"{key} longer than 24 characters")
    if len(str(view.get("private_metadata", ""))) > 3000:
        raise SlackApiRefusal("invalid_arguments", "private_metadata longer than 3000")
    _check_blocks(view.get("blocks", []), limit=100)
    return view


def _check_input(block: Payload) -> None:
    element = block.get("element", {})
    if not block.get("block_id") or len(block["label"]["text"]) > 2000:
        raise SlackApiRefusal("invalid_blocks", "input blocks need a block_id and a short label")
    initial = element.get("initial_value")
    if initial is not None and (not initial or len(initial) > element.get("max_length", 3000)):
        raise SlackApiRefusal("invalid_blocks", "initial_value empty or over max_length")


def _check_blocks(blocks: Any, limit: int = 50) -> None:
    """The Block Kit limits our cards and views could hit (messages: 50 blocks, views 100)."""
    if not isinstance(blocks, list) or len(blocks) > limit:
        raise SlackApiRefusal("invalid_blocks", f"blocks must be a list of at most {limit}")
    for block in blocks:
        if not isinstance(block, dict) or "type" not in block:
            raise SlackApiRefusal("invalid_blocks", "every block needs a type")
        if block["type"] == "header" and len(block["text"]["text"]) > 150:
            raise SlackApiRefusal("invalid_blocks", "header text longer than 150")
        if block["type"] == "section" and len(block.get("text", {}).get("text", "")) > 3000:
            raise SlackApiRefusal("invalid_blocks", "section text longer than 3000")
        if block["type"] == "input":
            _check_input(block)
        if block["type"] == "image" and not (
            str(block.get("image_url", "")).startswith(("https://", "http://"))
            and len(block["image_url"]) <= 3000
            and 0 < len(block.get("alt_text", "")) <= 2000
        ):
            raise SlackApiRefusal("invalid_blocks", "image blocks need an http(s) URL and alt_text")
        if len(block.get("fields", [])) > 10:
            raise SlackApiRefusal("invalid_blocks", "more than 10 section fields")
        for element in block.get("elements", []):
            if len(str(element.get("value", ""))) > 2000 or len(element.get("action_id", "")) > 255:
                raise SlackApiRefusal("invalid_blocks", "element value or action_id too long")


# -- signing like Slack ---------------------------------------------------------------------------


def slack_signature(signing_secret: str, body: str, timestamp: int) -> str:
    base = f"v0:{timestamp}:{body}".encode()
    return "v0=" + hmac.new(signing_secret.encode(), base, hashlib.sha256).hexdigest()


def signed_headers(signing_secret: str, body: str, timestamp: int | None = None) -> dict[str, str]:
    """The headers Slack sends with a request body."""
    stamp = int(time.time()) if timestamp is None else timestamp
    return {
        "X-Slack-Request-Timestamp": str(stamp),
        "X-Slack-Signature": slack_signature(signing_secret, body, stamp),
        "User-Agent": "Slackbot 1.0 (+https://api.slack.com/robots)",
    }


async def post_interaction(
    client: httpx.AsyncClient,
    payload: Payload,
    *,
    signing_secret: str,
    timestamp: int | None = None,
    path: str = "/slack/events",
) -> httpx.Response:
    """POST an interaction payload to our endpoint exactly as Slack does."""
    body = urlencode({"payload": json.dumps(payload, separators=(",", ":"))})
    headers = {
        "Content-Type": "application/x-www-form-urlencoded",
        **signed_headers(signing_secret, body, timestamp),
    }
    return await client.post(path, content=body, headers=headers)


async def post_event(
    client: httpx.AsyncClient,
    event: Payload,
    *,
    signing_secret: str,
    timestamp: int | None = None,
    path: str = "/slack/events",
) -> httpx.Response:
    """POST an Events API body (JSON) to our endpoint exactly as Slack does."""
    body = json.dumps(event, separators=(",", ":"))
    headers = {
        "Content-Type": "application/json",
        **signed_headers(signing_secret, body, timestamp),
    }
    return await client.post(path, content=body, headers=headers)


async def post_command(
    client: httpx.AsyncClient,
    fields: Payload,
    *,
    signing_secret: str,
    path: str = "/slack/events",
) -> httpx.Response:
    """POST a slash command's form fields to our endpoint exactly as Slack does."""
    body = urlencode(fields)
    headers = {
        "Content-Type": "application/x-www-form-urlencoded",
        **signed_headers(signing_secret, body),
    }
    return await client.post(path, content=body, headers=headers)

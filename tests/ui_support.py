"""Helpers for the UI tests: sign in through the login form, read CSRF tokens, cookies,
serve an app over a real socket."""

from __future__ import annotations

import asyncio
import re
from collections.abc import AsyncIterator
from contextlib import asynccontextmanager
from pathlib import Path

import httpx
import redis.asyncio as aioredis
from fastapi import FastAPI

from myloware.db.engine import create_engine, session_factory
from myloware.events import OutboxRelay
from myloware.settings import Settings
from myloware.ui.session import SESSION_COOKIE
from tests.pipeline_support import loopback_socket

FIXTURES = Path(__file__).parent / "fixtures" / "ui"
CSRF_RE = re.compile(r'name="csrf_token" value="([^"]+)"')


def bearer(headers: dict[str, str]) -> str:
    """The raw token inside an ``Authorization: Bearer`` header made by ``token_for``."""
    return headers["Authorization"].removeprefix("Bearer ")


def csrf_of(html: str) -> str:
    found = CSRF_RE.search(html)
    assert found, "the page has no CSRF field"
    return found.group(1)


async def sign_in(client: httpx.AsyncClient, credential: str) -> dict[str, str]:
    """Log in through the form; returns a Cookie header and leaves the client's jar empty."""
    form = await client.get("/ui/login")
    r = await client.post(
        "/ui/login",
        data={"credential": credential, "csrf_token": csrf_of(form.text), "next": "/ui"},
    )
    assert r.status_code == 303, r.text
    session = r.cookies[SESSION_COOKIE]
    client.cookies.clear()
    return {"Cookie": f"{SESSION_COOKIE}={session}"}


async def password_sign_in(
    client: httpx.AsyncClient, username: str, password: str
) -> tuple[httpx.Response, dict[str, str]]:
    """Post the username and password form; the answer, and a Cookie header when it signed
    in (the client's jar left empty)."""
    form = await client.get("/ui/login")
    r = await client.post(
        "/ui/login",
        data={
            "username": username,
            "password": password,
            "csrf_token": csrf_of(form.text),
            "next": "/ui",
        },
    )
    session = r.cookies.get(SESSION_COOKIE)
    client.cookies.clear()
    return r, ({"Cookie": f"{SESSION_COOKIE}={session}"} if session else {})


async def publish(database_url: str, redis_url: str, settings: Settings) -> int:
    """One pass of the outbox relay, as ``myloware relay`` runs it."""
    engine = create_engine(database_url, pool_size=1)
    redis = aioredis.from_url(redis_url)
    try:
        relay = OutboxRelay(session_factory(engine), redis, stream=settings.events_stream)
        return await relay.publish_once()
    finally:
        await redis.aclose()
        await engine.dispose()


@asynccontextmanager
async def serving(app: FastAPI) -> AsyncIterator[str]:
    """Serve the (already started) app over HTTP on a free local port, in this event loop."""
    import uvicorn

    sock = loopback_socket()
    port = sock.getsockname()[1]
    config = uvicorn.Config(app, lifespan="off", log_level="warning")
    server = uvicorn.Server(config)
    task = asyncio.create_task(server.serve(sockets=[sock]))
    while not server.started:  # noqa: ASYNC110 - uvicorn offers no "started" event
        await asyncio.sleep(0.02)
    try:
        yield f"http://127.0.0.1:{port}"
    finally:
        server.should_exit = True
        try:
            await task
        finally:
            sock.close()

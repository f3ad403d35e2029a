"""Helpers for the UI tests: sign in through the login form, read CSRF tokens, cookies."""

from __future__ import annotations

import re
from pathlib import Path

import httpx
import redis.asyncio as aioredis

from myloware.db.engine import create_engine, session_factory
from myloware.events import OutboxRelay
from myloware.settings import Settings
from myloware.ui.session import SESSION_COOKIE

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

"""The gateway's own checks of Slack's headers, before any listener runs: malformed
timestamps, exact replays, and Redis down (the replay check fails closed)."""

from __future__ import annotations

import json
import time
import uuid

import httpx
import pytest

from myloware.runtime.embedded import EmbeddedServices
from tests.slack_emulator import post_event, slack_signature
from tests.slack_support import SECRET, TEAM, store_connector

CHALLENGE = {"token": "deprecated", "challenge": "c-123", "type": "url_verification"}


@pytest.fixture
async def connected(
    api: httpx.AsyncClient, tenants: dict[str, uuid.UUID], database_url: str
) -> httpx.AsyncClient:
    """The API with acme's SLACK connector stored (Slack's Web API never called)."""
    await store_connector(database_url, tenants["acme"], "http://127.0.0.1:9/api/")
    return api


@pytest.mark.parametrize("stamp", ["abc", "", " 1700000000", "1e9", "-5", "9" * 30])
async def test_a_malformed_timestamp_is_refused_before_anything_else(
    connected: httpx.AsyncClient, stamp: str
) -> None:
    """A known team's request whose timestamp is not plain seconds is a 401, never a 500."""
    body = json.dumps({"type": "event_callback", "team_id": TEAM, "event": {"type": "x"}})
    headers = {
        "Content-Type": "application/json",
        "X-Slack-Request-Timestamp": stamp,
        "X-Slack-Signature": slack_signature(SECRET, body, int(time.time())),
    }
    r = await connected.post("/slack/events", content=body, headers=headers)
    assert r.status_code == 401, r.text


async def test_an_exact_replay_inside_the_window_is_refused(connected: httpx.AsyncClient) -> None:
    """The same signed request twice is answered once; a newly signed one is answered."""
    stamp = int(time.time())
    first = await post_event(connected, CHALLENGE, signing_secret=SECRET, timestamp=stamp)
    replay = await post_event(connected, CHALLENGE, signing_secret=SECRET, timestamp=stamp)
    fresh = await post_event(connected, CHALLENGE, signing_secret=SECRET, timestamp=stamp - 1)
    assert (first.status_code, replay.status_code, fresh.status_code) == (200, 401, 200)
    assert "c-123" in first.text and "c-123" not in replay.text


async def test_a_signed_request_is_refused_with_503_while_redis_is_down(
    connected: httpx.AsyncClient, embedded: EmbeddedServices
) -> None:
    """Without Redis a replay cannot be ruled out: 503 (Slack retries), not 500 or 200."""
    embedded.stop_redis()
    try:
        r = await post_event(connected, CHALLENGE, signing_secret=SECRET)
    finally:
        embedded.start_redis()
    assert r.status_code == 503
    assert (await post_event(connected, CHALLENGE, signing_secret=SECRET)).status_code == 200

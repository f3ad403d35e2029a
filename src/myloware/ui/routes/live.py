"""Server-sent events for the UI: the platform's events, as they happen, for one tenant.

``GET /ui/events`` (signed in by the UI session, ``work_orders:read``) answers
``text/event-stream``. It reads the Redis Stream the outbox relay publishes to
(``settings.events_stream``) with plain ``XREAD`` — no consumer group, so every open page gets
every event — and passes on only the signed-in tenant's, each as one small JSON message::

    id: 1733478000000-0
    data: {"type":"approval.approved","order":"…","item":"…","status":null,"decided_by":"alice"}

* It starts at the stream's end (or just after ``Last-Event-ID`` when the browser reconnects,
  so nothing published while it was away is lost, as far back as the stream keeps).
* A comment line every :data:`HEARTBEAT_S` keeps proxies from closing an idle connection.
* It ends when the client goes, when the app shuts down (``AppState.stopping``) and after
  :data:`MAX_STREAM_S`, so a signed-out or revoked session stops receiving within that time
  (the browser's ``EventSource`` reconnects, signed in again by the cookie).
* A Redis outage is survived: the stream says so in a comment and retries with back-off from
  the last id it delivered.

Each open page holds one Redis connection while it waits (``XREAD BLOCK``).
"""

from __future__ import annotations

import asyncio
import json
import re
import uuid
from collections.abc import AsyncGenerator
from typing import Any

import structlog
from fastapi import APIRouter, Request
from fastapi.responses import StreamingResponse
from redis.asyncio import Redis

from myloware.events.stream import Event, parse_read_reply
from myloware.loops import TRANSIENT_ERRORS, Backoff, sleep_unless_stopped
from myloware.ui.deps import UiReader, UiRoute
from myloware.web.deps import SessionDep, StateDep

log = structlog.get_logger(__name__)

router = APIRouter(route_class=UiRoute, include_in_schema=False)

#: How long one XREAD waits (below the app's Redis socket timeout of 5 s).
BLOCK_MS = 2000
#: A comment at least this often, so that proxies keep the connection open.
HEARTBEAT_S = 15.0
#: A stream ends after this long; the browser reconnects (and is signed in again).
MAX_STREAM_S = 300.0
#: What the browser waits before reconnecting (the SSE ``retry`` field).
RETRY_MS = 2000
#: A Redis Stream entry id.
STREAM_ID = re.compile(r"^\d{1,20}-\d{1,20}$")


def message(event: Event) -> dict[str, Any]:
    """The small JSON a page gets for one event: what changed, where, and who decided."""
    payload = event.payload
    order = payload.get("work_order_id")
    item = payload.get("work_item_id")
    if event.aggregate_type == "work_order" and event.aggregate_id:
        order = str(event.aggregate_id)
    elif event.aggregate_type == "work_item" and event.aggregate_id:
        item = str(event.aggregate_id)
    return {
        "type": event.event_type,
        "order": order,
        "item": item,
        "status": payload.get("status"),
        "decided_by": payload.get("decided_by"),
        "group": payload.get("approver_group"),
        "at": event.created_at.isoformat(),
    }


def frame(entry_id: str, data: dict[str, Any]) -> str:
    """One SSE message (``id`` lets the browser resume from it after a reconnect)."""
    return f"id: {entry_id}\ndata: {json.dumps(data, separators=(',', ':'))}\n\n"


async def _start_id(redis: Redis, stream: str, last_event_id: str | None) -> str:
    """Where to read from: after the browser's last id, or the stream's current end.

    The end is read as an id (not ``$``) so that what is published between two XREADs, or
    right after the page said it is ready, is not missed."""
    if last_event_id and STREAM_ID.match(last_event_id):
        return last_event_id
    newest = await redis.xrevrange(stream, count=1)
    if not newest:
        return "0-0"
    raw = newest[0][0]
    return raw.decode() if isinstance(raw, bytes) else str(raw)


async def tenant_events(
    request: Request,
    redis: Redis,
    *,
    stream: str,
    tenant_id: uuid.UUID,
    stopping: asyncio.Event,
    last_event_id: str | None = None,
) -> AsyncGenerator[str]:
    """The SSE text of ``tenant_id``'s events until the client goes or the app stops."""
    loop = asyncio.get_running_loop()
    started = loop.time()
    quiet_since = started
    backoff = Backoff(initial=0.5, maximum=5.0)
    last_id: str | None = None
    yield f"retry: {RETRY_MS}\n: connected\n\n"
    while not stopping.is_set() and loop.time() - started < MAX_STREAM_S:
        if await request.is_disconnected():
            break
        try:
            if last_id is None:
                last_id = await _start_id(redis, stream, last_event_id)
                yield f"event: ready\ndata: {json.dumps({'from': last_id})}\n\n"
            reply = await redis.xread({stream: last_id}, count=100, block=BLOCK_MS)
        except TRANSIENT_ERRORS as exc:
            delay = backoff.next_delay()
            log.warning("ui_events_read_failed", error=repr(exc), retry_in_s=delay)
            yield ": events unavailable, retrying\n\n"
            quiet_since = loop.time()
            await sleep_unless_stopped(stopping, delay)
            continue
        backoff.reset()
        for entry in parse_read_reply(reply):
            last_id = entry.id
            try:
                event = Event.from_fields(entry.fields)
            except ValueError:
                continue  # not ours to judge: the consumers dead-letter malformed entries
            if event.tenant_id != tenant_id:
                continue
            quiet_since = loop.time()
            yield frame(entry.id, message(event))
        if loop.time() - quiet_since >= HEARTBEAT_S:
            quiet_since = loop.time()
            yield ": heartbeat\n\n"


@router.get("/events")
async def events(
    request: Request, principal: UiReader, state: StateDep, session: SessionDep
) -> StreamingResponse:
    await session.close()  # signed in: the stream holds no database connection
    return StreamingResponse(
        tenant_events(
            request,
            state.redis,
            stream=state.settings.events_stream,
            tenant_id=principal.tenant_id,
            stopping=state.stopping,
            last_event_id=request.headers.get("last-event-id"),
        ),
        media_type="text/event-stream",
        headers={"cache-control": "no-store", "x-accel-buffering": "no"},
    )

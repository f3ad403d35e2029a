"""Trimming the event stream by age, on the real embedded Redis: nothing a consumer group
has not yet been delivered, or has not acknowledged, is ever trimmed."""

from __future__ import annotations

import time

import redis.asyncio as aioredis

from myloware.events.stream import parse_read_reply
from myloware.events.trim import parse_id, trim_bound, trim_stream
from tests.stream_support import stream_entries

STREAM = "test:retention"
NOW_MS = 10**13  # a cutoff after every id used here


async def _old_entries(redis: aioredis.Redis, count: int) -> list[str]:
    """``count`` entries with ids 1000-1, 1000-2 …, long past any retention."""
    ids = []
    for n in range(1, count + 1):
        ids.append(f"1000-{n}")
        await redis.xadd(STREAM, {"n": str(n)}, id=ids[-1])
    return ids


async def _read(redis: aioredis.Redis, group: str, count: int, *, ack: int) -> None:
    """``group`` is delivered the next ``count`` entries and acknowledges the first ``ack``."""
    reply = await redis.xreadgroup(group, "c1", {STREAM: ">"}, count=count)
    ids = [message.id for message in parse_read_reply(reply)]
    if ack:
        await redis.xack(STREAM, group, *ids[:ack])


async def _ids(redis: aioredis.Redis) -> list[str]:
    return [entry_id.decode() for entry_id, _ in await stream_entries(redis, STREAM)]


async def test_only_what_every_group_acknowledged_is_trimmed(redis: aioredis.Redis) -> None:
    """One group is done with all ten entries, the other acknowledged four of the six it
    read: the first four go, the other group's pending entries and what follows stay."""
    ids = await _old_entries(redis, 10)
    for group in ("webhooks", "slack"):
        await redis.xgroup_create(STREAM, group, id="0")
    await _read(redis, "webhooks", 10, ack=10)
    await _read(redis, "slack", 6, ack=4)
    trimmed, bound = await trim_stream(redis, STREAM, cutoff_ms=NOW_MS, approximate=False)
    assert bound is not None and (bound.min_id, bound.held_by) == ("1000-5", "slack")
    assert trimmed == 4 and await _ids(redis) == ids[4:]
    await redis.xack(STREAM, "slack", "1000-5", "1000-6")
    trimmed, bound = await trim_stream(redis, STREAM, cutoff_ms=NOW_MS, approximate=False)
    assert bound is not None and bound.min_id == "1000-7"  # delivered up to 6, none pending
    assert trimmed == 2 and await _ids(redis) == ids[6:]


async def test_entries_a_group_was_never_delivered_stay(redis: aioredis.Redis) -> None:
    """A group that has read nothing yet holds every entry, however old."""
    ids = await _old_entries(redis, 5)
    await redis.xgroup_create(STREAM, "webhooks", id="0")
    await redis.xgroup_create(STREAM, "slack", id="0")
    await _read(redis, "webhooks", 5, ack=5)
    trimmed, bound = await trim_stream(redis, STREAM, cutoff_ms=NOW_MS, approximate=False)
    assert trimmed == 0 and bound is not None and bound.held_by == "slack"
    assert await _ids(redis) == ids


async def test_entries_younger_than_the_retention_stay(redis: aioredis.Redis) -> None:
    """Entries acknowledged by every group but newer than the cutoff are kept; the age
    holds them."""
    for n in range(3):
        await redis.xadd(STREAM, {"n": str(n)})
    await redis.xgroup_create(STREAM, "webhooks", id="0")
    await _read(redis, "webhooks", 3, ack=3)
    cutoff_ms = int(time.time() * 1000) - 3_600_000
    trimmed, bound = await trim_stream(redis, STREAM, cutoff_ms=cutoff_ms, approximate=False)
    assert trimmed == 0 and bound is not None and bound.held_by == "age"
    assert await redis.xlen(STREAM) == 3


async def test_dry_run_counts_without_trimming(redis: aioredis.Redis) -> None:
    """A dry run counts the entries below the bound (over several pages) and trims none."""
    await _old_entries(redis, 2_500)
    await redis.xgroup_create(STREAM, "webhooks", id="0")
    await _read(redis, "webhooks", 2_100, ack=2_100)
    counted, bound = await trim_stream(redis, STREAM, cutoff_ms=NOW_MS, dry_run=True)
    assert counted == 2_100 and bound is not None and bound.min_id == "1000-2101"
    assert await redis.xlen(STREAM) == 2_500


async def test_approximate_trim_never_passes_the_bound(redis: aioredis.Redis) -> None:
    """``~`` drops whole nodes: some entries below the bound may stay, none above it go."""
    await _old_entries(redis, 1_000)
    await redis.xgroup_create(STREAM, "webhooks", id="0")
    await _read(redis, "webhooks", 750, ack=750)
    trimmed, bound = await trim_stream(redis, STREAM, cutoff_ms=NOW_MS)
    assert bound is not None and bound.min_id == "1000-751"
    assert 0 < trimmed <= 750
    remaining = await _ids(redis)
    assert len(remaining) == 1_000 - trimmed and remaining[-250:][0] == "1000-751"
    assert parse_id(remaining[0]) <= (1000, 751)


async def test_a_missing_stream_is_left_alone(redis: aioredis.Redis) -> None:
    """No stream yet: nothing to trim, no error, and the stream is not created."""
    assert await trim_bound(redis, STREAM, cutoff_ms=NOW_MS) is None
    assert await trim_stream(redis, STREAM, cutoff_ms=NOW_MS) == (0, None)
    assert await redis.exists(STREAM) == 0


async def test_a_backlog_beyond_one_calls_limit_is_trimmed(redis: aioredis.Redis) -> None:
    """Redis trims at most 10,000 entries a call with ``~``: a longer backlog still goes."""
    pipe = redis.pipeline(transaction=False)
    for n in range(1, 25_001):
        pipe.xadd(STREAM, {"n": str(n)}, id=f"1000-{n}")
    await pipe.execute()
    await redis.xgroup_create(STREAM, "webhooks", id="$")  # delivered up to the last one
    trimmed, bound = await trim_stream(redis, STREAM, cutoff_ms=NOW_MS)
    assert bound is not None and bound.min_id == "1000-25001"
    assert 20_000 < trimmed <= 25_000
    assert await redis.xlen(STREAM) == 25_000 - trimmed

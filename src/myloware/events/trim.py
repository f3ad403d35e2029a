"""Trimming the event stream by age without losing what a consumer group still needs.

An entry may go once it is older than the retention *and* every consumer group is done with
it: delivered (its id at or below the group's ``last-delivered-id``) and acknowledged (below
the oldest id the group still has pending). The lowest such bound over all groups is the
``MINID`` of ``XTRIM``, which removes only entries with smaller ids. With ``approximate``
(``~``, the default) Redis drops whole internal nodes only, at most 10,000 entries a call
(so this calls again until nothing more goes): cheap, and it keeps a few more entries than
asked, never fewer. Works on Redis 6.2 (``MINID`` is new in 6.2) and 7.x.
"""

from __future__ import annotations

from dataclasses import dataclass

from redis.asyncio import Redis
from redis.exceptions import ResponseError

from myloware.events.stream import text

RANGE_PAGE = 1_000


def parse_id(entry_id: str) -> tuple[int, int]:
    """A stream id ``<ms>-<seq>`` as a pair that sorts like the ids."""
    ms, _, seq = entry_id.partition("-")
    return int(ms), int(seq or 0)


def _format(pair: tuple[int, int]) -> str:
    return f"{pair[0]}-{pair[1]}"


@dataclass(frozen=True, slots=True)
class TrimBound:
    """Below which id entries may go, and what set it: ``age`` or a group's name."""

    min_id: str
    held_by: str


async def group_floor(redis: Redis, stream: str, group: dict[str, object]) -> tuple[int, int]:
    """The lowest id ``group`` still needs: its oldest pending entry, else the entry after its
    last delivered one."""
    name = text(group["name"])
    if int(str(group["pending"])):
        summary = await redis.xpending(stream, name)
        return parse_id(text(summary["min"]))
    ms, seq = parse_id(text(group["last-delivered-id"]))
    return ms, seq + 1


async def trim_bound(redis: Redis, stream: str, *, cutoff_ms: int) -> TrimBound | None:
    """The ``MINID`` for entries older than ``cutoff_ms`` (Unix ms) that every group is done
    with; None when the stream does not exist."""
    try:
        groups = await redis.xinfo_groups(stream)
    except ResponseError:  # no such key
        return None
    bound, held_by = (cutoff_ms, 0), "age"
    for group in groups:
        floor = await group_floor(redis, stream, group)
        if floor < bound:
            bound, held_by = floor, text(group["name"])
    return TrimBound(_format(bound), held_by)


async def count_below(redis: Redis, stream: str, min_id: str) -> int:
    """How many entries have ids below ``min_id`` (reads their ids a page at a time)."""
    counted, start = 0, "-"
    while True:
        page = await redis.xrange(stream, min=start, max=f"({min_id}", count=RANGE_PAGE) or []
        counted += len(page)
        if len(page) < RANGE_PAGE:
            return counted
        start = f"({text(page[-1][0])}"


async def trim_stream(
    redis: Redis,
    stream: str,
    *,
    cutoff_ms: int,
    approximate: bool = True,
    dry_run: bool = False,
) -> tuple[int, TrimBound | None]:
    """Trim ``stream`` below :func:`trim_bound`; how many entries went (or, with ``dry_run``,
    would go at most) and the bound used."""
    bound = await trim_bound(redis, stream, cutoff_ms=cutoff_ms)
    if bound is None:
        return 0, None
    if dry_run:
        return await count_below(redis, stream, bound.min_id), bound
    trimmed = 0
    while True:  # with ~ Redis removes at most 10,000 entries a call (its default LIMIT)
        done = int(await redis.xtrim(stream, minid=bound.min_id, approximate=approximate))
        trimmed += done
        if not done or not approximate:
            return trimmed, bound

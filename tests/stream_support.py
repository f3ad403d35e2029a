"""Reading the events stream in tests, with the reply types redis-py leaves loose."""

from __future__ import annotations

from typing import cast

import redis.asyncio as aioredis
from redis.typing import EncodableT, FieldT

# An entry as XRANGE returns it on a client without ``decode_responses``: (id, fields).
Entry = tuple[bytes, dict[FieldT, EncodableT]]


async def stream_entries(
    redis: aioredis.Redis, stream: str, count: int | None = None
) -> list[Entry]:
    """The entries of ``stream``, oldest first (at most ``count``)."""
    reply = await redis.xrange(stream, count=count)
    assert reply is not None, f"no reply to XRANGE {stream}"
    return cast(list[Entry], reply)

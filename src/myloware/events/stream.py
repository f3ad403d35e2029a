"""The wire format of the event stream: pure encoding and decoding, no I/O.

One Redis Stream entry carries one :class:`Event` as flat string fields::

    event_id  event_type  tenant_id  aggregate_type  aggregate_id  payload (JSON)  created_at

``tenant_id`` and ``aggregate_id`` are empty strings when absent. Replies from Redis may hold
``bytes`` or ``str`` (depending on ``decode_responses``); everything here accepts both.
"""

from __future__ import annotations

import json
import uuid
from collections.abc import Mapping, Sequence
from dataclasses import dataclass
from datetime import datetime
from typing import Any

from pydantic import BaseModel, ConfigDict

#: Default bound of the event stream: beyond it the relay trims what every consumer group is
#: done with and holds events back in the outbox while a group is behind (events/relay.py).
DEFAULT_MAXLEN = 100_000


def text(value: object) -> str:
    """A Redis reply value as text."""
    return value.decode() if isinstance(value, bytes) else str(value)


class Event(BaseModel):
    """One domain event as consumers see it."""

    model_config = ConfigDict(frozen=True)

    event_id: uuid.UUID
    event_type: str
    tenant_id: uuid.UUID | None = None
    aggregate_type: str
    aggregate_id: uuid.UUID | None = None
    payload: dict[str, Any]
    created_at: datetime

    def to_fields(self) -> dict[str, str]:
        """The flat string fields of the stream entry."""
        return {
            "event_id": str(self.event_id),
            "event_type": self.event_type,
            "tenant_id": str(self.tenant_id) if self.tenant_id else "",
            "aggregate_type": self.aggregate_type,
            "aggregate_id": str(self.aggregate_id) if self.aggregate_id else "",
            "payload": json.dumps(self.payload, separators=(",", ":"), default=str),
            "created_at": self.created_at.isoformat(),
        }

    @classmethod
    def from_fields(cls, fields: Mapping[Any, Any]) -> Event:
        """Parse stream fields; raises ``ValueError`` (pydantic's included) when malformed."""
        data = {text(k): text(v) for k, v in fields.items()}
        raw_payload = json.loads(data.pop("payload", "null"))
        return cls.model_validate(
            {
                **data,
                "tenant_id": data.get("tenant_id") or None,
                "aggregate_id": data.get("aggregate_id") or None,
                "payload": raw_payload,
            }
        )


@dataclass(frozen=True, slots=True)
class StreamMessage:
    """One stream entry: its id and its (decoded) fields."""

    id: str
    fields: dict[str, str]


@dataclass(frozen=True, slots=True)
class AutoClaimReply:
    """XAUTOCLAIM's answer, the same whatever the server version.

    ``vanished`` counts entries Redis 6.2 returned as nil: claimed ids whose entries were
    deleted (trimmed) from the stream; Redis 7 lists those in ``deleted_ids`` instead.
    """

    next_id: str
    messages: list[StreamMessage]
    deleted_ids: list[str]
    vanished: int = 0


def _fields(raw: Mapping[Any, Any] | Sequence[Any]) -> dict[str, str]:
    if isinstance(raw, Mapping):
        return {text(k): text(v) for k, v in raw.items()}
    return {text(raw[i]): text(raw[i + 1]) for i in range(0, len(raw) - 1, 2)}


def parse_autoclaim_reply(reply: Sequence[Any]) -> AutoClaimReply:
    """Parse XAUTOCLAIM on Redis 6.2 (``[next, messages]``) and 7+ (``[next, messages,
    deleted]``), raw or as redis-py returns it (fields as a dict, deleted entries as ``None``
    or ``(None, None)``)."""
    next_id, entries = reply[0], reply[1]
    deleted = [text(i) for i in reply[2]] if len(reply) > 2 and reply[2] else []
    messages: list[StreamMessage] = []
    vanished = 0
    for entry in entries or ():
        if entry is None or entry[0] is None or entry[1] is None:
            vanished += 1
            continue
        messages.append(StreamMessage(id=text(entry[0]), fields=_fields(entry[1])))
    return AutoClaimReply(text(next_id), messages, deleted, vanished)


def parse_read_reply(reply: Any) -> list[StreamMessage]:
    """The entries of an XREADGROUP reply as redis-py returns it: a RESP2 list of
    ``[stream, entries]`` or a RESP3 dict of ``stream -> entries`` (or ``[entries]``)."""
    if not reply:
        return []
    streams = reply.values() if isinstance(reply, Mapping) else (item[1] for item in reply)
    messages: list[StreamMessage] = []
    for entries in streams:
        if entries and isinstance(entries[0], list):
            entries = entries[0]  # redis-py's RESP3 shape wraps the entries once more
        for entry_id, fields in entries:
            if entry_id is not None and fields is not None:
                messages.append(StreamMessage(id=text(entry_id), fields=_fields(fields)))
    return messages

"""The stream wire format: Event fields and the parsing of Redis replies (no servers)."""

from __future__ import annotations

import uuid
from datetime import UTC, datetime

import pytest

from myloware.events.stream import (
    Event,
    StreamMessage,
    parse_autoclaim_reply,
    parse_read_reply,
)

EVENT = Event(
    event_id=uuid.UUID("00000000-0000-4000-8000-000000000001"),
    event_type="work_order.created",
    tenant_id=uuid.UUID("00000000-0000-4000-8000-0000000000aa"),
    aggregate_type="work_order",
    aggregate_id=None,
    payload={"amount": "12.50", "items": [1, 2]},
    created_at=datetime(2024, 5, 1, 12, 30, tzinfo=UTC),
)


def test_event_round_trips_through_stream_fields() -> None:
    """An event encoded to flat string fields decodes back to an equal event."""
    fields = EVENT.to_fields()
    assert all(isinstance(v, str) for v in fields.values())
    assert fields["aggregate_id"] == ""
    raw = {k.encode(): v.encode() for k, v in fields.items()}
    assert Event.from_fields(raw) == EVENT
    assert Event.from_fields(fields) == EVENT


def test_malformed_fields_raise_value_error() -> None:
    """Fields that are not an event (bad JSON, missing id) raise ValueError."""
    with pytest.raises(ValueError):
        Event.from_fields({**EVENT.to_fields(), "payload": "{not json"})
    fields = EVENT.to_fields()
    del fields["event_id"]
    with pytest.raises(ValueError):
        Event.from_fields(fields)


def test_autoclaim_reply_redis_6_2_shape() -> None:
    """A Redis 6.2 XAUTOCLAIM reply (two elements, nil for a deleted entry) is parsed."""
    reply = [
        b"1700000000000-5",
        [[b"1700000000000-1", [b"a", b"1", b"b", b"2"]], None],
    ]
    parsed = parse_autoclaim_reply(reply)
    assert parsed.next_id == "1700000000000-5"
    assert parsed.messages == [StreamMessage("1700000000000-1", {"a": "1", "b": "2"})]
    assert parsed.deleted_ids == []
    assert parsed.vanished == 1


def test_autoclaim_reply_redis_7_shape() -> None:
    """A Redis 7 XAUTOCLAIM reply (three elements, deleted ids listed) is parsed."""
    reply = [b"0-0", [[b"1700000000000-2", [b"a", b"1"]]], [b"1700000000000-3"]]
    parsed = parse_autoclaim_reply(reply)
    assert parsed.next_id == "0-0"
    assert parsed.messages == [StreamMessage("1700000000000-2", {"a": "1"})]
    assert parsed.deleted_ids == ["1700000000000-3"]
    assert parsed.vanished == 0


def test_autoclaim_reply_as_redis_py_returns_it() -> None:
    """redis-py's parsed shapes (dict fields, ``(None, None)`` for deleted) parse alike."""
    six = ["0-0", [("1-1", {"a": "1"}), (None, None)]]
    seven = ["0-0", [("1-1", {"a": "1"})], []]
    assert parse_autoclaim_reply(six).messages == parse_autoclaim_reply(seven).messages
    assert parse_autoclaim_reply(six).vanished == 1
    assert parse_autoclaim_reply(["0-0", []]).messages == []


def test_read_reply_resp2_and_resp3_shapes() -> None:
    """XREADGROUP replies as redis-py returns them for RESP2 and RESP3 give the same messages."""
    entries = [(b"1-0", {b"a": b"1"}), (b"2-0", {b"a": b"2"})]
    expected = [StreamMessage("1-0", {"a": "1"}), StreamMessage("2-0", {"a": "2"})]
    assert parse_read_reply([[b"s", entries]]) == expected
    assert parse_read_reply({b"s": [entries]}) == expected
    assert parse_read_reply({b"s": entries}) == expected
    assert parse_read_reply([]) == [] and parse_read_reply(None) == []

"""The event catalogue is the webhook contract: every type has its payload model, producers
cannot write another one, and docs/events.md lists exactly the catalogue's types."""

from __future__ import annotations

import re
import uuid
from pathlib import Path

import pytest

from myloware.events.catalogue import (
    PAYLOADS,
    EventType,
    RecordPersisted,
    WorkOrderCreated,
    payload_of,
)
from myloware.events.outbox import outbox_row
from myloware.events.webhooks import EVENT_TYPES

DOCS = Path(__file__).resolve().parents[1] / "docs" / "events.md"


def test_every_type_has_a_payload_model_and_webhooks_offer_every_type() -> None:
    """No event type without its model; the webhook subscription list is the catalogue."""
    assert set(PAYLOADS) == set(EventType)
    assert set(EVENT_TYPES) == {t.value for t in EventType}


def test_the_documented_table_lists_the_catalogue_with_its_aggregates() -> None:
    """docs/events.md's table of types names each type once, with the catalogue's aggregate."""
    rows = re.findall(
        r"^\| `([a-z_]+\.[a-z_]+)`\s*\| `(work_order|work_item)`", DOCS.read_text(), re.M
    )
    assert sorted(rows) == sorted((t.value, t.aggregate) for t in EventType)


def test_an_outbox_row_must_carry_the_payload_model_of_its_type() -> None:
    """A producer passing the wrong model fails at once instead of breaking receivers."""
    order_id = uuid.uuid4()
    row = outbox_row(
        EventType.WORK_ORDER_CREATED,
        WorkOrderCreated(work_order_id=order_id, items=2),
        tenant_id=None,
        aggregate_id=order_id,
    )
    assert row["aggregate_type"] == "work_order"
    assert row["payload"] == {"work_order_id": str(order_id), "items": 2}
    with pytest.raises(TypeError, match="carries WorkOrderCreated"):
        outbox_row(
            EventType.WORK_ORDER_CREATED,
            RecordPersisted(record_id=order_id, version=1),
            tenant_id=None,
            aggregate_id=order_id,
        )


def test_a_received_payload_reads_back_as_its_model_and_bad_ones_are_refused() -> None:
    """Consumers get typed payloads; extra fields are kept, missing or unknown ones refused."""
    order_id = uuid.uuid4()
    read = payload_of(
        "work_order.failed",
        {"work_order_id": str(order_id), "completed": 1, "failed": 2, "new_field": "kept"},
    )
    assert read.model_dump()["failed"] == 2 and read.model_extra == {"new_field": "kept"}
    with pytest.raises(ValueError, match="unknown event type"):
        payload_of("work_order.exploded", {})
    with pytest.raises(ValueError):
        payload_of("record.persisted", {"record_id": "not-a-uuid", "version": 1})

"""Writing domain events to the transactional outbox.

Call :func:`record_event` inside the same session/transaction as the state change it
describes; the relay publishes committed rows to the Redis Stream afterwards.
"""

from __future__ import annotations

import uuid
from typing import Any

from sqlalchemy.ext.asyncio import AsyncSession

from myloware.db.models import OutboxEvent
from myloware.events.catalogue import PAYLOADS, EventPayload, EventType


def outbox_row(
    event_type: EventType,
    payload: EventPayload,
    *,
    tenant_id: uuid.UUID | None,
    aggregate_id: uuid.UUID | None,
) -> dict[str, Any]:
    """The column values of one outbox row, with a fresh ``event_id`` — the one place an
    event is made: its payload must be the model its type carries (the catalogue)."""
    expected = PAYLOADS[event_type]
    if type(payload) is not expected:
        raise TypeError(f"{event_type} carries {expected.__name__}, not {type(payload).__name__}")
    return {
        "event_id": uuid.uuid4(),
        "tenant_id": tenant_id,
        "event_type": event_type.value,
        "aggregate_type": event_type.aggregate,
        "aggregate_id": aggregate_id,
        "payload": payload.as_json(),
    }


def record_event(
    session: AsyncSession,
    event_type: EventType,
    payload: EventPayload,
    *,
    tenant_id: uuid.UUID | None,
    aggregate_id: uuid.UUID | None,
) -> uuid.UUID:
    """Stage one outbox row in ``session``; returns the event id consumers deduplicate on.

    Hot paths that already run Core statements insert :func:`outbox_row` themselves and
    skip the ORM flush.
    """
    row = outbox_row(event_type, payload, tenant_id=tenant_id, aggregate_id=aggregate_id)
    session.add(OutboxEvent(**row))
    event_id: uuid.UUID = row["event_id"]
    return event_id

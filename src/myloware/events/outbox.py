"""Writing domain events to the transactional outbox.

Call :func:`record_event` inside the same session/transaction as the state change it
describes; the relay publishes committed rows to the Redis Stream afterwards.
"""

from __future__ import annotations

import uuid
from typing import Any

from sqlalchemy.ext.asyncio import AsyncSession

from myloware.db.models import OutboxEvent


def outbox_row(
    *,
    event_type: str,
    tenant_id: uuid.UUID | None,
    aggregate_type: str,
    aggregate_id: uuid.UUID | None,
    payload: dict[str, Any],
) -> dict[str, Any]:
    """The column values of one outbox row, with a fresh ``event_id``."""
    return {
        "event_id": uuid.uuid4(),
        "tenant_id": tenant_id,
        "event_type": event_type,
        "aggregate_type": aggregate_type,
        "aggregate_id": aggregate_id,
        "payload": payload,
    }


def record_event(
    session: AsyncSession,
    *,
    event_type: str,
    tenant_id: uuid.UUID | None,
    aggregate_type: str,
    aggregate_id: uuid.UUID | None,
    payload: dict[str, Any],
) -> uuid.UUID:
    """Stage one outbox row in ``session``; returns the event id consumers deduplicate on.

    Hot paths that already run Core statements insert :func:`outbox_row` themselves and
    skip the ORM flush.
    """
    row = outbox_row(
        event_type=event_type,
        tenant_id=tenant_id,
        aggregate_type=aggregate_type,
        aggregate_id=aggregate_id,
        payload=payload,
    )
    session.add(OutboxEvent(**row))
    event_id: uuid.UUID = row["event_id"]
    return event_id

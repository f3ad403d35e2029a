"""Writing domain events to the transactional outbox.

Call :func:`record_event` inside the same session/transaction as the state change it
describes; the relay publishes committed rows to the Redis Stream afterwards.
"""

from __future__ import annotations

import uuid
from typing import Any

from sqlalchemy.ext.asyncio import AsyncSession

from myloware.db.models import OutboxEvent


def record_event(
    session: AsyncSession,
    *,
    event_type: str,
    tenant_id: uuid.UUID | None,
    aggregate_type: str,
    aggregate_id: uuid.UUID | None,
    payload: dict[str, Any],
) -> uuid.UUID:
    """Stage one outbox row in ``session``; returns the event id consumers deduplicate on."""
    event_id = uuid.uuid4()
    session.add(
        OutboxEvent(
            event_id=event_id,
            tenant_id=tenant_id,
            event_type=event_type,
            aggregate_type=aggregate_type,
            aggregate_id=aggregate_id,
            payload=payload,
        )
    )
    return event_id

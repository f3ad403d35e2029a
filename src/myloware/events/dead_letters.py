"""Dead letters: events a consumer gave up on, kept for an operator to inspect and replay.

A dead letter's ``payload`` holds the whole event envelope (``Event.model_dump(mode="json")``),
or ``{"stream_id": ..., "fields": {...}}`` for a stream entry that was not a valid event.
:func:`replay` publishes the event again with its original ``event_id``: consumer groups that
already processed it skip it (``processed_events``), the group that dead-lettered it never
recorded it as processed and runs its handler again.
"""

from __future__ import annotations

import uuid
from datetime import UTC, datetime
from typing import Any

from pydantic import ValidationError
from redis.asyncio import Redis
from sqlalchemy import select
from sqlalchemy.ext.asyncio import AsyncSession

from myloware.db.models import DeadLetter
from myloware.errors import ConflictError, NotFoundError, ValidationFailed
from myloware.events.stream import Event, StreamMessage, text


def record_dead_letter(
    session: AsyncSession,
    *,
    source: str,
    event: Event | None,
    message: StreamMessage,
    error: str,
    retry_count: int,
) -> DeadLetter:
    """Stage a dead letter for ``message`` (``event`` is None when it could not be parsed)."""
    payload: dict[str, Any]
    if event is not None:
        payload = event.model_dump(mode="json")
    else:
        payload = {"stream_id": message.id, "fields": message.fields}
    row = DeadLetter(
        tenant_id=event.tenant_id if event else None,
        source=source,
        event_type=event.event_type if event else message.fields.get("event_type", "unknown"),
        event_id=event.event_id if event else None,
        payload=payload,
        error=error,
        retry_count=retry_count,
    )
    session.add(row)
    return row


async def list_dead_letters(
    session: AsyncSession,
    *,
    tenant_id: uuid.UUID | None,
    limit: int = 50,
    offset: int = 0,
    include_processed: bool = False,
) -> list[DeadLetter]:
    """Dead letters, newest first; ``tenant_id=None`` lists every tenant's (operators)."""
    query = select(DeadLetter).order_by(DeadLetter.created_at.desc(), DeadLetter.id)
    if tenant_id is not None:
        query = query.where(DeadLetter.tenant_id == tenant_id)
    if not include_processed:
        query = query.where(DeadLetter.processed_at.is_(None))
    return list((await session.scalars(query.limit(limit).offset(offset))).all())


async def replay(
    session: AsyncSession,
    redis: Redis,
    dead_letter_id: uuid.UUID,
    *,
    tenant_id: uuid.UUID | None,
    stream: str,
) -> str:
    """Publish a dead letter's event again and mark it processed; returns the stream entry id.

    The row is locked until the caller commits, so two concurrent replays cannot both publish.
    Raises NotFoundError (unknown id, or another tenant's), ConflictError (already replayed)
    and ValidationFailed (the dead letter does not hold a valid event).
    """
    row = await session.get(DeadLetter, dead_letter_id, with_for_update=True)
    if row is None or (tenant_id is not None and row.tenant_id != tenant_id):
        raise NotFoundError(f"dead letter {dead_letter_id} not found")
    if row.processed_at is not None:
        raise ConflictError(
            f"dead letter {dead_letter_id} was already replayed at {row.processed_at.isoformat()}"
        )
    try:
        event = Event.model_validate(row.payload)
    except ValidationError:
        raise ValidationFailed(
            f"dead letter {dead_letter_id} does not hold a valid event and cannot be replayed"
        ) from None
    # no MAXLEN: trimming here could drop entries a consumer group has not read yet
    entry_id = await redis.xadd(stream, event.to_fields())  # type: ignore[arg-type]
    row.processed_at = datetime.now(UTC)
    await session.flush()
    return text(entry_id)

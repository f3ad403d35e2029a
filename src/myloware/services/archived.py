"""Reading archived rows back (retention moves old attempts to ``attempts_archive``)."""

from __future__ import annotations

import uuid

from sqlalchemy import text
from sqlalchemy.ext.asyncio import AsyncSession

from myloware.db.models import Attempt

# the archived JSON document as a typed ``attempts`` row (columns added since come back too)
_ATTEMPTS = text(
    "SELECT (jsonb_populate_record(NULL::attempts, row)).* FROM attempts_archive "
    "WHERE tenant_id = :tenant_id AND work_item_id = :work_item_id"
).columns(*Attempt.__table__.columns)


async def archived_attempts(
    session: AsyncSession, *, tenant_id: uuid.UUID, work_item_id: uuid.UUID
) -> list[Attempt]:
    """The item's archived attempts, as (detached, read-only) ``Attempt`` objects."""
    rows = await session.execute(_ATTEMPTS, {"tenant_id": tenant_id, "work_item_id": work_item_id})
    return [Attempt(**row._asdict()) for row in rows]

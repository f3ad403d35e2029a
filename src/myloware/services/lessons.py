"""Forgetting a lesson: the approval of one work item teaches the next extractions no more.

The item's CONTEXT memory doc is marked ``metadata.forgotten`` (who, when), and so are those
of the later items whose values it taught (their ExtractorLLM attempt lists it under
``learned``), and so on: an auto-approved record that only repeats a lesson would otherwise
teach it again. Lessons
(:mod:`myloware.memory.lessons`) and the records shown to a model
(:mod:`myloware.memory.store`) skip it from then on. The record itself, its approval and the
audit trail stay as they are. Audited as ``memory.lesson_forgotten``, like other admin
actions.
"""

from __future__ import annotations

import uuid
from datetime import UTC, datetime

from pydantic import BaseModel
from sqlalchemy import literal, or_, select, update
from sqlalchemy.dialects.postgresql import JSONB
from sqlalchemy.ext.asyncio import AsyncSession

from myloware.auth.principal import Principal
from myloware.db.audit import ClientInfo, record_audit
from myloware.db.base import MemDocType
from myloware.db.models import Attempt, MemDoc, WorkItem
from myloware.errors import NotFoundError


class ForgottenLesson(BaseModel):
    work_item_id: uuid.UUID
    forgotten_by: str
    forgotten_at: datetime
    also_forgotten: list[uuid.UUID] = []  # later items whose values it taught


async def forget_lesson(
    session: AsyncSession,
    *,
    principal: Principal,
    work_item_id: uuid.UUID,
    client: ClientInfo | None = None,
) -> ForgottenLesson:
    """Make the platform forget what the approval of ``work_item_id`` taught (idempotent).
    Another tenant's item, or an unknown one, is a 404."""
    tenant = principal.tenant_id
    exists = await session.scalar(
        select(WorkItem.id).where(WorkItem.tenant_id == tenant, WorkItem.id == work_item_id)
    )
    if exists is None:
        raise NotFoundError(f"work item {work_item_id} not found")
    items = await _taught_by(session, tenant, work_item_id)
    now = datetime.now(UTC)
    mark = {"forgotten": {"by": principal.subject, "at": now.isoformat()}}
    await session.execute(
        update(MemDoc)
        .where(
            MemDoc.tenant_id == tenant,
            MemDoc.work_item_id.in_(items),
            MemDoc.type == MemDocType.CONTEXT,
        )
        .values(metadata_=MemDoc.metadata_.op("||", return_type=JSONB)(literal(mark, JSONB)))
    )
    record_audit(
        session,
        principal=principal,
        tenant_id=tenant,
        action="memory.lesson_forgotten",
        resource_type="work_item",
        resource_id=work_item_id,
        details={"also_forgotten": sorted(str(i) for i in items if i != work_item_id)},
        client=client,
    )
    return ForgottenLesson(
        work_item_id=work_item_id,
        forgotten_by=principal.subject,
        forgotten_at=now,
        also_forgotten=sorted(i for i in items if i != work_item_id),
    )


#: the agents whose attempts list what they learned (AgentName.EXTRACTOR and its model part
#: on the model task queue, EXTRACTOR_MODEL; a layer above)
EXTRACTOR_AGENTS = ("ExtractorLLM", "ExtractorModel")
#: how many generations of taught records are followed (a guard, never reached in practice)
MAX_GENERATIONS = 50


async def _taught_by(
    session: AsyncSession, tenant: uuid.UUID, work_item_id: uuid.UUID
) -> set[uuid.UUID]:
    """``work_item_id`` and every item whose extraction learned from it, transitively."""
    found = {work_item_id}
    frontier = {work_item_id}
    for _ in range(MAX_GENERATIONS):
        if not frontier:
            break
        learned = Attempt.output["learned"]
        rows = await session.scalars(
            select(Attempt.work_item_id).where(
                Attempt.tenant_id == tenant,
                Attempt.agent_id.in_(EXTRACTOR_AGENTS),
                or_(
                    *(
                        learned.contains(literal([{"work_item_id": str(i)}], JSONB))
                        for i in frontier
                    )
                ),
            )
        )
        frontier = set(rows) - found
        found |= frontier
    return found

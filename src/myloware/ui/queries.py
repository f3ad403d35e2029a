"""Tenant-scoped reads the pages need beyond ``services.work_orders`` and ``approvals``.

Every query filters by ``tenant_id``; callers first load the item or order through the
services (which raise ``NotFoundError`` for a foreign id), so these never widen access.
"""

from __future__ import annotations

import uuid
from collections.abc import Sequence
from dataclasses import dataclass, field
from typing import Any

from sqlalchemy import select, text
from sqlalchemy.ext.asyncio import AsyncSession

from myloware.db.base import MemDocType, WorkOrderStatus
from myloware.db.models import (
    ApprovalEvent,
    ApprovalRequest,
    MemDoc,
    Record,
    RecordVersion,
    WorkItem,
)
from myloware.services import order_reads


@dataclass(frozen=True, slots=True)
class LoadedText:
    """The CONTEXT document: its text and layout metadata (``lines``, ``pages`` …)."""

    text: str
    meta: dict[str, Any]


#: per status, counted up to the work-order list's cap (an index range each, not the table)
_STATUS_COUNTS = text(
    "SELECT s::text AS status, (SELECT count(*) FROM (SELECT 1 FROM work_orders w "
    "WHERE w.tenant_id = :tenant_id AND w.status = s LIMIT :count_limit) AS matching) AS n "
    "FROM unnest(enum_range(NULL::work_order_status)) AS s"
)


async def order_status_counts(
    session: AsyncSession, *, tenant_id: uuid.UUID
) -> tuple[dict[str, int], set[str]]:
    """How many of the tenant's work orders are in each status (every status listed), each
    counted up to ``COUNT_CAP`` (:mod:`myloware.services.order_reads`), and the statuses
    whose count stopped there."""
    cap = order_reads.COUNT_CAP
    rows = (
        await session.execute(_STATUS_COUNTS, {"tenant_id": tenant_id, "count_limit": cap + 1})
    ).all()
    counts = {status.value: 0 for status in WorkOrderStatus}
    for status, count in rows:
        counts[str(status)] = min(int(count), cap)
    return counts, {str(status) for status, count in rows if int(count) > cap}


@dataclass(slots=True)
class OrderItems:
    """What an order holds, for the list page: item counts by status and a few names."""

    counts: dict[str, int] = field(default_factory=dict)
    names: list[str] = field(default_factory=list)
    total: int = 0


async def order_items(
    session: AsyncSession, *, tenant_id: uuid.UUID, order_ids: Sequence[uuid.UUID], names: int = 3
) -> dict[uuid.UUID, OrderItems]:
    """Per order, its items' statuses counted and the first ``names`` file names or types."""
    if not order_ids:
        return {}
    rows = await session.execute(
        select(WorkItem.work_order_id, WorkItem.status, WorkItem.filename, WorkItem.type)
        .where(WorkItem.tenant_id == tenant_id, WorkItem.work_order_id.in_(order_ids))
        .order_by(WorkItem.work_order_id, WorkItem.position)
    )
    out: dict[uuid.UUID, OrderItems] = {}
    for order_id, status, filename, type_ in rows.all():
        entry = out.setdefault(order_id, OrderItems())
        entry.counts[status.value] = entry.counts.get(status.value, 0) + 1
        entry.total += 1
        if len(entry.names) < names:
            entry.names.append(filename or (type_.value if type_ else "text"))
    return out


async def items_by_id(
    session: AsyncSession, *, tenant_id: uuid.UUID, ids: Sequence[uuid.UUID]
) -> dict[uuid.UUID, WorkItem]:
    if not ids:
        return {}
    rows = await session.scalars(
        select(WorkItem).where(WorkItem.tenant_id == tenant_id, WorkItem.id.in_(ids))
    )
    return {row.id: row for row in rows.all()}


async def context_document(
    session: AsyncSession, *, tenant_id: uuid.UUID, work_item_id: uuid.UUID
) -> LoadedText | None:
    row = (
        await session.execute(
            select(MemDoc.content, MemDoc.metadata_).where(
                MemDoc.tenant_id == tenant_id,
                MemDoc.work_item_id == work_item_id,
                MemDoc.type == MemDocType.CONTEXT,
            )
        )
    ).first()
    return None if row is None else LoadedText(text=row[0], meta=dict(row[1] or {}))


async def record_versions(
    session: AsyncSession, *, tenant_id: uuid.UUID, work_item_id: uuid.UUID
) -> Sequence[RecordVersion]:
    """The item's record versions, oldest first (empty before the Persister ran)."""
    return (
        await session.scalars(
            select(RecordVersion)
            .join(Record, Record.id == RecordVersion.record_id)
            .where(Record.tenant_id == tenant_id, Record.work_item_id == work_item_id)
            .order_by(RecordVersion.version)
        )
    ).all()


async def approval_requests(
    session: AsyncSession, *, tenant_id: uuid.UUID, work_item_id: uuid.UUID
) -> Sequence[ApprovalRequest]:
    return (
        await session.scalars(
            select(ApprovalRequest)
            .where(
                ApprovalRequest.tenant_id == tenant_id,
                ApprovalRequest.work_item_id == work_item_id,
            )
            .order_by(ApprovalRequest.created_at)
        )
    ).all()


async def approval_events(
    session: AsyncSession, *, tenant_id: uuid.UUID, work_item_id: uuid.UUID
) -> Sequence[ApprovalEvent]:
    return (
        await session.scalars(
            select(ApprovalEvent)
            .where(ApprovalEvent.tenant_id == tenant_id, ApprovalEvent.work_item_id == work_item_id)
            .order_by(ApprovalEvent.timestamp)
        )
    ).all()

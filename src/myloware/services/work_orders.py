"""Work order use cases. Every query is scoped by tenant: a foreign id is simply not found."""

from __future__ import annotations

import re
import uuid
from collections.abc import Callable, Sequence

from sqlalchemy import String, cast, delete, select
from sqlalchemy.exc import IntegrityError
from sqlalchemy.ext.asyncio import AsyncSession

from myloware.auth.principal import Principal
from myloware.contracts import workflow_id_for
from myloware.db.audit import ClientInfo, record_audit
from myloware.db.base import WorkOrderStatus
from myloware.db.models import Attempt, EvalResult, WorkItem, WorkOrder
from myloware.errors import NotFoundError, ValidationFailed
from myloware.events.catalogue import EventType, WorkOrderCreated
from myloware.events.outbox import record_event
from myloware.services.archived import archived_attempts
from myloware.services.schemas import WorkOrderCreate


async def find_by_idempotency_key(
    session: AsyncSession, *, tenant_id: uuid.UUID, key: str
) -> WorkOrder | None:
    return await session.scalar(
        select(WorkOrder).where(WorkOrder.tenant_id == tenant_id, WorkOrder.idempotency_key == key)
    )


async def create_work_order(
    session: AsyncSession,
    *,
    principal: Principal,
    payload: WorkOrderCreate,
    idempotency_key: str | None = None,
    client: ClientInfo | None = None,
    items_extra: Sequence[dict[str, str | None]] | None = None,
    linked: Callable[[uuid.UUID], Sequence[object]] | None = None,
) -> tuple[WorkOrder, bool]:
    """Stage the order, its items, an outbox event and an audit row in the caller's
    transaction (with ``linked(order_id)``'s rows: what the caller records about the new
    order); the caller commits, then starts the workflow.

    Returns ``(order, created)``; with an ``idempotency_key`` already used by this tenant the
    existing order comes back with ``created=False`` and nothing is written.
    """
    if idempotency_key:
        existing = await find_by_idempotency_key(
            session, tenant_id=principal.tenant_id, key=idempotency_key
        )
        if existing is not None:
            return existing, False
    order_id = uuid.uuid4()
    order = WorkOrder(
        id=order_id,
        tenant_id=principal.tenant_id,
        status=WorkOrderStatus.PENDING,
        priority=payload.priority,
        metadata_=payload.metadata,
        workflow_id=workflow_id_for(order_id),
        created_by=principal.subject,
        idempotency_key=idempotency_key,
    )
    try:
        # a savepoint: a concurrent order with the same idempotency key makes only this part
        # fail, and the caller's transaction goes on with the order that won
        async with session.begin_nested():
            session.add(order)
            await session.flush()  # the items' foreign key needs the order row first
            for position, item in enumerate(payload.work_items):
                extra = items_extra[position] if items_extra else {}
                session.add(
                    WorkItem(
                        tenant_id=principal.tenant_id,
                        work_order_id=order_id,
                        position=position,
                        type=item.type,
                        content=item.content,
                        filename=item.filename or extra.get("filename"),
                        media_type=extra.get("media_type"),
                        blob_ref=extra.get("blob_ref"),
                    )
                )
            if linked is not None:
                session.add_all(linked(order_id))
            record_event(
                session,
                EventType.WORK_ORDER_CREATED,
                WorkOrderCreated(work_order_id=order_id, items=len(payload.work_items)),
                tenant_id=principal.tenant_id,
                aggregate_id=order_id,
            )
            record_audit(
                session,
                principal=principal,
                tenant_id=principal.tenant_id,
                action="work_order.create",
                resource_type="work_order",
                resource_id=order_id,
                details={"items": len(payload.work_items), "priority": payload.priority.value},
                client=client,
            )
    except IntegrityError:
        if idempotency_key:
            existing = await find_by_idempotency_key(
                session, tenant_id=principal.tenant_id, key=idempotency_key
            )
            if existing is not None:
                return existing, False
        raise
    return order, True


async def get_work_order(
    session: AsyncSession, *, tenant_id: uuid.UUID, work_order_id: uuid.UUID
) -> WorkOrder:
    order = await session.scalar(
        select(WorkOrder).where(WorkOrder.id == work_order_id, WorkOrder.tenant_id == tenant_id)
    )
    if order is None:
        raise NotFoundError(f"work order {work_order_id} not found")
    return order


#: the shortest id prefix a person may name an order by (as the UI shows ids: 8 characters)
MIN_PREFIX = 4
ID_PREFIX_RE = re.compile(rf"[0-9a-f-]{{{MIN_PREFIX},36}}")


async def find_work_order(session: AsyncSession, *, tenant_id: uuid.UUID, ref: str) -> WorkOrder:
    """The tenant's work order whose id is ``ref`` or starts with it (case-insensitive);
    ``ValidationFailed`` for a malformed or ambiguous prefix, ``NotFoundError`` for none."""
    prefix = ref.strip().lower()
    if not ID_PREFIX_RE.fullmatch(prefix):
        raise ValidationFailed(
            f"name a work order by its id or the first {MIN_PREFIX}+ characters of it"
        )
    found = (
        await session.scalars(
            select(WorkOrder)
            .where(
                WorkOrder.tenant_id == tenant_id,
                cast(WorkOrder.id, String).startswith(prefix, autoescape=True),
            )
            .limit(2)
        )
    ).all()
    if not found:
        raise NotFoundError(f"no work order {prefix}")
    if len(found) > 1:
        raise ValidationFailed(f"several work orders start with {prefix}: give more of the id")
    return found[0]


async def list_work_items(
    session: AsyncSession, *, tenant_id: uuid.UUID, work_order_id: uuid.UUID
) -> Sequence[WorkItem]:
    items = (
        await session.scalars(
            select(WorkItem)
            .where(WorkItem.work_order_id == work_order_id, WorkItem.tenant_id == tenant_id)
            .order_by(WorkItem.position)
        )
    ).all()
    if not items:  # no order of the tenant's, or one without items (404 or an empty list)
        await get_work_order(session, tenant_id=tenant_id, work_order_id=work_order_id)
    return items


async def get_work_item(
    session: AsyncSession, *, tenant_id: uuid.UUID, work_item_id: uuid.UUID
) -> WorkItem:
    item = await session.scalar(
        select(WorkItem).where(WorkItem.id == work_item_id, WorkItem.tenant_id == tenant_id)
    )
    if item is None:
        raise NotFoundError(f"work item {work_item_id} not found")
    return item


async def list_attempts(
    session: AsyncSession, *, tenant_id: uuid.UUID, work_item_id: uuid.UUID
) -> Sequence[Attempt]:
    """The item's attempts in order, archived ones (retention) included."""
    await get_work_item(session, tenant_id=tenant_id, work_item_id=work_item_id)
    live = (
        await session.scalars(
            select(Attempt).where(
                Attempt.work_item_id == work_item_id, Attempt.tenant_id == tenant_id
            )
        )
    ).all()
    archived = await archived_attempts(session, tenant_id=tenant_id, work_item_id=work_item_id)
    return sorted([*live, *archived], key=lambda a: (a.started_at, a.attempt_number))


async def list_evaluations(
    session: AsyncSession, *, tenant_id: uuid.UUID, work_item_id: uuid.UUID
) -> Sequence[EvalResult]:
    await get_work_item(session, tenant_id=tenant_id, work_item_id=work_item_id)
    return (
        await session.scalars(
            select(EvalResult)
            .where(EvalResult.work_item_id == work_item_id, EvalResult.tenant_id == tenant_id)
            .order_by(EvalResult.created_at)
        )
    ).all()


async def add_evaluation(
    session: AsyncSession,
    *,
    principal: Principal,
    work_item_id: uuid.UUID,
    evaluation_type: str,
    score: float,
    passed: bool,
    metrics: dict[str, object],
) -> EvalResult:
    """Stage one evaluation of an item (one row per item and type: a repeat replaces it);
    the caller commits."""
    await get_work_item(session, tenant_id=principal.tenant_id, work_item_id=work_item_id)
    await session.execute(
        delete(EvalResult).where(
            EvalResult.work_item_id == work_item_id, EvalResult.evaluation_type == evaluation_type
        )
    )
    row = EvalResult(
        tenant_id=principal.tenant_id,
        work_item_id=work_item_id,
        evaluation_type=evaluation_type,
        score=round(score, 2),
        passed=passed,
        metrics=metrics,
    )
    session.add(row)
    record_audit(
        session,
        principal=principal,
        tenant_id=principal.tenant_id,
        action="evaluation.store",
        resource_type="work_item",
        resource_id=work_item_id,
        details={"evaluation_type": evaluation_type, "score": round(score, 2)},
    )
    return row

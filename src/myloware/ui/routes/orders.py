"""/ui — the work orders list — and /ui/work-orders/{id}, one order with its items."""

from __future__ import annotations

import uuid
from datetime import UTC, datetime
from typing import Annotated, TypeVar

from fastapi import APIRouter, Query, Request
from fastapi.responses import Response

from myloware.db.base import Priority, WorkItemStatus, WorkOrderStatus
from myloware.services import costs, order_reads
from myloware.services import work_orders as svc
from myloware.services.schemas import WorkOrderOut
from myloware.ui import queries
from myloware.ui.deps import UiReader, UiRoute
from myloware.ui.rendering import render
from myloware.web.deps import ReadConnectionDep, SessionDep

router = APIRouter(route_class=UiRoute, include_in_schema=False)

PAGE_SIZE = 25
ACTIVE_ORDER = {
    WorkOrderStatus.PENDING,
    WorkOrderStatus.PROCESSING,
    WorkOrderStatus.AWAITING_APPROVAL,
}
ACTIVE_ITEM = {WorkItemStatus.QUEUED, WorkItemStatus.PROCESSING}


E = TypeVar("E", WorkOrderStatus, Priority)


def _choice(enum: type[E], value: str | None) -> E | None:
    """The enum member named by a query parameter; unknown or empty values mean no filter."""
    try:
        return enum(value) if value else None
    except ValueError:
        return None


@router.get("/")
async def list_orders(
    request: Request,
    principal: UiReader,
    session: SessionDep,
    pg: ReadConnectionDep,
    status: str | None = None,
    priority: str | None = None,
    page: Annotated[int, Query(ge=1, le=100_000)] = 1,
) -> Response:
    status_ = _choice(WorkOrderStatus, status)
    priority_ = _choice(Priority, priority)
    # the API's list (one SQL read, the count capped at order_reads.COUNT_CAP)
    found = await order_reads.list_orders(
        pg,
        tenant_id=principal.tenant_id,
        status=status_,
        priority=priority_,
        limit=PAGE_SIZE,
        offset=(page - 1) * PAGE_SIZE,
    )
    rows = [WorkOrderOut.model_validate(r) for r in found.rows]
    total, exact = found.total, found.exact
    counts, capped = await queries.order_status_counts(session, tenant_id=principal.tenant_id)
    items = await queries.order_items(
        session, tenant_id=principal.tenant_id, order_ids=[r.id for r in rows]
    )
    pages = max(1, -(-total // PAGE_SIZE))
    return render(
        request,
        "orders.html",
        {
            "orders": rows,
            "items": items,
            "counts": counts,
            "capped": capped,
            "total": total,
            "total_exact": exact,
            "page": page,
            "pages": pages,
            "status": status_.value if status_ else "",
            "priority": priority_.value if priority_ else "",
            "statuses": [s.value for s in WorkOrderStatus],
            "priorities": [p.value for p in Priority],
            "live": "orders",
            "refresh": 10
            if counts["PENDING"] or counts["PROCESSING"] or counts["AWAITING_APPROVAL"]
            else None,
        },
    )


@router.get("/work-orders/{work_order_id}")
async def order_detail(
    request: Request, work_order_id: uuid.UUID, principal: UiReader, session: SessionDep
) -> Response:
    order = await svc.get_work_order(
        session, tenant_id=principal.tenant_id, work_order_id=work_order_id
    )
    items = await svc.list_work_items(
        session, tenant_id=principal.tenant_id, work_order_id=work_order_id
    )
    item_costs, order_cost = await costs.order_costs(
        session, tenant_id=principal.tenant_id, work_order_id=work_order_id
    )
    moving = any(i.status in ACTIVE_ITEM for i in items)
    waiting = any(i.status is WorkItemStatus.AWAITING_APPROVAL for i in items)
    ends = [i.processed_at for i in items if i.processed_at]
    finished = order.status not in ACTIVE_ORDER and ends
    elapsed = ((max(ends) if finished else datetime.now(UTC)) - order.created_at).total_seconds()
    return render(
        request,
        "order.html",
        {
            "order": order,
            "items": items,
            "elapsed": elapsed,
            "item_costs": item_costs,
            "order_cost": order_cost,
            "live": "order",
            "live_order": order.id,
            "refresh": 2 if moving else 15 if waiting else None,
        },
    )

"""/ui/approvals — what waits for a person, with its age, the time left on its SLA and, for
invoices, the vendor and total it waits with."""

from __future__ import annotations

from typing import Annotated

from fastapi import APIRouter, Query, Request
from fastapi.responses import Response

from myloware.services import approvals as svc
from myloware.ui import queries
from myloware.ui.deps import UiReader, UiRoute, may_decide
from myloware.ui.rendering import render
from myloware.web.deps import SessionDep

router = APIRouter(route_class=UiRoute, include_in_schema=False)

PAGE_SIZE = 50


@router.get("/approvals")
async def pending_approvals(
    request: Request,
    principal: UiReader,
    session: SessionDep,
    group: Annotated[str | None, Query(max_length=255)] = None,
    page: Annotated[int, Query(ge=1, le=100_000)] = 1,
) -> Response:
    rows = await svc.list_pending(
        session,
        tenant_id=principal.tenant_id,
        group=group or None,
        limit=PAGE_SIZE + 1,
        offset=(page - 1) * PAGE_SIZE,
    )
    items = await queries.items_by_id(
        session, tenant_id=principal.tenant_id, ids=[r.work_item_id for r in rows]
    )
    records = await svc.waiting_records(
        session, tenant_id=principal.tenant_id, work_item_ids=[r.work_item_id for r in rows]
    )
    pending = [
        {
            "request": r,
            "item": items.get(r.work_item_id),
            "values": svc.record_values(records.get(r.work_item_id))[1],
            "mine": may_decide(principal, r.approver_group),
            **svc.age_and_sla(r),
        }
        for r in rows[:PAGE_SIZE]
    ]
    return render(
        request,
        "approvals.html",
        {
            "pending": pending,
            "group": group or "",
            "page": page,
            "has_next": len(rows) > PAGE_SIZE,
            "live": "approvals",
            "refresh": 30,
        },
    )

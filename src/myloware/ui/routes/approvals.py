"""/ui/approvals — what waits for a person, made for deciding: each item's document type,
vendor, total and date, the reason in the rule's own words (the engine's explanation one
click away) and the time left on its SLA; sorted and filtered by SLA, group, vendor or
document type; several items may be approved at once (``POST /ui/approvals/approve``), each
through ``services.approvals.submit_decision`` like a single decision, audited on its own."""

from __future__ import annotations

import uuid
from typing import Annotated, Any, Literal

from fastapi import APIRouter, Query, Request
from fastapi.responses import Response
from pydantic import ValidationError

from myloware.auth.principal import Principal
from myloware.errors import ConflictError, ForbiddenError, NotFoundError, ValidationFailed
from myloware.services import approvals as svc
from myloware.services.schemas import ApprovalIn
from myloware.ui import queries
from myloware.ui.deps import UiReader, UiRoute, may_decide
from myloware.ui.rendering import error_page, render
from myloware.ui.session import CSRF_FIELD, csrf_ok
from myloware.web.deps import SessionDep, StateDep, client_info
from myloware.web.temporal import temporal_client

router = APIRouter(route_class=UiRoute, include_in_schema=False)

PAGE_SIZE = 50
Sort = Literal["due", "group", "vendor", "type"]
SORT_LABELS = {"due": "time left", "group": "group", "vendor": "vendor", "type": "document type"}


async def queue_context(
    session: SessionDep,
    principal: Principal,
    *,
    group: str,
    vendor: str,
    document_type: str,
    sort: str,
    page: int,
) -> dict[str, Any]:
    rows = await svc.list_pending(
        session,
        tenant_id=principal.tenant_id,
        group=group or None,
        vendor=vendor or None,
        document_type=document_type or None,
        sort=sort,
        limit=PAGE_SIZE + 1,
        offset=(page - 1) * PAGE_SIZE,
    )
    items = await queries.items_by_id(
        session, tenant_id=principal.tenant_id, ids=[r.work_item_id for r in rows]
    )
    records = await svc.waiting_records(
        session, tenant_id=principal.tenant_id, work_item_ids=[r.work_item_id for r in rows]
    )
    pending = []
    for r in rows[:PAGE_SIZE]:
        item = items.get(r.work_item_id)
        doc_type, values = svc.record_values(records.get(r.work_item_id))
        if doc_type is None and item is not None and item.type is not None:
            doc_type = item.type.value
        pending.append(
            {
                "request": r,
                "item": item,
                "values": values,
                "document_type": doc_type,
                "date": svc.record_date(values),
                "reason": svc.plain_reason(r),
                "mine": may_decide(principal, r.approver_group),
                **svc.age_and_sla(r),
            }
        )
    filters = {"group": group, "vendor": vendor, "document_type": document_type}
    if sort != "due":
        filters["sort"] = sort
    return {
        "pending": pending,
        **filters,
        "sort": sort,
        "sorts": SORT_LABELS,
        "query": {k: v for k, v in filters.items() if v},
        "page": page,
        "has_next": len(rows) > PAGE_SIZE,
        "any_mine": any(p["mine"] for p in pending),
    }


@router.get("/approvals")
async def pending_approvals(
    request: Request,
    principal: UiReader,
    session: SessionDep,
    group: Annotated[str | None, Query(max_length=255)] = None,
    vendor: Annotated[str | None, Query(max_length=255)] = None,
    document_type: Annotated[str | None, Query(max_length=50)] = None,
    sort: Sort = "due",
    page: Annotated[int, Query(ge=1, le=100_000)] = 1,
) -> Response:
    context = await queue_context(
        session,
        principal,
        group=group or "",
        vendor=vendor or "",
        document_type=document_type or "",
        sort=sort,
        page=page,
    )
    return render(request, "approvals.html", {**context, "live": "approvals", "refresh": 30})


def _parse_choice(value: str) -> tuple[uuid.UUID, uuid.UUID, int]:
    """A checkbox's value: ``<work item id>:<request id>:<tier>``, what the row showed."""
    item, request_id, tier = value.split(":")
    return uuid.UUID(item), uuid.UUID(request_id), int(tier)


@router.post("/approvals/approve")
async def approve_selected(
    request: Request,
    principal: UiReader,
    session: SessionDep,
    state: StateDep,
) -> Response:
    """Approve every chosen item, one decision each; refusals are reported per item and do
    not stop the others. A request escalated since the page was shown is refused (the tier
    it showed no longer waits), as on the item page."""
    form = await request.form()
    if not csrf_ok(state.settings, request.state.ui_session, form.get(CSRF_FIELD)):
        return error_page(request, 403, "Refused", "The form's CSRF token is missing or wrong.")
    chosen = [str(v) for v in form.getlist("item")][:PAGE_SIZE]
    temporal = await temporal_client(state)
    results: list[dict[str, Any]] = []
    for value in chosen:
        try:
            work_item_id, request_id, tier = _parse_choice(value)
            decision = ApprovalIn.model_validate(
                {
                    "work_item_id": work_item_id,
                    "decision": "APPROVED",
                    "request_id": request_id,
                    "tier": tier,
                }
            )
        except (ValueError, ValidationError):
            results.append({"id": value[:36], "ok": False, "message": "not an item of the list"})
            continue
        try:
            await svc.submit_decision(
                session,
                temporal,
                principal=principal,
                decision=decision,
                client=client_info(request),
            )
        except NotFoundError:
            await session.rollback()
            results.append({"id": str(work_item_id), "ok": False, "message": "not found"})
            continue
        except (ConflictError, ForbiddenError, ValidationFailed) as exc:
            await session.rollback()
            results.append({"id": str(work_item_id), "ok": False, "message": exc.message})
            continue
        results.append({"id": str(work_item_id), "ok": True, "message": "approved"})
    context = await queue_context(
        session,
        principal,
        group=str(form.get("group") or "")[:255],
        vendor=str(form.get("vendor") or "")[:255],
        document_type=str(form.get("document_type") or "")[:50],
        sort=str(form.get("sort") or "due") if form.get("sort") in SORT_LABELS else "due",
        page=1,
    )
    context["results"] = results
    context["approved"] = sum(1 for r in results if r["ok"])
    # nothing chosen is known here (another tenant's ids, say): answered as not found
    unknown = bool(results) and all(r["message"] == "not found" for r in results)
    return render(request, "approvals.html", context, status_code=404 if unknown else 200)

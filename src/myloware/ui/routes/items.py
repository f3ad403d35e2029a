"""/ui/work-items/{id} — one document's journey: agents, fields and sources, governance."""

from __future__ import annotations

import uuid
from typing import Any

from fastapi import APIRouter, Request
from fastapi.responses import Response
from sqlalchemy.ext.asyncio import AsyncSession

from myloware.agents.names import AgentName
from myloware.auth.principal import Principal
from myloware.db.base import WorkItemStatus
from myloware.db.models import ApprovalRequestStatus
from myloware.services import approvals as approval_svc
from myloware.services import memory, schemas_registry
from myloware.services import pages as page_svc
from myloware.services import work_orders as svc
from myloware.ui import queries, stages, trace, viewer
from myloware.ui.corrections import correction_form
from myloware.ui.deps import UiReader, UiRoute, may_decide
from myloware.ui.rendering import render
from myloware.web.deps import SessionDep, get_state
from myloware.web.pictures import page_response

router = APIRouter(route_class=UiRoute, include_in_schema=False)

SIMILAR_SHOWN = 5
ACTIVE = {WorkItemStatus.QUEUED, WorkItemStatus.PROCESSING}
NOTICES = {
    "APPROVED": "Approved — the workflow resumes.",
    "REJECTED": "Rejected — the item ends REJECTED with your reason.",
    "ESCALATED": "Escalated to the next tier.",
}


async def trace_context(
    request: Request, session: AsyncSession, principal: Principal, work_item_id: uuid.UUID
) -> dict[str, Any]:
    """Everything the trace page shows, read with the principal's tenant."""
    tenant = principal.tenant_id
    state = get_state(request)
    found = await page_svc.item_pages(
        session, state.blobs, state.pages, tenant_id=tenant, work_item_id=work_item_id
    )
    item = found.item
    attempts = await svc.list_attempts(session, tenant_id=tenant, work_item_id=item.id)
    evals = await svc.list_evaluations(session, tenant_id=tenant, work_item_id=item.id)
    doc = await queries.context_document(session, tenant_id=tenant, work_item_id=item.id)
    versions = await queries.record_versions(session, tenant_id=tenant, work_item_id=item.id)
    requests = await queries.approval_requests(session, tenant_id=tenant, work_item_id=item.id)
    events = await queries.approval_events(session, tenant_id=tenant, work_item_id=item.id)
    similar = await memory.similar_if_indexed(
        session, tenant_id=tenant, work_item_id=item.id, limit=SIMILAR_SHOWN
    )

    result = item.result or {}
    record, record_source = trace.pick_record(versions, attempts)
    text = doc.text if doc else ""
    extracted = trace.pick_stage_output(attempts, AgentName.RESTYLER)
    fields = trace.field_rows(record, trace.corrected_fields(events), len(text), extracted)
    spans = {f.name: f.span for f in fields if f.span}
    view = viewer.assemble(found, fields, doc.meta if doc else {}, record_source)
    pending = next((r for r in requests if r.status is ApprovalRequestStatus.PENDING), None)
    can_decide = (
        item.status is WorkItemStatus.AWAITING_APPROVAL
        and pending is not None
        and may_decide(principal, pending.approver_group)
    )
    corrections = trace.pick_stage_output(attempts, "ApplyCorrections") or {}
    queue_prev, queue_next = await approval_svc.neighbours(
        session, tenant_id=tenant, work_item_id=item.id
    )
    form = None
    if can_decide and item.type is not None:
        values = {
            name: fv.get("value") if isinstance(fv, dict) else fv
            for name, fv in ((record or {}).get("fields") or {}).items()
        }
        schema = await schemas_registry.active_definition(session, item.type)
        form = correction_form(schema, values)
    stage_costs, total_cost = stages.stage_costs(attempts)
    return {
        "item": item,
        "extractor": stages.extractor_answer(attempts),
        "stage_costs": stage_costs,
        "total_cost": total_cost,
        "fields": fields,
        "record_source": record_source,
        "record_origin": trace.record_origin(record),
        "segments": trace.segments(text, spans, trace.page_starts(doc.meta)) if doc else [],
        "doc": doc,
        "view": view,
        "doc_truncated": len(text) > trace.MAX_DOCUMENT_CHARS,
        "max_doc_chars": trace.MAX_DOCUMENT_CHARS,
        "steps": trace.timeline(attempts, requests, events),
        "agents": sorted({a.agent_id for a in attempts}),
        "validation": result.get("validation")
        or corrections.get("validation")
        or trace.pick_stage_output(attempts, AgentName.SCHEMA_GUARD),
        "decision": result.get("decision") or trace.pick_stage_output(attempts, AgentName.POLICY),
        "template": trace.pick_template(attempts, result),
        "verification": result.get("verification")
        or trace.pick_stage_output(attempts, AgentName.VERIFIER),
        "evals": evals,
        "requests": requests,
        "events": events,
        "pending": pending,
        "can_decide": can_decide,
        "queue_prev": queue_prev,  # the waiting items around this one (keys k/p and j/n)
        "queue_next": queue_next,
        "form": form,
        "versions": trace.version_rows(versions),
        "live": "item",
        "live_item": item.id,
        "live_order": item.work_order_id,
        "refresh": 2 if item.status in ACTIVE else None,
        "entered": {},  # what a refused form had, to fill it in again
        "fixing": False,
        "similar": similar,
        "memory_on": state.embedder is not None,
    }


@router.get("/work-items/{work_item_id}")
async def item_trace(
    request: Request,
    work_item_id: uuid.UUID,
    principal: UiReader,
    session: SessionDep,
    done: str | None = None,
) -> Response:
    context = await trace_context(request, session, principal, work_item_id)
    context["notice"] = NOTICES.get(done or "")
    return render(request, "item.html", context)


@router.get("/work-items/{work_item_id}/pages/{number}")
async def item_page(
    request: Request,
    work_item_id: uuid.UUID,
    number: int,
    principal: UiReader,
    session: SessionDep,
) -> Response:
    """A page picture for the viewer: the API's answer, signed in by the UI's session."""
    state = get_state(request)
    found = await page_svc.item_pages(
        session, state.blobs, state.pages, tenant_id=principal.tenant_id, work_item_id=work_item_id
    )
    return await page_response(request, state.blobs, state.pages, found, number)

"""POST /ui/work-items/{id}/decision — approve, reject or escalate from the trace page.

The form goes through ``services.approvals.submit_decision``, the same path as the API, so
the workflow's refusals (409 already decided, 403 wrong group, 422 bad corrections) come
back as messages on the re-rendered page with the matching status code. Rejecting and
escalating need a reason (``ApprovalIn`` refuses a blank one): the form marks it required,
with Approve submitting without it (``formnovalidate``), and the server checks it again.
"""

from __future__ import annotations

import uuid

from fastapi import APIRouter, Request
from fastapi.responses import RedirectResponse, Response
from pydantic import ValidationError
from starlette.datastructures import FormData

from myloware.auth.principal import Principal
from myloware.errors import ConflictError, ForbiddenError, MylowareError, ValidationFailed
from myloware.services import approvals
from myloware.services.schemas import ApprovalIn
from myloware.ui.corrections import corrections_from_form, entered_keys
from myloware.ui.deps import UiReader, UiRoute
from myloware.ui.rendering import error_page, render
from myloware.ui.routes.items import trace_context
from myloware.ui.session import CSRF_FIELD, csrf_ok
from myloware.web.deps import SessionDep, StateDep, client_info
from myloware.web.temporal import temporal_client

router = APIRouter(route_class=UiRoute, include_in_schema=False)

VERBS = {"REJECTED": "reject", "ESCALATED": "escalate"}  # the decisions that need a reason
REFUSAL_STATUS: list[tuple[type[MylowareError], int]] = [
    (ConflictError, 409),
    (ForbiddenError, 403),
    (ValidationFailed, 422),
]


def decision_from_form(work_item_id: uuid.UUID, form: FormData) -> ApprovalIn:
    """The form as the API's ``ApprovalIn``; blank correction inputs and unchanged line-item
    tables are left out (``ui.corrections``)."""
    corrections = corrections_from_form(form)
    reason = str(form.get("reason") or "").strip()
    return ApprovalIn.model_validate(
        {
            "work_item_id": work_item_id,
            "decision": str(form.get("decision") or ""),
            "reason": reason or None,
            "corrections": corrections or None,
            # what the page showed: a tier escalated since is refused, not decided blindly
            "request_id": form.get("request_id") or None,
            "tier": form.get("tier") or None,
        }
    )


def _form_problem(form: FormData) -> str:
    """What is wrong with a form ``ApprovalIn`` refused, in a sentence for its sender."""
    decision = form.get("decision")
    if decision in VERBS and not str(form.get("reason") or "").strip():
        return (
            f"Write a reason to {VERBS[decision]}: it is kept in the audit trail and shown "
            "with the item."
        )
    return "Choose Approve, Reject or Escalate (a reason has at most 4000 characters)."


def _entered(form: FormData) -> dict[str, str]:
    """What the person typed, to put back into the form after a refusal."""
    return {
        key: value
        for key, value in form.multi_items()
        if isinstance(value, str) and entered_keys(key)
    }


def _refusal(exc: MylowareError) -> tuple[int, str]:
    status = next((s for cls, s in REFUSAL_STATUS if isinstance(exc, cls)), 409)
    errors = exc.details.get("errors") if exc.details else None
    extra = []
    if isinstance(errors, list):
        for error in errors:
            text = str(error.get("message", error)) if isinstance(error, dict) else str(error)
            if text and text not in exc.message:
                extra.append(text)
    return status, "; ".join([exc.message, *extra])


@router.post("/work-items/{work_item_id}/decision")
async def decide(
    request: Request,
    work_item_id: uuid.UUID,
    principal: UiReader,  # a refusal re-renders the trace: that needs read access
    session: SessionDep,
    state: StateDep,
) -> Response:
    form = await request.form()
    if not csrf_ok(state.settings, request.state.ui_session, form.get(CSRF_FIELD)):
        return error_page(request, 403, "Refused", "The form's CSRF token is missing or wrong.")
    try:
        decision = decision_from_form(work_item_id, form)
    except ValidationError:
        return await _page_with_problem(
            request, session, principal, work_item_id, 422, _form_problem(form), _entered(form)
        )
    try:
        outcome = await approvals.submit_decision(
            session,
            await temporal_client(state),
            principal=principal,
            decision=decision,
            client=client_info(request),
        )
    except (ConflictError, ForbiddenError, ValidationFailed) as exc:
        status, message = _refusal(exc)
        await session.rollback()
        return await _page_with_problem(
            request, session, principal, work_item_id, status, message, _entered(form)
        )
    return RedirectResponse(f"/ui/work-items/{work_item_id}?done={outcome.decision}", 303)


async def _page_with_problem(
    request: Request,
    session: SessionDep,
    principal: Principal,
    work_item_id: uuid.UUID,
    status: int,
    problem: str,
    entered: dict[str, str],
) -> Response:
    context = await trace_context(request, session, principal, work_item_id)
    context["problem"] = problem
    context["entered"] = entered
    context["fixing"] = any(key != "reason" and value for key, value in entered.items())
    return render(request, "item.html", context, status_code=status)

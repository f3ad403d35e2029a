"""Human decisions on work items waiting for approval, and the list of what is waiting.

Every channel (API, CLI, Slack, UI) goes through :func:`submit_decision`: it checks the
principal may decide for the tenant, finds the item's workflow and delivers the decision as
the workflow's ``decide`` update. The workflow makes exactly one decision win; this module
translates its refusals into our errors (409 conflict, 403 wrong group, 422 bad corrections).
"""

from __future__ import annotations

import math
import uuid
from collections.abc import Collection, Sequence
from datetime import UTC, datetime
from typing import Any

from sqlalchemy import Select, String, cast, func, select
from sqlalchemy.dialects.postgresql import distinct_on
from sqlalchemy.ext.asyncio import AsyncSession
from temporalio.client import Client, WorkflowUpdateFailedError
from temporalio.exceptions import ApplicationError
from temporalio.service import RPCError

from myloware.auth.principal import Capability, Principal
from myloware.contracts import DecisionOutcome, HumanDecision, work_item_workflow_id
from myloware.db.audit import ClientInfo
from myloware.db.base import AttemptStatus, WorkItemStatus
from myloware.db.models import (
    ApprovalEvent,
    ApprovalRequest,
    ApprovalRequestStatus,
    Attempt,
    WorkItem,
)
from myloware.errors import ConflictError, ForbiddenError, MylowareError, ValidationFailed
from myloware.services.schemas import ApprovalIn
from myloware.services.work_orders import get_work_item

REFUSALS: dict[str, type[MylowareError]] = {
    "ApprovalConflict": ConflictError,
    "ApprovalForbidden": ForbiddenError,
    "ApprovalInvalid": ValidationFailed,
    "CorrectionsInvalid": ValidationFailed,
}


async def submit_decision(
    session: AsyncSession,
    temporal: Client,
    *,
    principal: Principal,
    decision: ApprovalIn,
    client: ClientInfo | None = None,
) -> DecisionOutcome:
    principal.require(Capability.APPROVALS_DECIDE)
    item = await get_work_item(
        session, tenant_id=principal.tenant_id, work_item_id=decision.work_item_id
    )
    if item.status is not WorkItemStatus.AWAITING_APPROVAL:
        raise await _stale(
            session,
            item.tenant_id,
            item.id,
            ConflictError(
                f"work item {item.id} is {item.status.value}, not awaiting approval",
                details={"status": item.status.value},
            ),
        )
    pending = await session.scalar(
        select(ApprovalRequest.workflow_id).where(
            ApprovalRequest.work_item_id == item.id,
            ApprovalRequest.status == ApprovalRequestStatus.PENDING,
        )
    )
    # a one-item order runs its item inside the order's workflow; the request says which
    workflow_id = pending or work_item_workflow_id(item.id)
    await session.rollback()  # release the connection while the workflow decides
    handle = temporal.get_workflow_handle(workflow_id)
    human = HumanDecision(
        decision=decision.decision.value,
        reason=decision.reason,
        corrections=decision.corrections,
        approver_id=principal.subject,
        approver_groups=sorted(principal.groups),
        is_admin=principal.is_admin,
        request_id=decision.request_id,
        tier=decision.tier,
        client_ip=client.ip_address if client else None,
        user_agent=client.user_agent if client else None,
    )
    try:
        outcome: DecisionOutcome = await handle.execute_update(
            "decide", human, result_type=DecisionOutcome
        )
    except WorkflowUpdateFailedError as exc:
        refusal = _translate(exc.cause)
        if isinstance(refusal, ConflictError):
            refusal = await _stale(session, principal.tenant_id, decision.work_item_id, refusal)
        raise refusal from None
    except RPCError as exc:
        raise ConflictError(
            f"the work item's workflow cannot take decisions: {exc.message}"
        ) from None
    return outcome


async def last_decision(
    session: AsyncSession, *, tenant_id: uuid.UUID, work_item_id: uuid.UUID
) -> ApprovalEvent | None:
    """The item's latest decision (approve, reject, escalate; an expiry reads as a
    ``system:…`` rejection), if any."""
    return await session.scalar(
        select(ApprovalEvent)
        .where(ApprovalEvent.tenant_id == tenant_id, ApprovalEvent.work_item_id == work_item_id)
        .order_by(ApprovalEvent.timestamp.desc())
        .limit(1)
    )


def decided_text(event: ApprovalEvent) -> str:
    """``already approved by alice at 2026-12-06 09:41:07 UTC``."""
    when = f"{event.timestamp.astimezone(UTC):%Y-%m-%d %H:%M:%S} UTC"
    return f"already {event.decision.value.lower()} by {event.approver_id} at {when}"


async def _stale(
    session: AsyncSession, tenant_id: uuid.UUID, work_item_id: uuid.UUID, refusal: ConflictError
) -> ConflictError:
    """A conflict that names who decided the item (and when), when someone did."""
    decided = await last_decision(session, tenant_id=tenant_id, work_item_id=work_item_id)
    if decided is None:
        return refusal
    details = dict(refusal.details)
    details.update(
        decided_by=decided.approver_id,
        decided_at=decided.timestamp.isoformat(),
        decision=decided.decision.value,
    )
    return ConflictError(f"{decided_text(decided)}: {refusal.message}", details=details)


def _translate(cause: BaseException | None) -> MylowareError:
    while cause is not None and not isinstance(cause, ApplicationError):
        cause = cause.__cause__
    if cause is None:
        return ConflictError("the decision was refused")
    error_cls = REFUSALS.get(cause.type or "", ConflictError)
    details: dict[str, Any] = {"errors": next(iter(cause.details))} if cause.details else {}
    return error_cls(cause.message, details=details)


#: how the waiting list may be ordered; ``due`` (SLA, due soonest first) is the default
SORTS = ("due", "group", "vendor", "type")


async def list_pending(
    session: AsyncSession,
    *,
    tenant_id: uuid.UUID,
    group: str | None = None,
    groups: Collection[str] | None = None,
    vendor: str | None = None,
    document_type: str | None = None,
    sort: str = "due",
    limit: int = 50,
    offset: int = 0,
) -> Sequence[ApprovalRequest]:
    """What waits for a person (see :func:`pending_query` for the filters and orders)."""
    query = pending_query(
        tenant_id=tenant_id,
        group=group,
        groups=groups,
        vendor=vendor,
        document_type=document_type,
        sort=sort,
    )
    return (await session.scalars(query.limit(limit).offset(offset))).all()


async def pending_with_records(
    session: AsyncSession, query: Select[ApprovalRequest], *, limit: int, offset: int
) -> list[tuple[ApprovalRequest, dict[str, Any] | None]]:
    """A page of :func:`pending_query`'s requests, each with the record it waits with (as
    :func:`waiting_records` finds it; None before extraction), in one statement."""
    latest = (
        select(Attempt.output)
        .where(
            Attempt.tenant_id == ApprovalRequest.tenant_id,
            Attempt.work_item_id == ApprovalRequest.work_item_id,
            Attempt.agent_id == RECORD_STAGE,
            Attempt.status == AttemptStatus.COMPLETED,
            Attempt.output.is_not(None),
        )
        .order_by(Attempt.started_at.desc(), Attempt.attempt_number.desc())
        .limit(1)
        .correlate(ApprovalRequest)
        .scalar_subquery()
    )
    rows = (await session.execute(query.add_columns(latest).limit(limit).offset(offset))).all()
    return [(r, dict(out) if isinstance(out, dict) else None) for r, out in rows]


def pending_query(
    *,
    tenant_id: uuid.UUID,
    group: str | None = None,
    groups: Collection[str] | None = None,
    vendor: str | None = None,
    document_type: str | None = None,
    sort: str = "due",
) -> Select[ApprovalRequest]:
    """The tenant's pending approval requests in order. ``vendor`` matches part of the
    waiting record's vendor_name (any case); ``groups`` keeps those of any of these approver
    groups; ``document_type`` the record's type (or the item's, before extraction);
    ``sort`` is one of :data:`SORTS`, every order ending on the due time."""
    if sort not in SORTS:
        raise ValidationFailed(f"sort must be one of {', '.join(SORTS)}")
    pending = (
        ApprovalRequest.tenant_id == tenant_id,
        ApprovalRequest.status == ApprovalRequestStatus.PENDING,
    )
    query = select(ApprovalRequest).where(*pending)
    if group is not None:
        query = query.where(ApprovalRequest.approver_group == group)
    if groups is not None:
        query = query.where(ApprovalRequest.approver_group.in_(list(groups)))
    order: list[Any] = []
    if vendor is not None or document_type is not None or sort in ("vendor", "type"):
        latest = (
            select(Attempt.work_item_id, Attempt.output)
            .where(
                Attempt.tenant_id == tenant_id,
                Attempt.work_item_id.in_(select(ApprovalRequest.work_item_id).where(*pending)),
                Attempt.agent_id == RECORD_STAGE,
                Attempt.status == AttemptStatus.COMPLETED,
                Attempt.output.is_not(None),
            )
            .order_by(
                Attempt.work_item_id, Attempt.started_at.desc(), Attempt.attempt_number.desc()
            )
            .ext(distinct_on(Attempt.work_item_id))
            .subquery()
        )
        query = query.join(WorkItem, WorkItem.id == ApprovalRequest.work_item_id).outerjoin(
            latest, latest.c.work_item_id == ApprovalRequest.work_item_id
        )
        vendor_of = latest.c.output["fields"]["vendor_name"]["value"].astext
        type_of = func.coalesce(
            latest.c.output["document_type"].astext, cast(WorkItem.type, String)
        )
        if vendor is not None:
            pattern = (
                "%" + vendor.replace("\\", "\\\\").replace("%", "\\%").replace("_", "\\_") + "%"
            )
            query = query.where(vendor_of.ilike(pattern, escape="\\"))
        if document_type is not None:
            query = query.where(func.upper(type_of) == document_type.strip().upper())
        if sort == "vendor":
            order.append(func.lower(vendor_of).asc().nulls_last())
        elif sort == "type":
            order.append(type_of.asc().nulls_last())
    if sort == "group":
        order.append(ApprovalRequest.approver_group)
    order += [ApprovalRequest.due_at, ApprovalRequest.id]
    return query.order_by(*order)


def plain_reason(request: ApprovalRequest) -> str:
    """Why a person was asked, in the rule's own words: the deciding rule's reason and the
    facts it saw (``"Large invoice (total_amount 12500 > 10000)"``), without the engine's
    wording (the full explanation stays in ``request.explanation``)."""
    cause = request.reasons.get("cause")
    if isinstance(cause, dict) and cause.get("reason"):
        detail = cause.get("detail")
        return f"{cause['reason']} ({detail})" if detail else str(cause["reason"])
    rules = request.reasons.get("rules")
    if isinstance(rules, list) and rules:
        # requests saved before "cause" was kept: "<rule id>: <reason> (<detail>)" of the
        # first rule that fired
        _, _, words = str(rules[0]).partition(": ")
        return words or str(rules[0])
    return "no rule fired: the policy asks a person by default"


#: the field that dates a record, by document type, first found wins
DATE_FIELDS = ("invoice_date", "document_date", "report_date", "date", "created_date")


def record_date(values: dict[str, Any]) -> str | None:
    """The record's own date (an invoice's invoice_date ...), when it has one."""
    return next((str(values[f]) for f in DATE_FIELDS if values.get(f)), None)


async def neighbours(
    session: AsyncSession, *, tenant_id: uuid.UUID, work_item_id: uuid.UUID
) -> tuple[uuid.UUID | None, uuid.UUID | None]:
    """The waiting items before and after ``work_item_id`` in the queue's default order (due
    soonest first); for an item no longer waiting, next is the first one still waiting."""
    ids = list(
        (
            await session.scalars(
                select(ApprovalRequest.work_item_id)
                .where(
                    ApprovalRequest.tenant_id == tenant_id,
                    ApprovalRequest.status == ApprovalRequestStatus.PENDING,
                )
                .order_by(ApprovalRequest.due_at, ApprovalRequest.id)
                .limit(1000)
            )
        ).all()
    )
    if work_item_id not in ids:
        return None, ids[0] if ids else None
    at = ids.index(work_item_id)
    return (ids[at - 1] if at > 0 else None), (ids[at + 1] if at + 1 < len(ids) else None)


#: the stage whose output is the record a person is asked about (``agents.AgentName.RESTYLER``;
#: services sit below agents, so the name is spelled here)
RECORD_STAGE = "JsonRestyler"


async def waiting_records(
    session: AsyncSession, *, tenant_id: uuid.UUID, work_item_ids: Sequence[uuid.UUID]
) -> dict[uuid.UUID, dict[str, Any]]:
    """The record each of these items waits with (its latest normalised record), by item id;
    items not extracted yet are left out."""
    if not work_item_ids:
        return {}
    rows = await session.execute(
        select(Attempt.work_item_id, Attempt.output)
        .where(
            Attempt.tenant_id == tenant_id,
            Attempt.work_item_id.in_(work_item_ids),
            Attempt.agent_id == RECORD_STAGE,
            Attempt.status == AttemptStatus.COMPLETED,
            Attempt.output.is_not(None),
        )
        .order_by(Attempt.work_item_id, Attempt.started_at.desc(), Attempt.attempt_number.desc())
        .ext(distinct_on(Attempt.work_item_id))
    )
    return {item_id: dict(output) for item_id, output in rows.all() if isinstance(output, dict)}


def record_values(record: dict[str, Any] | None) -> tuple[str | None, dict[str, Any]]:
    """A stored record's document type and its fields' values (``{name: value}``)."""
    if not record:
        return None, {}
    fields = record.get("fields") or {}
    values = {name: fv.get("value") if isinstance(fv, dict) else fv for name, fv in fields.items()}
    doc_type = record.get("document_type")
    return (str(doc_type) if doc_type else None), values


def age_and_sla(request: ApprovalRequest, now: datetime | None = None) -> dict[str, float]:
    now = now or datetime.now(UTC)
    return {
        "age_seconds": round((now - request.created_at).total_seconds(), 1),
        # Floored, so a request opened a moment ago shows 59:59 left, never a rounded-up hour.
        "seconds_left": math.floor((request.due_at - now).total_seconds() * 10) / 10,
    }

"""A decision taken in Slack, delivered through the one decision service.

:func:`decide` maps the Slack user to a principal of the connector's tenant, calls
:func:`myloware.services.approvals.submit_decision` (capability, tenant and approver-group
checks, the workflow's ``decide`` update) and returns the sentence to show that user —
a confirmation, or why nothing was decided. A disabled tenant's workspace decides nothing
(logged as ``slack_decision_refused``, ``reason=tenant_disabled``), as its tokens are refused.
"""

from __future__ import annotations

import uuid
from collections.abc import Awaitable, Callable
from dataclasses import dataclass, field
from typing import Any

import structlog
from sqlalchemy.ext.asyncio import AsyncSession, async_sessionmaker

from myloware.db.audit import ClientInfo
from myloware.db.base import ApprovalDecision
from myloware.errors import ConflictError, ForbiddenError, MylowareError, ValidationFailed
from myloware.loops import InFlight
from myloware.services.approvals import submit_decision
from myloware.services.schemas import ApprovalIn
from myloware.services.slack_connectors import SlackConnector
from myloware.services.tenants import is_active
from myloware.settings import Settings
from myloware.slack.cards import CardAction

log = structlog.get_logger(__name__)

NOT_LINKED = (
    "Sorry, your Slack account isn't linked to a MyloWare approver, so you can't decide "
    "approvals from Slack yet. Ask your MyloWare admin to add you to the Slack connector."
)
TENANT_DISABLED = (
    ":no_entry: Nothing decided: this workspace's MyloWare tenant is disabled. Ask your "
    "MyloWare admin."
)
NO_REASON = ":warning: Nothing changed: {decision} needs a reason."
NEEDS_REASON = {
    ApprovalDecision.REJECTED: "a rejection",
    ApprovalDecision.ESCALATED: "an escalation",
}
FAILED = (
    "Sorry, MyloWare couldn't confirm your decision just now. Check the card or the Run "
    "Trace before trying again."
)
DONE = {
    "APPROVED": ":white_check_mark: You approved it; the workflow resumes now.",
    "REJECTED": ":x: You rejected it; the work item ends rejected, with your reason.",
    "ESCALATED": ":arrow_double_up: You escalated it to *{group}*.",
}
DONE_CORRECTED = ":pencil2: You corrected and approved it; the workflow resumes now."


@dataclass(frozen=True, slots=True)
class SlackDeps:
    """What Slack interactions need from the running API."""

    sessions: async_sessionmaker[AsyncSession]
    temporal: Callable[[], Awaitable[Any]]  # -> temporalio.client.Client
    settings: Settings
    blobs: Any  # myloware.documents.BlobStore: where files shared in Slack go
    # starts a new work order's workflow, deferring to the worker's reconciler when Temporal is down
    start: Callable[[uuid.UUID, uuid.UUID], Awaitable[None]]
    # redis.asyncio.Redis: where the gateway remembers the signatures it accepted (replays)
    redis: Any
    inflight: InFlight = field(default_factory=InFlight)  # the process's one, from the app


@dataclass(frozen=True, slots=True)
class Reply:
    """How a decision from Slack went: the sentence for the user, whether it was taken,
    and the problems of refused corrections by field (``""``: the record as a whole)."""

    text: str
    decided: bool = False
    problems: dict[str, str] = field(default_factory=dict)


@dataclass(frozen=True, slots=True)
class SlackContext:
    """Put into each Bolt request's context as ``context["myloware"]``."""

    deps: SlackDeps
    connector: SlackConnector


def is_linked(slack: SlackContext, slack_user_id: str) -> bool:
    connector = slack.connector
    return connector.config.principal_for(slack_user_id, connector.tenant_id) is not None


async def decide(
    slack: SlackContext,
    *,
    slack_user_id: str,
    action: CardAction,
    decision: ApprovalDecision,
    reason: str | None = None,
    corrections: dict[str, Any] | None = None,
) -> Reply:
    """Submit one decision (an approval may carry ``corrections``, validated by the
    workflow as for the UI and the API) as the Slack user; what to tell that user."""
    connector = slack.connector
    principal = connector.config.principal_for(slack_user_id, connector.tenant_id)
    if principal is None:
        return Reply(NOT_LINKED)
    if decision in NEEDS_REASON and not (reason and reason.strip()):
        # the modal requires one; a blank one would fail ApprovalIn
        return Reply(NO_REASON.format(decision=NEEDS_REASON[decision]))
    logger = log.bind(work_item_id=str(action.work_item_id), decision=decision.value)
    client = ClientInfo(user_agent=f"slack/{connector.config.team_id}/{slack_user_id}")
    try:
        async with slack.deps.inflight.track(), slack.deps.sessions() as session:
            if not await is_active(session, connector.tenant_id):  # as its tokens are refused
                logger.warning(
                    "slack_decision_refused",
                    reason="tenant_disabled",
                    tenant_id=str(connector.tenant_id),
                )
                return Reply(TENANT_DISABLED)
            outcome = await submit_decision(
                session,
                await slack.deps.temporal(),
                principal=principal,
                decision=ApprovalIn(
                    work_item_id=action.work_item_id,
                    decision=decision,
                    reason=reason,
                    request_id=action.request_id,
                    tier=action.tier,
                    corrections=corrections or None,
                ),
                client=client,
            )
    except ConflictError as exc:
        return Reply(f":information_source: Nothing changed: {_sentence(exc.message)}")
    except ForbiddenError as exc:
        return Reply(f":no_entry: You can't decide this one: {_sentence(exc.message)}")
    except ValidationFailed as exc:
        text = f":warning: Not decided: {_sentence(exc.message)}"
        return Reply(text, problems=field_problems(exc))
    except MylowareError as exc:
        return Reply(f":warning: Not decided: {_sentence(exc.message)}")
    except Exception as exc:  # the boundary: whatever failed, the user hears back
        logger.error("slack_decision_failed", error=repr(exc))
        return Reply(FAILED)
    logger.info("slack_decision", status=outcome.status, corrected=bool(corrections))
    done = DONE_CORRECTED if corrections else DONE[decision.value]
    return Reply(done.format(group=outcome.group), decided=True)


def field_problems(exc: ValidationFailed) -> dict[str, str]:
    """The workflow's refusal of corrections as ``{field: messages}`` (``""``: no field)."""
    errors = exc.details.get("errors") if exc.details else None
    problems: dict[str, list[str]] = {}
    for error in errors if isinstance(errors, list) else []:
        if not isinstance(error, dict):
            continue
        name = str(error.get("field") or "")
        problems.setdefault(name, []).append(str(error.get("message") or error))
    if not problems:
        problems[""] = [exc.message]
    return {name: "; ".join(messages) for name, messages in problems.items()}


def _sentence(text: str) -> str:
    return text if text.endswith((".", "?", "!")) else text + "."

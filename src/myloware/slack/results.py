"""The answer in Slack to documents that arrived through Slack (:mod:`myloware.slack.intake`).

When a work order the intake made settles (``work_order.completed`` / ``work_order.failed``),
the ``slack`` event consumer replies in the thread of the message the files were shared in:
each document's outcome and its key fields, with links to the Run Trace. Where to answer comes
from ``slack_intakes`` (written by the intake with the order), never from the order's
metadata. Only the tenant's own connector of the same workspace answers, once
(``answered_at``, under the row's lock); a thread Slack says is gone is not retried.
"""

from __future__ import annotations

import uuid
from collections.abc import Callable, Sequence

import structlog
from slack_sdk.errors import SlackApiError
from slack_sdk.web.async_client import AsyncWebClient
from sqlalchemy import func, select
from sqlalchemy.ext.asyncio import AsyncSession

from myloware.db.models import SlackIntake, WorkItem, WorkOrder
from myloware.events import Event
from myloware.events.catalogue import WORK_ORDER_SETTLED
from myloware.services.slack_connectors import SlackConfig, tenant_connector
from myloware.settings import Settings
from myloware.slack.cards import escape, key_fields
from myloware.slack.client import slack_error
from myloware.slack.facts import run_trace_url

log = structlog.get_logger(__name__)

SETTLED = WORK_ORDER_SETTLED
MAX_ERROR_CHARS = 300
MAX_VALUE_CHARS = 100
MAX_LINES = 40  # items listed; the rest are counted (Slack cuts texts over 40,000 characters)
#: chat.postMessage errors meaning the thread cannot be answered any more
GONE = {"channel_not_found", "not_in_channel", "is_archived", "thread_not_found"}


async def from_slack(session: AsyncSession, order_ids: Sequence[uuid.UUID]) -> set[uuid.UUID]:
    """Which of these orders arrived through Slack (one query for a batch of events)."""
    if not order_ids:
        return set()
    rows = await session.scalars(
        select(SlackIntake.work_order_id).where(SlackIntake.work_order_id.in_(order_ids))
    )
    return set(rows.all())


def order_id_of(event: Event) -> uuid.UUID | None:
    try:
        return uuid.UUID(str(event.payload["work_order_id"]))
    except (KeyError, ValueError):
        return None


def describe(item: WorkItem, settings: Settings) -> str:
    name = escape(str(item.filename or f"document {item.position + 1}"))
    link = f"<{run_trace_url(settings, item.id)}|{name}>"
    status = item.status.value
    if status in ("FAILED", "REJECTED"):
        reason = escape((item.error or "no reason recorded")[:MAX_ERROR_CHARS])
        return f"• :x: {link}: {status.lower()}: {reason}"
    doc_type = item.type.value if item.type else "unknown type"
    fields = (item.result or {}).get("fields") or {}
    shown = [  # the same fields, labels and formatting as the approval cards
        f"{label}: {escape(text[:MAX_VALUE_CHARS])}" for label, text in key_fields(doc_type, fields)
    ]
    facts = f": {', '.join(shown)}" if shown else ""
    return f"• :white_check_mark: {link} ({doc_type.lower().replace('_', ' ')}){facts}"


def reply_text(order: WorkOrder, items: Sequence[WorkItem], settings: Settings) -> str:
    done = sum(1 for i in items if i.status.value == "COMPLETED")
    rejected = sum(1 for i in items if i.status.value == "REJECTED")
    failed = len(items) - done - rejected
    link = f"<{settings.base_url}/ui/work-orders/{order.id}|{str(order.id)[:8]}>"
    parts = [f"{failed} failed"] if failed or not rejected else []
    if rejected:
        parts.append(f"{rejected} rejected")
    counts = ", ".join(parts)
    head = (
        f":white_check_mark: All {len(items)} processed (work order {link})."
        if done == len(items)
        else f":warning: {done} of {len(items)} processed, {counts} (work order {link})."
    )
    lines = [describe(i, settings) for i in items[:MAX_LINES]]
    if len(items) > MAX_LINES:
        lines.append(f"…and {len(items) - MAX_LINES} more: see the work order")
    return "\n".join([head, *lines])


async def answer_in_thread(
    session: AsyncSession,
    event: Event,
    settings: Settings,
    client_for: Callable[[SlackConfig], AsyncWebClient],
) -> None:
    """Reply to a settled order from Slack in its thread (nothing for other orders)."""
    order_id = order_id_of(event)
    if order_id is None or event.tenant_id is None:
        return
    intake = await session.scalar(
        select(SlackIntake)
        .where(SlackIntake.work_order_id == order_id, SlackIntake.tenant_id == event.tenant_id)
        .with_for_update()
    )
    if intake is None or intake.answered_at is not None:
        return
    order = await session.get(WorkOrder, order_id)
    connector = await tenant_connector(session, event.tenant_id)
    if order is None or connector is None or connector.config.team_id != intake.team_id:
        return  # the workspace was disconnected (or replaced) since
    items = (
        await session.scalars(
            select(WorkItem)
            .where(WorkItem.work_order_id == order.id, WorkItem.tenant_id == event.tenant_id)
            .order_by(WorkItem.position)
        )
    ).all()
    client = client_for(connector.config)
    try:
        await client.chat_postMessage(
            channel=intake.channel,
            thread_ts=intake.thread_ts,
            text=reply_text(order, items, settings),
            unfurl_links=False,
        )
    except SlackApiError as exc:
        error = exc.response.get("error") if exc.response is not None else None
        if error not in GONE:
            raise slack_error(exc, "chat.postMessage") from exc
        log.warning("slack_thread_gone", work_order_id=str(order_id), error=error)
    intake.answered_at = func.now()

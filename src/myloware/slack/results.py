"""The answer in Slack to documents that arrived through Slack (:mod:`myloware.slack.intake`).

When a work order whose ``metadata.source`` is ``slack`` settles (``work_order.completed`` /
``work_order.failed``), the ``slack`` event consumer replies in the thread of the message the
files were shared in: each document's outcome and its key fields, with links to the Run
Trace. Only the tenant's own connector of the same workspace answers.
"""

from __future__ import annotations

import uuid
from collections.abc import Callable, Sequence
from typing import Any

from slack_sdk.errors import SlackApiError
from slack_sdk.web.async_client import AsyncWebClient
from sqlalchemy import select
from sqlalchemy.ext.asyncio import AsyncSession

from myloware.db.models import WorkItem, WorkOrder
from myloware.events import Event
from myloware.settings import Settings
from myloware.slack.client import slack_error
from myloware.slack.config import SlackConfig, tenant_connector
from myloware.slack.facts import base_url, run_trace_url

SETTLED = {"work_order.completed", "work_order.failed"}
#: the fields a reply shows per document type
SHOWN: dict[str, tuple[str, ...]] = {
    "INVOICE": ("vendor_name", "invoice_number", "invoice_date", "total_amount", "currency"),
    "TICKET": ("subject", "ticket_type", "queue", "priority"),
    "STATUS_REPORT": ("project_name", "overall_status", "reporting_period_end"),
}
MAX_ERROR_CHARS = 300


async def from_slack(session: AsyncSession, order_ids: Sequence[uuid.UUID]) -> set[uuid.UUID]:
    """Which of these orders arrived through Slack (one query for a batch of events)."""
    if not order_ids:
        return set()
    rows = await session.scalars(
        select(WorkOrder.id).where(
            WorkOrder.id.in_(order_ids), WorkOrder.metadata_["source"].astext == "slack"
        )
    )
    return set(rows.all())


def order_id_of(event: Event) -> uuid.UUID | None:
    try:
        return uuid.UUID(str(event.payload["work_order_id"]))
    except (KeyError, ValueError):
        return None


def escape(text: object) -> str:
    """Plain text for Slack's mrkdwn (its three control characters escaped)."""
    return str(text).replace("&", "&amp;").replace("<", "&lt;").replace(">", "&gt;")


def describe(item: WorkItem, settings: Settings) -> str:
    name = escape(item.filename or f"document {item.position + 1}")
    link = f"<{run_trace_url(settings, item.id)}|{name}>"
    status = item.status.value
    if status == "FAILED":
        reason = escape((item.error or "no reason recorded")[:MAX_ERROR_CHARS])
        return f"• :x: {link}: failed: {reason}"
    doc_type = item.type.value if item.type else "unknown type"
    fields = (item.result or {}).get("fields") or {}
    shown = [
        f"{name_} {escape(fields[name_])}"
        for name_ in SHOWN.get(doc_type, ())
        if fields.get(name_) not in (None, "", [])
    ]
    facts = f": {', '.join(shown)}" if shown else ""
    return f"• :white_check_mark: {link} ({doc_type.lower().replace('_', ' ')}){facts}"


def reply_text(order: WorkOrder, items: Sequence[WorkItem], settings: Settings) -> str:
    done = sum(1 for i in items if i.status.value == "COMPLETED")
    link = f"<{base_url(settings)}/ui/work-orders/{order.id}|{str(order.id)[:8]}>"
    head = (
        f":white_check_mark: All {len(items)} processed (work order {link})."
        if done == len(items)
        else f":warning: {done} of {len(items)} processed, {len(items) - done} failed "
        f"(work order {link})."
    )
    return "\n".join([head, *(describe(i, settings) for i in items)])


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
    order = await session.scalar(
        select(WorkOrder).where(WorkOrder.id == order_id, WorkOrder.tenant_id == event.tenant_id)
    )
    origin: dict[str, Any] = (order.metadata_ or {}).get("slack") or {} if order else {}
    if order is None or not origin.get("channel") or not origin.get("ts"):
        return
    connector = await tenant_connector(session, event.tenant_id)
    if connector is None or connector.config.team_id != origin.get("team"):
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
            channel=str(origin["channel"]),
            thread_ts=str(origin["ts"]),
            text=reply_text(order, items, settings),
            unfurl_links=False,
        )
    except SlackApiError as exc:
        raise slack_error(exc, "chat.postMessage") from exc

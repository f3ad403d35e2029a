"""What waits for a Slack user, and a work order's status: read for ``/myloware`` and the
App Home, with the tenant of the connector and the person of the user mapping.

A Slack user is one of the connector's ``users``; what waits for them is the pending approval
requests of their approver groups (as the UI's queue filtered by group), soonest due first.
"""

from __future__ import annotations

import uuid
from collections.abc import Sequence
from dataclasses import dataclass
from datetime import datetime

from sqlalchemy.ext.asyncio import AsyncSession

from myloware.services import approvals
from myloware.services import work_orders as orders
from myloware.settings import Settings
from myloware.slack.cards import document_title, escape, key_fields, slack_date
from myloware.slack.facts import run_trace_url

MAX_ITEM_LINES = 10


@dataclass(frozen=True, slots=True)
class Waiting:
    """One document waiting for a decision, as a line or a block shows it."""

    work_item_id: uuid.UUID
    request_id: uuid.UUID
    title: str
    fields: list[tuple[str, str]]
    group: str
    tier: int
    due_at: datetime
    link: str

    def line(self) -> str:
        """One mrkdwn line: the linked title, the key fields, who and by when."""
        facts = ", ".join(f"{label}: {escape(text)}" for label, text in self.fields[:3])
        return (
            f"<{self.link}|{escape(self.title)}>"
            + (f" · {facts}" if facts else "")
            + f"\n{escape(self.group)} (tier {self.tier + 1}) · decide by {slack_date(self.due_at)}"
        )


async def waiting_for(
    session: AsyncSession,
    settings: Settings,
    *,
    tenant_id: uuid.UUID,
    groups: Sequence[str],
    limit: int,
) -> list[Waiting]:
    """The requests of ``groups`` still pending, soonest due first (at most ``limit``)."""
    if not groups:
        return []
    pending = await approvals.list_pending(session, tenant_id=tenant_id, groups=groups, limit=limit)
    records = await approvals.waiting_records(
        session, tenant_id=tenant_id, work_item_ids=[r.work_item_id for r in pending]
    )
    found = []
    for request in pending:
        doc_type, values = approvals.record_values(records.get(request.work_item_id))
        found.append(
            Waiting(
                work_item_id=request.work_item_id,
                request_id=request.id,
                title=document_title(doc_type, values),
                fields=key_fields(doc_type, values),
                group=request.approver_group,
                tier=request.tier,
                due_at=request.due_at,
                link=run_trace_url(settings, request.work_item_id),
            )
        )
    return found


def queue_url(settings: Settings) -> str:
    return f"{settings.base_url}/ui/approvals"


async def order_status(
    session: AsyncSession, settings: Settings, *, tenant_id: uuid.UUID, ref: str
) -> str:
    """A work order's status and its items' as mrkdwn; the service's errors when ``ref``
    names none (or several) of the tenant's orders."""
    order = await orders.find_work_order(session, tenant_id=tenant_id, ref=ref)
    items = await orders.list_work_items(session, tenant_id=tenant_id, work_order_id=order.id)
    counts: dict[str, int] = {}
    for item in items:
        counts[item.status.value] = counts.get(item.status.value, 0) + 1
    summary = ", ".join(f"{n} {status.lower().replace('_', ' ')}" for status, n in counts.items())
    link = f"<{settings.base_url}/ui/work-orders/{order.id}|{str(order.id)[:8]}>"
    lines = [
        f"*Work order {link}*: {order.status.value.lower().replace('_', ' ')}"
        f" · {len(items)} document{'s' if len(items) != 1 else ''}"
        + (f" ({summary})" if summary else "")
    ]
    for item in items[:MAX_ITEM_LINES]:
        name = escape(item.filename or f"document {item.position + 1}")
        kind = item.type.value.lower().replace("_", " ") if item.type else "type not known yet"
        lines.append(
            f"• <{run_trace_url(settings, item.id)}|{name}> ({kind}): "
            f"{item.status.value.lower().replace('_', ' ')}"
            + (f": {escape(item.error[:200])}" if item.error else "")
        )
    if len(items) > MAX_ITEM_LINES:
        lines.append(f"…and {len(items) - MAX_ITEM_LINES} more: see the work order")
    return "\n".join(lines)

"""The App Home tab: what waits for the Slack user, as a ``home`` view for views.publish.

Each item has the card's buttons (Approve, Correct…, Reject, Escalate: the same listeners;
their answers go to the user's direct messages with the app, there being no channel) and a
link button to its Run Trace."""

from __future__ import annotations

from collections.abc import Sequence
from typing import Any

from myloware.slack.cards import CardAction, decision_buttons, escape
from myloware.slack.waiting import Waiting

OPEN = "myloware_open"  # the link buttons (Slack still sends their clicks)
MAX_SHOWN = 20  # 3 blocks each, within a home view's 100
NOT_LINKED_HOME = (
    "Your Slack account isn't linked to a MyloWare approver. Ask your MyloWare admin to add "
    "you to the Slack connector."
)


def _section(text: str) -> dict[str, Any]:
    return {"type": "section", "text": {"type": "mrkdwn", "text": text[:3000]}}


def home_view(
    waiting: Sequence[Waiting] | None, *, groups: Sequence[str], queue: str
) -> dict[str, Any]:
    """The home tab: up to :data:`MAX_SHOWN` of ``waiting`` (``None``: not linked)."""
    blocks: list[dict[str, Any]] = [
        {"type": "header", "text": {"type": "plain_text", "text": "Waiting for you"}}
    ]
    if waiting is None:
        blocks.append(_section(NOT_LINKED_HOME))
        return {"type": "home", "blocks": blocks}
    shown = ", ".join(escape(g) for g in groups) or "none"
    blocks.append(
        {
            "type": "context",
            "elements": [
                {
                    "type": "mrkdwn",
                    "text": f"Your approver groups: {shown} · <{queue}|Open the queue>",
                }
            ],
        }
    )
    if not waiting:
        blocks.append(_section(":white_check_mark: Nothing waits for your decision."))
    for entry in waiting[:MAX_SHOWN]:
        section = _section(entry.line())
        section["accessory"] = {
            "type": "button",
            "action_id": OPEN,
            "text": {"type": "plain_text", "text": "Open in Run Trace"},
            "url": entry.link,
            "value": str(entry.work_item_id),
        }
        action = CardAction(entry.work_item_id, entry.request_id, entry.tier)
        buttons = decision_buttons(action, entry.title, entry.tier)
        blocks += [section, buttons, {"type": "divider"}]
    if len(waiting) > MAX_SHOWN:
        blocks.append(_section(f"…and more: <{queue}|open the queue>"))
    return {"type": "home", "blocks": blocks}

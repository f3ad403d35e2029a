"""The approval card as Block Kit: pure functions from facts to blocks, no I/O.

An open card shows what the document is, its key fields, why the policy asked a person, who
is asked and until when, a link to the Run Trace, and the buttons. Each button's ``value``
carries the work item id and the approval request id (:class:`CardAction`). A closed card
keeps the facts, drops the buttons and says what happened and who decided.
"""

from __future__ import annotations

import json
import uuid
from collections.abc import Mapping, Sequence
from dataclasses import dataclass
from datetime import datetime
from decimal import Decimal, InvalidOperation
from typing import Any

APPROVE = "myloware_approve"
REJECT = "myloware_reject"
ESCALATE = "myloware_escalate"
CORRECT = "myloware_correct"
ACTIONS_BLOCK = "myloware_approval"

HEADER_MAX = 150
TEXT_MAX = 3000
FIELD_MAX = 2000

Block = dict[str, Any]

# (field, label) shown on the card per document type, in order
KEY_FIELDS: dict[str, tuple[tuple[str, str], ...]] = {
    "INVOICE": (
        ("vendor_name", "Vendor"),
        ("total_amount", "Total"),
        ("invoice_number", "Invoice no."),
        ("invoice_date", "Invoice date"),
        ("due_date", "Due date"),
        ("po_number", "PO number"),
    ),
    "TICKET": (
        ("subject", "Subject"),
        ("priority", "Priority"),
        ("ticket_type", "Type"),
        ("customer_name", "Customer"),
        ("queue", "Queue"),
    ),
    "STATUS_REPORT": (
        ("project_name", "Project"),
        ("overall_status", "Status"),
        ("percent_complete", "Complete"),
        ("reporting_period_end", "Period end"),
        ("author", "Author"),
    ),
}
TYPE_NAMES = {"INVOICE": "Invoice", "TICKET": "Ticket", "STATUS_REPORT": "Status report"}


@dataclass(frozen=True, slots=True)
class CardAction:
    """What a button click refers to; encoded in the button's ``value``."""

    work_item_id: uuid.UUID
    request_id: uuid.UUID
    tier: int | None = None  # the tier the card was posted for (None: a card from before)

    def encode(self) -> str:
        return json.dumps(self.as_dict())

    def as_dict(self) -> dict[str, Any]:
        ids: dict[str, Any] = {
            "work_item_id": str(self.work_item_id),
            "request_id": str(self.request_id),
        }
        if self.tier is not None:
            ids["tier"] = self.tier
        return ids

    @classmethod
    def decode(cls, value: str) -> CardAction:
        """Parse a button value; raises ``ValueError`` when it is not one of ours."""
        try:
            return cls.from_dict(json.loads(value))
        except (TypeError, KeyError, ValueError, AttributeError) as exc:  # JSON, UUIDs, shape
            raise ValueError(f"not a MyloWare card action: {value!r}") from exc

    @classmethod
    def from_dict(cls, data: Any) -> CardAction:
        tier = data.get("tier")
        return cls(
            uuid.UUID(data["work_item_id"]),
            uuid.UUID(data["request_id"]),
            tier if isinstance(tier, int) and not isinstance(tier, bool) else None,
        )


@dataclass(frozen=True, slots=True)
class CardFacts:
    """Everything an approval card shows."""

    action: CardAction
    document_type: str | None
    values: Mapping[str, Any]
    explanation: str | None
    reasons: Sequence[str]
    approver_group: str
    tier: int
    due_at: datetime
    policy: str
    link: str
    image_url: str | None = None  # the first page's picture, where Slack can fetch it


@dataclass(frozen=True, slots=True)
class Outcome:
    """How an approval ended (or moved on), for a closed card."""

    decision: str  # APPROVED | REJECTED | ESCALATED | EXPIRED
    decided_by: str  # already display-ready: a mention, a subject or "the SLA timer"
    reason: str | None = None
    next_group: str | None = None


def escape(text: str) -> str:
    """Slack's text escaping of ``&``, ``<`` and ``>``."""
    return text.replace("&", "&amp;").replace("<", "&lt;").replace(">", "&gt;")


def _clip(text: str, limit: int) -> str:
    return text if len(text) <= limit else text[: limit - 1] + "…"


def _amount(value: Any, currency: Any) -> str:
    try:
        number = f"{Decimal(str(value)):,.2f}"
    except (InvalidOperation, ValueError):
        number = str(value)
    return f"{number} {currency}" if currency else number


def key_fields(document_type: str | None, values: Mapping[str, Any]) -> list[tuple[str, str]]:
    """The (label, text) pairs a card shows for a record's values; absent values are skipped."""
    shown: list[tuple[str, str]] = []
    for name, label in KEY_FIELDS.get(document_type or "", ()):
        value = values.get(name)
        if value is None or value == "":
            continue
        if name == "total_amount":
            text = _amount(value, values.get("currency"))
        elif name == "percent_complete":
            text = f"{value}%"
        else:
            text = str(value)
        shown.append((label, text))
    return shown


def title(facts: CardFacts) -> str:
    """A one-line name of the document, e.g. ``Invoice GX-1001 from Globex``."""
    return document_title(facts.document_type, facts.values)


def document_title(document_type: str | None, values: Mapping[str, Any]) -> str:
    """A one-line name of a record: its type and what identifies it."""
    kind = TYPE_NAMES.get(document_type or "", "Document")
    if document_type == "INVOICE":
        number, vendor = values.get("invoice_number"), values.get("vendor_name")
        text = kind + (f" {number}" if number else "") + (f" from {vendor}" if vendor else "")
    elif document_type == "TICKET" and values.get("subject"):
        text = f"{kind}: {values['subject']}"
    elif document_type == "STATUS_REPORT" and values.get("project_name"):
        text = f"{kind}: {values['project_name']}"
    else:
        text = kind
    return text


def slack_date(moment: datetime) -> str:
    """Slack's date token: shown in the reader's time zone, with ISO as the fallback."""
    stamp = int(moment.timestamp())
    return f"<!date^{stamp}^{{date_short_pretty}} at {{time}}|{moment.isoformat()}>"


def _mrkdwn(text: str) -> Block:
    return {"type": "mrkdwn", "text": text}


def _button(text: str, action_id: str, value: str, style: str | None = None) -> Block:
    button: Block = {
        "type": "button",
        "action_id": action_id,
        "text": {"type": "plain_text", "text": text},
        "value": value,
    }
    if style:
        button["style"] = style
    return button


def _facts_blocks(facts: CardFacts, heading: str) -> list[Block]:
    blocks: list[Block] = [
        {
            "type": "header",
            "text": {"type": "plain_text", "text": _clip(heading, HEADER_MAX)},
        }
    ]
    if facts.image_url:
        blocks.append(
            {
                "type": "image",
                "image_url": facts.image_url,
                "alt_text": _clip(f"First page of {title(facts)}", 2000),
            }
        )
    fields = key_fields(facts.document_type, facts.values)[:10]
    if fields:
        blocks.append(
            {
                "type": "section",
                "fields": [
                    _mrkdwn(_clip(f"*{label}*\n{escape(text)}", FIELD_MAX))
                    for label, text in fields
                ],
            }
        )
    if facts.explanation:
        why = f"*Why a person must decide*\n{escape(facts.explanation)}"
        blocks.append({"type": "section", "text": _mrkdwn(_clip(why, TEXT_MAX))})
    if facts.reasons:
        rules = "\n".join(f"• {escape(r)}" for r in facts.reasons)
        blocks.append({"type": "context", "elements": [_mrkdwn(_clip(rules, TEXT_MAX))]})
    return blocks


def decision_buttons(action: CardAction, name: str, tier: int) -> Block:
    """The actions block of Approve (asking Slack's confirmation) / Correct… / Reject /
    Escalate for one request tier; each button's value is the action."""
    value = action.encode()
    approve = _button("Approve", APPROVE, value, "primary")
    approve["confirm"] = {
        "title": {"type": "plain_text", "text": "Approve?"},
        "text": _mrkdwn(_clip(f"Approve {escape(name)}?", 300)),
        "confirm": {"type": "plain_text", "text": "Approve"},
        "deny": {"type": "plain_text", "text": "Cancel"},
    }
    return {
        "type": "actions",
        "block_id": f"{ACTIONS_BLOCK}:{action.request_id}:{tier}",
        "elements": [
            approve,
            _button("Correct…", CORRECT, value),
            _button("Reject", REJECT, value, "danger"),
            _button("Escalate", ESCALATE, value),
        ],
    }


def open_card(facts: CardFacts) -> list[Block]:
    """The card with Approve / Correct… / Reject / Escalate buttons."""
    name = title(facts)
    who = (
        f"Asked of *{escape(facts.approver_group)}* (tier {facts.tier + 1}) · "
        f"decide by {slack_date(facts.due_at)} · policy {escape(facts.policy)} · "
        f"<{facts.link}|Open in Run Trace>"
    )
    return [
        *_facts_blocks(facts, f"{name} needs approval"),
        {"type": "context", "elements": [_mrkdwn(who)]},
        decision_buttons(facts.action, name, facts.tier),
    ]


def outcome_line(outcome: Outcome) -> str:
    """One mrkdwn line: what happened and who decided."""
    by = outcome.decided_by
    if outcome.decision == "APPROVED":
        line = f":white_check_mark: *Approved* by {by}"
    elif outcome.decision == "REJECTED":
        line = f":x: *Rejected* by {by}"
    elif outcome.decision == "ESCALATED":
        target = f" to *{escape(outcome.next_group)}*" if outcome.next_group else ""
        line = f":arrow_double_up: *Escalated*{target} by {by}"
    elif outcome.decision == "EXPIRED":
        line = f":hourglass: *Expired*: nobody decided in time ({by})"
    else:
        line = f"*{escape(outcome.decision.title())}* by {by}"
    if outcome.reason:
        line += f": {escape(outcome.reason)}"
    return _clip(line, TEXT_MAX)


def closed_card(facts: CardFacts, outcome: Outcome) -> list[Block]:
    """The card after a decision: the facts, the outcome, no buttons."""
    trace = f"policy {escape(facts.policy)} · <{facts.link}|Open in Run Trace>"
    return [
        *_facts_blocks(facts, title(facts)),
        {"type": "section", "text": _mrkdwn(outcome_line(outcome))},
        {"type": "context", "elements": [_mrkdwn(trace)]},
    ]


def card_text(facts: CardFacts, outcome: Outcome | None = None) -> str:
    """The plain-text fallback (notifications, screen readers). Slack parses ``text`` for
    ``<!channel>`` and links too, so the document's own words are escaped here as well."""
    if outcome is None:
        return f"{escape(title(facts))} needs approval by {escape(facts.approver_group)}"
    return f"{escape(title(facts))}: {outcome.decision.lower()} by {outcome.decided_by}"

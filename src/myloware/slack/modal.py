"""The "why?" modal that Reject and Escalate open: pure view building and parsing.

Reject and Escalate need a reason: whoever submitted the document deserves one, and so does
the next tier. The modal's ``private_metadata`` carries the card action, the decision and the
channel to answer in, so the submission needs no server-side state.
"""

from __future__ import annotations

import json
from dataclasses import dataclass
from typing import Any

from myloware.slack.cards import CardAction

REASON_VIEW = "myloware_reason"
REASON_BLOCK = "reason"
REASON_INPUT = "reason_input"
REASON_MAX = 4000
VERBS = {"REJECTED": "Reject", "ESCALATED": "Escalate"}
HINTS = {
    "REJECTED": "The submitter sees this reason.",
    "ESCALATED": "The next tier sees this reason.",
}


@dataclass(frozen=True, slots=True)
class ReasonRequest:
    """What the modal is about; round-trips through ``private_metadata``."""

    action: CardAction
    decision: str  # REJECTED | ESCALATED
    channel: str

    def encode(self) -> str:
        return json.dumps(
            {**self.action.as_dict(), "decision": self.decision, "channel": self.channel}
        )

    @classmethod
    def decode(cls, metadata: str) -> ReasonRequest:
        """Parse ``private_metadata``; raises ``ValueError`` when it is not ours."""
        try:
            data = json.loads(metadata)
            action = CardAction.from_dict(data)
            decision = str(data["decision"])
            channel = str(data["channel"])
        except (TypeError, KeyError, ValueError, AttributeError) as exc:
            raise ValueError("not a MyloWare reason modal") from exc
        if decision not in VERBS:
            raise ValueError(f"unexpected decision {decision!r}")
        return cls(action, decision, channel)


def reason_modal(request: ReasonRequest, document_title: str | None = None) -> dict[str, Any]:
    """The modal view for views.open."""
    verb = VERBS[request.decision]
    about = f"*{verb}* {document_title}" if document_title else f"*{verb}* this document"
    hint = HINTS[request.decision]
    return {
        "type": "modal",
        "callback_id": REASON_VIEW,
        "private_metadata": request.encode(),
        "title": {"type": "plain_text", "text": f"{verb} document"},
        "submit": {"type": "plain_text", "text": verb},
        "close": {"type": "plain_text", "text": "Cancel"},
        "blocks": [
            {"type": "section", "text": {"type": "mrkdwn", "text": about[:3000]}},
            {
                "type": "input",
                "block_id": REASON_BLOCK,
                "optional": False,
                "label": {"type": "plain_text", "text": "Reason"},
                "hint": {"type": "plain_text", "text": hint},
                "element": {
                    "type": "plain_text_input",
                    "action_id": REASON_INPUT,
                    "multiline": True,
                    "max_length": REASON_MAX,
                },
            },
        ],
    }


def submitted_reason(view: dict[str, Any]) -> str | None:
    """The reason typed into a submitted modal (None when left empty)."""
    values = view.get("state", {}).get("values", {})
    raw = values.get(REASON_BLOCK, {}).get(REASON_INPUT, {}).get("value")
    text = str(raw).strip() if raw is not None else ""
    return text or None

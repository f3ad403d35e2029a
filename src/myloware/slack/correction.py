"""The "Correct…" modal of an approval card: pure view building and parsing.

The modal lists every field of the document type's active schema, as the UI's correction
form does (:func:`myloware.ui.corrections.correction_form`): one ``plain_text_input``
prefilled with the record's value per field, and each list of objects (``line_items``) as
JSON text. Submitting corrects and approves, as the UI's form does; the workflow validates the
corrections exactly as for the UI and the API.

What was shown is the inputs' ``initial_value``, which Slack sends back with the submitted
view, so a correction is an input whose text differs from what it showed (a cleared input
empties the field) and the submission needs no server-side state. ``private_metadata``
carries the card action and the channel to answer in.
"""

from __future__ import annotations

import json
from collections.abc import Mapping
from dataclasses import dataclass
from typing import Any

from myloware.slack.cards import CardAction
from myloware.ui.corrections import cell, correction_form

CORRECT_VIEW = "myloware_correct"
FIELD_PREFIX = "field:"
TABLE_PREFIX = "table:"
INPUT = "value"
INPUT_MAX = 3000  # Slack's limit on a plain_text_input's text
MAX_INPUTS = 90  # a modal holds 100 blocks
TITLE = "Correct document"
SUBMIT = "Correct & approve"


@dataclass(frozen=True, slots=True)
class CorrectRequest:
    """What the modal is about; round-trips through ``private_metadata``."""

    action: CardAction
    channel: str

    def encode(self) -> str:
        return json.dumps({**self.action.as_dict(), "channel": self.channel})

    @classmethod
    def decode(cls, metadata: str) -> CorrectRequest:
        """Parse ``private_metadata``; raises ``ValueError`` when it is not ours."""
        try:
            data = json.loads(metadata)
            return cls(CardAction.from_dict(data), str(data["channel"]))
        except (TypeError, KeyError, ValueError, AttributeError) as exc:
            raise ValueError("not a MyloWare correction modal") from exc


def _input(block_id: str, label: str, text: str, *, hint: str = "", multiline: bool = False) -> Any:
    element: dict[str, Any] = {
        "type": "plain_text_input",
        "action_id": INPUT,
        "multiline": multiline,
        "max_length": INPUT_MAX,
    }
    if text:
        element["initial_value"] = text
    block: dict[str, Any] = {
        "type": "input",
        "block_id": block_id,
        "optional": True,
        "label": {"type": "plain_text", "text": label[:2000]},
        "element": element,
    }
    if hint:
        block["hint"] = {"type": "plain_text", "text": hint[:2000]}
    return block


def _note(text: str) -> dict[str, Any]:
    return {"type": "context", "elements": [{"type": "mrkdwn", "text": text[:3000]}]}


def correction_modal(
    request: CorrectRequest,
    schema: Mapping[str, Any],
    values: Mapping[str, Any],
    document_title: str | None = None,
) -> dict[str, Any]:
    """The modal view for views.open: every field of ``schema``, filled with ``values``."""
    form = correction_form(schema, values)
    about = f"*Correct and approve* {document_title or 'this document'}"
    blocks: list[dict[str, Any]] = [
        {"type": "section", "text": {"type": "mrkdwn", "text": about[:3000]}},
        _note("Change what is wrong; a field you empty is recorded as empty."),
    ]
    skipped: list[str] = []
    for scalar in form.scalars:
        text = cell(scalar.value)
        if len(text) > INPUT_MAX or len(blocks) >= MAX_INPUTS:
            skipped.append(scalar.name)
            continue
        label = scalar.name + (" *" if scalar.required else "")
        blocks.append(_input(FIELD_PREFIX + scalar.name, label, text, hint=scalar.hint))
    for table in form.tables:
        rows = [{c: v for c, v in row.items() if v} for row in table.rows]
        text = json.dumps(rows, indent=1, ensure_ascii=False) if rows else ""
        if len(text) > INPUT_MAX or len(blocks) >= MAX_INPUTS:
            skipped.append(table.name)
            continue
        hint = f"JSON: a list of objects with {', '.join(table.columns)}"
        blocks.append(
            _input(TABLE_PREFIX + table.name, table.name, text, hint=hint, multiline=True)
        )
    if skipped:
        blocks.append(_note(f"Too long to edit here (use the Run Trace): {', '.join(skipped)}"))
    return {
        "type": "modal",
        "callback_id": CORRECT_VIEW,
        "private_metadata": request.encode(),
        "title": {"type": "plain_text", "text": TITLE},
        "submit": {"type": "plain_text", "text": SUBMIT},
        "close": {"type": "plain_text", "text": "Cancel"},
        "blocks": blocks,
    }


def _shown_and_entered(view: Mapping[str, Any]) -> list[tuple[str, str, str]]:
    """(block id, text shown, text submitted) of each input of a submitted modal."""
    values = view.get("state", {}).get("values", {})
    found = []
    for block in view.get("blocks", []):
        if block.get("type") != "input":
            continue
        block_id = str(block.get("block_id", ""))
        shown = str(block.get("element", {}).get("initial_value") or "")
        raw = values.get(block_id, {}).get(INPUT, {}).get("value")
        found.append((block_id, shown.strip(), str(raw or "").strip()))
    return found


def _rows(text: str) -> list[dict[str, Any]]:
    """A table's JSON text as rows; ``ValueError`` with a sentence when it is not that."""
    if not text:
        return []
    try:
        rows = json.loads(text)
    except json.JSONDecodeError as exc:
        raise ValueError(f"not valid JSON ({exc.msg}, line {exc.lineno})") from None
    if not isinstance(rows, list) or not all(isinstance(r, dict) for r in rows):
        raise ValueError('write a JSON list of objects, e.g. [{"description": "…"}]')
    return [{k: v for k, v in row.items() if v not in (None, "")} for row in rows]


def submitted_corrections(view: Mapping[str, Any]) -> tuple[dict[str, Any], dict[str, str]]:
    """The corrections a submitted modal asks for, and its inputs' problems by block id
    (Slack's ``response_action: errors``): the inputs whose text changed, a cleared one as
    ``None``, a changed table as its whole new list of rows."""
    corrections: dict[str, Any] = {}
    problems: dict[str, str] = {}
    for block_id, shown, entered in _shown_and_entered(view):
        if block_id.startswith(FIELD_PREFIX):
            if entered != shown:
                corrections[block_id.removeprefix(FIELD_PREFIX)] = entered or None
        elif block_id.startswith(TABLE_PREFIX):
            try:
                rows, before = _rows(entered), _rows(shown)
            except ValueError as exc:
                problems[block_id] = str(exc)
                continue
            if rows != before:
                corrections[block_id.removeprefix(TABLE_PREFIX)] = rows
    return corrections, problems


def input_blocks(view: Mapping[str, Any]) -> list[str]:
    return [b[0] for b in _shown_and_entered(view)]


def problems_by_block(view: Mapping[str, Any], problems: Mapping[str, str]) -> dict[str, str]:
    """The service's problems by field as Slack's ``errors`` by input block: a field's own
    input (a line item's problem on the table's), the first input for the rest."""
    blocks = input_blocks(view)
    shown: dict[str, list[str]] = {}
    for name, message in problems.items():
        base = name.split(".", 1)[0].split("[", 1)[0]
        block = next(
            (b for b in (FIELD_PREFIX + base, TABLE_PREFIX + base) if b in blocks),
            blocks[0] if blocks else "",
        )
        shown.setdefault(block, []).append(message)
    return {block: "; ".join(messages)[:2000] for block, messages in shown.items() if block}


def notice_view(text: str) -> dict[str, Any]:
    """The modal once submitted and still (or no longer) deciding: one sentence."""
    return {
        "type": "modal",
        "callback_id": CORRECT_VIEW + "_notice",
        "title": {"type": "plain_text", "text": TITLE},
        "close": {"type": "plain_text", "text": "Close"},
        "blocks": [{"type": "section", "text": {"type": "mrkdwn", "text": text[:3000]}}],
    }

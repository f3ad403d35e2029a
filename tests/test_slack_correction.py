"""The correction modal and the App Home view: pure building and parsing, no servers."""

from __future__ import annotations

import json
import uuid
from datetime import UTC, datetime
from typing import Any

import pytest

from myloware.records import DocumentType
from myloware.schemas import load_builtin_schema
from myloware.slack.cards import CardAction
from myloware.slack.correction import (
    FIELD_PREFIX,
    INPUT,
    TABLE_PREFIX,
    CorrectRequest,
    correction_modal,
    problems_by_block,
    submitted_corrections,
)
from myloware.slack.home import MAX_SHOWN, NOT_LINKED_HOME, OPEN, home_view
from myloware.slack.waiting import Waiting

REQUEST = CorrectRequest(CardAction(uuid.uuid4(), uuid.uuid4(), 0), "C0FIN")
SCHEMA = load_builtin_schema(DocumentType.INVOICE)
VALUES: dict[str, Any] = {
    "vendor_name": "Globex",
    "total_amount": "2000.00",
    "currency": "USD",
    "line_items": [{"description": "Widgets", "quantity": "2", "amount": "2000.00"}],
}


def _inputs(view: dict[str, Any]) -> dict[str, dict[str, Any]]:
    return {b["block_id"]: b for b in view["blocks"] if b["type"] == "input"}


def _submitted(view: dict[str, Any], typed: dict[str, str | None]) -> dict[str, Any]:
    """The view as Slack sends it back: each input's text, typed or as prefilled."""
    values = {
        block_id: {INPUT: {"value": typed.get(block_id, b["element"].get("initial_value"))}}
        for block_id, b in _inputs(view).items()
    }
    return {**view, "state": {"values": values}}


def test_the_modal_lists_every_schema_field_prefilled() -> None:
    """Each property of the schema is an input filled with the record's value; line items
    are JSON text; the private metadata round-trips the card action and channel."""
    view = correction_modal(REQUEST, SCHEMA, VALUES, "Invoice GX-1001 from Globex")
    inputs = _inputs(view)
    assert set(inputs) == {
        (TABLE_PREFIX if name == "line_items" else FIELD_PREFIX) + name
        for name in SCHEMA["properties"]
    }
    assert inputs[FIELD_PREFIX + "vendor_name"]["element"]["initial_value"] == "Globex"
    assert "initial_value" not in inputs[FIELD_PREFIX + "po_number"]["element"]
    rows = json.loads(inputs[TABLE_PREFIX + "line_items"]["element"]["initial_value"])
    assert rows == VALUES["line_items"]
    assert CorrectRequest.decode(view["private_metadata"]) == REQUEST
    assert len(view["title"]["text"]) <= 24 and len(view["submit"]["text"]) <= 24


def test_a_value_too_long_for_slack_is_left_out_and_named() -> None:
    """Slack's inputs hold 3,000 characters: a longer value is not offered for editing."""
    view = correction_modal(REQUEST, SCHEMA, {**VALUES, "vendor_address": "x" * 3001})
    assert FIELD_PREFIX + "vendor_address" not in _inputs(view)
    assert "Too long to edit here (use the Run Trace): vendor_address" in json.dumps(view)


def test_only_changed_inputs_become_corrections() -> None:
    """Unchanged inputs are no correction; a changed one is, an emptied one is None, and a
    changed line-item list replaces the whole list (empty values dropped)."""
    view = correction_modal(REQUEST, SCHEMA, VALUES)
    assert submitted_corrections(_submitted(view, {})) == ({}, {})
    rows = '[{"description": "Widgets", "quantity": "3", "amount": ""}]'
    typed = {
        FIELD_PREFIX + "vendor_name": " Globex Corp ",
        FIELD_PREFIX + "currency": None,
        FIELD_PREFIX + "po_number": "PO-7",
        TABLE_PREFIX + "line_items": rows,
    }
    corrections, problems = submitted_corrections(_submitted(view, typed))
    assert problems == {}
    assert corrections == {
        "vendor_name": "Globex Corp",
        "currency": None,
        "po_number": "PO-7",
        "line_items": [{"description": "Widgets", "quantity": "3"}],
    }


@pytest.mark.parametrize(
    ("text", "problem"),
    [('[{"amount": ', "not valid JSON"), ('{"amount": "1"}', "JSON list of objects")],
)
def test_line_items_that_are_not_a_list_of_objects_are_a_problem(text: str, problem: str) -> None:
    """Bad JSON is refused beside the line-items input, and is no correction."""
    view = correction_modal(REQUEST, SCHEMA, VALUES)
    corrections, problems = submitted_corrections(
        _submitted(view, {TABLE_PREFIX + "line_items": text})
    )
    assert corrections == {}
    assert problem in problems[TABLE_PREFIX + "line_items"]


def test_the_workflows_problems_go_beside_their_inputs() -> None:
    """A field's problem goes to its input, a line item's to the table, the rest first."""
    view = correction_modal(REQUEST, SCHEMA, VALUES)
    first = next(iter(_inputs(view)))
    shown = problems_by_block(
        view,
        {
            "invoice_date": "invoice_date: cannot be read as date",
            "line_items[0].amount": "not a number",
            "": "subtotal + tax != total",
        },
    )
    assert shown == {
        FIELD_PREFIX + "invoice_date": "invoice_date: cannot be read as date",
        TABLE_PREFIX + "line_items": "not a number",
        first: "subtotal + tax != total",
    }


def test_a_malformed_private_metadata_is_not_ours() -> None:
    """Anything but our own metadata raises ValueError."""
    for junk in ("", "{}", '{"work_item_id": "x", "request_id": "y", "channel": "C"}'):
        with pytest.raises(ValueError):
            CorrectRequest.decode(junk)


def _waiting(n: int) -> Waiting:
    return Waiting(
        work_item_id=uuid.uuid4(),
        request_id=uuid.uuid4(),
        title=f"Invoice {n}",
        fields=[("Total", "1.00 EUR")],
        group="finance",
        tier=0,
        due_at=datetime(2026, 12, 6, 12, tzinfo=UTC),
        link=f"https://myloware.example/ui/work-items/{n}",
    )


def test_the_home_view_lists_up_to_its_limit_with_link_buttons() -> None:
    """Each waiting item is a section with an Open button to its Run Trace; past the limit,
    a link to the queue; an unlinked person is told so."""
    many = [_waiting(n) for n in range(MAX_SHOWN + 1)]
    view = home_view(many, groups=["finance"], queue="https://q.example/ui/approvals")
    buttons = [b["accessory"] for b in view["blocks"] if "accessory" in b]
    assert len(buttons) == MAX_SHOWN and {b["action_id"] for b in buttons} == {OPEN}
    assert buttons[0]["url"] == many[0].link
    actions = [b for b in view["blocks"] if b["type"] == "actions"]
    assert len(actions) == MAX_SHOWN
    assert CardAction.decode(actions[0]["elements"][0]["value"]) == CardAction(
        many[0].work_item_id, many[0].request_id, 0
    )
    assert "and more: <https://q.example/ui/approvals|open the queue>" in json.dumps(view)
    assert len(view["blocks"]) <= 100 and view["type"] == "home"
    empty = home_view([], groups=["finance"], queue="https://q.example/ui/approvals")
    assert "Nothing waits for your decision" in json.dumps(empty)
    assert NOT_LINKED_HOME in json.dumps(home_view(None, groups=[], queue="q"))

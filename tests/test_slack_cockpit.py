"""Deciding from Slack beyond the buttons: the correction modal, ``/myloware`` and the App
Home, on the real stack (API, worker on Temporal, relay, consumer) with Slack emulated."""

from __future__ import annotations

import importlib
import json
from typing import Any

import httpx
import pytest

from myloware.db.models import ApprovalEvent, ApprovalRequest, AuditLog
from myloware.slack.cards import APPROVE, CORRECT
from myloware.slack.correction import FIELD_PREFIX, INPUT, TABLE_PREFIX
from myloware.slack.decisions import NOT_LINKED
from myloware.slack.home import NOT_LINKED_HOME
from tests.governance_support import submit_waiting_invoice
from tests.pipeline_support import wait_for_order
from tests.polling import eventually
from tests.rows import read_rows
from tests.slack_emulator import post_command, post_event, post_interaction
from tests.slack_support import ALICE, FINANCE, LENA, SECRET, STRANGER, SlackHarness

# the module (the package re-exports its listener function under the same name)
submission = importlib.import_module("myloware.slack.listeners.correction_submitted")


async def _open_correction(slack: SlackHarness, user: str = ALICE) -> dict[str, Any]:
    """Click Correct… on finance's card as ``user``; the modal Slack opened."""
    card = await slack.card(FINANCE)
    assert (await slack.click(card, CORRECT, user)).status_code == 200
    [opened] = await eventually(lambda: [c for c in slack.slack.calls_to("views.open")])
    assert opened.reply["ok"], opened.reply
    view: dict[str, Any] = opened.reply["view"]
    return view


async def _submit(
    slack: SlackHarness, view: dict[str, Any], changes: dict[str, str]
) -> httpx.Response:
    """Submit the correction modal with ``changes`` ({block id: text}) typed in."""
    values = {block: {INPUT: text} for block, text in changes.items()}
    payload = slack.slack.submit(view["id"], ALICE, values)
    return await post_interaction(slack.api, payload, signing_secret=SECRET)


def _inputs(view: dict[str, Any]) -> dict[str, str | None]:
    return {
        b["block_id"]: b["element"].get("initial_value")
        for b in view["blocks"]
        if b["type"] == "input"
    }


async def _command(slack: SlackHarness, user: str, text: str) -> str:
    fields = slack.slack.slash_command(slack.workspace, FINANCE, user, text)
    r = await post_command(slack.api, fields, signing_secret=SECRET)
    assert r.status_code == 200, r.text
    answer = r.json()
    assert answer["response_type"] == "ephemeral"
    return str(answer["text"])


async def _modal_answer(slack: SlackHarness, view: dict[str, Any], r: httpx.Response) -> str:
    """What the modal shows after a submission, whichever way Slack's 3 s went: the errors
    beside its inputs (the decision was done in time), or the modal updated once it was
    (answered *Checking…* first); "" when the modal closed."""
    assert r.status_code == 200, r.text
    if r.content in (b"", b"{}"):
        return ""
    answer = r.json()
    if answer["response_action"] == "errors":
        return json.dumps(answer["errors"])
    assert answer["response_action"] == "update"
    await eventually(lambda: slack.slack.calls_to("views.update"))
    return json.dumps(slack.slack.view(view["id"])["blocks"])


async def test_correct_opens_a_modal_with_every_field_prefilled(slack: SlackHarness) -> None:
    """Correct… opens a modal listing every field of the invoice schema, filled with the
    record the policy saw, line items as JSON text."""
    await submit_waiting_invoice(slack.api, slack.headers)
    view = await _open_correction(slack)
    inputs = _inputs(view)
    assert inputs[FIELD_PREFIX + "vendor_name"] == "Globex Corporation"
    assert inputs[FIELD_PREFIX + "invoice_number"] == "GX-1001"
    assert inputs[FIELD_PREFIX + "total_amount"] == "2000.00"
    assert inputs[FIELD_PREFIX + "po_number"] is None  # not found: empty, still editable
    assert TABLE_PREFIX + "line_items" in inputs
    assert view["callback_id"] == "myloware_correct" and view["submit"]["text"]


async def test_a_correction_is_validated_and_refused_in_the_modal(
    slack: SlackHarness, database_url: str
) -> None:
    """A value the workflow cannot read comes back as an error beside its input (Slack's
    ``response_action: errors``); nothing is decided and the card keeps its buttons."""
    await submit_waiting_invoice(slack.api, slack.headers)
    view = await _open_correction(slack)
    r = await _submit(slack, view, {FIELD_PREFIX + "invoice_date": "someday"})
    shown = await _modal_answer(slack, view, r)
    assert "invoice_date" in shown and "cannot be read as date" in shown
    assert await read_rows(database_url, ApprovalEvent) == []
    [request] = await read_rows(database_url, ApprovalRequest)
    assert request.status.value == "PENDING"


async def test_bad_line_items_json_and_no_change_are_refused_before_deciding(
    slack: SlackHarness, database_url: str
) -> None:
    """Line items that are not a JSON list of objects, or a form submitted unchanged, are
    refused in the modal at once, without asking the workflow."""
    await submit_waiting_invoice(slack.api, slack.headers)
    view = await _open_correction(slack)
    bad = await _submit(slack, view, {TABLE_PREFIX + "line_items": '[{"amount": '})
    assert "not valid JSON" in bad.json()["errors"][TABLE_PREFIX + "line_items"]
    unchanged = await _submit(slack, view, {})
    assert "Nothing changed" in next(iter(unchanged.json()["errors"].values()))
    assert await read_rows(database_url, ApprovalEvent) == []


async def test_a_valid_correction_is_applied_approved_audited_and_the_card_updated(
    slack: SlackHarness, database_url: str
) -> None:
    """The modal closes, the item completes with the corrected value, the approval is
    recorded as the mapped person with the corrections, and the card says who approved."""
    order_id, _ = await submit_waiting_invoice(slack.api, slack.headers)
    view = await _open_correction(slack)
    r = await _submit(slack, view, {FIELD_PREFIX + "vendor_name": "Globex Corp"})
    shown = await _modal_answer(slack, view, r)
    assert shown == "" or "corrected and approved" in shown  # closed, or says so
    assert "corrected and approved" in await slack.told(ALICE)
    order = await wait_for_order(slack.api, order_id, slack.headers, timeout_s=30)
    assert order["status"] == "COMPLETED"
    [event] = await read_rows(database_url, ApprovalEvent)
    assert (event.decision.value, event.approver_id) == ("APPROVED", "alice@acme.example")
    assert event.corrections == {"vendor_name": "Globex Corp"}
    audits = await read_rows(database_url, AuditLog)
    [audit] = [a for a in audits if a.action == "approval.approved"]
    assert (audit.user_id, audit.user_agent) == ("alice@acme.example", "slack/T0ACME/U0ALICE")
    items = (
        await slack.api.get(f"/v1/work-orders/{order_id}/work-items", headers=slack.headers)
    ).json()["data"]
    assert items[0]["result"]["fields"]["vendor_name"] == "Globex Corp"
    card = await slack.card(FINANCE)
    closed = await eventually(lambda: slack.is_closed(card))
    assert "*Approved* by <@U0ALICE>" in json.dumps(closed["blocks"])


async def test_a_slow_decision_updates_the_modal_once_it_is_done(
    slack: SlackHarness, monkeypatch: pytest.MonkeyPatch
) -> None:
    """When the decision outlasts the time Slack gives an answer, the modal says it is
    checking, then views.update shows how it went."""
    monkeypatch.setattr(submission, "ANSWER_WITHIN_S", 0.0)
    await submit_waiting_invoice(slack.api, slack.headers)
    view = await _open_correction(slack)
    r = await _submit(slack, view, {FIELD_PREFIX + "total_amount": "lots"})
    assert r.json()["response_action"] == "update"
    assert "Checking" in json.dumps(r.json()["view"])
    [update] = await eventually(lambda: slack.slack.calls_to("views.update"))
    assert update.reply["ok"] and update.args["view_id"] == view["id"]
    shown = json.dumps(slack.slack.view(view["id"])["blocks"])
    assert "cannot be read as amount" in shown
    assert "Not decided" in await slack.told(ALICE)


async def test_unlinked_users_get_no_correction_form(slack: SlackHarness) -> None:
    """Someone not in the connector's users is told so, and no modal opens."""
    await submit_waiting_invoice(slack.api, slack.headers)
    card = await slack.card(FINANCE)
    assert (await slack.click(card, CORRECT, STRANGER)).status_code == 200
    assert await slack.told(STRANGER) == NOT_LINKED
    assert slack.slack.calls_to("views.open") == []


async def test_slash_command_help_status_and_approvals(slack: SlackHarness) -> None:
    """``/myloware`` answers privately: help, an order's status by id prefix, and what
    waits for the caller's approver groups (finance's invoice for Alice, nothing for Lena)."""
    order_id, item_id = await submit_waiting_invoice(slack.api, slack.headers)
    assert "/myloware status" in await _command(slack, ALICE, "help")
    assert "/myloware approvals" in await _command(slack, ALICE, "")
    status = await _command(slack, ALICE, f"status {order_id[:8]}")
    assert f"/ui/work-orders/{order_id}|{order_id[:8]}>" in status
    assert "awaiting approval" in status
    assert "no work order" in await _command(slack, ALICE, "status 00000000")
    assert "first 4+ characters" in await _command(slack, ALICE, "status x!")
    waiting = await _command(slack, ALICE, "approvals")
    assert "1 waiting for you" in waiting and "Invoice GX-1001 from Globex" in waiting
    assert f"/ui/work-items/{item_id}|" in waiting and "finance (tier 1)" in waiting
    assert "Nothing waits" in await _command(slack, LENA, "approvals")
    assert await _command(slack, STRANGER, "approvals") == NOT_LINKED
    assert "I don't know `frobnicate`" in await _command(slack, ALICE, "frobnicate")


async def test_app_home_lists_what_waits_for_the_user(slack: SlackHarness) -> None:
    """Opening the App Home publishes the user's waiting items with Run Trace link buttons;
    an unlinked user's Home says they are not linked."""
    _, item_id = await submit_waiting_invoice(slack.api, slack.headers)
    for user in (ALICE, STRANGER):
        event = slack.slack.home_opened(slack.workspace, user)
        assert (await post_event(slack.api, event, signing_secret=SECRET)).status_code == 200
    home = await eventually(lambda: slack.slack.home(ALICE))
    text = json.dumps(home["blocks"])
    assert "Waiting for you" in text and "Invoice GX-1001 from Globex" in text
    [button] = [b["accessory"] for b in home["blocks"] if "accessory" in b]
    assert button["url"].endswith(f"/ui/work-items/{item_id}")
    stranger = await eventually(lambda: slack.slack.home(STRANGER))
    assert NOT_LINKED_HOME in json.dumps(stranger["blocks"])


async def test_deciding_from_the_app_home_answers_in_direct_messages(
    slack: SlackHarness, database_url: str
) -> None:
    """The Home's buttons are the card's: Approve there decides as the mapped person, and
    the answer, with no channel to be ephemeral in, is a direct message from the app."""
    order_id, _ = await submit_waiting_invoice(slack.api, slack.headers)
    await slack.card(FINANCE)
    event = slack.slack.home_opened(slack.workspace, ALICE)
    assert (await post_event(slack.api, event, signing_secret=SECRET)).status_code == 200
    await eventually(lambda: slack.slack.home(ALICE))
    click = slack.slack.click_home(ALICE, APPROVE)
    assert (await post_interaction(slack.api, click, signing_secret=SECRET)).status_code == 200
    order = await wait_for_order(slack.api, order_id, slack.headers, timeout_s=30)
    assert order["status"] == "COMPLETED"
    [decision] = await read_rows(database_url, ApprovalEvent)
    assert decision.approver_id == "alice@acme.example"
    [told] = await eventually(lambda: slack.slack.dms(ALICE))
    assert "You approved it" in told
    assert slack.ephemerals(ALICE) == []

"""Approve, reject and escalate from Slack, on the real stack with Slack emulated.

The API app (with the Slack router included), a worker on the real Temporal server, the
outbox relay and the ``slack`` stream consumer run for real; Slack is the local emulator,
and clicks arrive signed exactly as Slack signs them.
"""

from __future__ import annotations

import json
import time
import uuid

from sqlalchemy import update

from myloware.db.base import TenantStatus
from myloware.db.engine import create_engine, session_factory
from myloware.db.models import ApprovalEvent, ApprovalRequest, Tenant
from myloware.slack import CardAction
from myloware.slack.cards import APPROVE, CORRECT, ESCALATE, REJECT
from myloware.slack.decisions import TENANT_DISABLED
from tests.governance_support import submit_waiting_invoice, wait_for_item_status
from tests.pipeline_support import wait_for_order
from tests.polling import eventually
from tests.rows import read_rows
from tests.slack_emulator import post_event, post_interaction, signed_headers
from tests.slack_support import (
    ALICE,
    FINANCE,
    GENERAL,
    LEADS,
    LENA,
    SAM,
    SECRET,
    STRANGER,
    TOKEN,
    SlackHarness,
)


async def _decisions(database_url: str) -> list[ApprovalEvent]:
    return await read_rows(database_url, ApprovalEvent)


async def test_waiting_invoice_posts_a_card_to_the_groups_channel(
    slack: SlackHarness, database_url: str
) -> None:
    """The card goes to finance's channel with the facts, the explanation, link and buttons."""
    _, item_id = await submit_waiting_invoice(slack.api, slack.headers)
    card = await slack.card(FINANCE)
    [call] = slack.slack.calls_to("chat.postMessage")
    assert call.token == TOKEN and call.reply["ok"]
    blocks = slack.slack.message(*card)["blocks"]
    text = json.dumps(blocks)
    assert "Globex" in text and "2,000.00 USD" in text and "GX-1001" in text
    assert "invoice-over-1000" in text and "large amount" in text
    assert f"/ui/work-items/{item_id}|Open in Run Trace>" in text
    assert "*finance* (tier 1)" in text
    [actions] = [b for b in blocks if b["type"] == "actions"]
    assert [e["action_id"] for e in actions["elements"]] == [APPROVE, CORRECT, REJECT, ESCALATE]
    [request_id] = await read_rows(database_url, ApprovalRequest.id)
    assert {CardAction.decode(e["value"]) for e in actions["elements"]} == {
        CardAction(work_item_id=uuid.UUID(item_id), request_id=request_id, tier=0)
    }
    assert slack.posted(LEADS) == [] and slack.posted(GENERAL) == []


async def test_approve_click_resumes_the_workflow_and_updates_the_card(
    slack: SlackHarness, database_url: str
) -> None:
    """A mapped finance user's signed click is acked at once, completes the item, updates
    the card with who approved and tells the user privately."""
    order_id, _ = await submit_waiting_invoice(slack.api, slack.headers)
    card = await slack.card(FINANCE)
    telling = slack.slack.hold("chat.postEphemeral")  # the listener cannot finish
    r = await slack.click(card, APPROVE, ALICE)
    assert r.status_code == 200  # answered all the same: the ack does not wait for it
    assert slack.inflight.finished == 0
    telling.set()
    order = await wait_for_order(slack.api, order_id, slack.headers, timeout_s=20)
    assert order["status"] == "COMPLETED"
    [decision] = await _decisions(database_url)
    assert (decision.decision.value, decision.approver_id) == ("APPROVED", "alice@acme.example")
    assert "You approved it" in await slack.told(ALICE)
    closed = await eventually(lambda: slack.is_closed(card))
    assert "*Approved* by <@U0ALICE>" in json.dumps(closed["blocks"])
    assert "approved by <@U0ALICE>" in closed["text"]


async def test_a_disabled_tenants_workspace_decides_nothing(
    slack: SlackHarness, database_url: str, tenants: dict[str, uuid.UUID]
) -> None:
    """Disabling a tenant stops its Slack approvers as it stops its tokens: the click is
    answered with the reason and the item keeps waiting."""
    await submit_waiting_invoice(slack.api, slack.headers)
    card = await slack.card(FINANCE)
    engine = create_engine(database_url, pool_size=1)
    async with session_factory(engine)() as session, session.begin():
        await session.execute(
            update(Tenant).where(Tenant.id == tenants["acme"]).values(status=TenantStatus.DISABLED)
        )
    await engine.dispose()
    r = await slack.click(card, APPROVE, ALICE)
    assert r.status_code == 200
    assert await slack.told(ALICE) == TENANT_DISABLED
    assert await _decisions(database_url) == []
    [request] = await read_rows(database_url, ApprovalRequest)
    assert request.status.value == "PENDING"


async def test_forged_or_stale_signatures_are_refused_and_decide_nothing(
    slack: SlackHarness, database_url: str
) -> None:
    """A wrong signature or a timestamp older than 5 minutes gets 401, a malformed body 400;
    none of them changes anything."""
    _, item_id = await submit_waiting_invoice(slack.api, slack.headers)
    card = await slack.card(FINANCE)
    payload = slack.slack.click(*card, APPROVE, ALICE)
    forged = await post_interaction(slack.api, payload, signing_secret="not-the-secret")
    stale = await post_interaction(
        slack.api, payload, signing_secret=SECRET, timestamp=int(time.time()) - 6 * 60
    )
    junk = await slack.api.post(
        "/slack/events",
        content="payload=%7Bnot-json",
        headers={
            "Content-Type": "application/x-www-form-urlencoded",
            **signed_headers(SECRET, "payload=%7Bnot-json"),
        },
    )
    assert (forged.status_code, stale.status_code, junk.status_code) == (401, 401, 400)
    assert slack.inflight.finished == slack.inflight.running == 0  # no listener was started
    await wait_for_item_status(slack.api, item_id, slack.headers, "AWAITING_APPROVAL", 1)
    assert await _decisions(database_url) == []
    assert slack.slack.calls_to("chat.postEphemeral") == []


async def test_unlinked_users_and_other_groups_are_refused_politely(
    slack: SlackHarness, database_url: str
) -> None:
    """A Slack user not mapped, or mapped outside the approver group, is told why privately;
    nothing is decided and no modal opens for the unmapped one."""
    _, item_id = await submit_waiting_invoice(slack.api, slack.headers)
    card = await slack.card(FINANCE)
    assert (await slack.click(card, APPROVE, STRANGER)).status_code == 200
    assert "isn't linked to a MyloWare approver" in await slack.told(STRANGER)
    assert (await slack.click(card, REJECT, STRANGER)).status_code == 200
    assert "isn't linked" in await slack.told(STRANGER, 2)
    assert slack.slack.calls_to("views.open") == []
    assert (await slack.click(card, APPROVE, SAM)).status_code == 200
    refusal = await slack.told(SAM)
    assert refusal.startswith(":no_entry:") and "approver group 'finance'" in refusal
    await wait_for_item_status(slack.api, item_id, slack.headers, "AWAITING_APPROVAL", 1)
    assert await _decisions(database_url) == []


async def test_a_second_click_after_the_decision_says_it_was_already_decided(
    slack: SlackHarness, database_url: str
) -> None:
    """Clicking again on a decided card answers 'already decided' and records nothing more."""
    order_id, _ = await submit_waiting_invoice(slack.api, slack.headers)
    card = await slack.card(FINANCE)
    payload = slack.slack.click(*card, APPROVE, ALICE)  # the card as it was before any click
    await post_interaction(slack.api, payload, signing_secret=SECRET)
    await wait_for_order(slack.api, order_id, slack.headers, timeout_s=20)
    # the first answer is posted after the decision: wait for it, so the two keep their order
    assert "You approved it" in await slack.told(ALICE)
    again = await post_interaction(  # another request: Slack signs it anew
        slack.api, payload, signing_secret=SECRET, timestamp=int(time.time()) + 1
    )
    assert again.status_code == 200
    told = await slack.told(ALICE, 2)
    assert "Nothing changed: already approved by " in told  # names who decided
    assert len(await _decisions(database_url)) == 1


async def test_escalate_then_reject_through_reason_modals(
    slack: SlackHarness, database_url: str
) -> None:
    """Escalate asks why, moves the card to the leads' channel; a lead's Reject asks why and
    fails the item with that reason; both cards show the outcome."""
    order_id, _ = await submit_waiting_invoice(slack.api, slack.headers)
    first = await slack.card(FINANCE)
    late = slack.slack.click(*first, APPROVE, ALICE)  # an Approve still in flight, say
    assert (await slack.click(first, ESCALATE, ALICE)).status_code == 200
    assert (await slack.give_reason(ALICE, "over my limit")).status_code == 200
    assert "escalated it to *finance-leads*" in await slack.told(ALICE)
    second = await slack.card(LEADS)
    escalated = await eventually(lambda: slack.is_closed(first))
    assert "*Escalated* to *finance-leads* by <@U0ALICE>: over my limit" in json.dumps(
        escalated["blocks"]
    )
    assert (await post_interaction(slack.api, late, signing_secret=SECRET)).status_code == 200
    assert "escalated since" in await slack.told(ALICE, 2)  # the tier-0 card moved on
    assert (await slack.click(second, REJECT, LENA)).status_code == 200
    assert (await slack.give_reason(LENA, "duplicate of GX-0999", opened=2)).status_code == 200
    order = await wait_for_order(slack.api, order_id, slack.headers, timeout_s=20)
    assert order["status"] == "REJECTED"
    rejected = await eventually(lambda: slack.is_closed(second))
    assert "*Rejected* by <@U0LENA>: duplicate of GX-0999" in json.dumps(rejected["blocks"])
    decisions = sorted((d.decision.value, d.approver_id) for d in await _decisions(database_url))
    assert decisions == [("ESCALATED", "alice@acme.example"), ("REJECTED", "lena@acme.example")]


async def test_a_blank_rejection_reason_decides_nothing(
    slack: SlackHarness, database_url: str
) -> None:
    """A Reject modal submitted with only whitespace as its reason is answered politely and
    leaves the item waiting."""
    _, item_id = await submit_waiting_invoice(slack.api, slack.headers)
    card = await slack.card(FINANCE)
    assert (await slack.click(card, REJECT, ALICE)).status_code == 200
    assert (await slack.give_reason(ALICE, "  \n ")).status_code == 200
    assert "a rejection needs a reason" in await slack.told(ALICE)
    assert await _decisions(database_url) == []
    item = (await slack.api.get(f"/v1/work-items/{item_id}", headers=slack.headers)).json()
    assert item["data"]["status"] == "AWAITING_APPROVAL"


async def test_a_click_whose_trigger_expired_is_explained_to_the_user(
    slack: SlackHarness, database_url: str
) -> None:
    """Slack answers ``expired_trigger_id`` when the modal opens too late: the user is told
    why and to click again, and nothing is decided."""
    await submit_waiting_invoice(slack.api, slack.headers)
    card = await slack.card(FINANCE)
    slack.slack.trigger_ttl_s = 0.0
    assert (await slack.click(card, ESCALATE, ALICE)).status_code == 200
    told = await slack.told(ALICE)
    assert "expired_trigger_id" in told and "Click Escalate again" in told
    assert await _decisions(database_url) == []


async def test_a_form_slack_would_not_open_is_explained_to_the_user(
    slack: SlackHarness, database_url: str
) -> None:
    """The same Reject click delivered twice (its trigger already used, as after a retry):
    Slack refuses the second modal, the user is told to click again, nothing is decided."""
    _, item_id = await submit_waiting_invoice(slack.api, slack.headers)
    card = await slack.card(FINANCE)
    payload = slack.slack.click(*card, REJECT, ALICE)
    stamp = int(time.time())
    for retry in range(2):  # a retry is a request of its own, signed at its own time
        r = await post_interaction(
            slack.api, payload, signing_secret=SECRET, timestamp=stamp + retry
        )
        assert r.status_code == 200
    told = await slack.told(ALICE)
    assert "did not open the form" in told and "Click Reject again" in told
    assert await _decisions(database_url) == []
    item = (await slack.api.get(f"/v1/work-items/{item_id}", headers=slack.headers)).json()
    assert item["data"]["status"] == "AWAITING_APPROVAL"


async def test_url_verification_is_answered_only_when_signed(slack: SlackHarness) -> None:
    """Slack's endpoint check (which names no workspace) is answered with the challenge when
    signed by a connector's secret, and refused otherwise."""
    body = {"token": "deprecated", "challenge": "c-123", "type": "url_verification"}
    ok = await post_event(slack.api, body, signing_secret=SECRET)
    assert ok.status_code == 200 and "c-123" in ok.text
    bad = await post_event(slack.api, body, signing_secret="wrong")
    assert bad.status_code == 401

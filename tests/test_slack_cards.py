"""Slack cards, modals and connector config: pure functions, no servers."""

from __future__ import annotations

import json
import time
import uuid
from datetime import UTC, datetime

import pytest
from pydantic import ValidationError
from slack_sdk.signature import SignatureVerifier

from myloware.services.slack_connectors import SlackConfig
from myloware.slack.cards import (
    APPROVE,
    CORRECT,
    ESCALATE,
    REJECT,
    CardAction,
    CardFacts,
    Outcome,
    card_text,
    closed_card,
    key_fields,
    open_card,
)
from myloware.slack.modal import ReasonRequest, reason_modal, submitted_reason
from tests.slack_emulator import signed_headers

ACTION = CardAction(uuid.uuid4(), uuid.uuid4())
CONFIG = {
    "team_id": "T0ACME",
    "bot_token": "xoxb-1",
    "signing_secret": "s3cret",
    "channels": {"finance": "C0FIN"},
    "default_channel": "C0ALL",
    "users": {"U0ALICE": {"subject": "alice@acme.example", "groups": ["finance"]}},
}


def facts(**values: object) -> CardFacts:
    return CardFacts(
        action=ACTION,
        document_type="INVOICE",
        values=values
        or {
            "vendor_name": "Globex <Corp> & Sons",
            "invoice_number": "GX-1001",
            "total_amount": "2000.00",
            "currency": "USD",
            "invoice_date": "2024-01-02",
        },
        explanation="Policy 'finance' version 2: REQUIRE_APPROVAL because rule 'big' fired.",
        reasons=["big: large amount (total_amount 2000.00 > 1000)"],
        approver_group="finance",
        tier=0,
        due_at=datetime(2030, 1, 1, 12, tzinfo=UTC),
        policy="finance v2",
        link=f"https://myloware.example/ui/work-items/{ACTION.work_item_id}",
    )


def all_text(blocks: list[dict[str, object]]) -> str:
    return json.dumps(blocks)


def test_open_card_has_three_buttons_carrying_the_ids() -> None:
    """The open card's buttons are Approve/Reject/Escalate and each value decodes to the ids."""
    blocks = open_card(facts())
    [actions] = [b for b in blocks if b["type"] == "actions"]
    elements = actions["elements"]
    assert [e["action_id"] for e in elements] == [APPROVE, CORRECT, REJECT, ESCALATE]
    assert {CardAction.decode(e["value"]) for e in elements} == {ACTION}
    assert "confirm" in elements[0]


def test_open_card_shows_fields_explanation_deadline_and_link_escaped() -> None:
    """Escaped key fields, the explanation, the fired rule, the SLA date and the trace link."""
    blocks = open_card(facts())
    text = all_text(blocks)
    [fields] = [b["fields"] for b in blocks if "fields" in b]
    assert fields[0]["text"] == "*Vendor*\nGlobex &lt;Corp&gt; &amp; Sons"  # mrkdwn is escaped
    assert "2,000.00 USD" in text and "GX-1001" in text
    assert "REQUIRE_APPROVAL because rule 'big' fired" in text
    assert "total_amount 2000.00 &gt; 1000" in text
    assert f"<!date^{int(datetime(2030, 1, 1, 12, tzinfo=UTC).timestamp())}^" in text
    assert f"/ui/work-items/{ACTION.work_item_id}|Open in Run Trace>" in text


def test_closed_card_has_no_buttons_and_says_who_decided() -> None:
    """After a decision the card keeps its facts, loses the buttons and names the decider."""
    outcome = Outcome("ESCALATED", "<@U0ALICE>", "over my limit", next_group="finance-leads")
    blocks = closed_card(facts(), outcome)
    assert not [b for b in blocks if b["type"] == "actions"]
    text = all_text(blocks)
    assert "*Escalated* to *finance-leads* by <@U0ALICE>: over my limit" in text
    assert "GX-1001" in text


def test_notification_text_escapes_the_documents_words() -> None:
    """The fallback text is parsed by Slack too: a vendor called <!channel> pings nobody."""
    loud = facts(vendor_name="<!channel> <http://evil.example|Pay here> & co", total_amount="1")
    opened = card_text(loud)
    assert "<!channel>" not in opened and "&lt;!channel&gt;" in opened
    assert "<http" not in opened and "&amp; co" in opened
    closed = card_text(loud, Outcome("APPROVED", "<@U0ALICE>", None))
    assert "<!channel>" not in closed and "by <@U0ALICE>" in closed  # a mention stays one


def test_key_fields_per_document_type() -> None:
    """Tickets show subject and priority, reports project and status; missing values skip."""
    assert key_fields("TICKET", {"subject": "VPN down", "priority": "HIGH", "queue": None}) == [
        ("Subject", "VPN down"),
        ("Priority", "HIGH"),
    ]
    assert key_fields("STATUS_REPORT", {"project_name": "Atlas", "percent_complete": 40}) == [
        ("Project", "Atlas"),
        ("Complete", "40%"),
    ]
    assert key_fields(None, {"subject": "x"}) == []


def test_card_action_refuses_foreign_values() -> None:
    """A button value that is not ours is a ValueError, not a crash deeper down."""
    for value in ("approve-please", "[1, 2]", '{"work_item_id": "x", "request_id": "y"}'):
        with pytest.raises(ValueError):
            CardAction.decode(value)


def test_card_action_carries_its_tier_and_reads_cards_posted_before_it_did() -> None:
    """Buttons name the tier their card was posted for; older cards' buttons have none."""
    tiered = CardAction(ACTION.work_item_id, ACTION.request_id, tier=2)
    assert CardAction.decode(tiered.encode()) == tiered
    old = json.dumps(
        {"work_item_id": str(ACTION.work_item_id), "request_id": str(ACTION.request_id)}
    )
    assert CardAction.decode(old) == ACTION and ACTION.tier is None
    request = ReasonRequest(tiered, "ESCALATED", "C0FIN")
    assert ReasonRequest.decode(request.encode()) == request


def test_reason_modal_round_trips_and_requires_a_reason_to_reject() -> None:
    """The modal carries its request in private_metadata; Reject requires, Escalate not."""
    request = ReasonRequest(ACTION, "REJECTED", "C0FIN")
    view = reason_modal(request, "Invoice GX-1001")
    assert ReasonRequest.decode(view["private_metadata"]) == request
    [field] = [b for b in view["blocks"] if b["type"] == "input"]
    assert field["optional"] is False
    escalate = reason_modal(ReasonRequest(ACTION, "ESCALATED", "C0FIN"))
    assert next(b for b in escalate["blocks"] if b["type"] == "input")["optional"] is False
    submitted = {"state": {"values": {"reason": {"reason_input": {"value": "  dup  "}}}}}
    assert submitted_reason(submitted) == "dup"
    assert submitted_reason({"state": {"values": {}}}) is None


def test_config_maps_users_to_principals_and_groups_to_channels() -> None:
    """A mapped user decides with approvals:decide and its groups; others get None."""
    config = SlackConfig.model_validate(CONFIG)
    tenant = uuid.uuid4()
    principal = config.principal_for("U0ALICE", tenant)
    assert principal is not None
    assert (principal.subject, principal.tenant_id, principal.groups) == (
        "alice@acme.example",
        tenant,
        frozenset({"finance"}),
    )
    assert principal.has("approvals:decide") and not principal.is_admin
    assert config.principal_for("U0STRANGER", tenant) is None
    assert config.channel_for("finance") == "C0FIN"
    assert config.channel_for("legal") == "C0ALL"
    assert config.display_name("alice@acme.example") == "<@U0ALICE>"
    assert config.display_name("system:sla") == "the SLA timer"


def test_config_refuses_missing_channels_and_typos() -> None:
    """A connector without any channel, or with an unknown key, is invalid."""
    with pytest.raises(ValidationError):
        SlackConfig.model_validate({**CONFIG, "channels": {}, "default_channel": None})
    with pytest.raises(ValidationError):
        SlackConfig.model_validate({**CONFIG, "channel": "C0FIN"})


def test_config_stored_keeps_secrets_for_the_row() -> None:
    """The JSON written to connectors.config round-trips, secrets included."""
    config = SlackConfig.model_validate(CONFIG)
    assert SlackConfig.model_validate(config.stored()) == config
    assert config.stored()["bot_token"] == "xoxb-1"


def test_emulator_signs_exactly_like_slack() -> None:
    """The test helper's signature is accepted by the Slack SDK's own verifier."""
    body = "payload=%7B%7D"
    headers = signed_headers("s3cret", body)
    assert SignatureVerifier("s3cret").is_valid_request(body, headers)
    stale = signed_headers("s3cret", body, int(time.time()) - 600)
    assert not SignatureVerifier("s3cret").is_valid_request(body, stale)

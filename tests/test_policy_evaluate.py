"""Evaluating a policy: strictest action wins, rule order picks the group, ladders, purity."""

from __future__ import annotations

from typing import Any

from myloware.policy import Action, Decision, PolicyContext, dry_run, evaluate, load_policy
from myloware.records import DocumentType

POLICY = """
name: test-policy
version: "7.1.0"
approver_groups:
  finance:
    - {group: finance, sla: 4h}
    - {group: finance-leads, sla: PT8H}
  ops:
    - {group: ops, sla: 30m}
rules:
  - id: small-auto
    description: Small amounts are fine
    when: {type: not, condition: {type: amount_above, threshold: "100"}}
    then: {action: AUTO_APPROVE}
  - id: big
    description: Big amount
    when: {type: amount_above, threshold: "1000"}
    then: {action: REQUIRE_APPROVAL, approver_group: finance}
  - id: urgent
    when: {type: field_equals, field: priority, value: URGENT}
    then: {action: REQUIRE_APPROVAL, approver_group: ops, sla: 10m, reason: Urgent item}
  - id: qc
    when: {type: token_budget_exhausted}
    then: {action: REQUIRE_APPROVAL, approver_group: ops, on_sla_exhausted: AUTO_APPROVE}
  - id: fraud
    description: Blocked vendor
    when: {type: field_in, field: vendor_name, values: [Evil Corp, Shady Ltd]}
    then: {action: REJECT}
"""


def decide(**fields: Any) -> Any:
    fields.setdefault("document_type", "INVOICE")
    fields.setdefault("work_item_id", "item-1")
    return evaluate(load_policy(POLICY), PolicyContext(**fields))


def test_no_rule_fired_gives_the_default_action() -> None:
    """With nothing fired the default action applies and no approver is named."""
    decision = decide(values={"total_amount": "500"})
    assert decision.action is Action.AUTO_APPROVE
    assert decision.fired == [] and decision.decided_by is None
    assert decision.approver_group is None and decision.escalation == []
    assert "no rule fired" in decision.explanation


def test_explicit_auto_approve_rule_is_reported() -> None:
    """An AUTO_APPROVE rule that fires is the deciding rule when nothing stricter fires."""
    decision = decide(values={"total_amount": "50"})
    assert decision.action is Action.AUTO_APPROVE
    assert decision.decided_by == "small-auto"
    assert [f.rule_id for f in decision.fired] == ["small-auto"]


def test_require_approval_uses_the_ladder_of_the_group() -> None:
    """REQUIRE_APPROVAL names the group, its first SLA, the full ladder and the safe default."""
    decision = decide(values={"total_amount": "5000"})
    assert decision.action is Action.REQUIRE_APPROVAL
    assert decision.approver_group == "finance"
    assert decision.sla_seconds == 4 * 3600
    assert [(t.group, t.sla_seconds) for t in decision.escalation] == [
        ("finance", 4 * 3600),
        ("finance-leads", 8 * 3600),
    ]
    assert decision.on_sla_exhausted is Action.REJECT


def test_first_fired_approval_rule_picks_the_group() -> None:
    """Of several approval rules, the first in document order decides group and SLA."""
    decision = decide(values={"total_amount": "5000", "priority": "URGENT"})
    assert decision.decided_by == "big" and decision.approver_group == "finance"
    assert [f.rule_id for f in decision.fired] == ["big", "urgent"]


def test_rule_sla_override_replaces_the_first_tier() -> None:
    """A rule's sla replaces the first tier's SLA; later tiers keep theirs."""
    decision = decide(values={"priority": "URGENT", "total_amount": "500"})
    assert decision.approver_group == "ops"
    assert decision.sla_seconds == 600
    assert [(t.group, t.sla_seconds) for t in decision.escalation] == [("ops", 600)]


def test_rule_on_sla_exhausted_override_applies_when_that_rule_decides() -> None:
    """A rule's explicit on_sla_exhausted replaces the policy's REJECT."""
    decision = decide(values={"total_amount": "500"}, token_budget_exhausted=True)
    assert decision.decided_by == "qc"
    assert decision.on_sla_exhausted is Action.AUTO_APPROVE
    assert "AUTO_APPROVE if nobody decides" in decision.explanation


def test_strictest_action_wins_regardless_of_order() -> None:
    """REJECT beats REQUIRE_APPROVAL beats AUTO_APPROVE whatever the rule order."""
    decision = decide(values={"total_amount": "5000", "vendor_name": "Evil Corp"})
    assert decision.action is Action.REJECT
    assert decision.decided_by == "fraud"
    assert decision.approver_group is None and decision.sla_seconds is None
    assert [f.rule_id for f in decision.fired] == ["big", "fraud"]


def test_explanation_names_fired_rules_version_and_facts() -> None:
    """The explanation names the policy version, the deciding rule with its facts, the others."""
    decision = decide(values={"total_amount": "5000.00", "priority": "urgent"})
    text = decision.explanation
    assert "version 7.1.0" in text and "'test-policy'" in text
    assert "rule 'big'" in text and "total_amount 5000.00 > 1000" in text
    assert "finance within 4h" in text and "finance-leads (8h)" in text
    assert "Also fired: 'urgent' (REQUIRE_APPROVAL)" in text
    assert decision.reasons[1] == "urgent: Urgent item (priority is 'urgent')"


def test_default_require_approval_uses_the_default_group() -> None:
    """A policy whose default is REQUIRE_APPROVAL asks its default approver group."""
    policy = load_policy(
        """
name: cautious
version: "1"
default_action: REQUIRE_APPROVAL
default_approver_group: ops
approver_groups: {ops: [{group: ops, sla: 2d}]}
"""
    )
    decision = evaluate(policy, PolicyContext(document_type=DocumentType.TICKET, work_item_id="x"))
    assert decision.action is Action.REQUIRE_APPROVAL
    assert decision.approver_group == "ops" and decision.sla_seconds == 2 * 86400


def test_evaluation_is_pure_and_repeatable() -> None:
    """Evaluating twice gives identical decisions and leaves policy and context unchanged."""
    policy = load_policy(POLICY)
    ctx = PolicyContext(
        document_type=DocumentType.INVOICE, work_item_id="w", values={"total_amount": "5000"}
    )
    before = (policy.model_dump(), ctx.model_dump())
    first, second = evaluate(policy, ctx), dry_run(policy, ctx)
    assert first == second
    assert (policy.model_dump(), ctx.model_dump()) == before
    assert first.policy_digest and first.policy_version == "7.1.0"


def test_decision_survives_a_json_round_trip() -> None:
    """A decision serialises to JSON and back unchanged (it crosses activity boundaries)."""
    decision = decide(values={"total_amount": "5000", "priority": "URGENT"})
    assert Decision.model_validate_json(decision.model_dump_json()) == decision

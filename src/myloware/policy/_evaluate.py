"""Evaluating a policy over one record: :func:`evaluate` (and :func:`dry_run`, the same).

Semantics, in full:

1. Every rule is checked, in document order; a rule *fires* when its ``when`` holds.
2. No rule fired: the policy's ``default_action`` applies (with ``default_approver_group``
   when that is REQUIRE_APPROVAL).
3. Otherwise the strictest action among the fired rules wins:
   REJECT > REQUIRE_APPROVAL > AUTO_APPROVE. An AUTO_APPROVE rule therefore never
   overrides a stricter one; it only records that an explicit approval rule matched.
4. The *deciding* rule is the first fired rule (in document order) with the winning
   action. For REQUIRE_APPROVAL its ``approver_group`` ladder is asked, its ``sla`` (if
   any) replaces the first tier's, and its ``on_sla_exhausted`` (if any) replaces the
   policy's. Rule order is thus the priority among approval rules.

Pure: the result depends only on the policy and the context; no clock, no I/O, no random
numbers (sampling hashes the work item id, rule id and policy version).
"""

from __future__ import annotations

from myloware.policy._canonical import policy_digest
from myloware.policy._conditions import Scope
from myloware.policy._context import PolicyContext
from myloware.policy._decision import Decision, EscalationTier, FiredRule, explain
from myloware.policy._model import Action, Policy, Rule


def evaluate(policy: Policy, ctx: PolicyContext) -> Decision:
    """Decide what happens to the record in ``ctx`` under ``policy``."""
    fired_rules = [(rule, fired) for rule in policy.rules if (fired := _fire(rule, policy, ctx))]
    if fired_rules:
        action = max((fired.action for _, fired in fired_rules), key=lambda a: a.strictness)
        deciding: Rule | None = next(r for r, fired in fired_rules if fired.action is action)
    else:
        action, deciding = policy.default_action, None
    decision = Decision(
        action=action,
        policy_name=policy.name,
        policy_version=policy.version,
        policy_digest=policy_digest(policy),
        fired=[fired for _, fired in fired_rules],
        decided_by=deciding.id if deciding else None,
        on_sla_exhausted=policy.on_sla_exhausted,
        explanation="",
    )
    if action is Action.REQUIRE_APPROVAL:
        decision = _with_ladder(decision, policy, deciding)
    return decision.model_copy(update={"explanation": explain(decision)})


def dry_run(policy: Policy, ctx: PolicyContext) -> Decision:
    """What :func:`evaluate` would decide. Evaluation is pure, so this *is* ``evaluate``:
    safe to call on any policy draft against any record, with no effect anywhere."""
    return evaluate(policy, ctx)


def _fire(rule: Rule, policy: Policy, ctx: PolicyContext) -> FiredRule | None:
    outcome = rule.when.check(Scope(ctx=ctx, rule_id=rule.id, policy_version=policy.version))
    if not outcome.hit:
        return None
    return FiredRule(
        rule_id=rule.id, action=rule.then.action, reason=rule.reason, detail=outcome.detail
    )


def _with_ladder(decision: Decision, policy: Policy, deciding: Rule | None) -> Decision:
    if deciding is None:
        group, sla, exhausted = policy.default_approver_group, None, None
    else:
        group, sla, exhausted = (
            deciding.then.approver_group,
            deciding.then.sla,
            deciding.then.on_sla_exhausted,
        )
    assert group is not None  # guaranteed by Policy / Then validation
    tiers = [
        EscalationTier(group=t.group, sla_seconds=t.sla) for t in policy.approver_groups[group]
    ]
    if sla is not None:
        tiers[0] = EscalationTier(group=tiers[0].group, sla_seconds=sla)
    return decision.model_copy(
        update={
            "approver_group": group,
            "sla_seconds": tiers[0].sla_seconds,
            "escalation": tiers,
            "on_sla_exhausted": exhausted or policy.on_sla_exhausted,
        }
    )

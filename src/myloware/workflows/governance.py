"""Glue between the pure policy engine and the pipeline: the decision as a workflow type."""

from __future__ import annotations

from myloware.policy import Decision
from myloware.workflows.types import PolicyDecision, Tier


def to_policy_decision(decision: Decision) -> PolicyDecision:
    return PolicyDecision(
        action=decision.action.value,
        policy_name=decision.policy_name,
        policy_version=decision.policy_version,
        reasons=decision.reasons,
        explanation=decision.explanation,
        approver_group=decision.approver_group,
        escalation=[Tier(group=t.group, sla_seconds=t.sla_seconds) for t in decision.escalation],
        on_sla_exhausted=decision.on_sla_exhausted.value,
    )

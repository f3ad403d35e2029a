"""The result of evaluating a policy: :class:`Decision`, with the rules that fired and, when a
person must decide, who is asked, for how long, and what happens when nobody does."""

from __future__ import annotations

from pydantic import BaseModel, ConfigDict, Field

from myloware.policy._duration import format_duration
from myloware.policy._model import Action


class FiredRule(BaseModel):
    """A rule whose condition held."""

    model_config = ConfigDict(frozen=True)

    rule_id: str
    action: Action
    reason: str = Field(description="the rule's reason text, for people")
    detail: str = Field(
        description="the facts the condition saw, e.g. 'total_amount 12500 > 10000'"
    )


class EscalationTier(BaseModel):
    """One step of the approval ladder of a decision."""

    model_config = ConfigDict(frozen=True)

    group: str
    sla_seconds: int


class Decision(BaseModel):
    """What the policy decided for one record, and why."""

    action: Action
    policy_name: str
    policy_version: str
    policy_digest: str = Field(description="sha256 of the policy's canonical JSON")
    fired: list[FiredRule] = Field(default_factory=list, description="in policy order")
    decided_by: str | None = Field(
        default=None, description="the rule whose action (and group) applies; None: the default"
    )
    approver_group: str | None = Field(
        default=None, description="the approver_groups ladder asked (REQUIRE_APPROVAL only)"
    )
    sla_seconds: int | None = Field(default=None, description="how long the first tier has")
    escalation: list[EscalationTier] = Field(
        default_factory=list, description="who is asked, in order; escalation[0] first"
    )
    on_sla_exhausted: Action = Field(description="what happens when the whole ladder times out")
    explanation: str

    @property
    def reasons(self) -> list[str]:
        """One line per fired rule: ``"<rule id>: <reason> (<detail>)"``."""
        return [f"{f.rule_id}: {f.reason} ({f.detail})" for f in self.fired]


def explain(decision: Decision) -> str:
    """A few sentences for people: the outcome, the rules behind it, the ladder if any."""
    head = f"Policy '{decision.policy_name}' version {decision.policy_version}"
    decisive = next((f for f in decision.fired if f.rule_id == decision.decided_by), None)
    if decisive is None:
        text = f"{head}: no rule fired, so the default action {decision.action.value} applies."
    else:
        text = (
            f"{head}: {decision.action.value} because rule '{decisive.rule_id}' fired "
            f"({decisive.reason}: {decisive.detail})."
        )
    if decision.action is Action.REQUIRE_APPROVAL:
        text += " " + _ladder(decision)
    others = [f for f in decision.fired if f is not decisive]
    if others:
        listed = ", ".join(f"'{f.rule_id}' ({f.action.value})" for f in others)
        text += f" Also fired: {listed}."
    return text


def _ladder(decision: Decision) -> str:
    first, *rest = decision.escalation
    text = f"Approval by {first.group} within {format_duration(first.sla_seconds)}"
    if rest:
        steps = ", then ".join(f"{t.group} ({format_duration(t.sla_seconds)})" for t in rest)
        text += f", escalating to {steps}"
    return text + f"; {decision.on_sla_exhausted.value} if nobody decides in time."

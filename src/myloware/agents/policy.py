"""Policy: the tenant's active policy decides — auto-approve, ask a person, or reject — with
the reasons; the decision is deterministic and explained (:mod:`myloware.policy`)."""

from __future__ import annotations

from typing import Any

from cachetools import TTLCache
from temporalio import activity

from myloware.agents.deps import AgentDeps
from myloware.agents.names import AgentName
from myloware.contracts import ItemRef, PolicyDecision, PolicyInput, Tier
from myloware.db import hot_sql
from myloware.db.direct import transaction
from myloware.extraction.learned import key_of
from myloware.policy import Decision, Policy, PolicyContext, evaluate
from myloware.services.policies import active_policy

POLICY_CACHE_S = 10.0


def to_policy_decision(decision: Decision) -> PolicyDecision:
    """The policy engine's decision as the workflow carries it."""
    return PolicyDecision(
        action=decision.action.value,
        policy_name=decision.policy_name,
        policy_version=decision.policy_version,
        reasons=decision.reasons,
        explanation=decision.explanation,
        approver_group=decision.approver_group,
        escalation=[Tier(group=t.group, sla_seconds=t.sla_seconds) for t in decision.escalation],
        on_sla_exhausted=decision.on_sla_exhausted.value,
        cause=next(
            (
                {"rule_id": f.rule_id, "reason": f.reason, "detail": f.detail}
                for f in decision.fired
                if f.rule_id == decision.decided_by
            ),
            None,
        ),
    )


class PolicyAgent:
    def __init__(self, deps: AgentDeps) -> None:
        self.deps = deps
        self._policies: TTLCache[Any, Policy] = TTLCache(maxsize=1024, ttl=POLICY_CACHE_S)

    @activity.defn(name=AgentName.POLICY)
    async def run(self, inp: PolicyInput) -> PolicyDecision:
        ref, record = inp.item, inp.record
        policy = await self._policy_for(ref.tenant_id)
        known = await self._known_vendor(
            ref, record.get("vendor_name"), key_of("vendor_tax_id", record.get("vendor_tax_id"))
        )
        ctx = PolicyContext.from_record(
            record,
            work_item_id=str(ref.work_item_id),
            validation=inp.validation,
            known_vendor=known,
            token_budget_exhausted=inp.token_budget_exhausted,
        )
        return to_policy_decision(evaluate(policy, ctx))

    async def _known_vendor(
        self, ref: ItemRef, vendor: object, tax_id: str | None = None
    ) -> bool | None:
        """Whether this tenant approved a record from this vendor (by name or tax id) before;
        None without a vendor name."""
        if not isinstance(vendor, str) or not vendor.strip():
            return None
        async with transaction(self.deps.engine) as pg:
            return await hot_sql.known_vendor(
                pg,
                tenant_id=ref.tenant_id,
                vendor=vendor.strip().lower(),
                item_id=ref.work_item_id,
                tax_id=tax_id,
            )

    async def _policy_for(self, tenant_id: Any) -> Policy:
        cached = self._policies.get(tenant_id)
        if cached is not None:
            return cached
        async with self.deps.sessions() as session:
            policy, _ = await active_policy(session, tenant_id=tenant_id)
        self._policies[tenant_id] = policy
        return policy

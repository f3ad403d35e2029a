"""The human-in-the-loop step inside WorkItemWorkflow: wait, escalate, fail closed.

Workflow code (deterministic): it only uses workflow timers, conditions and activities.

* The request is opened on the first tier of the policy's ladder.
* A person decides through the ``decide`` update. Exactly one decision wins per request:
  the first handler to run claims the request synchronously, a second or concurrent one
  fails with ``ApprovalConflict`` (the API answers 409) and changes nothing.
* APPROVED may carry corrections, which are re-normalised and re-validated first; invalid
  ones fail the update with the reasons (the request stays pending).
* When a tier's SLA runs out the request escalates to the next tier; at the end of the
  ladder the policy's ``on_sla_exhausted`` applies — REJECT unless it says otherwise.
"""

from __future__ import annotations

from dataclasses import dataclass
from datetime import timedelta

from temporalio import workflow
from temporalio.common import RetryPolicy
from temporalio.exceptions import ApplicationError

with workflow.unsafe.imports_passed_through():
    from myloware.agents.schema_guard import SchemaGuard
    from myloware.contracts import (
        SLA_SYSTEM,
        ApprovalTicket,
        CorrectionInput,
        CorrectionOutput,
        DecisionOutcome,
        HumanDecision,
        ItemRef,
        OpenApprovalInput,
        PolicyDecision,
        SettleApprovalInput,
        Tier,
        ValidationOutput,
    )
    from myloware.records import CanonicalRecord

TIMEOUT = timedelta(seconds=60)
RETRY = RetryPolicy(maximum_interval=timedelta(seconds=30))
DECISIONS = {"APPROVED", "REJECTED", "ESCALATED"}


@dataclass
class ApprovalOutcome:
    record: CanonicalRecord
    validation: ValidationOutput
    failure: str | None = None


class ApprovalStep:
    def __init__(self) -> None:
        self.ticket: ApprovalTicket | None = None
        self._ref: ItemRef | None = None
        self._record: CanonicalRecord | None = None
        self._decision: PolicyDecision | None = None
        self._ladder: list[Tier] = []
        self._claimed = False
        self._human: HumanDecision | None = None
        self._corrected: CorrectionOutput | None = None

    # -- the wait ----------------------------------------------------------------------------
    async def run(
        self,
        ref: ItemRef,
        record: CanonicalRecord,
        validation: ValidationOutput,
        decision: PolicyDecision,
    ) -> ApprovalOutcome:
        self._ref, self._record, self._decision = ref, record, decision
        self._ladder = decision.escalation or [
            Tier(group=decision.approver_group or "reviewers", sla_seconds=4 * 3600)
        ]
        opened = decision.model_copy(update={"escalation": self._ladder})
        self.ticket = await workflow.execute_local_activity(
            "open_approval",
            OpenApprovalInput(item=ref, workflow_id=workflow.info().workflow_id, decision=opened),
            result_type=ApprovalTicket,
            start_to_close_timeout=TIMEOUT,
            retry_policy=RETRY,
        )
        while True:
            ticket = self.ticket
            try:
                await workflow.wait_condition(
                    lambda: self._human is not None,
                    timeout=timedelta(seconds=ticket.sla_seconds),
                )
            except TimeoutError:
                # a person's decision already in flight finishes (or fails) first
                await workflow.wait_condition(lambda: not self._claimed or self._human is not None)
                if self._human is None:
                    self._claimed = True  # the SLA decides now; people get a conflict
                    try:
                        outcome = await self._sla_ran_out(record, validation)
                    finally:
                        self._claimed = False
                    if outcome is not None:
                        return outcome
                    continue
            human = self._human
            assert human is not None
            self._human, self._claimed = None, False
            if human.decision == "ESCALATED":
                continue  # the handler already moved the request up the ladder
            self.ticket = None
            if human.decision == "REJECTED":
                return ApprovalOutcome(
                    record,
                    validation,
                    failure=f"rejected by {human.approver_id}: {human.reason or 'no reason given'}",
                )
            if self._corrected is not None:
                return ApprovalOutcome(self._corrected.record, self._corrected.validation)
            return ApprovalOutcome(record, validation)

    async def _sla_ran_out(
        self, record: CanonicalRecord, validation: ValidationOutput
    ) -> ApprovalOutcome | None:
        """Escalate to the next tier, or apply the safe default at the end of the ladder."""
        assert self.ticket is not None and self._decision is not None
        ticket = self.ticket
        following = self._next_tier(ticket)
        reason = f"SLA of {ticket.sla_seconds} s for group '{ticket.group}' ran out"
        if following is not None:
            await self._settle(ticket, "ESCALATED", SLA_SYSTEM, reason, next_tier=following)
            self.ticket = following
            return None
        safe = self._decision.on_sla_exhausted
        final = "APPROVED" if safe == "AUTO_APPROVE" else "EXPIRED"
        await self._settle(ticket, final, SLA_SYSTEM, f"{reason}; end of the ladder: {safe}")
        self.ticket = None
        if final == "APPROVED":
            return ApprovalOutcome(record, validation)
        return ApprovalOutcome(
            record, validation, failure=f"no decision in time: {reason}; failed closed ({safe})"
        )

    def _next_tier(self, ticket: ApprovalTicket) -> ApprovalTicket | None:
        index = ticket.tier + 1
        if index >= len(self._ladder):
            return None
        tier = self._ladder[index]
        return ApprovalTicket(
            request_id=ticket.request_id, tier=index, group=tier.group, sla_seconds=tier.sla_seconds
        )

    async def _settle(
        self,
        ticket: ApprovalTicket,
        decision: str,
        by: str,
        reason: str | None,
        *,
        next_tier: ApprovalTicket | None = None,
        human: HumanDecision | None = None,
    ) -> str:
        assert self._ref is not None and self._decision is not None
        status: str = await workflow.execute_local_activity(
            "settle_approval",
            SettleApprovalInput(
                item=self._ref,
                ticket=ticket,
                decision=decision,
                decided_by=by,
                reason=reason,
                corrections=human.corrections if human else None,
                policy_version=self._decision.policy_version,
                next_tier=next_tier,
                client_ip=human.client_ip if human else None,
                user_agent=human.user_agent if human else None,
            ),
            result_type=str,
            start_to_close_timeout=TIMEOUT,
            retry_policy=RETRY,
        )
        return status

    # -- the decide update ---------------------------------------------------------------------
    def check(self, inp: HumanDecision) -> None:
        """Refuse early (no history written) what cannot be accepted."""
        if inp.decision not in DECISIONS:
            raise ApplicationError(f"unknown decision {inp.decision!r}", type="ApprovalInvalid")
        ticket = self.ticket
        if ticket is None or self._claimed or self._human is not None:
            raise ApplicationError(
                "this work item has no pending approval (already decided?)", type="ApprovalConflict"
            )
        if inp.request_id is not None and inp.request_id != ticket.request_id:
            raise ApplicationError(
                "that approval request is no longer pending", type="ApprovalConflict"
            )
        if inp.tier is not None and inp.tier != ticket.tier:
            raise ApplicationError(
                f"the request was escalated since: it waits for '{ticket.group}' "
                f"(tier {ticket.tier + 1}) now",
                type="ApprovalConflict",
            )
        if not inp.is_admin and ticket.group not in inp.approver_groups:
            raise ApplicationError(
                f"deciding needs membership of the approver group '{ticket.group}'",
                type="ApprovalForbidden",
            )
        if inp.decision == "ESCALATED" and self._next_tier(ticket) is None:
            raise ApplicationError(
                f"'{ticket.group}' is the last tier of the ladder: approve or reject",
                type="ApprovalInvalid",
            )

    async def decide(self, inp: HumanDecision) -> DecisionOutcome:
        self.check(inp)
        ticket = self.ticket
        assert ticket is not None and self._ref is not None and self._record is not None
        self._claimed = True  # synchronously, before any await: a concurrent update now fails
        try:
            corrected = None
            if inp.decision == "APPROVED" and inp.corrections:
                corrected = await workflow.execute_local_activity_method(
                    SchemaGuard.apply_corrections,
                    CorrectionInput(
                        item=self._ref, record=self._record, corrections=inp.corrections
                    ),
                    start_to_close_timeout=TIMEOUT,
                    retry_policy=RETRY,
                )
                if not corrected.validation.valid:
                    problems = "; ".join(e.get("message", "") for e in corrected.validation.errors)
                    raise ApplicationError(
                        f"the corrected record is not valid: {problems}",
                        corrected.validation.errors,
                        type="CorrectionsInvalid",
                    )
            following = self._next_tier(ticket) if inp.decision == "ESCALATED" else None
            status = await self._settle(
                ticket, inp.decision, inp.approver_id, inp.reason, next_tier=following, human=inp
            )
        except BaseException:
            self._claimed = False
            raise
        self._corrected = corrected
        if following is not None:
            self.ticket = following
        self._human = inp
        return DecisionOutcome(
            request_id=ticket.request_id,
            decision=inp.decision,
            status=status,
            tier=(following or ticket).tier,
            group=(following or ticket).group,
        )

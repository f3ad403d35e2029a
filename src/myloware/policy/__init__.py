"""The Policy service's domain logic: versioned governance policies evaluated over a record.

A policy is a document (YAML or JSON) of ordered rules, each ``when`` a condition holds
``then`` an action (AUTO_APPROVE, REQUIRE_APPROVAL by an approver group, or REJECT), plus
the escalation ladders of the approver groups. Evaluation is pure and deterministic::

    from myloware.policy import PolicyContext, default_policy, evaluate

    ctx = PolicyContext.from_record(record, work_item_id=str(item_id), validation=report,
                                    known_vendor=True)
    decision = evaluate(default_policy(), ctx)
    decision.action, decision.approver_group, decision.sla_seconds, decision.explanation

The semantics are in :mod:`myloware.policy._evaluate`; the document format and the shipped
default are described in ``docs/policies.md``.
"""

from myloware.policy._canonical import policy_digest, policy_to_dict
from myloware.policy._combinators import CONDITION_TYPES, AllOf, AnyOf, Condition, Not
from myloware.policy._conditions import (
    AmountAbove,
    ConfidenceBelow,
    DocumentTypeIs,
    FieldEquals,
    FieldIn,
    NewVendor,
    Outcome,
    QualityBelow,
    SamplePercent,
    Scope,
    TokenBudgetExhausted,
    ValidationErrors,
    sample_bucket,
)
from myloware.policy._context import PolicyContext, PolicyIssue, ValidationSummary
from myloware.policy._decision import Decision, EscalationTier, FiredRule
from myloware.policy._duration import Seconds, format_duration, parse_duration
from myloware.policy._evaluate import dry_run, evaluate
from myloware.policy._load import (
    default_policy,
    load_policy,
    load_policy_file,
    policy_from_dict,
)
from myloware.policy._model import Action, Policy, Rule, Then, Tier

__all__ = [
    "CONDITION_TYPES",
    "Action",
    "AllOf",
    "AmountAbove",
    "AnyOf",
    "Condition",
    "ConfidenceBelow",
    "Decision",
    "DocumentTypeIs",
    "EscalationTier",
    "FieldEquals",
    "FieldIn",
    "FiredRule",
    "NewVendor",
    "Not",
    "Outcome",
    "Policy",
    "PolicyContext",
    "PolicyIssue",
    "QualityBelow",
    "Rule",
    "SamplePercent",
    "Scope",
    "Seconds",
    "Then",
    "Tier",
    "TokenBudgetExhausted",
    "ValidationErrors",
    "ValidationSummary",
    "default_policy",
    "dry_run",
    "evaluate",
    "format_duration",
    "load_policy",
    "load_policy_file",
    "parse_duration",
    "policy_digest",
    "policy_from_dict",
    "policy_to_dict",
    "sample_bucket",
]

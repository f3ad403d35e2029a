"""The shipped default policy decides as a finance and support team expects."""

from __future__ import annotations

from datetime import date
from typing import Any

import pytest

from myloware.policy import (
    Action,
    Decision,
    PolicyContext,
    default_policy,
    evaluate,
    policy_digest,
    sample_bucket,
)
from myloware.records import CanonicalRecord, DocumentType, FieldValue
from myloware.schemas import load_builtin_schema
from myloware.validation import ValidationOptions, validate

POLICY = default_policy()


def outside_qc_sample(n: int = 0) -> str:
    """The n-th work item id that the 5 % quality-control sample does not draw."""
    ids = (f"item-{i}" for i in range(10_000))
    unsampled = [i for i in ids if sample_bucket(i, "qc-sample", POLICY.version) >= 500]
    return unsampled[n]


def record(document_type: DocumentType, confidence: float = 0.95, **values: Any) -> CanonicalRecord:
    fields = {
        name: FieldValue(value=value, confidence=confidence) for name, value in values.items()
    }
    return CanonicalRecord(document_type=document_type, fields=fields)


def decide(rec: CanonicalRecord, **facts: Any) -> Decision:
    """Validate the record with SchemaGuard, then ask the default policy."""
    report = validate(
        rec,
        load_builtin_schema(rec.document_type),
        options=ValidationOptions(today=date(2024, 7, 1)),
    )
    facts.setdefault("work_item_id", outside_qc_sample())
    facts.setdefault("known_vendor", True)
    return evaluate(POLICY, PolicyContext.from_record(rec, validation=report, **facts))


def invoice(total: str = "1180.00", **overrides: Any) -> CanonicalRecord:
    values: dict[str, Any] = {
        "vendor_name": "Northwind Traders",
        "invoice_number": "INV-1001",
        "invoice_date": "2024-06-01",
        "currency": "EUR",
        "subtotal": total,
        "tax_amount": "0.00",
        "total_amount": total,
    }
    return record(DocumentType.INVOICE, **{**values, **overrides})


def test_default_policy_loads_with_its_documented_shape() -> None:
    """The shipped policy is version 2024-06-01.1, fails closed and is a fresh copy each time."""
    assert POLICY.name == "default" and POLICY.version == "2024-06-01.1"
    assert POLICY.default_action is Action.AUTO_APPROVE
    assert POLICY.on_sla_exhausted is Action.REJECT
    assert default_policy() == POLICY and default_policy() is not default_policy()
    assert policy_digest(default_policy()) == policy_digest(POLICY)


def test_clean_invoice_from_known_vendor_is_auto_approved() -> None:
    """A valid, confident, modest invoice from a known vendor needs nobody."""
    decision = decide(invoice())
    assert decision.action is Action.AUTO_APPROVE, decision.explanation
    assert decision.fired == []


def test_invoice_above_10k_goes_to_finance_with_escalation() -> None:
    """An invoice over 10,000 needs finance within 4 h, then finance leads 8 h, else REJECT."""
    decision = decide(invoice("12500.00"))
    assert decision.action is Action.REQUIRE_APPROVAL
    assert decision.decided_by == "invoice-over-10k"
    assert [(t.group, t.sla_seconds) for t in decision.escalation] == [
        ("finance", 4 * 3600),
        ("finance-leads", 8 * 3600),
    ]
    assert decision.on_sla_exhausted is Action.REJECT
    assert "version 2024-06-01.1" in decision.explanation
    assert "invoice-over-10k" in decision.explanation


def test_invoice_with_arithmetic_error_goes_to_finance() -> None:
    """Totals that do not add up (a SchemaGuard error) send the invoice to finance."""
    decision = decide(invoice(subtotal="1000.00", tax_amount="100.00"))
    assert decision.decided_by == "invoice-validation-errors", decision.explanation
    assert decision.approver_group == "finance"
    assert "totals_mismatch" in decision.fired[0].detail


def test_invoice_missing_required_field_is_reviewed_not_rejected() -> None:
    """A missing vendor name asks finance to correct it rather than rejecting outright."""
    decision = decide(invoice(vendor_name=None))
    assert decision.action is Action.REQUIRE_APPROVAL
    assert "required (vendor_name)" in decision.fired[0].detail


def test_low_confidence_invoice_goes_to_finance() -> None:
    """A required invoice field read with confidence under 0.6 needs finance."""
    decision = decide(record(DocumentType.INVOICE, confidence=0.5, **invoice().values()))
    assert decision.decided_by == "invoice-low-confidence", decision.explanation
    assert decision.approver_group == "finance"


def test_invoice_from_new_vendor_goes_to_finance() -> None:
    """The first invoice from a vendor is checked by finance."""
    decision = decide(invoice(), known_vendor=False)
    assert decision.decided_by == "invoice-new-vendor"
    assert decision.approver_group == "finance"


def test_urgent_ticket_goes_to_support_leads_within_30_minutes() -> None:
    """An URGENT ticket is confirmed by support leads with a 30 minute SLA."""
    ticket = record(DocumentType.TICKET, subject="Checkout down", priority="URGENT")
    decision = decide(ticket)
    assert decision.decided_by == "urgent-ticket"
    assert decision.approver_group == "support-leads" and decision.sla_seconds == 1800


def test_ordinary_ticket_is_auto_approved() -> None:
    """A valid, confident, non-urgent ticket is approved automatically."""
    ticket = record(DocumentType.TICKET, subject="Password reset", priority="LOW")
    assert decide(ticket).action is Action.AUTO_APPROVE


def test_doubtful_non_invoices_go_to_reviewers() -> None:
    """Invalid or low-confidence tickets and status reports go to reviewers, not finance."""
    empty_ticket = record(DocumentType.TICKET, priority="LOW")
    unsure_report = record(DocumentType.STATUS_REPORT, confidence=0.3, project_name="Apollo")
    assert decide(empty_ticket).decided_by == "validation-errors"
    assert decide(unsure_report).decided_by == "low-confidence"
    assert {decide(empty_ticket).approver_group, decide(unsure_report).approver_group} == {
        "reviewers"
    }


def test_exhausted_token_budget_needs_a_reviewer() -> None:
    """When the token budget ran out, a reviewer checks the possibly incomplete record."""
    decision = decide(invoice(), token_budget_exhausted=True)
    assert decision.decided_by == "token-budget-exhausted"
    assert decision.approver_group == "reviewers"


def test_qc_sample_draws_about_five_percent_and_never_rejects_on_timeout() -> None:
    """About 5 % of clean invoices go to QC, and an unanswered QC check auto-approves."""
    clean = invoice()
    report = validate(clean, load_builtin_schema(clean.document_type))
    decisions = [
        evaluate(
            POLICY,
            PolicyContext.from_record(
                clean, work_item_id=f"wi-{i}", validation=report, known_vendor=True
            ),
        )
        for i in range(4_000)
    ]
    sampled = [d for d in decisions if d.action is Action.REQUIRE_APPROVAL]
    assert 0.04 <= len(sampled) / len(decisions) <= 0.06
    assert all(d.decided_by == "qc-sample" for d in sampled)
    assert all(d.on_sla_exhausted is Action.AUTO_APPROVE for d in sampled)


@pytest.mark.parametrize("total", ["10000.00", "10000.01"])
def test_threshold_is_strictly_above_10000(total: str) -> None:
    """Exactly 10,000.00 is not above the threshold; a cent more is."""
    fired = decide(invoice(total)).decided_by == "invoice-over-10k"
    assert fired is (total == "10000.01")

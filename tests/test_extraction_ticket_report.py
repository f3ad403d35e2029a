"""The rules extractor on support tickets and status reports, and type/language detection."""

from __future__ import annotations

from pathlib import Path

import pytest

from myloware.documents.model import LoadedDocument
from myloware.extraction import detect_language, detect_type, extract
from myloware.records import DocumentType

FIXTURES = Path(__file__).parent / "fixtures" / "extraction"


def _doc(name: str) -> LoadedDocument:
    return LoadedDocument.from_text((FIXTURES / name).read_text("utf-8"), name=name)


@pytest.mark.parametrize(
    ("name", "expected"),
    [
        ("receipt_my.txt", DocumentType.INVOICE),
        ("invoice_de.txt", DocumentType.INVOICE),
        ("invoice_letterspaced.txt", DocumentType.INVOICE),
        ("ticket_en.txt", DocumentType.TICKET),
        ("ticket_de.txt", DocumentType.TICKET),
        ("status_report.txt", DocumentType.STATUS_REPORT),
    ],
)
def test_document_type_is_detected(name: str, expected: DocumentType) -> None:
    """Invoices, tickets and status reports are told apart, with a useful confidence."""
    detected, confidence = detect_type(_doc(name))
    assert detected is expected
    assert 0.5 < confidence <= 1.0


@pytest.mark.parametrize(
    ("text", "code"),
    [
        ("Could you please help me with the login problem on my account?", "en"),
        ("Ich habe ein Problem mit meinem Konto und bitte um Ihre Hilfe.", "de"),
        ("Bonjour, je ne peux pas me connecter à mon compte depuis hier.", "fr"),
        ("Ik kan niet inloggen op mijn account, kunt u mij helpen met dit probleem?", "nl"),
        ("Hola, no puedo acceder a mi cuenta desde ayer, por favor ayuda.", "es"),
        ("12345 67890", "en"),
    ],
)
def test_language_is_detected(text: str, code: str) -> None:
    """en/de/fr/nl/es are recognised from function words; no evidence means English."""
    assert detect_language(text) == code


def test_english_incident_ticket() -> None:
    """An outage report is an urgent-ish INCIDENT with subject, summary and customer."""
    record = extract(_doc("ticket_en.txt"))
    values = record.values()
    assert values["subject"] == "Checkout page crashes after the latest update"
    assert values["summary"].startswith("Since yesterday's update our checkout page crashes")
    assert values["customer_email"] == "jane.doe@example.com"
    assert values["customer_name"] == "Jane Doe"
    assert (values["ticket_type"], values["priority"], values["language"]) == (
        "INCIDENT",
        "HIGH",
        "en",
    )
    assert {"Crash", "Outage", "Bug"} <= set(values["tags"])
    assert record.fields["ticket_type"].span is None  # inferred from the whole text


def test_german_billing_question() -> None:
    """A German billing question is a REQUEST for the billing queue; the greeting is skipped."""
    values = extract(_doc("ticket_de.txt")).values()
    assert values["subject"] == "Frage zu unserer Rechnung vom März"
    assert values["summary"].startswith("ich habe eine Frage zu der Rechnung")
    assert (values["ticket_type"], values["queue"], values["language"]) == (
        "REQUEST",
        "Billing and Payments",
        "de",
    )
    assert values["customer_name"] == "Max Mustermann"


def test_status_report_fields() -> None:
    """Labelled values and bulleted sections of a status report are read."""
    values = extract(_doc("status_report.txt")).values()
    assert values == {
        "project_name": "Phoenix CRM Migration",
        "reporting_period_start": "2024-03-01",
        "reporting_period_end": "2024-03-15",
        "author": "Alex Kim",
        "overall_status": "AMBER",
        "percent_complete": 65.0,
        "budget_status": "Within budget",
        "accomplishments": [
            "Migrated customer accounts to the new CRM",
            "Completed user acceptance testing for sales module",
        ],
        "next_steps": ["Migrate the support ticket history", "Train the service desk team"],
        "risks": [
            {
                "description": "Data quality issues in legacy records",
                "severity": "HIGH",
                "mitigation": "run cleansing scripts before cutover",
            },
            {"description": "Vendor API rate limits", "severity": "MEDIUM", "mitigation": None},
        ],
    }


def test_given_type_overrides_detection() -> None:
    """extract(doc, TICKET) reads ticket fields even from invoice-like text."""
    record = extract(_doc("receipt_my.txt"), DocumentType.TICKET)
    assert record.document_type is DocumentType.TICKET
    assert "total_amount" not in record.fields

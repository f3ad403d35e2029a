"""Accuracy of the rules extractor on the shared evaluation data (skipped when absent)."""

from __future__ import annotations

from pathlib import Path

import pytest

from myloware.evaluation import run_eval
from myloware.evaluation.loaders import FileLoader
from myloware.evaluation.xml_truth import XML_FIELDS

DATASETS = Path(__file__).resolve().parents[1].parent / "shared" / "datasets"
SROIE = DATASETS / "sroie2019" / "dev"
PARSEE = DATASETS / "parsee_invoices" / "dev"

pytestmark = pytest.mark.datasets


@pytest.mark.skipif(
    not SROIE.is_dir(), reason=f"{SROIE} not present (evaluation data is not shipped)"
)
def test_sroie_field_accuracy_is_at_least_ninety_percent(tmp_path: Path) -> None:
    """Company, date, address and total on SROIE dev receipts reach ≥ 0.90 field accuracy."""
    report = run_eval(SROIE, tmp_path)
    result = report.sets["sroie2019"]
    assert not result.failures
    assert report.overall_field_accuracy >= 0.90
    assert result.fields["date"].accuracy >= 0.95
    assert result.fields["total"].accuracy >= 0.93
    assert result.fields["company"].accuracy >= 0.90


ZUGFERD = DATASETS / "zugferd" / "dev"
INVOICE2DATA = DATASETS / "invoice2data" / "dev"


@pytest.mark.skipif(
    not ZUGFERD.is_dir(), reason=f"{ZUGFERD} not present (evaluation data is not shipped)"
)
def test_zugferd_text_layer_field_accuracy_is_at_least_eighty_five_percent(tmp_path: Path) -> None:
    """German/French e-invoices read from their text layer alone reach ≥ 0.85 field accuracy
    on the set's own fields, and the IBAN, BIC and PO number read from the text match the
    embedded XML's in most documents."""
    report = run_eval(ZUGFERD, tmp_path)
    result = report.sets["zugferd"]
    assert not result.failures
    own = [stats for name, stats in result.fields.items() if name not in XML_FIELDS]
    assert sum(s.correct for s in own) / sum(s.scored for s in own) >= 0.85
    for field in ("seller_name", "buyer_name", "grand_total", "net_total", "issue_date"):
        assert result.fields[field].accuracy >= 0.85, field
    assert result.fields["iban"].accuracy >= 0.9
    assert result.fields["bic"].accuracy >= 0.7 and result.fields["po_number"].accuracy >= 0.7
    assert report.overall_field_accuracy >= 0.85  # every field, the XML-stated ones included
    assert result.fields["line_items"].accuracy >= 0.6
    assert result.fields["payment_terms"].accuracy >= 0.7


@pytest.mark.skipif(
    not INVOICE2DATA.is_dir(),
    reason=f"{INVOICE2DATA} not present (evaluation data is not shipped)",
)
def test_invoice2data_documents_field_accuracy_is_at_least_ninety_percent(tmp_path: Path) -> None:
    """The invoice2data PDFs (and one text) reach ≥ 0.90; their subtotals and taxes are read."""
    report = run_eval(INVOICE2DATA, tmp_path, input_mode="document", load=FileLoader())
    result = report.sets["invoice2data"]
    assert report.overall_field_accuracy >= 0.90
    assert result.fields["amount_untaxed"].accuracy >= 0.9
    assert result.fields["amount"].accuracy == 1.0


@pytest.mark.skipif(
    not PARSEE.is_dir(), reason=f"{PARSEE} not present (evaluation data is not shipped)"
)
def test_parsee_documents_read_web_shop_senders_totals_and_dates(tmp_path: Path) -> None:
    """The parsee PDFs (one read by OCR) reach ≥ 0.85: every total and date is read, and a
    sender printed only in a footer or named by its web address is found."""
    report = run_eval(PARSEE, tmp_path, input_mode="document", load=FileLoader())
    result = report.sets["parsee_invoices"]
    assert report.overall_field_accuracy >= 0.85
    assert result.fields["invoice_total"].accuracy == 1.0
    assert result.fields["invoice_date"].accuracy == 1.0
    assert result.fields["issuer"].accuracy >= 0.5

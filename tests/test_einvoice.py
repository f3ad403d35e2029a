"""E-invoices (Factur-X/ZUGFeRD and XRechnung CII, UBL) read from their structured data."""

from __future__ import annotations

import json
from pathlib import Path

import pytest

from myloware.agents.context import document_from, layout_of
from myloware.documents import DocumentLimits, LoadedDocument, load_document
from myloware.errors import DocumentError
from myloware.evaluation import run_eval
from myloware.evaluation.loaders import FileLoader
from myloware.extraction import extract
from myloware.extraction.llm import needs_model
from myloware.policy import PolicyContext, default_policy, evaluate
from myloware.records import DocumentType
from myloware.schemas import load_builtin_schemas
from myloware.ui.trace import record_origin
from myloware.validation import apply_corrections, validate
from tests.einvoice_support import UBL, cii_xml, einvoice_pdf, visible

LIMITS = DocumentLimits()
SCHEMA = load_builtin_schemas()[DocumentType.INVOICE]


def _load(data: bytes, filename: str | None = "invoice.pdf") -> LoadedDocument:
    return load_document(data, filename=filename, limits=LIMITS)


def test_factur_x_pdf_is_read_from_its_embedded_cii_xml() -> None:
    """A PDF with a Factur-X XML attached yields the XML's values, exactly, at confidence 1."""
    doc = _load(einvoice_pdf(visible(), cii_xml()))
    assert doc.einvoice is not None and doc.einvoice.source == "factur-x.xml"
    record = extract(doc)
    assert record.extractor == "einvoice (Factur-X/ZUGFeRD CII, EN 16931)"
    assert record.values() == {
        "vendor_name": "Northwind Traders GmbH",
        "vendor_address": "Hauptstrasse 5, 10115 Berlin, DE",
        "vendor_tax_id": "DE123456789",
        "buyer_name": "Kunden AG",
        "buyer_tax_id": "FR40303265045",
        "invoice_number": "NW-7781",
        "po_number": "PO-77",
        "currency": "EUR",
        "payment_terms": "30 days net",
        "iban": "DE02120300000000202051",
        "bic": "BYLADEM1001",
        "invoice_date": "2024-02-12",
        "due_date": "2024-03-13",
        "subtotal": "100.00",
        "tax_amount": "19.00",
        "total_amount": "119.00",
        "tax_rate": 19.0,
        "line_items": [
            {"description": "Widget, blue", "quantity": 4.0, "unit_price": "25.00",
             "amount": "100.00", "tax_rate": 19.0}
        ],
    }  # fmt: skip
    assert {fv.confidence for fv in record.fields.values()} == {1.0}
    assert record.findings == []
    total = record.fields["total_amount"]
    assert total.span is not None and doc.text[total.span[0] : total.span[1]] == "119,00"


def test_standalone_ubl_xml_loads_as_a_readable_invoice() -> None:
    """An XRechnung UBL upload becomes a text rendering plus the invoice's exact values."""
    doc = _load(UBL.encode(), "rechnung.xml")
    assert doc.media_type == "application/xml"
    assert "Invoice number: UBL-2024-001" in doc.text and "Total: 297.50" in doc.text
    record = extract(doc)
    assert record.extractor == "einvoice (XRechnung UBL)"
    values = record.values()
    assert values["vendor_name"] == "Hanse Handel GmbH"  # the legal name, not the trading name
    assert values["vendor_tax_id"] == "DE987654321"
    assert values["buyer_name"] == "Stadtwerke Beispiel"
    assert (values["invoice_date"], values["due_date"]) == ("2024-05-02", "2024-06-01")
    assert (values["subtotal"], values["tax_amount"], values["total_amount"]) == (
        "250.00", "47.50", "297.50",
    )  # fmt: skip
    assert values["po_number"] == "PO-4711"
    # the account to pay into and the buyer's VAT id, compact as the schema writes them
    assert (values["iban"], values["bic"]) == ("DE75512108001245126199", "SOLADEST600")
    assert values["buyer_tax_id"] == "DE111222333"
    # the heading line ("--- Services ---", no quantity, no amount) is not a line item
    assert values["line_items"] == [
        {"description": "Consulting", "quantity": 10.0, "unit_price": "25.00", "amount": "250.00",
         "tax_rate": 19.0}
    ]  # fmt: skip
    assert record.findings == []
    assert validate(record, SCHEMA).valid


def test_standalone_cii_xml_is_recognised_by_its_content() -> None:
    """CII XML sent without a file name is sniffed as an e-invoice, not plain text."""
    doc = _load(cii_xml(), None)
    assert doc.media_type == "application/xml" and doc.einvoice is not None
    assert extract(doc).values()["total_amount"] == "119.00"


def test_xml_bomb_is_refused() -> None:
    """A billion-laughs document fails with a DocumentError instead of expanding."""
    bomb = (
        '<?xml version="1.0"?><!DOCTYPE lolz [<!ENTITY lol "lol">'
        + "".join(
            f'<!ENTITY lol{i} "{f"&lol{i - 1};" * 10 if i > 1 else "&lol;" * 10}">'
            for i in range(1, 10)
        )
        + ']><Invoice xmlns="urn:oasis:names:specification:ubl:schema:xsd:Invoice-2">'
        "<ID>&lol9;</ID></Invoice>"
    )
    with pytest.raises(DocumentError, match="DTD"):
        _load(bomb.encode(), "bomb.xml")


def test_external_entity_is_refused_without_reading_the_file(tmp_path: Path) -> None:
    """An XXE pointing at a local file fails, and the file's content appears nowhere."""
    secret = tmp_path / "secret.txt"
    secret.write_text("TOP-SECRET-VALUE")
    xxe = (
        f'<?xml version="1.0"?><!DOCTYPE x [<!ENTITY xxe SYSTEM "file://{secret}">]>'
        '<Invoice xmlns="urn:oasis:names:specification:ubl:schema:xsd:Invoice-2">'
        "<ID>&xxe;</ID></Invoice>"
    )
    with pytest.raises(DocumentError) as caught:
        _load(xxe.encode(), "xxe.xml")
    assert "TOP-SECRET" not in str(caught.value) and "DTD" in caught.value.message


def test_xml_that_is_not_an_invoice_is_refused_with_the_reason() -> None:
    """Any other XML vocabulary is refused, naming the root element it found."""
    with pytest.raises(DocumentError, match=r"not a UBL or CII invoice.*root element is note"):
        _load(b"<?xml version='1.0'?><note><to>Tove</to></note>", "note.xml")


def test_pdf_with_broken_embedded_xml_is_still_read_from_its_text() -> None:
    """An unreadable attached XML costs a warning, not the document: the text layer is read."""
    broken = cii_xml()[:400]  # cut off mid-element
    doc = _load(einvoice_pdf(visible(), broken))
    assert doc.einvoice is None
    assert doc.warnings and "factur-x.xml" in doc.warnings[0]
    record = extract(doc)
    assert record.extractor == "rules" and record.values()["total_amount"] == "119.00"
    report = validate(record, SCHEMA)
    [warning] = [w for w in report.warnings if w.code == "document_warning"]
    assert "factur-x.xml" in warning.message


def test_pdf_without_a_text_layer_is_read_from_its_einvoice_alone() -> None:
    """A scan-like PDF (no text, OCR off) with Factur-X attached loads from the e-invoice."""
    data = einvoice_pdf([], cii_xml())
    doc = load_document(data, filename="scan.pdf", limits=DocumentLimits(ocr_enabled=False))
    assert doc.media_type == "application/pdf" and "Total: 119.00" in doc.text
    assert doc.warnings and "no readable text layer" in doc.warnings[0]
    record = extract(doc)
    assert record.values()["total_amount"] == "119.00"
    assert [f.code for f in record.findings] == ["document_warning"]


def test_total_that_disagrees_with_the_visible_total_sends_the_item_to_review() -> None:
    """XML total 119.00 but 129,00 printed: an einvoice_mismatch error naming both values."""
    record = extract(_load(einvoice_pdf(visible("129,00"), cii_xml())))
    report = validate(record, SCHEMA)
    [issue] = [e for e in report.errors if e.code == "einvoice_mismatch"]
    assert issue.field == "total_amount"
    assert "119.00" in issue.message and "129.00" in issue.message
    ctx = PolicyContext.from_record(
        record, work_item_id="w-1", validation=report, known_vendor=True
    )
    decision = evaluate(default_policy(), ctx)
    assert decision.action == "REQUIRE_APPROVAL"
    assert "invoice-validation-errors" in [rule.rule_id for rule in decision.fired]


def test_invoice_number_that_disagrees_is_only_a_warning() -> None:
    """The XML names another invoice number than the PDF shows: a warning, the record valid."""
    record = extract(_load(einvoice_pdf(visible(), cii_xml(number="NW-9999"))))
    report = validate(record, SCHEMA)
    assert report.valid
    [issue] = [w for w in report.warnings if w.code == "einvoice_mismatch"]
    assert issue.field == "invoice_number"
    assert "NW-9999" in issue.message and "NW-7781" in issue.message


def test_correcting_the_total_settles_the_mismatch() -> None:
    """A person's correction of the disputed total removes the finding about it."""
    record = extract(_load(einvoice_pdf(visible("129,00"), cii_xml())))
    corrected = apply_corrections(record, {"total_amount": "129.00"})
    assert not [e for e in validate(corrected, SCHEMA).errors if e.code == "einvoice_mismatch"]


def test_einvoice_survives_the_stored_context_round_trip() -> None:
    """The CONTEXT doc's metadata carries the e-invoice, so later stages extract the same."""
    doc = _load(einvoice_pdf(visible(), cii_xml()))
    meta = json.loads(json.dumps(layout_of(doc)))
    again = document_from(doc.text, meta)
    assert again.einvoice == doc.einvoice
    assert extract(again) == extract(doc)


def test_einvoice_record_needs_no_model_and_the_trace_names_its_origin() -> None:
    """Hybrid mode asks no model for an e-invoice; the Run Trace says where values came from."""
    record = extract(_load(UBL.encode(), "r.xml"))
    assert needs_model(record) == []
    origin = record_origin(record.model_dump(mode="json"))
    assert origin is not None and "embedded e-invoice (XRechnung UBL)" in origin


def test_declared_other_type_is_not_read_from_the_einvoice() -> None:
    """A caller that declares the document a TICKET gets the rules' ticket reading."""
    record = extract(_load(einvoice_pdf(visible(), cii_xml())), DocumentType.TICKET)
    assert record.document_type is DocumentType.TICKET and record.extractor == "rules"


@pytest.mark.datasets
def test_every_zugferd_dev_pdf_scores_exactly(datasets_dir: Path, tmp_path: Path) -> None:
    """Every field of every ZUGFeRD dev PDF matches its ground truth, with no false alarm."""
    folder = datasets_dir / "zugferd" / "dev"
    if not folder.is_dir():
        pytest.skip(f"{folder} not present")
    report = run_eval(folder, tmp_path, input_mode="document", load=FileLoader())
    result = report.sets["zugferd"]
    assert not result.failures
    assert {name: stats.accuracy for name, stats in result.fields.items()} == {
        name: 1.0 for name in result.fields
    }
    for prediction in tmp_path.glob("*.json"):
        canonical = json.loads(prediction.read_text())["canonical"]
        assert canonical["extractor"].startswith("einvoice (")
        assert canonical["findings"] == [], prediction.name

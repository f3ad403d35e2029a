"""Ground truth for the fields accounts payable pays by, read from the XML a ZUGFeRD PDF
carries, when a set's truth comes from that XML (zugferd; skipped when the set is absent)."""

from __future__ import annotations

import json
from pathlib import Path

import pytest

from myloware.evaluation import run_eval
from myloware.evaluation.harness import load_mapping
from myloware.evaluation.loaders import FileLoader
from myloware.evaluation.xml_truth import XML_FIELDS, from_embedded_xml, supplement, xml_values
from tests.einvoice_support import cii_xml, einvoice_pdf, visible

EMBEDDED = {"ground_truth": "the CII XML embedded in the PDF"}


def test_xml_values_are_read_from_the_header_not_from_a_line() -> None:
    """Buyer VAT id, PO number, terms, IBAN and BIC come from the CII header, compact."""
    values = xml_values(cii_xml())
    assert values == {
        "buyer_tax_id": "FR40303265045",
        "po_number": "PO-77",
        "payment_terms": "30 days net",
        "iban": "DE02120300000000202051",
        "bic": "BYLADEM1001",
    }


def test_truth_is_supplemented_only_from_an_embedded_xml_and_never_overwritten(
    tmp_path: Path,
) -> None:
    """A set's own value wins; a truth that does not come from the XML is left alone."""
    pdf = tmp_path / "a.pdf"
    pdf.write_bytes(einvoice_pdf(visible(), cii_xml()))
    truth = {"fields": {"po_number": "from the set"}, "meta": EMBEDDED}
    fields = supplement(truth, pdf)["fields"]
    assert fields["po_number"] == "from the set" and fields["iban"] == "DE02120300000000202051"
    other = {"fields": {"total": "1.00"}, "meta": {"ground_truth": "annotated by hand"}}
    assert not from_embedded_xml(other) and supplement(other, pdf) == other
    assert supplement(truth, tmp_path / "missing.pdf") == truth


@pytest.mark.datasets
def test_zugferd_dev_scores_the_new_fields_from_its_embedded_xml(
    datasets_dir: Path, tmp_path: Path
) -> None:
    """On the zugferd dev set the new fields are scored, and the e-invoice reader gets them
    all right against the independently read XML."""
    folder = datasets_dir / "zugferd" / "dev"
    if not folder.is_dir():
        pytest.skip(f"{folder} not present")
    mapping = load_mapping(folder)
    assert set(XML_FIELDS) <= set(mapping.fields.values())
    report = run_eval(folder, tmp_path, input_mode="document", load=FileLoader())
    fields = report.sets["zugferd"].fields
    assert {name: fields[name].accuracy for name in XML_FIELDS} == dict.fromkeys(XML_FIELDS, 1.0)
    assert all(fields[name].scored >= 10 for name in XML_FIELDS)
    prediction = json.loads(next(tmp_path.glob("*.json")).read_text())
    assert set(XML_FIELDS) <= set(prediction["fields"])

"""Confidence calibration: fitting, applying, the shipped table and the ``calibrate`` command."""

from __future__ import annotations

import json
from dataclasses import replace
from pathlib import Path

import pytest
import typer
from typer.testing import CliRunner

from myloware.cli.calibrate import register
from myloware.documents.model import LoadedDocument
from myloware.errors import ConfigurationError
from myloware.evaluation import calibration
from myloware.evaluation.calibration import Observation
from myloware.extraction import extractor
from myloware.extraction.calibration import CALIBRATION_FILE, Calibration, Curve, shipped
from myloware.records import CanonicalRecord, DocumentType, FieldValue
from tests.einvoice_support import cii_xml, einvoice_pdf, visible

FIXTURE_SET = Path(__file__).parent / "fixtures" / "eval" / "mini" / "dev"
RECEIPT = "ACME STORE\n12 MAIN ST\nDATE: 01/02/2024\nTOTAL 12.50\n"


def seen(field: str, kind: str, confidence: float, right: int, wrong: int) -> list[Observation]:
    """``right + wrong`` observations of one raw score."""
    return [
        Observation("set", f"{field}{i}", field, kind, confidence, i < right)
        for i in range(right + wrong)
    ]


def test_a_curve_is_a_step_function_over_raw_scores() -> None:
    curve = Curve((0.5, 0.8), (0.4, 0.9))
    assert [curve(x) for x in (0.1, 0.5, 0.79, 0.8, 1.0)] == [0.4, 0.4, 0.4, 0.9, 0.9]
    with pytest.raises(ConfigurationError):
        Curve((0.8, 0.5), (0.4, 0.9))
    with pytest.raises(ConfigurationError):
        Curve((0.5,), (1.2,))


def test_fit_pools_scores_whose_accuracy_falls_and_stays_below_what_was_seen() -> None:
    """A higher raw score that was right less often is pooled with the one below; every
    confidence is under its pool's observed accuracy (Wilson lower bound) and never falls."""
    observations = (
        seen("total_amount", "amount", 0.5, 20, 20)
        + seen("total_amount", "amount", 0.6, 90, 10)  # better than 0.7: pooled with it
        + seen("total_amount", "amount", 0.7, 80, 20)
        + seen("total_amount", "amount", 0.9, 199, 1)
    )
    curve = calibration.fit_curve(observations)
    assert curve.raw_from == (0.5, 0.6, 0.9)
    assert list(curve.confidence) == sorted(curve.confidence)
    assert 0.35 < curve(0.5) < 0.5  # 20 of 40 right
    assert 0.78 < curve(0.65) < 0.85  # 170 of 200 right, pooled
    assert 0.97 < curve(0.95) < 0.995  # 199 of 200


def test_fit_falls_back_from_field_to_kind_to_all() -> None:
    observations = seen("vendor_name", "text", 0.8, 60, 40) + seen("buyer_name", "text", 0.8, 5, 5)
    fitted = calibration.fit(observations, min_samples=30)
    assert set(fitted.curves) == {"vendor_name", "kind:text", "*"}
    assert fitted.curve_for("buyer_name", "text") is fitted.curves["kind:text"]
    assert fitted.curve_for("priority", "enum") is fitted.curves["*"]
    assert fitted.curve_for("vendor_name", "text") is fitted.curves["vendor_name"]


def test_a_small_pool_above_keeps_the_bound_seen_below_it() -> None:
    """Three values at a higher raw score, all right, bound alone at about 0.5; pools rise in
    accuracy, so the 0.98 shown by 400 values below holds for them too."""
    observations = seen("invoice_date", "date", 0.85, 396, 4) + seen(
        "invoice_date", "date", 0.9, 3, 0
    )
    curve = calibration.fit_curve(observations)
    assert curve(0.85) > 0.97 and curve(0.9) == curve(0.85)


def test_documents_read_by_ocr_get_their_own_curves() -> None:
    """Observations from scans are fitted apart (``<key>@ocr``); a scanned document's value
    takes that curve, a text's the plain one, and a field without an OCR curve falls back."""
    text = seen("vendor_name", "text", 0.8, 95, 5)
    scans = [replace(o, ocr=True) for o in seen("vendor_name", "text", 0.8, 75, 25)]
    fitted = calibration.fit(text + scans, min_samples=30)
    assert {"vendor_name", "vendor_name@ocr", "*", "*@ocr"} <= set(fitted.curves)
    assert fitted.confidence("vendor_name", "text", 0.8) == fitted.curves["vendor_name"](0.8)
    scan = fitted.confidence("vendor_name", "text", 0.8, ocr=True)
    assert scan == fitted.curves["vendor_name@ocr"](0.8)
    # a field the scans never showed: the plain curve, only ever lowered by the OCR ones
    generous = Calibration({"*": Curve((0.0,), (0.5,)), "*@ocr": Curve((0.0,), (0.95,))})
    assert generous.confidence("tax_amount", "amount", 0.8, ocr=True) == 0.5
    strict = Calibration({"*": Curve((0.0,), (0.9,)), "*@ocr": Curve((0.0,), (0.6,))})
    assert strict.confidence("tax_amount", "amount", 0.8, ocr=True) == 0.6
    record = CanonicalRecord(
        document_type=DocumentType.INVOICE,
        fields={"vendor_name": FieldValue(value="ACME", confidence=0.8)},
    )
    plain = fitted.apply(record).fields["vendor_name"].confidence
    scanned = fitted.apply(record, ocr=True).fields["vendor_name"].confidence
    assert scanned < 0.8 < 0.9 < plain
    plain_only = Calibration({"vendor_name": Curve((0.0,), (0.9,))})
    assert plain_only.apply(record, ocr=True).fields["vendor_name"].confidence == 0.9


def test_apply_maps_each_field_and_leaves_the_record_alone() -> None:
    record = CanonicalRecord(
        document_type=DocumentType.INVOICE,
        fields={"total_amount": FieldValue(value="1.00", confidence=0.85, raw="1,00")},
    )
    table = Calibration({"kind:amount": Curve((0.0, 0.8), (0.3, 0.97))})
    calibrated = table.apply(record)
    assert calibrated.fields["total_amount"].confidence == 0.97
    assert calibrated.fields["total_amount"].raw == "1,00"
    assert record.fields["total_amount"].confidence == 0.85


def test_the_table_round_trips_through_its_file(tmp_path: Path) -> None:
    table = calibration.fit(seen("vendor_name", "text", 0.8, 60, 40))
    path = tmp_path / "calibration.json"
    path.write_text(table.dumps(), "utf-8")
    assert Calibration.load(path) == table
    path.write_text('{"curves": {"x": [[0.5]]}}', "utf-8")
    with pytest.raises(ConfigurationError, match="not a calibration table"):
        Calibration.load(path)


def test_the_extractor_reports_calibrated_confidence() -> None:
    """The shipped table is applied by default and its curves never fall."""
    assert CALIBRATION_FILE.is_file()
    table = shipped()
    for curve in table.curves.values():
        assert list(curve.confidence) == sorted(curve.confidence)
    doc = LoadedDocument.from_text(RECEIPT, name="r.txt")
    raw = extractor.extract(doc, calibrated=False)
    cooked = extractor.extract(doc)
    assert cooked.values() == raw.values()
    assert cooked == table.apply(raw)
    assert cooked != raw  # at least one confidence moved


def test_reliability_buckets_and_the_share_right_above_a_threshold() -> None:
    observations = seen("a", "text", 0.95, 19, 1) + seen("a", "text", 0.6, 1, 1)
    table = calibration.reliability(observations)
    assert [(b.total, b.correct) for b in table["text"]] == [
        (0, 0), (2, 1), (0, 0), (0, 0), (0, 0), (20, 19)
    ]  # fmt: skip
    above = calibration.share_right_above(observations)
    assert (above.total, above.correct) == (20, 19)
    assert calibration.reliability_lines(table)[2].startswith("| all | – | 0.50 (2) |")


def test_calibrate_command_fits_a_labelled_folder(tmp_path: Path) -> None:
    app = typer.Typer()
    register(app)

    @app.callback()
    def main() -> None:
        """Test application."""

    out = tmp_path / "calibration.json"
    result = CliRunner().invoke(app, ["calibrate", str(FIXTURE_SET), "--out", str(out)])
    assert result.exit_code == 0, result.output
    assert "scored fields" in result.output and "values given ≥ 0.9" in result.output
    fitted = Calibration.load(out)
    assert fitted.fitted_on["datasets"] == ["mini"] and "*" in fitted.curves
    empty = tmp_path / "empty"
    (empty / "dev").mkdir(parents=True)
    (empty / "mapping.json").write_text(json.dumps({"document_type": "INVOICE", "fields": {}}))
    refused = CliRunner().invoke(app, ["calibrate", str(empty / "dev")])
    assert refused.exit_code == 2 and "no scored fields" in refused.output


@pytest.mark.slow
def test_the_shipped_calibration_keeps_its_promise(datasets_dir: Path) -> None:
    """On the dev sets' text, at least 95 % of values given ≥ 0.9 are right."""
    observations = [
        o
        for folder in sorted(datasets_dir.glob("*/dev"))
        if (folder.parent / "mapping.json").is_file() or (folder / "mapping.json").is_file()
        for o in calibration.observe(folder)
    ]
    above = calibration.share_right_above(calibration.calibrated(observations, shipped()))
    assert above.total > 500
    assert above.accuracy is not None and above.accuracy >= 0.95


def test_observations_include_the_fields_an_embedded_xml_states(tmp_path: Path) -> None:
    """Where a set's truth comes from the XML inside its PDFs, the fields that XML states
    (here the IBAN, printed on the page) are observed from the text too, as eval scores them."""
    folder = tmp_path / "einv" / "dev"
    folder.mkdir(parents=True)
    (folder.parent / "mapping.json").write_text(
        json.dumps({"document_type": "INVOICE", "fields": {"grand_total": "total_amount"}})
    )
    (folder / "a.pdf").write_bytes(einvoice_pdf(visible(), cii_xml()))
    (folder / "a.txt").write_text("\n".join(visible()) + "\nIBAN: DE02 1203 0000 0000 2020 51\n")
    truth = {"fields": {"grand_total": "119.00"}, "meta": {"ground_truth": "embedded CII XML"}}
    (folder / "a.json").write_text(json.dumps(truth))
    found = {o.field: o.correct for o in calibration.observe(folder)}
    assert found == {"total_amount": True, "iban": True}

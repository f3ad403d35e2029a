"""Accuracy of the rules extractor on the shared evaluation data (skipped when absent)."""

from __future__ import annotations

from pathlib import Path

import pytest

from myloware.evaluation import run_eval

DATASETS = Path(__file__).resolve().parents[1].parent / "shared" / "datasets"
SROIE = DATASETS / "sroie2019" / "dev"

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
    assert result.seconds / result.documents < 0.02  # well within a 10 documents/s pipeline

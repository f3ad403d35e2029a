"""Evaluation: score extractions against labelled data sets.

``run_eval(dataset_dir, out_dir, ...) -> EvalReport`` runs and scores a folder;
:mod:`scoring` holds the field-comparison rules of ``datasets/README.md``;
:func:`render_report` prints the table ending in ``overall_field_accuracy=0.xxx``.
"""

from myloware.evaluation.harness import EvalReport, FieldStats, SetReport, load_text, run_eval
from myloware.evaluation.report import format_report, render_report
from myloware.evaluation.scoring import FieldScore, score_field

__all__ = [
    "EvalReport",
    "FieldScore",
    "FieldStats",
    "SetReport",
    "format_report",
    "load_text",
    "render_report",
    "run_eval",
    "score_field",
]

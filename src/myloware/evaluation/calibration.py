"""Fit and check the rules extractor's confidence calibration on labelled data sets.

:func:`observe` runs the rules extractor *uncalibrated* over data set folders and records, for
each scored field, its raw confidence and whether it was right (the scorer's exact match).
:func:`fit` turns those observations into a :class:`~myloware.extraction.calibration.Calibration`:

1. per field (with at least ``min_samples`` observations), per schema kind, and overall —
   from documents read by OCR apart (``<key>@ocr``), since a scan misreads what a text layer
   gives exactly;
2. observations grouped by raw score, adjacent groups pooled until accuracy never falls as
   the raw score rises (pool-adjacent-violators, i.e. isotonic regression);
3. each pool's confidence is the lower end of a one-sided 95 % Wilson interval of its accuracy,
   so a small pool is not trusted beyond what it showed; since pools rise in accuracy, a
   pool's bound also holds for every pool above it, so each step takes the greatest bound
   at or below it (a small top pool is not dragged below what the pools under it showed).

:func:`reliability` is the check: observed accuracy per confidence bucket and kind, and the
share right among values given ≥ 0.9. :func:`cross_checked` fits on half the documents and
checks on the other half (both ways), the figure that says how it does on unseen documents.
"""

from __future__ import annotations

import json
import math
import zlib
from collections import defaultdict
from collections.abc import Callable, Iterable, Sequence
from dataclasses import dataclass, replace
from pathlib import Path
from typing import Any

from myloware.errors import MylowareError
from myloware.evaluation import xml_truth
from myloware.evaluation.harness import (
    InputMode,
    Loader,
    Mapping,
    document_paths,
    load_mapping,
    load_text,
)
from myloware.evaluation.scoring import score_field
from myloware.extraction import extractor
from myloware.extraction.calibration import ANY, OCR, Calibration, Curve, kind_key
from myloware.normalize import restyle
from myloware.normalize.kinds import field_kinds

#: The buckets of the reliability table: [from, to) of the confidence, the last one closed.
BUCKETS: tuple[tuple[float, float], ...] = (
    (0.0, 0.5),
    (0.5, 0.7),
    (0.7, 0.8),
    (0.8, 0.9),
    (0.9, 0.95),
    (0.95, 1.0),
)
WILSON_Z = 1.645  # one-sided 95 %
MIN_SAMPLES = 30


@dataclass(frozen=True)
class Observation:
    """One scored field: where from, its raw confidence, whether it was right."""

    dataset: str
    document: str
    field: str
    kind: str
    confidence: float
    correct: bool
    ocr: bool = False  # the document was read by OCR


def observe(
    dataset_dir: Path, input_mode: InputMode = "text", load: Loader | None = None
) -> list[Observation]:
    """Every scored field of the rules extractor's uncalibrated output on ``dataset_dir``.

    Documents read from an embedded e-invoice (exact, never calibrated) and documents that
    fail to load or extract are left out.
    """
    mapping = load_mapping(dataset_dir)
    reader = load_text if input_mode == "text" else load
    if reader is None:
        raise ValueError("input mode 'document' needs a loader")
    name = dataset_dir.resolve().parent.name
    found: list[Observation] = []
    for doc_id, path in sorted(document_paths(dataset_dir, input_mode).items()):
        truth_path = dataset_dir / f"{doc_id}.json"
        if path is None or not truth_path.is_file():
            continue
        try:
            doc = reader(path)
            record = extractor.extract(doc, calibrated=False)
        except MylowareError:
            continue
        if record.extractor != extractor.EXTRACTOR_NAME:
            continue
        values = {k: (fv.value, fv.confidence) for k, fv in restyle(record).fields.items()}
        scored = _scored(name, doc_id, mapping, values, _truth(truth_path))
        found += [replace(o, ocr=True) for o in scored] if doc.read_by_ocr else scored
    return found


def from_predictions(dataset_dir: Path, pred_dir: Path) -> list[Observation]:
    """The scored fields of predictions ``run_eval`` wrote (``<id>.json`` with the canonical
    record), each with the confidence the extractor reported: the check of a calibration."""
    mapping = load_mapping(dataset_dir)
    name = dataset_dir.resolve().parent.name
    found: list[Observation] = []
    for pred_path in sorted(pred_dir.glob("*.json")):
        truth_path = dataset_dir / pred_path.name
        if not truth_path.is_file():
            continue
        record = json.loads(pred_path.read_text("utf-8")).get("canonical", {})
        values = {
            k: (fv.get("value"), float(fv.get("confidence", 0.0)))
            for k, fv in record.get("fields", {}).items()
        }
        found += _scored(name, pred_path.stem, mapping, values, _truth(truth_path))
    return found


def _truth(path: Path) -> dict[str, Any]:
    """A truth file's fields, with the fields its embedded XML states where the set's truth
    comes from that XML (as :func:`~myloware.evaluation.harness.run_eval` scores them)."""
    truth = xml_truth.supplement(json.loads(path.read_text("utf-8")), path.with_suffix(".pdf"))
    fields: dict[str, Any] = truth.get("fields", {})
    return fields


def _scored(
    dataset: str,
    doc_id: str,
    mapping: Mapping,
    values: dict[str, tuple[Any, float]],
    truth: dict[str, Any],
) -> list[Observation]:
    """One document's observations: each truth field the extractor gave a value for (a field
    left empty has no confidence to calibrate)."""
    kinds = field_kinds(mapping.document_type)
    found = []
    for field, expected in truth.items():
        canonical = mapping.fields.get(field)
        if canonical is None or canonical not in values:
            continue
        value, confidence = values[canonical]
        kind = kinds.get(canonical)
        score = score_field(kind, value, expected)
        if score is not None:
            kind_name = kind.kind.value if kind else "text"
            found.append(
                Observation(dataset, doc_id, canonical, kind_name, confidence, score.correct)
            )
    return found


def wilson_lower(correct: int, total: int, z: float = WILSON_Z) -> float:
    """The lower end of the Wilson score interval of ``correct / total``."""
    if total == 0:
        return 0.0
    p = correct / total
    centre = p + z * z / (2 * total)
    margin = z * math.sqrt(p * (1 - p) / total + z * z / (4 * total * total))
    return max(0.0, (centre - margin) / (1 + z * z / total))


def fit_curve(observations: Sequence[Observation]) -> Curve:
    """The isotonic, Wilson-bounded step function of one group's observations."""
    groups: dict[float, list[int]] = defaultdict(lambda: [0, 0])
    for o in observations:
        group = groups[round(o.confidence, 2)]
        group[0] += o.correct
        group[1] += 1
    pools: list[tuple[float, int, int]] = []  # (raw from, correct, total)
    for raw in sorted(groups):
        correct, total = groups[raw]
        pools.append((raw, correct, total))
        # pool while the last pool is less accurate than the one before it
        while len(pools) > 1 and pools[-1][1] * pools[-2][2] < pools[-2][1] * pools[-1][2]:
            last, before = pools.pop(), pools.pop()
            pools.append((before[0], before[1] + last[1], before[2] + last[2]))
    bounds = [wilson_lower(correct, total) for _, correct, total in pools]
    for i in range(1, len(bounds)):
        # pools are in order of accuracy, so a pool's bound holds for every pool above it:
        # a small high pool (three values, all right: 0.53) keeps the bound seen below it
        bounds[i] = max(bounds[i], bounds[i - 1])
    return Curve(tuple(raw for raw, _, _ in pools), tuple(round(b, 3) for b in bounds))


def fit(observations: Sequence[Observation], min_samples: int = MIN_SAMPLES) -> Calibration:
    """Curves per field and per kind with at least ``min_samples`` observations, and ``*``."""
    groups: dict[str, list[Observation]] = defaultdict(list)
    for o in observations:
        suffix = OCR if o.ocr else ""
        for key in (o.field, kind_key(o.kind), ANY):
            groups[key + suffix].append(o)
    curves = {
        key: fit_curve(group)
        for key, group in groups.items()
        if len(group) >= min_samples or key == ANY
    }
    sets = sorted({o.dataset for o in observations})
    return Calibration(curves, {"datasets": sets, "observations": len(observations)})


def calibrated(observations: Iterable[Observation], calibration: Calibration) -> list[Observation]:
    """The observations with their confidence passed through ``calibration``."""
    out = []
    for o in observations:
        confidence = calibration.confidence(o.field, o.kind, o.confidence, ocr=o.ocr)
        out.append(replace(o, confidence=round(confidence, 3)))
    return out


@dataclass(frozen=True)
class Bucket:
    low: float
    high: float
    total: int
    correct: int

    @property
    def accuracy(self) -> float | None:
        return self.correct / self.total if self.total else None


def _bucket_of(confidence: float) -> int:
    for i, (low, high) in enumerate(BUCKETS):
        if low <= confidence < high:
            return i
    return len(BUCKETS) - 1


def reliability(observations: Iterable[Observation]) -> dict[str, list[Bucket]]:
    """``{kind (and "all"): [Bucket per BUCKETS]}``: observed accuracy per confidence range."""
    counts: dict[str, list[list[int]]] = defaultdict(lambda: [[0, 0] for _ in BUCKETS])
    for o in observations:
        i = _bucket_of(o.confidence)
        for key in (o.kind, "all"):
            counts[key][i][0] += 1
            counts[key][i][1] += o.correct
    return {
        key: [Bucket(low, high, t, c) for (low, high), (t, c) in zip(BUCKETS, rows, strict=True)]
        for key, rows in sorted(counts.items())
    }


def share_right_above(observations: Iterable[Observation], threshold: float = 0.9) -> Bucket:
    """How many values given ≥ ``threshold`` there are, and how many of them are right."""
    above = [o for o in observations if o.confidence >= threshold]
    return Bucket(threshold, 1.0, len(above), sum(o.correct for o in above))


def cross_checked(
    observations: Sequence[Observation], fitter: Callable[[Sequence[Observation]], Calibration]
) -> list[Observation]:
    """Each half of the documents calibrated by a fit on the other half (two folds)."""
    halves: tuple[list[Observation], list[Observation]] = ([], [])
    for o in observations:
        halves[zlib.crc32(f"{o.dataset}/{o.document}".encode()) % 2].append(o)
    return calibrated(halves[0], fitter(halves[1])) + calibrated(halves[1], fitter(halves[0]))


def reliability_lines(table: dict[str, list[Bucket]]) -> list[str]:
    """The table as Markdown rows: kind, then ``accuracy (count)`` per bucket."""
    head = " | ".join(f"{low:.2f}–{high:.2f}" for low, high in BUCKETS)
    lines = [f"| kind | {head} |", "|---|" + "---|" * len(BUCKETS)]
    for key, buckets in table.items():
        cells = " | ".join(
            f"{b.accuracy:.2f} ({b.total})" if b.accuracy is not None else "–" for b in buckets
        )
        lines.append(f"| {key} | {cells} |")
    return lines

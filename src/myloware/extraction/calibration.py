"""Calibrated confidence: the rules extractor's raw scores mapped to observed accuracy.

The heuristics score each value by how it was found (a labelled line 0.85, a guess 0.5…);
those numbers order values but are not probabilities. A :class:`Calibration` maps a field's
raw score to how often values of that field with that score were right on the dev sets, so
a policy threshold of 0.9 means "nine in ten such values are right" — at least.

The map is fitted (``myloware calibrate``, :mod:`myloware.evaluation.calibration`) and
shipped as ``calibration.json`` next to this module::

    {"fitted_on": {...}, "curves": {"<field or kind:<kind>>": [[raw_from, confidence], ...]}}

Each curve is a non-decreasing step function over raw scores: a raw score takes the
confidence of the last step at or below it (the first step's below all of them). A field
without its own curve uses its kind's (``kind:amount``...), else the ``*`` curve, else its
raw score unchanged. Values read exactly from an e-invoice never pass through here.

A value read from a scan is right less often than the same heuristic on a text layer (OCR
misreads letters), so a value of a document read by OCR takes its field's ``<field>@ocr``
curve (fitted on OCR'd documents only) where the table has one; otherwise its plain curve,
lowered where the OCR kind's or overall curve says less — never raised by them.
"""

from __future__ import annotations

import json
from bisect import bisect_right
from dataclasses import dataclass, field
from functools import cache
from pathlib import Path
from typing import Any

from myloware.errors import ConfigurationError
from myloware.normalize.kinds import field_kinds
from myloware.records import CanonicalRecord

CALIBRATION_FILE = Path(__file__).with_name("calibration.json")
ANY = "*"
OCR = "@ocr"  # the suffix of a curve fitted on documents read by OCR only


def kind_key(kind: str) -> str:
    """The curve key shared by every field of ``kind`` (``kind:amount``)."""
    return f"kind:{kind}"


@dataclass(frozen=True)
class Curve:
    """A non-decreasing step function: ``raw_from[i]`` up takes ``confidence[i]``."""

    raw_from: tuple[float, ...]
    confidence: tuple[float, ...]

    def __post_init__(self) -> None:
        if not self.raw_from or len(self.raw_from) != len(self.confidence):
            raise ConfigurationError("a calibration curve needs as many steps as confidences")
        if list(self.raw_from) != sorted(self.raw_from):
            raise ConfigurationError("a calibration curve's raw scores must be ascending")
        if any(not 0.0 <= c <= 1.0 for c in self.confidence):
            raise ConfigurationError("a calibrated confidence must lie in 0..1")

    def __call__(self, raw: float) -> float:
        return self.confidence[max(bisect_right(self.raw_from, raw) - 1, 0)]

    def to_json(self) -> list[list[float]]:
        return [[r, c] for r, c in zip(self.raw_from, self.confidence, strict=True)]

    @classmethod
    def from_json(cls, steps: list[list[float]]) -> Curve:
        return cls(tuple(float(r) for r, _ in steps), tuple(float(c) for _, c in steps))


@dataclass(frozen=True)
class Calibration:
    """Curves by field name, by ``kind:<kind>`` and ``*``; what they were fitted on."""

    curves: dict[str, Curve] = field(default_factory=dict)
    fitted_on: dict[str, Any] = field(default_factory=dict)

    def curve_for(self, name: str, kind: str | None) -> Curve | None:
        """The plain curve of a field: its own, its kind's, else the overall one."""
        for key in (name, kind_key(kind) if kind else None, ANY):
            if key is not None and key in self.curves:
                return self.curves[key]
        return None

    def confidence(self, name: str, kind: str | None, raw: float, *, ocr: bool = False) -> float:
        """``raw`` calibrated for field ``name``; ``ocr``: the document was read by OCR.

        A scanned value takes its field's own OCR curve where there is one; otherwise the
        plain curve, lowered to the OCR kind's or overall curve where that says less (those
        are fitted on the few fields the scanned sets label, so they never raise a value).
        """
        plain = self.curve_for(name, kind)
        value = plain(raw) if plain is not None else raw
        if not ocr:
            return value
        if (own := self.curves.get(name + OCR)) is not None:
            return own(raw)
        for key in (kind_key(kind) + OCR if kind else None, ANY + OCR):
            if key is not None and key in self.curves:
                return min(value, self.curves[key](raw))
        return value

    def apply(self, record: CanonicalRecord, *, ocr: bool = False) -> CanonicalRecord:
        """``record`` with every field's confidence calibrated (a copy; ``record`` unchanged);
        ``ocr``: the document was read by OCR."""
        if not self.curves:
            return record
        kinds = field_kinds(record.document_type)
        fields = {}
        for name, fv in record.fields.items():
            kind = kinds.get(name)
            calibrated = self.confidence(
                name, kind.kind.value if kind else None, fv.confidence, ocr=ocr
            )
            same = calibrated == fv.confidence  # no curve applies: the value stays as read
            fields[name] = (
                fv if same else fv.model_copy(update={"confidence": round(calibrated, 3)})
            )
        return record.model_copy(update={"fields": fields})

    def to_json(self) -> dict[str, Any]:
        return {
            "fitted_on": self.fitted_on,
            "curves": {key: curve.to_json() for key, curve in sorted(self.curves.items())},
        }

    def dumps(self) -> str:
        """The JSON file's text: one line per curve, so a refit reads well as a diff."""
        data = self.to_json()
        curves = ",\n".join(
            f"  {json.dumps(key)}: {json.dumps(steps)}" for key, steps in data["curves"].items()
        )
        fitted_on = json.dumps(data["fitted_on"])
        return f'{{\n "fitted_on": {fitted_on},\n "curves": {{\n{curves}\n }}\n}}\n'

    @classmethod
    def from_json(cls, data: dict[str, Any]) -> Calibration:
        try:
            curves = {key: Curve.from_json(steps) for key, steps in data["curves"].items()}
        except (KeyError, TypeError, ValueError) as exc:
            raise ConfigurationError(f"not a calibration table: {exc}") from exc
        return cls(curves, dict(data.get("fitted_on", {})))

    @classmethod
    def load(cls, path: Path) -> Calibration:
        try:
            return cls.from_json(json.loads(path.read_text("utf-8")))
        except (OSError, json.JSONDecodeError) as exc:
            raise ConfigurationError(f"cannot read calibration table {path}: {exc}") from exc


@cache
def shipped() -> Calibration:
    """The calibration fitted on the dev sets and shipped with the package (none if absent)."""
    if not CALIBRATION_FILE.is_file():
        return Calibration()
    return Calibration.load(CALIBRATION_FILE)

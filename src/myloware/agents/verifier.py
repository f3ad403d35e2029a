"""Verifier: re-check a stored record against the source text it was extracted from.

A value is *grounded* when the source text supports it: the text at its span matches its raw
form, or (for values without a span, e.g. human corrections) its normalised form occurs in the
text — on a text read by OCR also with a few characters misread (a person who corrects a
scan's misreading types what the page says, not what OCR made of it:
:func:`myloware.extraction.learned.nearly_printed`). The score is the grounded fraction of
checked fields, scaled down by the validation quality score; a record passes when score ≥
``threshold`` and validation found no errors.
"""

from __future__ import annotations

import re
from dataclasses import dataclass, field
from typing import Any

from temporalio import activity

from myloware.agents.deps import AgentDeps
from myloware.agents.names import AgentName
from myloware.contracts import VerifyInput, VerifyOutput
from myloware.db import hot_sql
from myloware.db.direct import transaction
from myloware.extraction.learned import nearly_printed
from myloware.records import CanonicalRecord, FieldValue

_SPACE = re.compile(r"\s+")
_NON_DIGIT = re.compile(r"[^0-9]")
UNCHECKED = frozenset(
    {
        "line_items",
        "risks",
        "tags",
        "accomplishments",
        "next_steps",
        "sentiment",
        "language",
        "ticket_type",
        "priority",
        "queue",
        "category",
        "overall_status",
        "currency",
        "summary",
    }
)


@dataclass
class Verification:
    score: float
    passed: bool
    metrics: dict[str, Any] = field(default_factory=dict)


def _squash(text: str) -> str:
    return _SPACE.sub("", text).casefold()


def is_grounded(value: FieldValue, text: str, squashed: str, *, ocr: bool = False) -> bool:
    """True when the source text supports this value (see module docstring); on a text read
    by OCR also a text value printed with a few characters misread (a person's correction of
    the misreading)."""
    if value.span is not None:
        start, end = value.span
        if 0 <= start < end <= len(text):
            at_span = _squash(text[start:end])
            if value.raw is None or _squash(value.raw) in at_span or at_span in _squash(value.raw):
                return True
    candidates = [value.raw, value.value if isinstance(value.value, str) else None]
    for candidate in candidates:
        if candidate and _squash(str(candidate)) in squashed:
            return True
    digits = _NON_DIGIT.sub("", str(value.value))
    if len(digits) >= 3 and digits in _NON_DIGIT.sub("", text):
        return True
    return ocr and isinstance(value.value, str) and nearly_printed(value.value, text) is not None


PASS_THRESHOLD = 0.7  # the default; a workflow template may set its own


def verify_record(
    record: CanonicalRecord,
    text: str,
    *,
    quality_score: float,
    valid: bool,
    threshold: float = PASS_THRESHOLD,
    ocr: bool = False,
) -> Verification:
    squashed = _squash(text)
    checked = {
        name: is_grounded(fv, text, squashed, ocr=ocr)
        for name, fv in record.fields.items()
        if name not in UNCHECKED and fv.value not in (None, "", [])
    }
    grounded = sum(checked.values())
    grounding = grounded / len(checked) if checked else 0.0
    score = round(grounding * (0.5 + 0.5 * quality_score), 2)
    return Verification(
        score=score,
        passed=valid and score >= threshold,
        metrics={
            "grounded_fields": grounded,
            "checked_fields": len(checked),
            "ungrounded": sorted(k for k, ok in checked.items() if not ok),
            "grounding": round(grounding, 3),
            "quality_score": quality_score,
            "valid": valid,
            "threshold": threshold,
        },
    )


class Verifier:
    def __init__(self, deps: AgentDeps) -> None:
        self.deps = deps

    @activity.defn(name=AgentName.VERIFIER)
    async def run(self, inp: VerifyInput) -> VerifyOutput:
        ref = inp.item
        doc = await self.deps.context(ref.work_item_id)
        result = verify_record(
            inp.record,
            doc.text,
            quality_score=inp.validation.quality_score,
            valid=inp.validation.valid,
            threshold=PASS_THRESHOLD if inp.threshold is None else inp.threshold,
            ocr=doc.read_by_ocr,
        )
        async with transaction(self.deps.engine) as pg:
            await hot_sql.save_verification(
                pg,
                tenant_id=ref.tenant_id,
                item_id=ref.work_item_id,
                score=result.score,
                metrics={**result.metrics, "record_version": inp.persisted.version},
                passed=result.passed,
            )
        return VerifyOutput(score=result.score, passed=result.passed, metrics=result.metrics)

"""Human corrections applied to a record before it is re-normalised and re-validated."""

from __future__ import annotations

from collections.abc import Mapping
from typing import Any

from myloware.records import CanonicalRecord, FieldValue

HUMAN_CORRECTION = "human correction"


def apply_corrections(record: CanonicalRecord, corrections: Mapping[str, Any]) -> CanonicalRecord:
    """A copy of ``record`` with each corrected field set as a person stated it.

    Corrected fields get confidence 1.0, ``raw="human correction"`` and no span, page or
    box (the value came from a person, not from the text). A correction to ``None`` records
    that the field is empty. Other fields are kept as they were; ``record`` is not changed.
    The extractor's findings about a corrected field are dropped: a person has settled it.
    The caller re-normalises and re-validates the result.
    """
    fields = dict(record.fields)
    for name, value in corrections.items():
        fields[name] = FieldValue(value=value, confidence=1.0, raw=HUMAN_CORRECTION)
    findings = [f for f in record.findings if f.field not in corrections]
    return record.model_copy(update={"fields": fields, "findings": findings})

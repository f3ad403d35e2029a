"""The quality score of a record: one number in 0..1 for policy thresholds and dashboards."""

from __future__ import annotations

from collections.abc import Mapping
from statistics import fmean
from typing import Any

from myloware.records import CanonicalRecord
from myloware.validation._schema import required_groups, schema_fields
from myloware.validation._values import is_filled

COMPLETENESS_WEIGHT = 0.4
CONFIDENCE_WEIGHT = 0.6
ERROR_FACTOR = 0.75
WARNING_FACTOR = 0.95


def quality_score(
    record: CanonicalRecord, schema: Mapping[str, Any], *, errors: int, warnings: int
) -> float:
    """Score a record from how complete and how sure it is, less its problems.

    ::

        required     = share of the schema's required groups with a filled value (1 if none)
        coverage     = share of the schema's top-level fields with a filled value
        completeness = (required + coverage) / 2
        confidence   = mean confidence of the filled schema fields (0 if none)
        score        = (0.4 × completeness + 0.6 × confidence)
                       × 0.75 ^ errors × 0.95 ^ warnings

    "Filled" means not null, not blank text and not an empty list. Required fields count
    twice so that a receipt with everything a receipt has is not judged by the fields an
    invoice would add. The result is rounded to four places.
    """
    values = record.values()
    fields = schema_fields(schema) or tuple(values)
    filled = [name for name in fields if is_filled(values.get(name))]
    groups = required_groups(schema)
    required = (
        sum(any(is_filled(values.get(n)) for n in group) for group in groups) / len(groups)
        if groups
        else 1.0
    )
    coverage = len(filled) / len(fields) if fields else 0.0
    confidence = fmean(record.fields[name].confidence for name in filled) if filled else 0.0
    base = COMPLETENESS_WEIGHT * (required + coverage) / 2 + CONFIDENCE_WEIGHT * confidence
    score = base * ERROR_FACTOR**errors * WARNING_FACTOR**warnings
    return round(min(1.0, max(0.0, score)), 4)

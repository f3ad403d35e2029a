"""Tiny pictures for the report pages, as numbers the templates put into SVG and CSS (pure).

* :func:`sparkline` — the points of an inline SVG polyline for values in 0..1, one per day
  (no script and no external file: the UI's CSP allows neither).
* :func:`shares` — each value as a percent of the largest, for CSS bar widths.
"""

from __future__ import annotations

from collections.abc import Sequence
from dataclasses import dataclass
from decimal import Decimal

SPARK_WIDTH, SPARK_HEIGHT, SPARK_PAD = 120, 28, 3


@dataclass(frozen=True, slots=True)
class Sparkline:
    points: str  # "x,y x,y …" for <polyline points>
    last: tuple[float, float]  # where the last value sits (a dot marks it)
    width: int = SPARK_WIDTH
    height: int = SPARK_HEIGHT


def sparkline(values: Sequence[float]) -> Sparkline | None:
    """Values in 0..1 (clamped) spread evenly left to right, 1 at the top; None for none."""
    if not values:
        return None
    inner_w, inner_h = SPARK_WIDTH - 2 * SPARK_PAD, SPARK_HEIGHT - 2 * SPARK_PAD
    step = inner_w / (len(values) - 1) if len(values) > 1 else 0.0
    xy = []
    for n, value in enumerate(values):
        v = min(max(value, 0.0), 1.0)
        x = SPARK_PAD + (n * step if len(values) > 1 else inner_w / 2)
        xy.append((round(x, 1), round(SPARK_PAD + (1 - v) * inner_h, 1)))
    return Sparkline(" ".join(f"{x:g},{y:g}" for x, y in xy), xy[-1])


def shares(values: Sequence[Decimal | int | float]) -> list[float]:
    """Each value as a percent (0..100, one decimal) of the largest; all 0 when none is > 0."""
    peak = max((float(v) for v in values), default=0.0)
    if peak <= 0:
        return [0.0 for _ in values]
    return [round(float(v) / peak * 100, 1) for v in values]

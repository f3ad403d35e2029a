"""Totals printed as a table: a row of labels (``Grondslag | BTW bedrag | Totaal``) over a row
of amounts. Each amount is read under its column's label (net, tax or gross)."""

from __future__ import annotations

import re
from dataclasses import replace

from myloware.extraction import labels
from myloware.extraction.layout import Line
from myloware.extraction.money import Money, find_money

_CONCEPTS = ("net_total", "tax_amount", "gross_total")
_PLAIN_TOTAL_RE = re.compile(r"\s*(?:total|totaal|totale|summe|gesamt)\s*:?\s*", re.IGNORECASE)


def _concept(cell: str) -> str | None:
    for concept in _CONCEPTS:
        if labels.whole_label_re(concept).fullmatch(cell):
            return concept
    return "gross_total" if _PLAIN_TOTAL_RE.fullmatch(cell) else None


def column_totals(lines: list[Line]) -> dict[str, list[tuple[Line, Money]]]:
    """Amounts under net/tax/gross column labels, by concept (empty lists when none)."""
    found: dict[str, list[tuple[Line, Money]]] = {concept: [] for concept in _CONCEPTS}
    for pos, line in enumerate(lines[:-1]):
        cells = line.cells()
        if len(cells) < 2 or find_money(line.flat):
            continue
        concepts = [_concept(text) for text, _, _ in cells]
        if sum(c is not None for c in concepts) < 2:
            continue
        below = lines[pos + 1]
        row = below.cells()
        if len(row) != len(cells):
            continue
        for concept, (text, start, _) in zip(concepts, row, strict=True):
            money = find_money(text)
            if concept is not None and len(money) == 1:
                m = money[0]
                found[concept].append((below, replace(m, start=m.start + start, end=m.end + start)))
    return found

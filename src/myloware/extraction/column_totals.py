"""Totals printed as a table: a row of labels (``Grondslag | BTW bedrag | Totaal``) over a row
of amounts. Each amount is read under its column's label (net, tax or gross).

Where the cells are not told apart (plain text: ``Warenwert Zu-/Abschlag Skonto Nettobetrag
MwSt-Betrag MwSt-% Endbetrag`` over ``1062,60 15,00 -21,55 1056,05 200,65 19,0 1256,70``),
a header naming net, tax and gross in that order is read by arithmetic instead: the one
triple of amounts in the row, left to right, where net + tax = gross."""

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


def _names_net_tax_gross(text: str) -> bool:
    """A header that names net, tax and gross, in that order, and holds no digit."""
    if any(ch.isdigit() for ch in text):
        return False
    found = [labels.label_re(concept).search(text) for concept in _CONCEPTS]
    starts = [m.start() for m in found if m is not None]
    return len(starts) == 3 and starts[0] < starts[1] < starts[2]


_MAX_ROW_AMOUNTS = 12  # a totals row is short; a longer one is not searched (n³ triples)


def _added_up(row: list[Money]) -> tuple[Money, Money, Money] | None:
    """The only triple ``(net, tax, gross)`` of ``row``, in order, with net + tax = gross."""
    if len(row) > _MAX_ROW_AMOUNTS:
        return None
    triples = [
        (row[i], row[j], row[k])
        for i in range(len(row))
        for j in range(i + 1, len(row))
        for k in range(j + 1, len(row))
        if row[i].value + row[j].value == row[k].value and row[k].value > 0 and row[j].value > 0
    ]
    return triples[0] if len(triples) == 1 else None


def _arithmetic_totals(lines: list[Line], found: dict[str, list[tuple[Line, Money]]]) -> None:
    for pos, line in enumerate(lines[:-1]):
        if len(line.cells()) > 1 or not _names_net_tax_gross(line.flat):
            continue
        below = lines[pos + 1]
        triple = _added_up([m for m in find_money(below.flat) if m.decimals])
        if triple is not None:
            for concept, money in zip(_CONCEPTS, triple, strict=True):
                found[concept].append((below, money))


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
    _arithmetic_totals(lines, found)
    return found

"""Label and amount columns that PDF text extraction printed one after the other.

A totals box drawn as two columns (labels left, amounts right) often comes out of a PDF's
text layer column by column, the last label and the first amount run together::

    Subtotal:
    Tax:
    Total:
    Invoice Balance:75.87
    0.00
    75.87
    0.00

:func:`unstack` pairs them again, in order (``Subtotal: 75.87``, ``Tax: 0.00``, ``Total:
75.87``, ``Invoice Balance: 0.00``), only when the counts match exactly: two or more lines of
nothing but labels (each ending in a colon), then as many lines of one amount each (the first
may close the last label's line, right after its colon), then a line that is not an amount.
Lines with cells (TAB-separated OCR boxes) or boxes are visual lines already and are left
alone. Each paired line keeps the source offsets of both its parts.
"""

from __future__ import annotations

import re

from myloware.extraction.layout import Line
from myloware.extraction.money import Money, find_money

_LABELS_RE = re.compile(r"(?:[^\W\d_][^:\d]{0,39}:\s*)+")
_GLUED_RE = re.compile(r"((?:[^\W\d_][^:\d]{0,39}:\s*)*[^\W\d_][^:\d]{0,39}:)(\S.*)")


def _amount_only(text: str) -> Money | None:
    """The one amount of a text that holds nothing else (a currency code aside)."""
    money = find_money(text)
    if len(money) != 1 or not money[0].decimals:
        return None
    rest = text[: money[0].start] + text[money[0].end :]
    letters = sum(ch.isalpha() for ch in rest)
    return money[0] if letters <= 3 and not any(ch.isdigit() for ch in rest) else None


def _paired(label: tuple[Line, int, int], value: tuple[Line, int, int]) -> Line:
    """One line ``label value`` whose characters keep their places in the source."""
    (l_line, l_start, l_end), (v_line, v_start, v_end) = label, value
    l_text, l_offsets = l_line.text[l_start:l_end].rstrip(), l_line.offsets[l_start:l_end]
    v_raw = v_line.text[v_start:v_end]
    lead = len(v_raw) - len(v_raw.lstrip())
    v_text = v_raw.strip()
    v_offsets = v_line.offsets[v_start + lead : v_start + lead + len(v_text)]
    offsets = (*l_offsets[: len(l_text)], l_offsets[len(l_text) - 1], *v_offsets)
    return Line(l_line.index, f"{l_text} {v_text}", offsets, l_line.page, None)


def _plain(line: Line) -> bool:
    """A line of plain text: no cells, no box (a visual line is a line already)."""
    return line.box is None and "\t" not in line.text


def _is_labels(line: Line) -> bool:
    return _plain(line) and _LABELS_RE.fullmatch(line.text.strip()) is not None


def _is_amount(line: Line) -> bool:
    return _plain(line) and _amount_only(line.text) is not None


def _block_at(lines: list[Line], pos: int) -> tuple[list[Line], int] | None:
    """The paired lines of a stacked block starting at ``pos`` and the index after it."""
    labels: list[tuple[Line, int, int]] = []
    values: list[tuple[Line, int, int]] = []
    end = pos
    while end < len(lines) and _is_labels(lines[end]):
        labels.append((lines[end], 0, len(lines[end].text)))
        end += 1
    glued = _GLUED_RE.fullmatch(lines[end].text) if end < len(lines) else None
    if glued is not None and _plain(lines[end]) and _amount_only(glued.group(2)) is not None:
        labels.append((lines[end], 0, glued.end(1)))
        values.append((lines[end], glued.start(2), len(lines[end].text)))
        end += 1
    if len(labels) < 2:
        return None
    while len(values) < len(labels) and end < len(lines) and _is_amount(lines[end]):
        values.append((lines[end], 0, len(lines[end].text)))
        end += 1
    if len(values) != len(labels) or (end < len(lines) and _is_amount(lines[end])):
        return None
    return [_paired(label, value) for label, value in zip(labels, values, strict=True)], end


def unstack(lines: list[Line]) -> list[Line]:
    """``lines`` with every stacked label/amount block paired again, re-indexed from 0."""
    out: list[Line] = []
    pos = 0
    while pos < len(lines):
        if not _is_labels(lines[pos]):
            out.append(lines[pos])
            pos += 1
            continue
        block = _block_at(lines, pos)
        if block is not None:
            paired, pos = block
            out.extend(paired)
            continue
        while pos < len(lines) and _is_labels(lines[pos]):  # never a block from mid-run
            out.append(lines[pos])
            pos += 1
    return [
        line if line.index == k else Line(k, line.text, line.offsets, line.page, line.box)
        for k, line in enumerate(out)
    ]

"""The title line of an invoice: ``Rechnung Nr. 4711 vom 25.04.2018``, ``Invoice FA-2017-0008``.

Many invoices state their number and date in one sentence after the document's title, in
their own language: ``Handelsrechnung (380) Nr. 471102 vom 05.06.2018``, ``Rechnung #
RE-20171118/506 von 18.11.2017``, ``Facture n° F-12 du 03/02/2020``, ``Factuur 2020-17 van
1 maart 2020``, ``Fattura n. 12 del 03/02/2020``. The number is the first code with a digit
after the title (and a number sign, if any); the date is the one after ``vom``/``du``/``of``.
"""

from __future__ import annotations

import re

from myloware.extraction import labels
from myloware.extraction.layout import Line
from myloware.extraction.references import Found, FoundDate
from myloware.normalize.dates import find_dates

_TITLE_RE = re.compile(
    rf"^\W*[^\W\d_]*(?:{labels.alternation('document_title')})(?![^\W\d_])"
    r"(?P<mid>(?:\s+(?:\([^()]{1,12}\)|[^\W\d_]{2,20})){0,4}?)"
    r"\s*(?:(?:NR|NO|NUM|NUMMER|NUMBER|NUM[EÉ]RO|N[°ºo]|N\.)\.?|#)?\s*:?\s*"
    r"(?P<code>(?=[A-Z./_-]*\d)(?:[A-Z0-9][A-Z0-9./_-]*[A-Z0-9]|\d))(?![^\W_])",
    re.IGNORECASE,
)
_DATED_RE = re.compile(r"\s*(?:vom|von|du|of|dated|del|van|de|dd\.?)\s*:?\s*$", re.I)


def find_title_reference(lines: list[Line]) -> tuple[Found | None, FoundDate | None]:
    """The number and the date stated on the invoice's title line (either may be None)."""
    for pos, line in enumerate(lines):
        m = _TITLE_RE.match(line.flat)
        if m is None or not any(ch.isdigit() for ch in m.group("code")):
            continue
        code = m.group("code").rstrip(".")
        if any(d.start <= m.start("code") < d.end for d in find_dates(line.flat)):
            continue  # "Rechnung 25.04.2018": a date, not a number
        number = Found(code, line, m.start("code"), m.start("code") + len(code), 0.85)
        return number, _dated(lines, pos, m.end("code"))
    return None, None


def _dated(lines: list[Line], pos: int, after: int) -> FoundDate | None:
    """The date after ``vom``/``du``/``of`` right of the number, or opening the next line."""
    line = lines[pos]
    for d in find_dates(line.flat):
        if d.start >= after and _DATED_RE.search(line.flat[after : d.start]):
            return FoundDate(d.value, line, d, 0.95)
    if _DATED_RE.search(line.flat[after:]) and pos + 1 < len(lines):
        nxt = lines[pos + 1]
        first = next(iter(find_dates(nxt.flat)), None)
        if first is not None and first.start == 0:
            return FoundDate(first.value, nxt, first, 0.9)
    return None

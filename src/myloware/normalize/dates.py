"""Dates: find them in text and turn them into :class:`datetime.date` (ISO ``YYYY-MM-DD``).

Pure regular-expression parsing, fast enough for an extractor's hot loop. Understood forms:

* ISO and year-first: ``2018-03-04``, ``2018/03/04``, ``2018.3.4``, ``20180304``;
* numeric day/month/year with ``/ - .`` and a 2- or 4-digit year: ``25/12/2018``,
  ``12-01-19``, ``8.9.2022``. Day-first when ambiguous; month-first only when the day-first
  reading is impossible (``03/20/2023``). A document that proves itself month-first (a date
  like ``11/17/2017`` and none like ``17/11/2017``) has its ambiguous dates read month-first
  too: :func:`month_first` and :func:`in_order`;
* month names in English, German, French, Dutch, Spanish and Italian, full or abbreviated, with the
  day before or after the month: ``05 MAR 2018``, ``25. Dezember 2018``, ``1er mars 2020``,
  ``Dec 28, 2022``, ``December 25th, 2018``, ``13-JAN-19``.

A clock time glued to the date, as OCR reads a receipt's ``5/3/2018 22:52:33``
(``5/3/201822:52:33``), ends the date. Two-digit years are read as 2000–2069 or 1970–1999.
:func:`parse_date` accepts a whole string (surrounding text such as a time of day is
ignored); :func:`find_dates` yields every date in a text with its character offsets.
"""

from __future__ import annotations

import re
import unicodedata
from collections.abc import Iterable
from dataclasses import dataclass
from datetime import date
from functools import lru_cache

# Month names and abbreviations, lower-case, without accents (see _fold).
_MONTH_NAMES: dict[int, tuple[str, ...]] = {
    1: (
        "january",
        "jan",
        "januar",
        "janner",
        "janvier",
        "janv",
        "januari",
        "enero",
        "ene",
        "gennaio",
    ),
    2: ("february", "feb", "februar", "fevrier", "fevr", "fev", "februari", "febrero", "febbraio"),
    3: ("march", "mar", "marz", "maerz", "mrz", "mars", "maart", "mrt", "marzo"),
    4: ("april", "apr", "avril", "avr", "abril", "abr", "aprile"),
    5: ("may", "mai", "mei", "mayo", "maggio"),
    6: ("june", "jun", "juni", "juin", "junio", "giugno"),
    7: ("july", "jul", "juli", "juillet", "juil", "julio", "luglio"),
    8: ("august", "aug", "aout", "augustus", "agosto", "ago"),
    9: ("september", "sep", "sept", "septembre", "septiembre", "setiembre", "settembre"),
    10: ("october", "oct", "oktober", "okt", "octobre", "octubre", "ottobre"),
    11: ("november", "nov", "novembre", "noviembre"),
    12: ("december", "dec", "dezember", "dez", "decembre", "diciembre", "dic", "dicembre"),
}
MONTHS: dict[str, int] = {name: num for num, names in _MONTH_NAMES.items() for name in names}

_ACCENTED = ("jänner", "februar", "märz", "février", "févr", "fév", "août", "décembre")
_MONTH_ALTERNATION = "|".join(sorted({*MONTHS, *_ACCENTED}, key=len, reverse=True))
_MONTH_RE = rf"(?P<mon>{_MONTH_ALTERNATION})(?![a-zà-ÿ])\.?"
_DAY_RE = r"(?P<day>[0-3]?\d)(?:st|nd|rd|th|er|e|ste|de|\.)?"
_YEAR_RE = r"(?P<year>(?:19|20)\d\d|'?\d\d)"
# a date ends where its digits do, or where a clock time follows without a space (OCR
# loses the gap: "5/3/201822:52:33", "05 Mar201818:24", "2018-01-0522:55:25")
_DATE_END = r"(?:(?!\d)|(?=[0-2]?\d:[0-5]\d))"

_PATTERNS: tuple[tuple[str, re.Pattern[str]], ...] = (
    (
        "ymd",
        re.compile(
            r"(?<![\d.])(?P<year>(?:19|20)\d\d)([-/.])(?P<mon>[01]?\d)\2(?P<day>[0-3]?\d)"
            + _DATE_END
        ),
    ),
    (
        "ymd8",
        re.compile(r"(?<![\d.,])(?P<year>(?:19|20)\d\d)(?P<mon>[01]\d)(?P<day>[0-3]\d)(?!\d)"),
    ),
    (
        "dmy8",
        re.compile(r"(?<![\w.,])(?P<day>[0-3]\d)(?P<mon>[01]\d)(?P<year>(?:19|20)\d\d)(?![\w.,])"),
    ),
    (
        "dmy",
        re.compile(
            # after a hyphen only as d/m/yyyy, glued to a counter (``REG #19-18/03/2018``)
            r"(?:(?<![\w.,/-])|(?<=\d-)(?=[0-3]?\d/[0-3]?\d/(?:19|20)\d\d(?!\d)))"
            r"(?P<a>[0-3]?\d)\s?([-/.])\s?(?P<b>[0-3]?\d)\s?\2\s?"
            rf"(?P<year>(?:19|20)\d\d|\d\d){_DATE_END}"
        ),
    ),
    (
        "d_mon_y",
        re.compile(
            rf"(?<![\w]){_DAY_RE}[\s\-/.]{{0,3}}(?:de\s+)?{_MONTH_RE}[\s\-/.,]{{0,3}}(?:de\s+)?"
            rf"{_YEAR_RE}{_DATE_END}",
            re.IGNORECASE,
        ),
    ),
    (
        "mon_d_y",
        re.compile(
            rf"(?:(?<![\w])|(?-i:(?<=[a-z])(?=[A-Z]))){_MONTH_RE}[\s\-/.]{{0,3}}{_DAY_RE}(?:\s?,)?"
            rf"[\s\-/.]{{0,3}}{_YEAR_RE}{_DATE_END}",
            re.IGNORECASE,
        ),
    ),
)


@dataclass(frozen=True, slots=True)
class DateMatch:
    """A date found in a text: the parsed value, the matched text and where it lies."""

    value: date
    start: int
    end: int
    raw: str
    numeric: bool  # True for all-digit forms, False when a month name was read
    compact: bool = False  # eight digits without separators (20180304, 25032018)
    month_first: date | None = None  # an ambiguous a/b/year's other reading (month first)
    order: str | None = None  # "dmy" or "mdy" when the numbers prove the order (17/11, 11/17)


def _fold(word: str) -> str:
    """Lower-case ``word`` and strip accents (``Décembre`` → ``decembre``, ``März`` → ``marz``)."""
    decomposed = unicodedata.normalize("NFKD", word.lower())
    return "".join(ch for ch in decomposed if not unicodedata.combining(ch))


def month_number(name: str) -> int | None:
    """The month (1–12) that a month name or abbreviation denotes, in en/de/fr/nl/es."""
    folded = _fold(name).rstrip(".")
    return MONTHS.get(folded)


def expand_year(year: int) -> int:
    """Four-digit year for a two-digit one: 00–69 → 2000s, 70–99 → 1900s."""
    if year >= 100:
        return year
    return 2000 + year if year < 70 else 1900 + year


def _safe_date(year: int, month: int, day: int) -> date | None:
    try:
        return date(expand_year(year), month, day)
    except ValueError:
        return None


def _day_first(a: int, b: int, year: int) -> date | None:
    """Day-first reading of ``a/b/year``; month-first only when day-first is impossible."""
    return _safe_date(year, b, a) or _safe_date(year, a, b)


def _numeric_order(kind: str, m: re.Match[str]) -> tuple[date | None, str | None]:
    """For an a/b/year date: its month-first reading when ambiguous, and the order its numbers
    prove (``dmy`` when ``a`` cannot be a month, ``mdy`` when ``b`` cannot)."""
    if kind != "dmy":
        return None, None
    a, b = int(m.group("a")), int(m.group("b"))
    if a > 12 and b <= 12:
        return None, "dmy"
    if b > 12 and a <= 12:
        return None, "mdy"
    other = _safe_date(int(m.group("year")), a, b) if a != b else None
    return other, None


def _from_match(kind: str, m: re.Match[str]) -> date | None:
    groups = m.groupdict()
    year = int(groups["year"].lstrip("'"))
    if kind in ("ymd", "ymd8", "dmy8"):
        return _safe_date(year, int(groups["mon"]), int(groups["day"]))
    if kind == "dmy":
        return _day_first(int(groups["a"]), int(groups["b"]), year)
    month = month_number(groups["mon"])
    if month is None:
        return None
    return _safe_date(year, month, int(groups["day"]))


@lru_cache(maxsize=8192)
def find_dates(text: str) -> tuple[DateMatch, ...]:
    """Every date in ``text``, in order of position, non-overlapping (first pattern wins).

    Cached: extractors ask about the same line several times.
    """
    taken: list[tuple[int, int]] = []
    found: list[DateMatch] = []
    for kind, pattern in _PATTERNS:
        for m in pattern.finditer(text):
            start, end = m.span()
            if any(start < e and s < end for s, e in taken):
                continue
            value = _from_match(kind, m)
            if value is None:
                continue
            taken.append((start, end))
            numeric = kind in ("ymd", "ymd8", "dmy8", "dmy")
            other, order = _numeric_order(kind, m)
            found.append(
                DateMatch(value, start, end, m.group(0), numeric, kind.endswith("8"), other, order)
            )
    found.sort(key=lambda d: d.start)
    return tuple(found)


def month_first(texts: Iterable[str]) -> bool:
    """Whether ``texts`` (a document's lines) print dates month-first: some date proves it
    (``11/17/2017``) and none proves day-first (``17/11/2017``)."""
    orders = {m.order for text in texts for m in find_dates(text) if m.order is not None}
    return orders == {"mdy"}


def in_order(m: DateMatch, month_first: bool) -> date:
    """``m``'s date as a document of that order means it."""
    return m.month_first if month_first and m.month_first is not None else m.value


def parse_date(text: str) -> date | None:
    """The first date in ``text`` (e.g. ``"25/12/2018 8:13 PM"`` → 2018-12-25), or None."""
    return next((m.value for m in find_dates(text)), None)


def to_iso_date(text: str) -> str | None:
    """``text`` as an ISO ``YYYY-MM-DD`` string, or None when it holds no date."""
    value = parse_date(text)
    return value.isoformat() if value else None

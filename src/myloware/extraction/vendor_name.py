"""The vendor's name in the header of an invoice or receipt.

The name is the last name-like line before the first address, registration or contact line
(a line with a legal form such as ``SDN BHD`` or ``GmbH`` wins); lines above it are joined
when the name visibly continues (``POPULAR BOOK`` / ``CO. (M) SDN BHD``, a trading name
above the legal name — not a logo that repeats the name, even with a letter misread).
Registration numbers, leading labels and codes are removed, and single-letter OCR errors in
legal forms and business words are corrected.
"""

from __future__ import annotations

import re

from rapidfuzz.distance import Levenshtein

from myloware.extraction import labels
from myloware.extraction import lexicon as lx
from myloware.extraction.layout import Line
from myloware.extraction.money import find_money
from myloware.extraction.ocr_repair import one_letter_fit
from myloware.normalize.dates import find_dates

_DOCUMENT_LABEL_RE = labels.label_re("invoice_number", "invoice_date", "due_date")
_SEPARATOR_RE = re.compile(r"\s+[–—|•·●-]\s+|,\s+(?=.*\d)")


def _has_trailing_registration(text: str) -> bool:
    return lx.TRAILING_REG_RE.search(text) is not None and lx.is_name_like(text)


def _date_only(text: str) -> bool:
    """A line that holds a date and no other letters (``13 MAR 2018``, a stamp's date)."""
    rest = text
    for found in find_dates(text):
        rest = rest.replace(text[found.start : found.end], " ")
    return rest != text and lx.letters(rest) == 0


def is_marker(text: str) -> bool:
    """A line that comes after the vendor name: address, registration, tax or contact."""
    address = (
        # one token is a code (``A06015``) — unless OCR glued address parts (``Tampoi,81200``)
        (len(text.split()) > 1 or "," in text)
        and lx.is_address_like(text)
        and (lx.digits(text) > 0 or bool(lx.POSTCODE_RE.search(text)))
        and not _date_only(text)
    )
    return (
        lx.is_registration_line(text)
        or bool(lx.REG_LABEL_RE.match(text))
        or address
        or bool(lx.CONTACT_RE.search(text))
        or (bool(lx.TAX_ID_LINE_RE.search(text)) and lx.digits(text) >= 5)
        or _has_trailing_registration(text)
    )


def is_name_candidate(text: str) -> bool:
    return (
        lx.is_name_like(text)
        and not lx.TITLE_RE.match(text)
        and not lx.FOOTER_RE.search(text)
        and not lx.CONTACT_RE.search(text)
        and not lx.REG_LABEL_RE.match(text)
        and not lx.is_registration_line(text)
        and not any(find_dates(text))
        and not (lx.TAX_ID_LINE_RE.search(text) and lx.digits(text) >= 5)
        and (not lx.is_address_like(text) or _has_trailing_registration(text))
        and not _is_label_or_priced(text)
    )


def _is_label_or_priced(text: str) -> bool:
    """A label waiting for its value (``Subscription details:``), the document's number or
    date line (``Invoice Number: CL-55012``) or a line with a price (``Monthly Subscription
    $0.00``): none is a company's name."""
    return (
        text.rstrip().endswith(":")
        or _DOCUMENT_LABEL_RE.search(text) is not None
        or any(m.decimals for m in find_money(text))
    )


def _words(text: str) -> set[str]:
    return set(re.findall(r"[A-Z]{4,}", text.upper().replace("'", "")))


def _significant_words(text: str) -> set[str]:
    return {
        w
        for w in _words(text)
        if not lx.BUSINESS_WORD_RE.fullmatch(w) and not lx.LEGAL_FORM_RE.fullmatch(w)
    }


def _all_within(words: set[str], among: set[str]) -> bool:
    """Whether each of ``words`` is one of ``among``, or one letter off one of them: a logo
    over the name repeats it, and OCR misreads a letter of it (``BER'S INDEPENDLENT GROCER``
    over ``BENS INDEPENDENT GROCER SDN. BHD``)."""
    return all(any(Levenshtein.distance(w, o, score_cutoff=1) <= 1 for o in among) for w in words)


def _is_joinable(text: str) -> bool:
    """Could be the upper part of a multi-line name (a place word alone does not forbid it)."""
    return is_name_candidate(text) or (
        lx.is_name_like(text)
        and not is_marker(text)
        and not lx.TITLE_RE.match(text)
        and not lx.FOOTER_RE.search(text)
        and not find_dates(text)
    )


def _whole_legal_name(text: str) -> bool:
    """A name that stands alone: a legal form after two or more words (its last legal form:
    ``AEON CO. (M) BHD``)."""
    forms = list(lx.LEGAL_FORM_RE.finditer(text))
    return bool(forms) and len(text[: forms[-1].start()].split()) >= 2


def _logo_junk(token: str, below: str) -> bool:
    """A short token OCR made of a logo over a name in capitals (``dev"``, ``Phis``,
    ``4二日``): a quote or other mark, a non-Latin letter, digits among letters, or four
    letters in mixed case — where the name has none. A title or an article (``Mr.``,
    ``Dr.``, ``Die``) is not one."""
    if not below.isupper() or not below.isascii():
        return False
    odd = set(token) - set("&.-()")
    marked = any(not ch.isascii() or not ch.isalnum() for ch in odd)
    mixed = any(ch.isdigit() for ch in token) and any(ch.isalpha() for ch in token)
    lower = len(token) >= 4 and "." not in token and any(ch.islower() for ch in token)
    return marked or mixed or lower


def _continues(above: str, below: str) -> bool:
    """True when ``below`` reads as the continuation of the name on the line ``above``."""
    above, below = lx.strip_registration(above), lx.strip_registration(below)
    if above.rstrip().endswith(("&", ",", "-", "(")) or above.count("(") > above.count(")"):
        return True
    if lx.CONTINUATION_RE.match(below) or below.count(")") > below.count("("):
        return True
    if len(above.split()) == 1 and len(above) <= 4:
        # letters over a whole legal name are a logo's ("RSK" / "SYL ROASTED DELIGHTS SDN. BHD.")
        return not (above.strip().isalpha() and _whole_legal_name(below)) and not _logo_junk(
            above.strip(), below
        )
    if (
        lx.LEGAL_FORM_RE.search(above) is None
        and _significant_words(above) & _significant_words(below)
        and not _all_within(_words(above), _words(below))
    ):
        return True  # trading name above the legal name: "TOKYO KITCHEN (CITTA MALL)"
    legal = lx.LEGAL_FORM_RE.search(below)
    if legal is None:
        return False
    return len(below[: legal.start()].split()) <= 1


def name_anchor(header: list[Line]) -> int | None:
    """Index (into ``header``) of the line that ends the vendor name, or None.

    Candidates are the name-like lines up to the first address/registration/contact line;
    the last one with a legal form wins, else the last one before that marker line.
    """
    candidates: list[int] = []
    stopped = False
    for pos, line in enumerate(header):
        text = name_text(line)
        candidate = is_name_candidate(text)
        if candidate:
            candidates.append(pos)
        if is_marker(line.flat) and (candidates or candidate):
            stopped = True
            break
    if not candidates:
        return None
    legal = [p for p in candidates if lx.LEGAL_FORM_RE.search(name_text(header[p]))]
    if legal:
        return legal[-1]
    return candidates[-1] if stopped else candidates[0]


def name_block(header: list[Line], anchor: int) -> list[Line]:
    """The anchor line plus the lines above it that the name continues from."""
    block = [header[anchor]]
    pos = anchor - 1
    while pos >= 0 and len(block) < 4:
        above = name_text(header[pos])
        if not _is_joinable(above) or not _continues(above, name_text(block[0])):
            break
        block.insert(0, header[pos])
        pos -= 1
    if len(block) == 1 and anchor + 1 < len(header):
        below = name_text(header[anchor + 1])
        if (
            is_name_candidate(below)
            and not is_marker(below)
            and _continues(name_text(block[0]), below)
        ):
            block.append(header[anchor + 1])
    return block


def name_text(line: Line) -> str:
    """The part of a line that holds the name: its cells up to the last one with a legal form
    or business word (``YONG CEN ENTERPRISE<TAB>POSTED`` → ``YONG CEN ENTERPRISE``), without
    a leading ``#code``."""
    cells = [text for text, _, _ in line.cells()]
    while len(cells) > 1 and lx.letters(cells[-1]) == 0:
        cells.pop()  # a code or a mark after the name (``SLF CASH &CARRY<TAB><97``)
    named = [
        i
        for i, c in enumerate(cells)
        if lx.LEGAL_FORM_RE.search(c) or lx.BUSINESS_WORD_RE.search(c)
    ]
    text = " ".join(cells[: named[-1] + 1] if named else cells)
    return first_name_part(re.sub(r"^#\S+\s+", "", text))


_VOCABULARY = (
    "ENTERPRISE",
    "ENTERPRISES",
    "RESTAURANT",
    "RESTAURANTS",
    "HARDWARE",
    "STATIONERY",
    "MARKETING",
    "TRADING",
    "SERVICES",
    "INDUSTRIES",
    "HOLDINGS",
    "INTERNATIONAL",
    "CORPORATION",
    "SUPERMARKET",
    "HYPERMARKET",
    "PERNIAGAAN",
    "SYARIKAT",
    "LIMITED",
    "COMPANY",
    "PHARMACY",
    "BAKERIES",
    "CONFECTIONERY",
    "FURNITURE",
    "ELECTRICAL",
    "ENGINEERING",
    "CONSTRUCTION",
    "MACHINERY",
    "JEWELLERY",
    "MINIMARKET",
)
_SDN_BHD_OCR_RE = re.compile(r"\b(SDN\.?\s*)B[A-Z]D\b")


def _fix_ocr_word(word: str) -> str:
    """A legal-form or business word with one OCR-misread letter, corrected."""
    if len(word) < 7 or not word.isupper():
        return word
    return one_letter_fit(word, _VOCABULARY) or word


def fix_ocr(text: str) -> str:
    """Correct single-letter OCR errors in legal forms (``SDN BND``) and business words."""
    text = _SDN_BHD_OCR_RE.sub(lambda m: f"{m.group(1)}BHD", text)
    return re.sub(r"[A-Z]{7,}", lambda m: _fix_ocr_word(m.group(0)), text)


def clean_name(text: str) -> str:
    """A company name without registration numbers, leading labels or codes."""
    text = fix_ocr(" ".join(text.split()))
    # a text layer's kerning can put a space before a comma ("Netlify , Inc.")
    text = re.sub(r"\s+,", ",", text)
    # a leading label ("Company:") or code goes; an article OCR gave a colon keeps its word
    text = re.sub(r"^(THE)\s*:\s+(?=\S)", r"\1 ", text, flags=re.I)
    text = re.sub(r"^(?:#\S+|[A-Z]{3,12}\s*:)\s+(?=\S)", "", text, flags=re.I)
    cut = lx.REG_INSIDE_RE.search(text)
    if cut is not None and cut.start() > 2:
        text = text[: cut.start()]
    return _after_legal_form(text).strip(" ,:;-")


# what a scan glues after a name's final legal form: letters after its full stop ("BHD.LLT"),
# a registration number with digits read as letters ("SDN BHD 8OZTZ5-U")
_AFTER_FORM_RE = re.compile(r"(?<=\.)[A-Z]{1,4}|\s+\d(?=[0-9A-Z]*\d)[0-9A-Z]{4,7}-[A-Z]")


def _after_legal_form(name: str) -> str:
    """``name`` without what follows its last legal form where that is no part of a name."""
    forms = list(lx.LEGAL_FORM_RE.finditer(name))
    if not forms:
        return name
    end = forms[-1].end()
    tail = _AFTER_FORM_RE.fullmatch(name, end + name.startswith(".", end))
    if tail is None or lx.LEGAL_FORM_RE.fullmatch(tail.group().strip()):
        return name  # "CO.KG": a legal form of its own
    return name[: tail.start()]


def first_name_part(name: str) -> str:
    """``Papoo GmbH – Auguststr. 4 – Bonn`` → ``Papoo GmbH``: the name before its address."""
    parts = _SEPARATOR_RE.split(name)
    if (
        len(parts) > 1
        and lx.is_name_like(parts[0])
        and any(lx.is_address_like(p) for p in parts[1:])
    ):
        return parts[0]
    return name

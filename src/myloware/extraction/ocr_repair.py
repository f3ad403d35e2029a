"""Undo what OCR typically misreads on low-quality scans, in names and addresses only.

Measured on the SROIE receipts read from their q55 JPEG scans (``docs/accuracy.md``):

* **A comma read as a full stop.** At that resolution the recogniser tells ``,`` from ``.``
  badly (``TAMAN SENTOSA. JALAN KAPAR``, ``OFF JALAN PUDU. 55100``); an address separates its
  parts with commas and puts full stops after abbreviations (``NO.``, ``JLN.``, ``D.E.``).
  So in an address read by OCR, a full stop between a word of four or more letters (or a
  number: ``KENARI 5. BANDAR``, ``9. JALAN``; or a unit with a slash or a hyphen: ``19/9.
  SEKSYEN``, ``U3/G. SUBANG``, ``1851-B. JALAN``) and the next word is taken for the comma
  it most likely is. Where the scan lost the space after it, a full stop glued between a
  word of four letters or more (or two digits) and the next part is a comma too
  (``JAYA.Selangor``, ``PETALING.57000``, ``SS21/60.Damansara``: 68 of 69 such places in
  the SROIE truths have a comma), unless an initial or a lone letter follows (``LOTP.T.``,
  ``12.A``). Three-letter words keep theirs, most are abbreviations (``JLN.``, ``BHD.``,
  ``TMN.``), and so do longer ones (``Hauptstr.``, ``Blvd.``, ``Bldg.``, ``Komp.``) and a
  domain (``acme.com``). A full stop doubled by a speck before another stop or a comma
  (``LUMPUR..``, ``SELATAN.,``) goes.
* **A zero read as the letter O or D in a number** (``NO 29O``, ``NO29O``, ``4D170``),
  ``LOT`` read as ``1.OT`` or ``10T`` at an address's start, and **a speck after a comma**
  (``Shah Alam,/Selangor``, ``Alam,'Selangor``), in an address: a token of digits and ``O``
  only (at least one digit, three characters; glued to ``NO`` too) is a number, as is a
  token of five characters or more, digits and one ``D`` between two of them; a comma directly
  followed by ``/``, ``'`` or a backquote and a letter is a comma and a space.
* **An address word one letter off** (``Jalau``, ``JA:AN``, ``Setangor``, ``Malaysla``,
  ``PERINOUSTRIAN``): a word of five letters or more that differs from exactly one of
  :data:`~myloware.extraction.lexicon.PLACE_WORDS` in one letter — not the first, and by a
  confusion OCR makes (``n``/``u``, ``l``/``i``/``t``, ``o``/``a``/``d``…) or a stray mark
  (``:``, ``_``, ``|``, ``!``; a ``1`` for ``l``: ``Leve1``) — is that word, in the case
  printed. ``JAPAN`` (``p``/``l``)
  and ``LAMAN`` (a word of its own, first letter) stay.
* **An invented accent.** The recogniser knows accented capitals and sometimes prefers one
  (``JÉJAKA``, ``HARDWÀRE``, ``Restäurants``). Languages written with accents print them
  many times a page (every German and French invoice measured has at least two), so on an
  OCR'd page whose text holds a single accented letter, that letter in a name or an address
  is read without its accent.
* **Marks in a name.** An underscore between two letters is the space the scan lost
  (``AIK_HUAT``); a bracket read twice is one where the name opens more than it closes
  (``MOTOR(( SUNGAI RENGIT)``), or the other way round.
* **A digit for a letter in a name.** ``URBAN 1DEA``, ``YONG S0ON FATT``: in a company or
  person name, a word of capitals with a ``0`` or ``1`` among them is read with ``O`` or
  ``I`` (not an ordinal such as ``1ST``, not in addresses, where ``1F-01`` is a unit).
* **A legal form one letter off.** Two-word company forms (``SDN BHD``, ``PTE LTD``,
  ``PVT LTD``, ``PTY LTD``) read with one of their six letters wrong, by a letter OCR
  confuses (``SON BHD``, ``SIN BHD``, ``SDN DHD``, ``Sdh Bhd``), are spelled right, in the
  case printed; ``5/B`` after a word is ``S/B``. Both words must be there (``SON`` or
  ``SIN`` alone is a word or a name), and a form printed as it is stays (``Pty Ltd`` is
  not ``PTE``).

The value changes; the field's ``raw`` keeps what the OCR read, so the record shows both.

Before extraction, :func:`fix_label_misreads` restores the few words the rules anchor on
(``TOTAL``, ``AMOUNT``, ``DATE``…) where OCR got one character wrong (``Tota|``, ``Anount``,
``DAIE:``, ``Tatal``): a token of the same length as exactly one of them, differing in one
character, is spelled as that word; four-letter tokens only before a colon (``DATA`` is a
word); an ``I``, ``l`` or ``|`` after ``RM`` and before a digit is a ``1`` (``RMI11.90``);
``S/B`` read with digits before a registration number (``MART 57B 519537-X)``, ``MART 5/8
(519537-X)``) is ``S/B``, so that the name line reads as one.
Same length, so every character keeps its source offset. (Layout also joins an amount whose
cents OCR boxed apart, ``15<TAB>.15``, on such pages.)

Text that did not come from OCR is never touched.
"""

from __future__ import annotations

import itertools
import re
import unicodedata
from collections.abc import Callable

from myloware.extraction import lexicon as lx
from myloware.records import FieldValue

_ADDRESS_FIELDS = ("vendor_address", "buyer_address")
_NAME_FIELDS = ("vendor_name", "buyer_name", *_ADDRESS_FIELDS)
_STOP_FOR_COMMA_RE = re.compile(
    r"(?:(?<=[^\W\d_]{4})|(?<=\d{2})|(?<= \d)|(?<=^\d)|(?<=[/-]\d)|(?<=\d[/-][^\W\d_]))"
    r"\.(?= [^\W_])"
)
# the same stop glued to the next part ("JAYA.Selangor", "PETALING.57000", "SS21/60.Damansara")
# (not before an initial or a lone letter: "LOTP.T." is "LOT P.T.", "12.A" a unit)
_GLUED_STOP_RE = re.compile(
    r"(?:(?<=[^\W\d_]{4})\.(?=[^\W_])|(?<=\d{2})\.(?=[^\W\d_]))(?![^\W_](?:\.|\W|$))"
)
_DOUBLED_STOP_RE = re.compile(r"\.(?=[.,])")
# abbreviations of four letters or more that keep their full stop in an address: German
# street words (``Hauptstr.``, ``Bahnhofstr.``), building and estate words; and a domain
_ABBREVIATED_RE = re.compile(r"(?:[^\W\d_]*STR|BLVD|BLDG|KOMP|PERS|INDS|POSTF|FAUB)\.", re.I)
_DOMAIN_RE = re.compile(r"\.(?:COM|NET|ORG)\b", re.IGNORECASE)
_WORD_BEFORE_RE = re.compile(r"[^\W\d_]+\.$")


def _stop_to_comma(comma: str) -> Callable[[re.Match[str]], str]:
    """A replacement of a full stop by ``comma`` unless an abbreviation or a domain has it."""

    def replace(m: re.Match[str]) -> str:
        word = _WORD_BEFORE_RE.search(m.string[max(0, m.start() - 40) : m.end()])
        if (word and _ABBREVIATED_RE.fullmatch(word.group())) or _DOMAIN_RE.match(
            m.string, m.start()
        ):
            return m.group()
        return comma

    return replace


_O_IN_NUMBER_RE = re.compile(
    r"(?<![^\W_])(NO)?((?=[0-9O]*\d)(?=[0-9O]*O)[0-9O]{3,})(?![^\W_])", re.IGNORECASE
)
# a D read for a zero inside a number of five characters or more ("4D170", a postcode)
_D_IN_NUMBER_RE = re.compile(r"(?<![^\W_])(?=[\dD]{5,}(?![^\W_]))(\d+)D(?=\d+(?![^\W_]))")
# "LOT" opening an address, its L read as 1 and its O as 0 ("1.OT 1851-A", "10T 1851-A")
_LOT_RE = re.compile(r"^(?:1\.?[0O]|[Il]0)T(?= \d)")
_SPECK_AFTER_COMMA_RE = re.compile(r",[/'`](?=[^\W\d_])")
_WORD_RE = re.compile(r"[^\W_]+")
_UNDERSCORE_SPACE_RE = re.compile(r"(?<=[^\W\d_])_(?=[^\W\d_])")
_DOUBLED_BRACKET_RE = re.compile(r"([()])\1+")
_ORDINAL_RE = re.compile(r"\d+(?:st|nd|rd|th)", re.IGNORECASE)
_DIGIT_FOR_LETTER = str.maketrans({"0": "O", "1": "I"})
# a word of letters, a stray mark between two of them, or a "1" for an "l" inside or at its
# end ("Leve1"; not before a digit: "U13", "SS21" stay)
_PLACE_TOKEN_RE = re.compile(r"[^\W\d_](?:[^\W\d_]|[:_|!](?=[^\W\d_])|1(?![\d_]))+")
# letters a q55 scan's recogniser takes for one another (either way round)
_CONFUSED = frozenset(
    frozenset(pair)
    for pair in (
        *("nu", "nm", "li", "lt", "it", "oa", "od", "oc", "ec", "ea", "hb", "hn", "db", "di"),
        *("l1", "i1"),  # a digit one for the letter
    )
)
_STRAY_MARKS = frozenset(":_|!")


def _letters_for_digits(name: str) -> str:
    """``name`` with a ``0``/``1`` inside a word of letters read as ``O``/``I``."""

    def word(m: re.Match[str]) -> str:
        token = m.group()
        letters = sum(ch.isalpha() for ch in token)
        if letters < 2 or _ORDINAL_RE.fullmatch(token) or not set(token) & {"0", "1"}:
            return token
        if any(ch.isdigit() and ch not in "01" for ch in token) or not token.isupper():
            return token  # another digit, or lower case (``t1e``: ``l``? ``h``?)
        return token.translate(_DIGIT_FOR_LETTER)

    return _WORD_RE.sub(word, name)


def _marks(name: str) -> str:
    """``name`` without the marks OCR adds to a name: an underscore between two letters for
    the space it is (``AIK_HUAT``), a bracket read twice or more where that leaves more of
    its kind than the name closes or opens (``MOTOR(( SUNGAI RENGIT)``; not ``(CAWANGAN
    (KL))``)."""
    name = _UNDERSCORE_SPACE_RE.sub(" ", name)

    def once(m: re.Match[str]) -> str:
        opening = m.group(1) == "("
        surplus = name.count("(") - name.count(")")
        return m.group(1) if (surplus > 0 if opening else surplus < 0) else m.group()

    return _DOUBLED_BRACKET_RE.sub(once, name)


def _number_with_zeros(m: re.Match[str]) -> str:
    """A number OCR read with the letter O for a zero (``29O``, glued ``NO29O``)."""
    return (m.group(1) or "") + m.group(2).upper().replace("O", "0")


def confusable(want: str, read: str) -> bool:
    """Whether OCR plausibly read the letter ``want`` as ``read`` (or as a stray mark)."""
    return read in _STRAY_MARKS or frozenset((want.lower(), read.lower())) in _CONFUSED


def _misread_once(word: str, got: str) -> bool:
    """Whether ``got`` is ``word`` with one letter OCR confuses it with (or a stray mark)."""
    wrong = [(a, b) for a, b in zip(word, got, strict=True) if a != b]
    return len(wrong) == 1 and confusable(*wrong[0])


def one_letter_fit(token: str, words: tuple[str, ...], ocr_like: bool = False) -> str | None:
    """The one word of ``words`` that ``token`` misspells by exactly one character, if only
    one; ``ocr_like``: also the same first letter, and the misread one a letter OCR confuses
    with it or a stray mark."""
    upper = token.upper()
    if len(upper) != len(token):  # "ß" upper-cases to two letters: no one-for-one spelling
        return None
    fits = []
    for word in words:
        if len(word) != len(upper) or word == upper:
            continue
        if sum(map(str.__ne__, word, upper)) != 1:
            continue
        if not ocr_like or (word[0] == upper[0] and _misread_once(word, upper)):
            fits.append(word)
    return fits[0] if len(fits) == 1 else None


def _place_words(address: str) -> str:
    """``address`` with its place words misread by one letter spelled right."""

    def word(m: re.Match[str]) -> str:
        token = m.group()
        if len(token) < 5 or token.upper() in lx.PLACE_WORDS:
            return token
        fixed = one_letter_fit(token, lx.PLACE_WORDS, ocr_like=True)
        return token if fixed is None else _respelled(token, fixed)

    return _PLACE_TOKEN_RE.sub(word, address)


# two-word legal forms of companies (Malaysia, Singapore, India) as their names end
_LEGAL_PAIRS = (("SDN", "BHD"), ("PTE", "LTD"), ("PVT", "LTD"), ("PTY", "LTD"))
_GAP_RE = re.compile(r"\.? ?")
_SB_RE = re.compile(r"(?<=[^\W\d_] )5/B(?![^\W_])")
# the same before a registration number, also with its slash read as 7 and its B as 8
# ("MART 57B 519537-X)", "MART 5/8 (519537-X)"): the name line is one again
_SB_BEFORE_REG_RE = re.compile(
    r"(?<=[^\W\d_] )(?!S/B|578)[5S][/7][B8](?= \(?\d{5,}-[A-Z]\)?[ \t]*$)", re.MULTILINE
)


def _respelled(token: str, word: str) -> str:
    """``word`` in ``token``'s case: all capitals where the token is, else letter by letter
    (a capital where the token has one, lower case elsewhere: ``Tota|`` → ``Total``)."""
    if token.isupper():
        return word
    return "".join(w if t.isupper() else w.lower() for t, w in zip(token, word, strict=True))


def _legal_form(name: str) -> str:
    """``name`` with a two-word legal form misread by one letter spelled right."""
    out = list(name)
    words = list(_WORD_RE.finditer(name))
    for first, second in itertools.pairwise(words):
        if not _GAP_RE.fullmatch(name, first.end(), second.start()):
            continue
        printed = first.group() + second.group()
        got = printed.upper()
        if len(printed) != 6 or len(got) != 6 or any(got == "".join(w) for w in _LEGAL_PAIRS):
            continue  # not two three-letter words ("ß" upper-cases to two), or a form as printed
        fits = [w for w in _LEGAL_PAIRS if _misread_once("".join(w), got)]
        if len(fits) == 1:
            out[first.start() : first.end()] = _respelled(first.group(), fits[0][0])
            out[second.start() : second.end()] = _respelled(second.group(), fits[0][1])
    return _SB_RE.sub("S/B", "".join(out))


# the words the totals and dates rules anchor on, as receipts and invoices print them
_ANCHOR_WORDS = (
    "TOTAL", "AMOUNT", "DATE", "INVOICE", "RECEIPT", "ROUNDING", "INCLUSIVE", "PAYABLE",
    "SUBTOTAL", "CHANGE", "BALANCE", "TENDERED",
)  # fmt: skip
_TOKEN_RE = re.compile(r"[^\s:;,.()]{4,}")


def _one_off(token: str) -> str | None:
    """The anchor word ``token`` misspells by exactly one character, if only one."""
    if not any(ch.isalpha() for ch in token):
        return None
    fixed = one_letter_fit(token, _ANCHOR_WORDS)
    return None if fixed is None else _respelled(token, fixed)


# an I, l or | for the 1 of an amount right after "RM" (not "FORMI2", "TERMl0")
_I_FOR_ONE_RE = re.compile(r"(?<![^\W\d_]RM)(?<=RM)[Il|](?=\d)|(?<![^\W\d_]RM )(?<=RM )[Il|](?=\d)")


def fix_label_misreads(text: str) -> str:
    """``text`` with anchor words that OCR misread by one character spelled right, and an
    ``I`` read for the ``1`` of an amount after ``RM`` (``RMI11.90``); same length: offsets
    are kept."""

    def fix(m: re.Match[str]) -> str:
        token = m.group()
        if token.upper() in _ANCHOR_WORDS:
            return token
        if len(token) == 4 and not text.startswith(":", m.end()):
            return token
        return _one_off(token) or token

    return _SB_BEFORE_REG_RE.sub("S/B", _TOKEN_RE.sub(fix, _I_FOR_ONE_RE.sub("1", text)))


def _accented(ch: str) -> bool:
    return ch.isalpha() and unicodedata.normalize("NFD", ch) != ch


def _fold(text: str) -> str:
    bare = "".join(c for c in unicodedata.normalize("NFD", text) if not unicodedata.combining(c))
    return unicodedata.normalize("NFC", bare)


def repair_ocr_fields(fields: dict[str, FieldValue], text: str) -> dict[str, FieldValue]:
    """``fields`` of a document read by OCR with the repairs above applied (``text``: the
    document's whole text, to count its accents)."""
    fold = sum(1 for ch in text if _accented(ch)) == 1
    repaired = dict(fields)
    for name in _NAME_FIELDS:
        field = fields.get(name)
        if field is None or not isinstance(field.value, str):
            continue
        value = _fold(field.value) if fold else field.value
        if name in _ADDRESS_FIELDS:
            value = _STOP_FOR_COMMA_RE.sub(_stop_to_comma(","), _DOUBLED_STOP_RE.sub("", value))
            value = _GLUED_STOP_RE.sub(_stop_to_comma(", "), value)
            value = _place_words(_SPECK_AFTER_COMMA_RE.sub(", ", value))
            value = _O_IN_NUMBER_RE.sub(_number_with_zeros, _LOT_RE.sub("LOT", value))
            value = _D_IN_NUMBER_RE.sub(r"\g<1>0", value)
        else:
            value = _legal_form(_letters_for_digits(_marks(value)))
        if value != field.value:
            repaired[name] = field.model_copy(update={"value": value})
    return repaired

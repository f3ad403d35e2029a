"""Seller and buyer told apart by their role, not by their position.

An invoice names its parties in labelled blocks (``Verkäufer`` / ``Käufer``, ``Seller:`` /
``Buyer:``, ``Rechnungsempfänger``, ``Bill to``, ``Fournisseur`` / ``Client``...), one below
the other or side by side in columns (``Seller:<TAB>Buyer:``: each column is its own block).
A block runs until the next role label; its name is the ``Name:`` line, else its first
name-like line (a salutation such as ``Herrn`` is kept with the name after it), skipping
numbers (``Nummer: 549910``, ``GLN 4000001123452``). Delivery addresses and payees are other
parties: their blocks are neither, though a delivery name stands in for a buyer that is not
labelled.

Without labels, a sender line above the address window (``Bei Spiel GmbH ● Ecke 12 ● 12345
Stadthausen``) names the seller, and the first name under it is the buyer.
"""

from __future__ import annotations

import re
from dataclasses import dataclass

from myloware.extraction import labels
from myloware.extraction import lexicon as lx
from myloware.extraction.layout import Line
from myloware.extraction.vendor_name import is_marker

_ROLES = ("seller", "buyer", "other_party")
_ROLE_RE = {
    role: re.compile(
        rf"^\s*(?P<label>{labels.alternation(role)})(?:\s*/\s*(?:{labels.alternation(*_ROLES)}))?"
        r"\s*(?P<colon>:)?\s*(?P<rest>.*)$",
        re.IGNORECASE,
    )
    for role in _ROLES
}
_NAME_LABEL_RE = re.compile(
    r"^\s*(?:name|firma|company|company\s*name|nom|raison\s*sociale|naam|bedrijfsnaam|nombre|"
    r"raz[oó]n\s*social|ragione\s*sociale|denominazione)\s*:\s*(?P<name>.+)$",
    re.IGNORECASE,
)
_ID_RE = re.compile(
    r"(?<![^\W\d_])(?:GLN|ID|NR|NO|NUMMER|NUMBER|NUM[EÉ]RO|N°|KUNDEN-?NR|IBAN|BIC)(?![^\W\d_])|#",
    re.IGNORECASE,
)
_SALUTATION_RE = re.compile(
    r"^(?:herrn?|frau|firma|mr\.?|mrs\.?|ms\.?|m\.|mme\.?|monsieur|madame|dhr\.?|mevr\.?|"
    r"sr\.?|sra\.?|sig\.?|sig\.ra|spett\.le)$",
    re.IGNORECASE,
)
_SENDER_SEPARATOR_RE = re.compile(r"\s+[●•·|–—-]\s+")
_KERNED_RE = re.compile(r"(?<=[a-zäöüéè]) (?=[a-zäöüéè])")
_BLOCK_LINES = 8


@dataclass(frozen=True, slots=True)
class Party:
    """A party's name, the lines it was read from, and the lines of its block below the name."""

    name: str
    name_lines: list[Line]
    block: list[Line]
    confidence: float


@dataclass(frozen=True, slots=True)
class Parties:
    seller: Party | None
    buyer: Party | None


@dataclass(frozen=True, slots=True)
class _Label:
    role: str
    pos: int  # line index
    column: int | None  # cell index when the label line has several cells
    inline: str  # a value right of "Label:" on the same cell


def _role_of(cell: str) -> tuple[str, str] | None:
    """``(role, text after the label)`` when ``cell`` opens with a role label, else None."""
    if len(cell) <= 30 and cell.rstrip().endswith(":"):
        cell = _KERNED_RE.sub("", cell)  # "Ver käufer:" in a PDF text layer
    for role in _ROLES:
        m = _ROLE_RE[role].match(cell)
        if m is None:
            continue
        rest = m.group("rest").strip()
        if not rest or m.group("colon"):
            return role, rest
        # "Rechnungsempfänger Kundennummer 123": the label, then another column's text.
        if len(m.group("label")) >= 8 and (":" in rest or lx.digits(rest)):
            if not _ID_RE.search(rest):  # not "Customer VAT Number ..."
                return role, ""
    return None


def _labels(lines: list[Line]) -> list[_Label]:
    found: list[_Label] = []
    for pos, line in enumerate(lines):
        cells = line.cells()
        for k, (text, _, _) in enumerate(cells):
            role = _role_of(text)
            if role is not None:
                column = k if len(cells) > 1 else None
                found.append(_Label(role[0], pos, column, role[1]))
    return found


def _block(lines: list[Line], label: _Label, stops: set[int]) -> list[tuple[Line, str]]:
    """The lines under ``label`` (the cell of its column) up to the next role label."""
    block: list[tuple[Line, str]] = []
    for pos in range(label.pos + 1, min(label.pos + 1 + _BLOCK_LINES, len(lines))):
        if pos in stops:
            break
        cells = [text for text, _, _ in lines[pos].cells()]
        if label.column is not None:
            if label.column >= len(cells):
                continue
            text = cells[label.column]
        else:
            text = " ".join(cells)
        if lx.TITLE_RE.match(text) or (lx.TABLE_HEADER_RE.search(text) and lx.digits(text) == 0):
            break
        block.append((lines[pos], text))
    return block


def _is_id_line(text: str) -> bool:
    return lx.digits(text) >= 3 and (bool(_ID_RE.search(text)) or not lx.is_name_like(text))


def _name_in(block: list[tuple[Line, str]]) -> tuple[str, list[Line]] | None:
    """The name of a block: its ``Name:`` line, else its first name-like line."""
    for line, text in block:
        m = _NAME_LABEL_RE.match(text)
        if m is not None:
            return m.group("name").strip(), [line]
    for i, (line, text) in enumerate(block):
        if _is_id_line(text) or ":" in text:
            continue
        if _SALUTATION_RE.match(text.strip()) and i + 1 < len(block):
            return f"{text.strip()}\n{block[i + 1][1].strip()}", [line, block[i + 1][0]]
        if not lx.is_name_like(text) or lx.CONTACT_RE.search(text):
            if is_marker(text):
                return None  # the block's address or contact came first: no name
            continue
        name, used = text.strip(), [line]
        if i + 1 < len(block) and not lx.LEGAL_FORM_RE.search(name):
            below = block[i + 1][1].strip()
            if lx.LEGAL_FORM_RE.search(below) and lx.is_name_like(below) and not is_marker(below):
                name, used = f"{name}\n{below}", [line, block[i + 1][0]]
        return name, used
    return None


def _by_labels(lines: list[Line], found: list[_Label]) -> dict[str, Party]:
    stops = {label.pos for label in found}
    parties: dict[str, Party] = {}
    for label in found:
        if label.role in parties:
            continue
        if label.inline and lx.is_name_like(label.inline) and not _is_id_line(label.inline):
            line = lines[label.pos]
            rest = _block(lines, label, stops)
            parties[label.role] = Party(label.inline, [line], [ln for ln, _ in rest], 0.85)
            continue
        block = _block(lines, label, stops - {label.pos})
        named = _name_in(block)
        if named is not None:
            name, used = named
            after = [ln for ln, _ in block]
            after = after[after.index(used[-1]) + 1 :]
            parties[label.role] = Party(name, used, after, 0.85)
    return parties


def _by_sender_line(lines: list[Line]) -> dict[str, Party]:
    """The seller from a sender line (name ● street ● town), the buyer from the address window
    below it (a name followed by an address)."""
    for pos, line in enumerate(lines):
        parts = _SENDER_SEPARATOR_RE.split(line.flat)
        if len(parts) < 3 or not any(lx.POSTCODE_RE.search(p) for p in parts[1:]):
            continue
        if not lx.LEGAL_FORM_RE.search(parts[0]) and not lx.BUSINESS_WORD_RE.search(parts[0]):
            continue
        parties = {"seller": Party(parts[0].strip(), [line], [], 0.75)}
        window = lines[pos + 1 : pos + 1 + 4]
        named = _name_in([(ln, ln.flat) for ln in window[:2]])
        if (
            named is not None
            and _role_of(named[0]) is None
            and named[0].casefold() != parts[0].strip().casefold()  # the letterhead below
        ):
            after = window[window.index(named[1][-1]) + 1 :]
            if after and lx.is_address_like(after[0].flat):
                parties["buyer"] = Party(named[0], named[1], after, 0.6)
        return parties
    return {}


def _across_from_buyer(lines: list[Line], found: list[_Label]) -> Party | None:
    """``Storyblok GmbH<TAB>Bill to``: the name in the first column, level with a buyer label
    in a later one, heads the seller's column."""
    for label in found:
        if label.role == "seller" or not label.column:
            continue
        first = lines[label.pos].cells()[0][0]
        if _role_of(first) is None and lx.is_name_like(first) and not is_marker(first):
            line = lines[label.pos]
            return Party(first, [line], [], 0.75)  # its column's address is not separable
    return None


def find_parties(lines: list[Line]) -> Parties:
    """Seller and buyer of the invoice, by role labels or a sender line (either may be None).

    A labelled buyer comes first, then the addressee under a sender line, then the name of a
    delivery address.
    """
    found = _labels(lines)
    labelled = _by_labels(lines, found)
    sender = _by_sender_line(lines) if "seller" not in labelled or "buyer" not in labelled else {}
    seller = labelled.get("seller") or _across_from_buyer(lines, found) or sender.get("seller")
    buyer = labelled.get("buyer") or sender.get("buyer") or labelled.get("other_party")
    return Parties(seller, buyer)

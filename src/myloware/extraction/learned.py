"""Learning from approvals: what the tenant's approved records teach the next extraction.

Pure functions, no database: :mod:`myloware.memory.lessons` finds the lessons (approved
records of the same tenant, matched by an exact key, by embedding similarity or by the
vendor name as read), the evaluation harness keeps them in memory; both apply them with
:func:`apply_lessons`.

What is learned, per document type (:data:`LEARNED_FIELDS`):

- INVOICE — the vendor's identity as approved: name, address, tax id;
- TICKET — routing: queue, type, priority.

A lesson matched by an exact key (the vendor's tax id, a sender e-mail, an IBAN) or by a
similarity of at least :data:`STRONG_SIMILARITY` is *strong*; one found by the vendor name
alone is not (names repeat across branches and owners). Where the rules read a value the
vendor's approvals gave (case, spaces and punctuation aside, the same numbers — a
renamed vendor has two names), it stays and only its approved spelling is learned, from any
usable lesson of that vendor name; a person's correction outranks the policy's approval of
the rules' own reading. Otherwise the approvals of its vendor vote on each identity field
(people's approvals first, then all: one odd approval does not override many). The voted
value replaces what the rules read where it is printed in the document (case, spaces and
punctuation ignored: the same vendor) — for a strong lesson and a text read by OCR also
where it is printed with a few characters misread (:func:`nearly_printed`; the field's
``raw`` keeps the page's spelling; a text layer or a text file is taken as exactly what was
printed). A weaker lesson (at least the caller's minimum similarity, or the vendor name)
replaces only a value missing or read with low confidence (under :data:`LOW_CONFIDENCE`),
and only where printed too — or, on an OCR text, where the rules' own reading is the
approved value with letters misread (:func:`misread_as`); a strong lesson also fills a
value the rules missed. A document of a vendor known by its key that ends up with another
value than at least :data:`CONFIRMED` approvals agreed on — more than agreed on its own —
where theirs is not printed, keeps its value but gets a ``learned_identity_conflict`` error
finding: a person decides. Ticket routing is a vote of the similar approved tickets
(weighted by similarity), applied where the rules' value is missing or weak. No rule here
knows any vendor: every value comes from the tenant's own approvals.
"""

from __future__ import annotations

import re
from collections import defaultdict
from collections.abc import Sequence
from dataclasses import dataclass, field
from datetime import datetime
from typing import Any

from rapidfuzz import fuzz

from myloware.extraction.ocr_repair import confusable
from myloware.records import CanonicalRecord, DocumentType, FieldValue, Finding

#: fields an approval teaches, per document type
LEARNED_FIELDS: dict[DocumentType, tuple[str, ...]] = {
    DocumentType.INVOICE: ("vendor_name", "vendor_address", "vendor_tax_id"),
    DocumentType.TICKET: ("queue", "ticket_type", "priority"),
}
#: fields identifying a sender exactly, where a record has them
KEY_FIELDS: tuple[str, ...] = ("vendor_tax_id", "iban", "sender_email", "customer_email")
#: how a lesson found by the vendor name as read matched (a weak match: names repeat)
BY_NAME = "vendor_name"
#: identity fields replaced outright by a strong lesson (routing is voted, never replaced)
IDENTITY: frozenset[str] = frozenset(LEARNED_FIELDS[DocumentType.INVOICE])
STRONG_SIMILARITY = 0.9
#: approvals agreeing on a vendor identity value that one document cannot silently contradict
CONFIRMED = 3
LOW_CONFIDENCE = 0.6
#: the confidence of a learned value: approved by a person, but for another document
LEARNED_CONFIDENCE = 0.9
#: how alike a strong lesson's value and a span of an OCR text must be to be the same value
NEAR_RATIO = 0.9
NEAR_MIN_LENGTH = 8
_DIGITS_RE = re.compile(r"\d+")
#: the learned fields a reading may be mended in letter by letter (names, not identifiers)
_PHRASES = frozenset({"vendor_name", "vendor_address"})


def key_of(name: str, value: Any) -> str | None:
    """The comparable form of an exact key (case, spaces and punctuation ignored)."""
    if not isinstance(value, str) or name not in KEY_FIELDS:
        return None
    if "email" in name:
        text = value.strip().lower()
        return text if "@" in text else None
    text = re.sub(r"[^0-9a-z]", "", value.lower())
    return text if len(text) >= 5 else None


def name_key(values: dict[str, Any]) -> str | None:
    """The vendor name as the name look-up compares it — lower case, trimmed (the records'
    ``ix_records_vendor_name`` expression) — or None: no name, or under 5 letters and digits."""
    value = values.get("vendor_name")
    if not isinstance(value, str) or sum(ch.isalnum() for ch in value) < 5:
        return None
    return value.strip().lower()


def keys_of(values: dict[str, Any]) -> dict[str, str]:
    return {n: k for n in KEY_FIELDS if (k := key_of(n, values.get(n))) is not None}


@dataclass(frozen=True)
class Lesson:
    """An approved record of an earlier document of the tenant, and how it matches this one."""

    work_item_id: str
    values: dict[str, Any]
    similarity: float = 0.0
    matched_by: str = "similarity"  # or the key field that matched exactly
    document: str | None = None  # the earlier document's file name
    approved_by: str | None = None  # None: approved by the policy, no person
    approved_at: datetime | None = None

    @property
    def strong(self) -> bool:
        """Matched by an exact key, or by a similarity of at least :data:`STRONG_SIMILARITY`
        (a vendor name alone is not enough: names repeat across branches and owners)."""
        if self.matched_by == "similarity":
            return self.similarity >= STRONG_SIMILARITY
        return self.matched_by != BY_NAME

    @property
    def rank(self) -> tuple[int, float]:
        """Which lesson leads (lowest first): an exact key, a strong similarity, the vendor
        name, a weak similarity; then the most similar."""
        if self.matched_by == "similarity":
            return (1 if self.strong else 3), -self.similarity
        return (2 if self.matched_by == BY_NAME else 0), -self.similarity

    def provenance(self) -> str:
        who = self.approved_by or "the policy (auto-approved)"
        when = f", {self.approved_at.date().isoformat()}" if self.approved_at else ""
        doc = self.document or self.work_item_id
        how = (
            f"matched by {self.matched_by.replace('_', ' ')}"
            if self.matched_by != "similarity"
            else f"similarity {self.similarity:.2f}"
        )
        return f"memory: learned from the approval of {doc} by {who}{when} ({how})"


@dataclass
class Applied:
    """What :func:`apply_lessons` changed: field → the lesson it came from."""

    record: CanonicalRecord
    fields: dict[str, Lesson] = field(default_factory=dict)
    conflicts: list[Finding] = field(default_factory=list)


def _weak(fv: FieldValue | None) -> bool:
    return fv is None or fv.value in (None, "", []) or fv.confidence < LOW_CONFIDENCE


def _learned(value: Any, lesson: Lesson, *, raw: str | None = None) -> FieldValue:
    """The learned value; ``raw``: how the document prints it, where not exactly so."""
    return FieldValue(
        value=value, confidence=LEARNED_CONFIDENCE, source=lesson.provenance(), raw=raw
    )


def _squeezed(value: Any) -> str:
    """Letters and digits only, lower case (one character for one: indexes stay aligned)."""
    return "".join(ch.lower()[:1] for ch in str(value) if ch.isalnum())


def _spelling(value: Any) -> str:
    """``value`` without white space, case folded (punctuation kept: ``SELANGOR.``)."""
    return "" if value in (None, "", []) else "".join(str(value).split()).casefold()


def printed(value: Any, text: str | None) -> str | None:
    """``value`` as printed in ``text`` — found ignoring case, spaces and punctuation, and
    returned in the document's own spelling (white space runs made one space); None when
    it is not printed there."""
    if text is None:
        return None
    needle = _squeezed(value)
    if len(needle) < 3:
        return None
    kept = [(i, ch.lower()[:1]) for i, ch in enumerate(text) if ch.isalnum()]
    hay = "".join(ch for _, ch in kept)
    at = hay.find(needle)
    if at < 0:
        return None
    start, end = kept[at][0], kept[at + len(needle) - 1][0] + 1
    closing = end < len(text) and not text[end].isalnum() and not text[end].isspace()
    if closing and not str(value)[-1:].isalnum():
        end += 1  # the approved value's closing punctuation ("BHD.") as printed here
    return " ".join(text[start:end].split())


def nearly_printed(value: Any, text: str | None) -> str | None:
    """``value`` printed in ``text`` with a few characters misread — an OCR text reads "NO
    29O" for "NO 290" — as :func:`printed` compares, at least :data:`NEAR_RATIO` alike and
    :data:`NEAR_MIN_LENGTH` letters and digits long; the document's own spelling, or None.
    Only phrases (names, addresses): an identifier of one token, where one character
    makes another identifier, is never taken as nearly printed."""
    if text is None or len(str(value).split()) < 2:
        return None  # a single token — a tax id, an IBAN, a number — must match exactly
    needle = _squeezed(value)
    if len(needle) < NEAR_MIN_LENGTH:
        return None
    kept = [(i, ch.lower()[:1]) for i, ch in enumerate(text) if ch.isalnum()]
    hay = "".join(ch for _, ch in kept)
    found = fuzz.partial_ratio_alignment(needle, hay, score_cutoff=NEAR_RATIO * 100)
    if found is None or found.dest_end <= found.dest_start:
        return None
    start, end = kept[found.dest_start][0], kept[found.dest_end - 1][0] + 1
    return " ".join(text[start:end].split())


def _numbered(text: str) -> list[str]:
    """The tokens of ``text`` that hold a digit (``12B``, ``81750``), squeezed."""
    return [_squeezed(token) for token in text.split() if any(ch.isdigit() for ch in token)]


def misread_as(value: Any, reading: Any) -> bool:
    """Whether an OCR ``reading`` is ``value`` with a few letters misread: a phrase of at least
    :data:`NEAR_MIN_LENGTH` letters and digits, the same tokens with digits in the same order
    (another branch's postcode, lot or unit — ``12B`` / ``12A`` — is never a misreading),
    letter for letter (a letter more or less is another name: ``(M)``), at most one in ten
    different and each a letter OCR confuses with the approved one (``99 SPEED NART`` for
    ``99 SPEED MART``; not ``Möller`` / ``Müller``)."""
    if not isinstance(value, str) or not isinstance(reading, str) or len(value.split()) < 2:
        return False
    needle, read = _squeezed(value), _squeezed(reading)
    if len(needle) < NEAR_MIN_LENGTH or len(read) != len(needle):
        return False
    if _numbered(value) != _numbered(reading):
        return False
    wrong = [(a, b) for a, b in zip(needle, read, strict=True) if a != b]
    return len(wrong) <= (1 - NEAR_RATIO) * len(needle) and all(confusable(*w) for w in wrong)


def grounded(value: Any, text: str | None) -> bool:
    """Whether ``value`` is printed in ``text`` (case, spaces and punctuation ignored)."""
    return printed(value, text) is not None


def same_vendor(best: Lesson, lessons: Sequence[Lesson]) -> list[Lesson]:
    """``best`` and the other lessons of its vendor: matched by the same exact key, or (by
    similarity) with the same vendor name, case, spaces and punctuation ignored."""
    name = _squeezed(best.values.get("vendor_name") or "")
    peers = [best]
    for lesson in lessons:
        if lesson is best:
            continue
        if best.matched_by != "similarity":
            if lesson.matched_by == best.matched_by:
                peers.append(lesson)
        elif lesson.strong and name and _squeezed(lesson.values.get("vendor_name") or "") == name:
            peers.append(lesson)
    return peers


@dataclass(frozen=True)
class _Choice:
    """The approved value :func:`_choose` takes for one field, and how."""

    value: Any
    lesson: Lesson  # the first lesson that approved it
    votes: int  # how many of the vendor's approvals gave this value
    as_read: bool  # the rules read this value (case, spaces and punctuation aside)


def _tally(name: str, lessons: Sequence[Lesson]) -> list[list[Any]]:
    """Each value ``lessons`` approved for ``name``: [value, first lesson, approvals, approvals
    by a person], in the order first approved; an approval found twice (by similarity and by
    name) counts once."""
    tally: dict[str, list[Any]] = {}
    counted: set[str] = set()
    for lesson in lessons:
        value = lesson.values.get(name)
        if lesson.work_item_id not in counted and value not in (None, "", []):
            counted.add(lesson.work_item_id)
            entry = tally.setdefault(repr(value), [value, lesson, 0, 0])
            entry[2] += 1
            entry[3] += lesson.approved_by is not None
    return list(tally.values())


def _choose(
    name: str, peers: Sequence[Lesson], kin: Sequence[Lesson], reading: Any
) -> _Choice | None:
    """The value of ``name`` to learn from ``peers`` (one vendor's approvals); ``kin`` adds
    the usable lessons of that vendor's name, however weak. The value the rules read, where
    it is one ``kin`` approved (case, spaces and punctuation aside; the same numbers:
    ``NO 12, 3`` is not ``NO 1, 23``), stays: only its approved spelling is learned — unless
    people approved other values of ``peers`` only (a person's correction outranks the
    policy's approval of the rules' own reading). Else the value of ``peers`` most approved
    by people, then in all. Ties go to the spelling most like the reading, then to the
    first lesson's."""
    read, spelt = (_squeezed(reading), _spelling(reading)) if reading else ("", "")
    mine = _tally(name, peers)
    by_people = max((e[3] for e in mine), default=0)
    same = [
        e
        for e in _tally(name, kin)
        if read
        and _squeezed(e[0]) == read
        and _DIGITS_RE.findall(str(e[0])) == _DIGITS_RE.findall(str(reading))
        and e[3] >= min(1, by_people)
    ]
    pool = same or mine
    if not pool:
        return None
    value, lesson, votes, _ = max(  # max keeps the first of equals
        pool, key=lambda e: (e[3], e[2], fuzz.ratio(_spelling(e[0]), spelt))
    )
    return _Choice(value, lesson, votes, bool(same))


def _learned_value(
    name: str,
    choice: _Choice,
    current: FieldValue | None,
    best: Lesson,
    text: str | None,
    ocr: bool,
) -> FieldValue | None:
    """What ``choice`` makes of the field ``name`` read as ``current``; None: it stays."""
    value, lesson = choice.value, choice.lesson
    if current is not None and current.value == value:
        return None
    if choice.as_read and current is not None:
        # the rules read an approved value: only its approved spelling is learned
        return _learned(value, lesson, raw=current.raw or str(current.value))
    # a strong lesson replaces the reading when the approved value is printed here
    # (case, spaces and punctuation ignored: the same vendor), and fills a missing
    # value; a weaker one replaces a missing or low-confidence reading, if printed
    missing = current is None or current.value in (None, "", [])
    here = grounded(value, text)
    # a strong lesson's value printed with a few characters misread (an OCR text)
    near = None if here or not (ocr and best.strong) else nearly_printed(value, text)
    # any usable lesson: the rules read the approved value with a few letters misread
    if near is None and ocr and name in _PHRASES and current is not None:
        if misread_as(value, current.value):
            near = current.raw or str(current.value)
    if (here and (best.strong or _weak(current))) or (missing and best.strong) or near:
        return _learned(value, lesson, raw=near)
    return None


def _conflict(
    name: str, peers: Sequence[Lesson], best: Lesson, final: FieldValue | None, text: str | None
) -> Finding | None:
    """An error finding where a vendor known by its key ends up with another ``name`` than
    the one at least :data:`CONFIRMED` of its approvals agreed on — more than agreed on the
    value it ends up with, and not printed here: a person decides, nothing is overwritten."""
    if best.matched_by not in KEY_FIELDS:
        return None
    kept = "" if final is None or final.value in (None, "", []) else _squeezed(final.value)
    tally = _tally(name, peers)
    held = sum(e[2] for e in tally if kept and _squeezed(e[0]) == kept)
    rivals = [e for e in tally if not kept or _squeezed(e[0]) != kept]
    if not rivals:
        return None
    value, _, votes, _ = max(rivals, key=lambda e: e[2])  # max keeps the first of equals
    if votes < CONFIRMED or votes <= held or grounded(value, text):
        return None
    return Finding(
        code="learned_identity_conflict",
        field=name,
        severity="error",
        message=f"{votes} approvals of this vendor ({best.matched_by.replace('_', ' ')} "
        f"matched) say {value!r}; this document reads "
        f"{None if final is None else final.value!r}",
    )


def apply_lessons(
    record: CanonicalRecord,
    lessons: Sequence[Lesson],
    *,
    text: str | None = None,
    min_similarity: float = 0.8,
    ocr: bool = False,
) -> Applied:
    """``record`` with what ``lessons`` (the best first) teach; see the module docstring.
    ``ocr``: ``text`` was read by OCR, so its characters may be misread."""
    wanted = LEARNED_FIELDS.get(record.document_type, ())
    usable = [
        lesson
        for lesson in lessons
        if lesson.matched_by != "similarity" or lesson.similarity >= min_similarity
    ]
    if not wanted or not usable:
        return Applied(record)
    fields = dict(record.fields)
    used: dict[str, Lesson] = {}
    findings: list[Finding] = []
    if record.document_type is DocumentType.INVOICE:
        # an exact key first, then a strong similarity, the vendor name, a weak similarity;
        # the approvals of that same vendor vote
        best = min(usable, key=lambda x: x.rank)
        peers = same_vendor(best, usable)
        vendor = _squeezed(best.values.get("vendor_name") or "")
        kin = peers + [
            x
            for x in usable
            if x not in peers and vendor and _squeezed(x.values.get("vendor_name") or "") == vendor
        ]
        for name in wanted:
            current = fields.get(name)
            choice = _choose(name, peers, kin, None if current is None else current.value)
            if choice is None:
                continue
            learned = _learned_value(name, choice, current, best, text, ocr)
            if learned is not None:
                fields[name] = learned
                used[name] = choice.lesson
            if (conflict := _conflict(name, peers, best, fields.get(name), text)) is not None:
                findings.append(conflict)
    else:
        for name in wanted:
            current = fields.get(name)
            if not _weak(current):
                continue
            votes: dict[str, float] = defaultdict(float)
            first: dict[str, Lesson] = {}
            for lesson in usable:
                value = lesson.values.get(name)
                if isinstance(value, str) and value:
                    votes[value] += lesson.similarity if lesson.matched_by == "similarity" else 1.0
                    first.setdefault(value, lesson)
            if votes:
                value = max(votes, key=lambda v: votes[v])
                fields[name] = _learned(value, first[value])
                used[name] = first[value]
    if not used and not findings:
        return Applied(record)
    update = {"fields": fields, "findings": [*record.findings, *findings]}
    return Applied(record.model_copy(update=update), used, findings)

"""TICKET fields from a support request (e-mail or form text), English and German.

Subject from a ``Subject:``/``Betreff:`` line (else a short first line), summary = the first
sentences of the body, customer e-mail and name, and routing signals read from keywords:
``ticket_type`` (INCIDENT: something broke; PROBLEM: it keeps happening; CHANGE: alter or
upgrade something; REQUEST: asks for information or a service), ``priority``, ``queue``,
``tags`` and ``sentiment``. The keyword lists are in :mod:`myloware.extraction.ticket_signals`.
"""

from __future__ import annotations

import re

from myloware.extraction import ticket_signals as sig
from myloware.extraction.language import detect_language
from myloware.extraction.layout import Line, field_from
from myloware.records import FieldValue

_SUBJECT_RE = re.compile(r"^\s*(?:SUBJECT|BETREFF|OBJET|ONDERWERP|ASUNTO|RE|AW|FW|WG)\s*:\s*", re.I)
_EMAIL_RE = re.compile(r"(?<![\w.%+'-])[\w.%+'-]{1,64}@[A-Za-z0-9.-]{1,253}\.[A-Za-z]{2,24}")
_NAME_LABEL_RE = re.compile(r"^\s*(?:NAME|CUSTOMER|KUNDE|FROM|VON)\s*:\s*", re.I)
_CLOSING_RE = re.compile(
    r"^\s*(?:(?:BEST|KIND|WARM)\s+REGARDS|REGARDS|SINCERELY|THANKS|THANK\s+YOU|CHEERS|"
    r"MIT\s+FREUNDLICHEN\s+GR[ÜU](?:ß|SS)EN|VIELE\s+GR[ÜU](?:ß|SS)E|BESTE\s+GR[ÜU](?:ß|SS)E|"
    r"CORDIALEMENT|MET\s+VRIENDELIJKE\s+GROET)\W*$",
    re.I,
)
_SENTENCE_RE = re.compile(r"(?<=[.!?])\s+")


def _subject(lines: list[Line]) -> tuple[FieldValue | None, int]:
    """The subject field and the index of the first body line."""
    if not lines:
        return None, 0
    first = lines[0]
    m = _SUBJECT_RE.match(first.text)
    if m is not None:
        value = first.text[m.end() :].strip()
        if value:
            return field_from(value, 0.95, first, m.end(), len(first.text)), 1
        return None, 1
    if (
        len(lines) > 1
        and len(first.text) <= 100
        and not first.text.rstrip().endswith((".", "?", "!"))
    ):
        return field_from(first.text.strip(), 0.5, first, 0, len(first.text)), 1
    return None, 0


_GREETING_RE = re.compile(
    r"^\s*(?:DEAR|HELLO|HI|HEY|GOOD\s+(?:MORNING|AFTERNOON|EVENING)|SEHR\s+GEEHRTE|"
    r"LIEBE[RS]?|HALLO|"
    r"GUTEN\s+TAG|BONJOUR|MADAME|MONSIEUR|GEACHTE|BESTE|BEST\s+REGARDS)\b[^.!?]{0,60}[,!:]?\s*$",
    re.I,
)


def _summary(body: list[Line]) -> FieldValue | None:
    body = [line for line in body if not _GREETING_RE.match(line.text)]
    if not body:
        return None
    first = body[0]
    text = first.text
    sentences = _SENTENCE_RE.split(text)
    summary = sentences[0]
    if len(summary) < 60 and len(sentences) > 1:
        summary = f"{summary} {sentences[1]}"
    summary = summary.strip()[:300]
    return field_from(summary, 0.6, first, 0, min(len(text), len(summary)))


def _customer(lines: list[Line]) -> dict[str, FieldValue]:
    fields: dict[str, FieldValue] = {}
    for line in lines:
        m = _EMAIL_RE.search(line.text)
        if m is not None:
            fields["customer_email"] = field_from(m.group(0), 0.9, line, m.start(), m.end())
            break
    for pos, line in enumerate(lines):
        label = _NAME_LABEL_RE.match(line.text)
        if label is not None and line.text[label.end() :].strip():
            name = _EMAIL_RE.sub("", line.text[label.end() :]).strip(" <>\"'")
            if name:
                fields["customer_name"] = field_from(name, 0.7, line, label.end(), len(line.text))
                break
        if _CLOSING_RE.match(line.text) and pos + 1 < len(lines):
            nxt = lines[pos + 1]
            name = nxt.text.strip()
            if 2 <= len(name) <= 60 and not name.startswith("<") and len(name.split()) <= 5:
                fields["customer_name"] = field_from(name, 0.6, nxt, 0, len(nxt.text))
                break
    return fields


def extract_ticket(lines: list[Line], text: str) -> dict[str, FieldValue]:
    """Every TICKET field the rules can read from ``lines``."""
    fields: dict[str, FieldValue] = {}
    subject, body_start = _subject(lines)
    if subject is not None:
        fields["subject"] = subject
    summary = _summary(lines[body_start:])
    if summary is not None:
        fields["summary"] = summary
    fields.update(_customer(lines))
    language = detect_language(text)
    signals = sig.read_signals(text)

    def signal_field(value: object, confidence: float) -> FieldValue:
        # Inferred from the whole text, not read from one place: no span.
        return FieldValue(value=value, confidence=round(confidence, 3))

    fields["language"] = signal_field(language, 0.8)
    fields["ticket_type"] = signal_field(signals.ticket_type, signals.type_confidence)
    fields["priority"] = signal_field(signals.priority, signals.priority_confidence)
    fields["queue"] = signal_field(signals.queue, signals.queue_confidence)
    if signals.tags:
        fields["tags"] = signal_field(list(signals.tags), 0.4)
    fields["sentiment"] = signal_field(signals.sentiment, 0.5)
    return fields

"""Small pure normalisers: text, numbers/percentages, enums, language codes, e-mail addresses.

Each returns the canonical value or None when the input cannot be normalised.
"""

from __future__ import annotations

import re
import unicodedata
from collections.abc import Iterable
from decimal import Decimal

from myloware.normalize.amounts import parse_amount

_SPACE_RE = re.compile(r"\s+")
_EMAIL_RE = re.compile(r"(?<![\w.%+'-])[\w.%+'-]{1,64}@[A-Za-z0-9.-]{1,253}\.[A-Za-z]{2,24}")

# Spellings of enum values that are not the value itself, lower-case, several languages.
ENUM_SYNONYMS: dict[str, str] = {
    # priority
    "low": "LOW",
    "niedrig": "LOW",
    "gering": "LOW",
    "basse": "LOW",
    "faible": "LOW",
    "laag": "LOW",
    "baja": "LOW",
    "p4": "LOW",
    "medium": "MEDIUM",
    "normal": "MEDIUM",
    "moderate": "MEDIUM",
    "mittel": "MEDIUM",
    "moyenne": "MEDIUM",
    "gemiddeld": "MEDIUM",
    "media": "MEDIUM",
    "p3": "MEDIUM",
    "high": "HIGH",
    "hoch": "HIGH",
    "haute": "HIGH",
    "elevee": "HIGH",
    "hoog": "HIGH",
    "alta": "HIGH",
    "p2": "HIGH",
    "urgent": "URGENT",
    "dringend": "URGENT",
    "urgente": "URGENT",
    "p1": "URGENT",
    "critical": "URGENT",
    "kritisch": "URGENT",
    "blocker": "URGENT",
    # ticket type
    "incident": "INCIDENT",
    "vorfall": "INCIDENT",
    "störung": "INCIDENT",
    "request": "REQUEST",
    "service request": "REQUEST",
    "anfrage": "REQUEST",
    "demande": "REQUEST",
    "problem": "PROBLEM",
    "probleme": "PROBLEM",
    "change": "CHANGE",
    "change request": "CHANGE",
    "änderung": "CHANGE",
    "changement": "CHANGE",
    # status (RAG)
    "green": "GREEN",
    "on track": "GREEN",
    "grün": "GREEN",
    "vert": "GREEN",
    "groen": "GREEN",
    "amber": "AMBER",
    "yellow": "AMBER",
    "orange": "AMBER",
    "at risk": "AMBER",
    "gelb": "AMBER",
    "jaune": "AMBER",
    "geel": "AMBER",
    "red": "RED",
    "off track": "RED",
    "rot": "RED",
    "rouge": "RED",
    "rood": "RED",
    # sentiment
    "positive": "POSITIVE",
    "positiv": "POSITIVE",
    "neutral": "NEUTRAL",
    "neutre": "NEUTRAL",
    "negative": "NEGATIVE",
    "negativ": "NEGATIVE",
}

# ISO 639-1 codes for language names a model or a person might write instead.
_LANGUAGE_NAMES: dict[str, str] = {
    "english": "en",
    "englisch": "en",
    "german": "de",
    "deutsch": "de",
    "french": "fr",
    "français": "fr",
    "francais": "fr",
    "dutch": "nl",
    "nederlands": "nl",
    "spanish": "es",
    "español": "es",
    "espanol": "es",
    "italian": "it",
    "portuguese": "pt",
    "polish": "pl",
}


def clean_text(value: object) -> str | None:
    """``value`` as a string with whitespace trimmed and collapsed; None when empty."""
    if value is None or isinstance(value, bool):
        return None
    if not isinstance(value, str | int | float | Decimal):
        return None
    text = unicodedata.normalize("NFC", _SPACE_RE.sub(" ", str(value)).strip())
    return text or None


def to_number(value: object) -> float | None:
    """A plain or percent number (``"19 %"``, ``"19,5"``, ``0.5``) as a float, or None."""
    if isinstance(value, str):
        value = value.replace("%", "").strip()
    amount = parse_amount(value)
    return None if amount is None else float(amount)


def to_percent(value: object) -> float | None:
    """A percentage in 0..100 (``"19%"`` → 19.0; ``"7.5 %"`` → 7.5), or None when out of range."""
    number = to_number(value)
    if number is None or not 0 <= number <= 100:
        return None
    return number


def to_enum(value: object, allowed: Iterable[str]) -> str | None:
    """``value`` as one of ``allowed`` (upper-case), via synonyms (``"hoch"`` → ``"HIGH"``)."""
    text = clean_text(value)
    if text is None:
        return None
    options = set(allowed)
    upper = text.upper().replace("-", "_").replace(" ", "_")
    if upper in options:
        return upper
    synonym = ENUM_SYNONYMS.get(text.lower())
    return synonym if synonym in options else None


def to_language_code(value: object) -> str | None:
    """An ISO 639-1 code from a code or a language name (``"de-DE"``/``"German"`` → ``"de"``)."""
    text = clean_text(value)
    if text is None:
        return None
    lower = text.lower()
    if re.fullmatch(r"[a-z]{2}(?:[-_][a-z]{2,4})?", lower):
        return lower[:2]
    return _LANGUAGE_NAMES.get(lower)


def to_email(value: object) -> str | None:
    """The e-mail address in ``value`` (``"Ann <ann@x.org>"`` → ``"ann@x.org"``), or None."""
    text = clean_text(value)
    if text is None:
        return None
    m = _EMAIL_RE.search(text)
    return m.group(0) if m else None

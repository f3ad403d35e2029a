"""Language of a text (ISO 639-1) from function words and a few letters.

A light, deterministic heuristic for English, German, French, Dutch and Spanish: every
word that is a common function word of a language votes for it (shared words split their
vote), and language-specific letters (``ß``, ``ñ``, ``ç``) add a little. Texts without any
evidence are reported as English.
"""

from __future__ import annotations

import re
from collections import Counter

_WORD_RE = re.compile(r"[a-zà-ÿß]+")

_FUNCTION_WORDS: dict[str, frozenset[str]] = {
    "en": frozenset(
        "the and of to is in for you your with on that this are be have we i it not please our "
        "can my has was from as at by an or will would could been there they their which about "
        "any if me us do does did what when how thank thanks regards dear issue".split()
    ),
    "de": frozenset(
        "der die das und ist nicht ich sie mit ein eine einen einem zu von für auf den dem des es "
        "wir ihr ihre ihnen bitte wie auch sich wurde wird kann bei oder um aus noch haben mein "
        "meine dass sind werden hat habe über nach vielen dank sehr geehrte geehrter grüßen mit "
        "freundlichen unser unsere diese dieser können könnten".split()
    ),
    "fr": frozenset(
        "le la les et est des une un pour dans que qui pas vous nous je sur avec au aux du ce "
        "cette votre vos merci sont par ne plus mon ma mes il elle être avoir été bonjour "
        "cordialement madame monsieur".split()
    ),
    "nl": frozenset(
        "de het een en van is niet ik dat voor met op zijn je u uw wij we ook naar bij maar om "
        "deze heeft hebben kunt graag worden wordt geachte bedankt groet vriendelijke mijn onze "
        "dit er wat hoe".split()
    ),
    "es": frozenset(
        "el la los las y es de que en un una por para con no se su sus del al lo como más pero "
        "usted gracias está estoy mi nos hola saludos estimado estimada muy".split()
    ),
}
_LETTER_HINTS: dict[str, str] = {
    "ß": "de",
    "ä": "de",
    "ö": "de",
    "ü": "de",
    "ñ": "es",
    "ç": "fr",
    "è": "fr",
    "ê": "fr",
}

_SHARE: dict[str, int] = Counter(w for words in _FUNCTION_WORDS.values() for w in words)


def language_scores(text: str) -> dict[str, float]:
    """Evidence per language code (higher is stronger); all zero when there is none."""
    scores = dict.fromkeys(_FUNCTION_WORDS, 0.0)
    lower = text.lower()
    for word in _WORD_RE.findall(lower):
        for code, words in _FUNCTION_WORDS.items():
            if word in words:
                scores[code] += 1.0 / _SHARE[word]
    for letter, code in _LETTER_HINTS.items():
        scores[code] += 0.25 * min(lower.count(letter), 8)
    return scores


def detect_language(text: str) -> str:
    """ISO 639-1 code of the text's language (``en``, ``de``, ``fr``, ``nl``, ``es``)."""
    scores = language_scores(text)
    best = max(scores, key=lambda code: (scores[code], code == "en"))
    return best if scores[best] > 0 else "en"

"""Keyword signals for routing a support ticket (English and German).

Each label of a routing field has a list of cue patterns; a text's score for a label is the
number of cues it contains (weighted); the best label wins and its share of the evidence is
the confidence. The queue names are a common help-desk taxonomy; a deployment with other
queues would configure its own lists.
"""

from __future__ import annotations

import re
from collections.abc import Mapping
from dataclasses import dataclass


def _cues(*patterns: str) -> re.Pattern[str]:
    return re.compile(r"(?<![A-Za-zÀ-ÿ])(?:" + "|".join(patterns) + r")", re.IGNORECASE)


TYPE_CUES: dict[str, tuple[re.Pattern[str], float]] = {
    "INCIDENT": (
        _cues(
            r"not\s+working",
            r"stopped",
            r"(?:is|was|went)\s+down",
            r"outage",
            r"crash\w*",
            r"error",
            r"fail\w*",
            r"broken",
            r"unable",
            r"cannot",
            r"can'?t",
            r"disrupt\w*",
            r"breach\w*",
            r"downtime",
            r"unexpected\w*",
            r"sudden\w*",
            r"funktioniert\s+nicht",
            r"ausgefallen",
            r"ausfall",
            r"fehler\w*",
            r"absturz",
            r"abgestürzt",
            r"störung",
            r"unerwartet\w*",
            r"nicht\s+mehr",
            r"plötzlich",
            r"unterbrech\w*",
        ),
        1.3,
    ),
    "PROBLEM": (
        _cues(
            r"recurring",
            r"repeated\w*",
            r"persist\w*",
            r"root\s+cause",
            r"intermittent\w*",
            r"keeps?",
            r"again",
            r"continu\w*",
            r"multiple\s+times",
            r"ongoing",
            r"inconsisten\w*",
            r"wiederholt\w*",
            r"immer\s+wieder",
            r"ständig\w*",
            r"häufig\w*",
            r"weiterhin",
            r"ursache",
            r"anhaltend\w*",
            r"bleibt\s+bestehen",
            r"tritt\s+\w*\s*auf",
        ),
        0.8,
    ),
    "CHANGE": (
        _cues(
            r"change\s+request",
            r"upgrade\w*",
            r"modif\w*",
            r"migrat\w*",
            r"replace\w*",
            r"implement\w*",
            r"switch\w*",
            r"enhance\w*",
            r"update\s+(?:the|our|to)",
            r"add\s+(?:a|new)",
            r"änder\w*",
            r"aktualisier\w*",
            r"migrier\w*",
            r"ersetz\w*",
            r"hinzufüg\w*",
            r"umstell\w*",
            r"erweiter\w*",
            r"einführ\w*",
        ),
        1.0,
    ),
    "REQUEST": (
        _cues(
            r"request\w*",
            r"would\s+like",
            r"could\s+you",
            r"please\s+provide",
            r"information",
            r"inquir\w*",
            r"how\s+(?:to|can|do)",
            r"looking\s+for",
            r"interested",
            r"details",
            r"guidance",
            r"advice",
            r"recommend\w*",
            r"anfrage",
            r"möchte\w*",
            r"bitte\s+um",
            r"informationen",
            r"könnten\s+sie",
            r"wie\s+kann",
            r"interessier\w*",
            r"anleitung",
            r"empfehl\w*",
            r"\?",
        ),
        0.5,
    ),
}

PRIORITY_CUES: dict[str, tuple[re.Pattern[str], float]] = {
    "URGENT": (
        _cues(
            r"urgent\w*",
            r"emergency",
            r"asap",
            r"critical\w*",
            r"dringend\w*",
            r"notfall",
            r"sofort\w*",
            r"kritisch\w*",
        ),
        1.0,
    ),
    "HIGH": (
        _cues(
            r"outage",
            r"down",
            r"breach\w*",
            r"security",
            r"data\s+loss",
            r"all\s+users",
            r"immediate\w*",
            r"significant\w*",
            r"severe\w*",
            r"crash\w*",
            r"production",
            r"as\s+soon\s+as\s+possible",
            r"ausfall",
            r"sicherheit\w*",
            r"datenverlust",
            r"schnellstmöglich",
            r"erheblich\w*",
            r"schwerwiegend\w*",
            r"dringlich\w*",
        ),
        1.0,
    ),
    "LOW": (
        _cues(
            r"no\s+rush",
            r"when\s+(?:convenient|possible|you\s+have\s+time)",
            r"feedback",
            r"suggest\w*",
            r"curious",
            r"minor",
            r"low\s+priority",
            r"nice\s+to\s+have",
            r"keine\s+eile",
            r"bei\s+gelegenheit",
            r"vorschlag",
            r"anregung",
            r"geringfügig\w*",
        ),
        1.0,
    ),
}

QUEUE_CUES: dict[str, tuple[re.Pattern[str], float]] = {
    "Billing and Payments": (
        _cues(
            r"bill\w*",
            r"invoice\w*",
            r"payment\w*",
            r"charge\w*",
            r"refund\w*",
            r"pricing",
            r"subscription\w*",
            r"rechnung\w*",
            r"zahlung\w*",
            r"abrechnung\w*",
            r"preis\w*",
            r"abonnement",
        ),
        1.2,
    ),
    "Returns and Exchanges": (
        _cues(
            r"return\w*",
            r"exchange\w*",
            r"replacement",
            r"defective",
            r"damaged",
            r"rücksend\w*",
            r"umtausch\w*",
            r"rückgabe",
            r"beschädigt\w*",
            r"defekt\w*",
        ),
        1.2,
    ),
    "Service Outages and Maintenance": (
        _cues(
            r"outage\w*",
            r"downtime",
            r"maintenance",
            r"unavailable",
            r"service\s+disruption",
            r"ausfall",
            r"wartung\w*",
            r"nicht\s+erreichbar",
            r"unterbrech\w*",
        ),
        1.2,
    ),
    "Sales and Pre-Sales": (
        _cues(
            r"quote",
            r"purchas\w*",
            r"buy",
            r"demo",
            r"trial",
            r"licens\w*",
            r"sales",
            r"angebot",
            r"kauf\w*",
            r"lizenz\w*",
            r"vertrieb",
        ),
        1.0,
    ),
    "Human Resources": (
        _cues(
            r"employee\w*",
            r"payroll",
            r"hr\b",
            r"recruit\w*",
            r"onboarding",
            r"vacation",
            r"leave",
            r"mitarbeiter\w*",
            r"gehalt\w*",
            r"urlaub",
            r"personal\w*",
        ),
        1.2,
    ),
    "IT Support": (
        _cues(
            r"network\w*",
            r"vpn",
            r"laptop",
            r"printer",
            r"password",
            r"access",
            r"server",
            r"wi-?fi",
            r"email",
            r"netzwerk\w*",
            r"drucker",
            r"passwort",
            r"zugriff\w*",
        ),
        0.9,
    ),
    "Technical Support": (
        _cues(
            r"error\w*",
            r"bug\w*",
            r"crash\w*",
            r"software",
            r"integration",
            r"install\w*",
            r"configur\w*",
            r"update\w*",
            r"performance",
            r"fehler\w*",
            r"konfigur\w*",
            r"installation",
            r"leistung",
        ),
        0.9,
    ),
    "Product Support": (
        _cues(
            r"product\w*",
            r"feature\w*",
            r"device",
            r"app\b",
            r"tool\w*",
            r"produkt\w*",
            r"funktion\w*",
            r"gerät\w*",
        ),
        0.8,
    ),
    "Customer Service": (
        _cues(
            r"account",
            r"order",
            r"delivery",
            r"complain\w*",
            r"service",
            r"marketing",
            r"konto",
            r"bestellung\w*",
            r"lieferung",
            r"beschwerde\w*",
        ),
        0.8,
    ),
    "General Inquiry": (_cues(r"general", r"question", r"allgemein\w*", r"frage"), 0.6),
}

TAG_CUES: dict[str, re.Pattern[str]] = {
    "Bug": _cues(r"bug\w*", r"error\w*", r"fehler\w*", r"glitch\w*"),
    "Crash": _cues(r"crash\w*", r"absturz", r"abgestürzt"),
    "Performance": _cues(
        r"performance", r"slow\w*", r"latency", r"response\s+time", r"leistung", r"langsam"
    ),
    "Security": _cues(
        r"security", r"secur\w*", r"breach\w*", r"encrypt\w*", r"sicherheit\w*", r"verschlüssel\w*"
    ),
    "Network": _cues(r"network\w*", r"vpn", r"connectivity", r"netzwerk\w*"),
    "Billing": _cues(r"bill\w*", r"invoice\w*", r"rechnung\w*"),
    "Payment": _cues(r"payment\w*", r"zahlung\w*"),
    "Outage": _cues(r"outage\w*", r"downtime", r"ausfall"),
    "Integration": _cues(r"integrat\w*"),
    "Documentation": _cues(
        r"documentation", r"guide\w*", r"manual", r"dokumentation", r"anleitung"
    ),
    "Feedback": _cues(r"feedback", r"suggest\w*", r"rückmeldung"),
    "Account": _cues(r"account", r"login", r"password", r"konto", r"passwort"),
    "Hardware": _cues(r"hardware", r"device", r"laptop", r"printer", r"gerät\w*", r"drucker"),
    "Software": _cues(r"software"),
    "Sales": _cues(r"sales", r"pricing", r"purchase", r"vertrieb", r"preis\w*"),
    "Refund": _cues(r"refund\w*", r"erstattung\w*", r"rückerstattung\w*"),
}

NEGATIVE_RE = _cues(
    r"frustrat\w*",
    r"disappoint\w*",
    r"unacceptable",
    r"angry",
    r"terrible",
    r"annoy\w*",
    r"worst",
    r"furious",
    r"upset",
    r"enttäusch\w*",
    r"verärgert\w*",
    r"inakzeptabel",
    r"ärgerlich",
    r"unzufrieden\w*",
    r"frustriert\w*",
)
POSITIVE_RE = _cues(
    r"great",
    r"excellent",
    r"love",
    r"happy",
    r"pleased",
    r"satisf(?:ied|action)",
    r"wonderful",
    r"zufrieden",
    r"begeistert",
    r"hervorragend",
    r"toll",
)


@dataclass(frozen=True, slots=True)
class TicketSignals:
    ticket_type: str
    type_confidence: float
    priority: str
    priority_confidence: float
    queue: str
    queue_confidence: float
    tags: tuple[str, ...]
    sentiment: str


def _vote(
    text: str, cues: Mapping[str, tuple[re.Pattern[str], float]], default: str
) -> tuple[str, float]:
    scores = {
        label: weight * len(pattern.findall(text)) for label, (pattern, weight) in cues.items()
    }
    total = sum(scores.values())
    if total == 0:
        return default, 0.3
    best = max(scores, key=lambda label: scores[label])
    return best, round(0.3 + 0.6 * scores[best] / total, 3)


def _priority(text: str) -> tuple[str, float]:
    label, confidence = _vote(text, PRIORITY_CUES, "MEDIUM")
    if label == "URGENT" and len(PRIORITY_CUES["HIGH"][0].findall(text)) == 0:
        return "HIGH", confidence
    return label, confidence


def read_signals(text: str) -> TicketSignals:
    """Type, priority, queue, tags and sentiment of a ticket text."""
    ticket_type, type_conf = _vote(text, TYPE_CUES, "REQUEST")
    priority, priority_conf = _priority(text)
    queue, queue_conf = _vote(text, QUEUE_CUES, "General Inquiry")
    tags = tuple(tag for tag, pattern in TAG_CUES.items() if pattern.search(text))
    negative, positive = len(NEGATIVE_RE.findall(text)), len(POSITIVE_RE.findall(text))
    sentiment = (
        "NEGATIVE" if negative > positive else "POSITIVE" if positive > negative else "NEUTRAL"
    )
    return TicketSignals(
        ticket_type, type_conf, priority, priority_conf, queue, queue_conf, tags, sentiment
    )

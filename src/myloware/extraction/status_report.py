"""STATUS_REPORT fields: labelled values and bulleted sections (English and German).

Labelled values: ``Project:``, ``Reporting period:``/``Week ending:``, ``Prepared by:``,
``Overall status:``/``RAG:``, ``% complete``/``Progress:``, ``Budget:``. Sections start at a
heading (``Accomplishments``, ``Next steps``, ``Risks``...) and hold the lines below it up to
the next heading; bullets and numbering are stripped. A risk's severity comes from the words
in it (``high``, ``critical``...), its mitigation from ``Mitigation:``/``→`` text.
"""

from __future__ import annotations

import re

from myloware.extraction.layout import Line, field_from, field_from_lines
from myloware.normalize.dates import find_dates
from myloware.normalize.values import to_enum
from myloware.records import FieldValue

_PROJECT_RE = re.compile(r"^\s*(?:PROJECT(?:\s+NAME)?|PROJEKT(?:NAME)?)\s*[:\-–]\s*", re.I)
_TITLE_RE = re.compile(
    r"^(.*?)\s*[-–—:|]?\s*(?:WEEKLY\s+|MONTHLY\s+)?(?:PROJECT\s+)?STATUS\s*(?:REPORT|"
    r"UPDATE)\s*[-–—:|]?\s*(.*)$",
    re.I,
)
_PERIOD_RE = re.compile(
    r"REPORTING\s+PERIOD|PERIOD|WEEK\s+ENDING|BERICHTSZEITRAUM|ZEITRAUM|SPRINT", re.I
)
_AUTHOR_RE = re.compile(
    r"^\s*(?:PREPARED\s+BY|AUTHOR|REPORTED\s+BY|SUBMITTED\s+BY|PROJECT\s+MANAGER|"
    r"PM|OWNER|ERSTELLT\s+VON|AUTOR|VERFASSER)\s*[:\-–]\s*",
    re.I,
)
_STATUS_RE = re.compile(
    r"(?:OVERALL\s+STATUS|OVERALL|RAG(?:\s+STATUS)?|STATUS|GESAMTSTATUS|AMPEL)"
    r"\s*[:\-–]\s*([A-Za-zÀ-ÿ ]+)",
    re.I,
)
_PERCENT_RE = re.compile(
    r"(\d{1,3}(?:[.,]\d+)?)\s?%\s*(?:COMPLETE|DONE|ABGESCHLOSSEN|FERTIG)|(?:PROGRESS|"
    r"COMPLETION|PERCENT\s+COMPLETE|FORTSCHRITT|FERTIGSTELLUNG)\s*[:\-–]?\s*(\d{1,3}(?:[.,]\d+)?)\s?%",
    re.I,
)
_BUDGET_RE = re.compile(r"^\s*(?:BUDGET(?:\s+STATUS)?|KOSTEN|BUDGETSTATUS)\s*[:\-–]\s*", re.I)
_BULLET_RE = re.compile(r"^\s*(?:[-*•·▪◦‣–]|\d{1,2}[.)]|\[[ xX]\])\s*")
_MITIGATION_RE = re.compile(
    r"\s*(?:[-–—;,(]\s*)?(?:MITIGATION|MITIGATED\s+BY|GEGENMASSNAHME|MASSNAHME|→|->)\s*[:\-–]?\s*",
    re.I,
)
_SEVERITY_RE = re.compile(
    r"(?<![A-Za-z])(CRITICAL|HIGH|MEDIUM|LOW|KRITISCH|HOCH|MITTEL|NIEDRIG)(?![A-Za-z])", re.I
)
_SEVERITY_DE = {"KRITISCH": "CRITICAL", "HOCH": "HIGH", "MITTEL": "MEDIUM", "NIEDRIG": "LOW"}

SECTIONS: dict[str, re.Pattern[str]] = {
    "accomplishments": re.compile(
        r"^\W*(?:ACCOMPLISHMENTS?|ACHIEVEMENTS?|COMPLETED(?:\s+THIS\s+\w+)?|DONE(?:\s+THIS\s+\w+)?|"
        r"HIGHLIGHTS|PROGRESS(?:\s+THIS\s+\w+)?|ERLEDIGT|ERGEBNISSE|ERREICHT)\W*$",
        re.I,
    ),
    "next_steps": re.compile(
        r"^\W*(?:NEXT\s+STEPS?|PLANNED(?:\s+\w+)?|UPCOMING|NEXT\s+(?:WEEK|PERIOD|"
        r"SPRINT)|PLANS?\s+FOR\s+NEXT\s+\w+|NÄCHSTE\s+SCHRITTE|GEPLANT|AUSBLICK)\W*$",
        re.I,
    ),
    "risks": re.compile(
        r"^\W*(?:RISKS?(?:\s*(?:&|AND)\s*ISSUES)?|ISSUES(?:\s*(?:&|AND)\s*RISKS)?|"
        r"BLOCKERS|RISIKEN|PROBLEME)\W*$",
        re.I,
    ),
}


def _labelled(lines: list[Line], label: re.Pattern[str]) -> tuple[Line, int] | None:
    for line in lines:
        m = label.match(line.text)
        if m is not None and line.text[m.end() :].strip():
            return line, m.end()
    return None


def _project(lines: list[Line]) -> FieldValue | None:
    hit = _labelled(lines, _PROJECT_RE)
    if hit is not None:
        line, start = hit
        return field_from(line.text[start:].strip(), 0.85, line, start, len(line.text))
    for line in lines[:5]:
        m = _TITLE_RE.match(line.text)
        if m is not None:
            name = (m.group(1) or m.group(2)).strip(" -–—:|")
            if name:
                start = line.text.find(name)
                return field_from(name, 0.6, line, start, start + len(name))
    return None


def _period(lines: list[Line]) -> dict[str, FieldValue]:
    for line in lines:
        if not _PERIOD_RE.search(line.text):
            continue
        dates = list(find_dates(line.text))
        if len(dates) >= 2:
            return {
                "reporting_period_start": field_from(
                    dates[0].value.isoformat(), 0.8, line, dates[0].start, dates[0].end
                ),
                "reporting_period_end": field_from(
                    dates[1].value.isoformat(), 0.8, line, dates[1].start, dates[1].end
                ),
            }
        if len(dates) == 1:
            return {
                "reporting_period_end": field_from(
                    dates[0].value.isoformat(), 0.6, line, dates[0].start, dates[0].end
                )
            }
    return {}


def _simple_fields(lines: list[Line]) -> dict[str, FieldValue]:
    fields: dict[str, FieldValue] = {}
    for name, label in (("author", _AUTHOR_RE), ("budget_status", _BUDGET_RE)):
        hit = _labelled(lines, label)
        if hit is not None:
            line, start = hit
            fields[name] = field_from(line.text[start:].strip(), 0.75, line, start, len(line.text))
    for line in lines:
        m = _STATUS_RE.search(line.text)
        status = to_enum(m.group(1).strip(), ("GREEN", "AMBER", "RED")) if m else None
        if m is not None and status is None:
            status = (
                to_enum(m.group(1).split()[0], ("GREEN", "AMBER", "RED"))
                if m.group(1).split()
                else None
            )
        if m is not None and status is not None:
            fields["overall_status"] = field_from(status, 0.85, line, m.start(1), m.end(1))
            break
    for line in lines:
        m = _PERCENT_RE.search(line.text)
        if m is not None:
            number = m.group(1) or m.group(2)
            value = float(number.replace(",", "."))
            if 0 <= value <= 100:
                fields["percent_complete"] = field_from(value, 0.8, line, m.start(), m.end())
                break
    return fields


def _is_other_heading(line: Line) -> bool:
    """A short line ending in a colon, or a labelled value line, closes the current section."""
    text = line.text.strip()
    if _BULLET_RE.match(line.text):
        return False
    return (len(text) <= 40 and text.endswith(":")) or any(
        rx.match(text) for rx in (_PROJECT_RE, _AUTHOR_RE, _BUDGET_RE)
    )


def _sections(lines: list[Line]) -> dict[str, list[Line]]:
    """Lines under each known section heading, up to the next heading."""
    found: dict[str, list[Line]] = {}
    current: str | None = None
    for line in lines:
        heading = next((name for name, rx in SECTIONS.items() if rx.match(line.text)), None)
        if heading is not None:
            current = heading
            found.setdefault(current, [])
        elif current is not None and _is_other_heading(line):
            current = None
        elif current is not None:
            found[current].append(line)
    return found


def _item_text(line: Line) -> str:
    return _BULLET_RE.sub("", line.text).strip()


_SEVERITY_NOTE_RE = re.compile(
    r"\s*[(\[]\s*(?:SEVERITY|IMPACT|PRIORITY)?\s*:?\s*(?:CRITICAL|HIGH|MEDIUM|LOW|"
    r"KRITISCH|HOCH|MITTEL|NIEDRIG)\s*[)\]]",
    re.I,
)


def _risk(text: str) -> dict[str, str | None]:
    sev = _SEVERITY_RE.search(text)
    parts = _MITIGATION_RE.split(_SEVERITY_NOTE_RE.sub("", text), maxsplit=1)
    description = parts[0].strip(" -–—;,()")
    mitigation = parts[1].strip(" )") if len(parts) > 1 else None
    severity = None
    if sev is not None:
        word = sev.group(1).upper()
        severity = _SEVERITY_DE.get(word, word)
    return {"description": description, "severity": severity, "mitigation": mitigation}


def extract_status_report(lines: list[Line], text: str) -> dict[str, FieldValue]:
    """Every STATUS_REPORT field the rules can read from ``lines``."""
    fields: dict[str, FieldValue] = {}
    project = _project(lines)
    if project is not None:
        fields["project_name"] = project
    fields.update(_period(lines))
    fields.update(_simple_fields(lines))
    for name, section in _sections(lines).items():
        items = [line for line in section if _item_text(line)]
        if not items:
            continue
        if name == "risks":
            value: list[object] = [_risk(_item_text(line)) for line in items]
        else:
            value = [_item_text(line) for line in items]
        fields[name] = field_from_lines(value, 0.7, items)
    return fields

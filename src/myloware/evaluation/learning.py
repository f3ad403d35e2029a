"""``myloware eval HELDOUT --learn-from DEV``: how much learning from approvals helps.

First every document of DEV is read and "approved" with its ground truth as the person's
corrections — the approved record is the extraction with the ground-truth values put in,
restyled like every approved record — and remembered in a fresh, empty memory (a
:class:`LessonBook`: the same lessons the platform learns from an approval, kept in memory
for the run: each approved record, its exact keys and the embedding of its text). Then
every HELDOUT document is extracted, and scored twice: as extracted (``without``), and with
what the memory teaches applied by :func:`myloware.extraction.learned.apply_lessons`, the
function the ExtractorLLM agent applies (``with``). The predictions written are the
learned ones.

Each HELDOUT document counts as *seen* when its ground-truth sender (the field mapped to
``vendor_name``) was among DEV's senders, compared ignoring case and whitespace; the report
gives both runs for seen and unseen senders side by side.

The same report from the running platform, its approval API and its memory, instead of this
imitation: :mod:`myloware.evaluation.learning_api` (``--via-api URL``).
"""

from __future__ import annotations

import json
import time
from collections.abc import Callable
from dataclasses import dataclass, field
from pathlib import Path
from typing import Any

import numpy as np

from myloware.documents.model import LoadedDocument
from myloware.errors import ConfigurationError
from myloware.evaluation.harness import (
    FieldStats,
    InputMode,
    Mapping,
    Progress,
    SetReport,
    _Outcome,
    _score,
    _set_name,
    document_paths,
    load_mapping,
    load_text,
    prediction_for,
)
from myloware.evaluation.resume import forget_run
from myloware.evaluation.scoring import normalise_text
from myloware.extraction import extract
from myloware.extraction.learned import BY_NAME, Lesson, apply_lessons, keys_of, name_key
from myloware.memory.embedder import Embedder
from myloware.memory.lessons import KEY_LIMIT
from myloware.normalize import restyle
from myloware.records import CanonicalRecord, FieldValue

Loader = Callable[[Path], LoadedDocument]
#: the nearest approved records looked at (as ``MYLOWARE_MEMORY_CONTEXT_RECORDS``' default)
NEAREST = 3
#: who approved the eval's DEV documents (each with its ground truth as the corrections)
REVIEWER = "eval"


@dataclass
class LessonBook:
    """One fresh tenant's memory of approvals, in memory: approved records, keys, vectors."""

    embedder: Embedder
    min_similarity: float = 0.8
    lessons: list[Lesson] = field(default_factory=list)
    vectors: list[np.ndarray] = field(default_factory=list)

    def approve(self, doc_id: str, text: str, approved: CanonicalRecord) -> None:
        """Remember ``approved`` (the record as a person approved it) for ``text``."""
        self.lessons.append(
            Lesson(
                work_item_id=doc_id, values=approved.values(), document=doc_id, approved_by=REVIEWER
            )
        )
        self.vectors.append(self.embedder.embed_one(text))

    def lessons_for(self, text: str, record: CanonicalRecord) -> list[Lesson]:
        """As the platform looks them up (:meth:`myloware.memory.related.RelatedMemory.
        lessons_for`): the approvals sharing an exact key (newest first); only where none
        does, the nearest by similarity, then those of the vendor name as read."""
        found: list[Lesson] = []
        keys = keys_of(record.values())
        for lesson in reversed(self.lessons):
            theirs = keys_of(lesson.values)
            for name, key in keys.items():
                if theirs.get(name) == key:
                    found.append(_as(lesson, 1.0, name))
                    break
        if found:
            return found
        if self.vectors:
            sims = np.stack(self.vectors) @ self.embedder.embed_one(text)
            for index in np.argsort(-sims)[:NEAREST]:
                similarity = float(sims[index])
                if similarity >= self.min_similarity:
                    found.append(_as(self.lessons[index], similarity, "similarity"))
        if (vendor := name_key(record.values())) is not None:
            named = [x for x in reversed(self.lessons) if name_key(x.values) == vendor]
            found.extend(_as(lesson, 0.0, BY_NAME) for lesson in named[:KEY_LIMIT])
        return found


def _as(lesson: Lesson, similarity: float, matched_by: str) -> Lesson:
    return Lesson(
        work_item_id=lesson.work_item_id,
        values=lesson.values,
        similarity=similarity,
        matched_by=matched_by,
        document=lesson.document,
        approved_by=lesson.approved_by,
    )


def approved_record(record: CanonicalRecord, truth: dict[str, Any], mapping: Mapping) -> Any:
    """The extraction as a person approves it: the ground truth as corrections."""
    fields = dict(record.fields)
    for name, value in truth.get("fields", {}).items():
        canonical = mapping.fields.get(name)
        if canonical is not None and value not in (None, "", []):
            fields[canonical] = FieldValue(value=value, confidence=1.0)
    corrected = record.model_copy(update={"fields": fields, "document_type": mapping.document_type})
    return restyle(corrected)


@dataclass
class LearningReport:
    """``without`` and ``with`` learning, for all documents and split by seen sender."""

    name: str
    learned_from: int = 0
    without: dict[str, SetReport] = field(default_factory=dict)  # "all" | "seen" | "unseen"
    learned: dict[str, SetReport] = field(default_factory=dict)
    applied: int = 0  # documents where learning changed at least one field
    seconds: float = 0.0
    notes: list[str] = field(default_factory=list)  # printed under the first line

    def __post_init__(self) -> None:
        for reports in (self.without, self.learned):
            for group in ("all", "seen", "unseen"):
                reports.setdefault(group, SetReport(f"{self.name} ({group})"))

    def add(
        self,
        truth: dict[str, Any],
        mapping: Mapping,
        without: _Outcome,
        learned: _Outcome,
        *,
        seen: bool,
    ) -> None:
        """Score one held-out document in both runs, under "all" and its sender's group."""
        group = "seen" if seen else "unseen"
        for outcome, reports in zip((without, learned), (self.without, self.learned), strict=True):
            for key in ("all", group):
                reports[key].documents += 1
                _score(outcome, truth, mapping, reports[key], set())


def sender_of(truth: dict[str, Any] | None, mapping: Mapping) -> str | None:
    """The document's ground-truth sender (the field mapped to ``vendor_name``), folded as
    seen/unseen compares it: case and whitespace ignored."""
    name = next((d for d, c in mapping.fields.items() if c == "vendor_name"), None)
    value = (truth or {}).get("fields", {}).get(name) if name else None
    return normalise_text(value) if value else None


def truth_of(dataset_dir: Path, doc_id: str) -> dict[str, Any] | None:
    """``<id>.json`` of the folder (the ground truth), or None."""
    path = dataset_dir / f"{doc_id}.json"
    return json.loads(path.read_text("utf-8")) if path.is_file() else None


def write_prediction(out_dir: Path, outcome: _Outcome) -> None:
    """``PRED/<id>.json``: the (learned) prediction of one document."""
    (out_dir / f"{outcome.doc_id}.json").write_text(
        json.dumps(outcome.prediction, ensure_ascii=False, indent=1), "utf-8"
    )


def run_learning_eval(
    heldout_dir: Path,
    out_dir: Path,
    learn_dir: Path,
    *,
    embedder: Embedder,
    input_mode: InputMode = "text",
    load: Loader | None = None,
    min_similarity: float = 0.8,
    progress: Progress | None = None,
) -> LearningReport:
    """Learn from ``learn_dir``'s ground truth, then score ``heldout_dir`` with and without."""
    started = time.perf_counter()
    if input_mode == "text":
        load = load_text
    elif load is None:
        raise ConfigurationError("input mode 'document' needs a loader (load=...)")
    mapping = load_mapping(heldout_dir)
    book = LessonBook(embedder, min_similarity)
    senders: set[str] = set()
    learn_docs = document_paths(learn_dir, input_mode)
    heldout_docs = document_paths(heldout_dir, input_mode)
    total = len(learn_docs) + len(heldout_docs)
    done = 0
    for doc_id, path in sorted(learn_docs.items()):
        truth = truth_of(learn_dir, doc_id)
        done += 1
        if path is None or truth is None:
            continue
        try:
            doc = load(path)
            book.approve(doc_id, doc.text, approved_record(extract(doc), truth, mapping))
        except Exception:  # an unreadable document teaches nothing; it is not scored here
            continue
        if sender := sender_of(truth, mapping):
            senders.add(sender)
        if progress is not None:
            progress(done, total, f"learning {doc_id}")
    report = LearningReport(_set_name(heldout_dir), learned_from=len(book.lessons))
    out_dir.mkdir(parents=True, exist_ok=True)
    forget_run(out_dir)  # learned predictions: no --resume may take them for its own
    for doc_id, path in sorted(heldout_docs.items()):
        done += 1
        one = time.perf_counter()
        truth = truth_of(heldout_dir, doc_id)
        try:
            if path is None:
                raise ValueError("no document file for this id in the requested input mode")
            doc = load(path)
            record = extract(doc)
            applied = apply_lessons(
                record,
                book.lessons_for(doc.text, record),
                text=doc.text,
                min_similarity=min_similarity,
                ocr=doc.read_by_ocr,
            )
            plain, learned = restyle(record), restyle(applied.record)
            outcomes = (
                _Outcome(doc_id, prediction_for(plain, mapping, one), None),
                _Outcome(doc_id, prediction_for(learned, mapping, one), None),
            )
            report.applied += bool(applied.fields)
        except Exception as exc:  # counted wrong in both runs, never fatal
            failed = {"error": f"{type(exc).__name__}: {exc}", "fields": {}}
            outcomes = (_Outcome(doc_id, failed, str(exc)), _Outcome(doc_id, failed, str(exc)))
        write_prediction(out_dir, outcomes[1])
        if truth is not None:
            report.add(truth, mapping, *outcomes, seen=sender_of(truth, mapping) in senders)
        if progress is not None:
            progress(done, total, doc_id)
    report.seconds = time.perf_counter() - started
    return report


def render_learning(report: LearningReport) -> str:
    """The side-by-side table (markdown): accuracy per field without / with learning."""
    lines = [
        f"{report.name}: learned from {report.learned_from} approvals; learning changed "
        f"{report.applied} of {report.without['all'].documents} documents "
        f"({report.seconds:.0f} s)",
        *report.notes,
        "",
        "| group | field | scored | without learning | with learning |",
        "|---|---|---|---|---|",
    ]
    for group in ("all", "seen", "unseen"):
        before, after = report.without[group], report.learned[group]
        for name in sorted(before.fields):
            b: FieldStats = before.fields[name]
            a = after.fields.get(name, FieldStats())
            lines.append(f"| {group} | {name} | {b.scored} | {b.accuracy:.3f} | {a.accuracy:.3f} |")
        lines.append(
            f"| **{group}** ({before.documents} docs) | **overall** | {before.scored} | "
            f"**{before.accuracy:.3f}** | **{after.accuracy:.3f}** |"
        )
    lines.append("")
    lines.append(f"overall_without_learning={report.without['all'].accuracy:.3f}")
    lines.append(f"overall_with_learning={report.learned['all'].accuracy:.3f}")
    return "\n".join(lines)

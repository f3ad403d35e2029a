"""The evaluation loader's cache: a rerun reads no file twice, a stale or broken entry never
stands in for the file."""

from __future__ import annotations

from pathlib import Path

import pytest

import myloware.documents.load as load_module
from myloware.documents.limits import DocumentLimits
from myloware.evaluation.loaders import FileLoader


def _note(tmp_path: Path) -> Path:
    path = tmp_path / "note.txt"
    path.write_text("Invoice INV-7\nTotal 12.50 EUR\n", "utf-8")
    return path


def test_a_cached_document_is_not_read_twice(
    tmp_path: Path, monkeypatch: pytest.MonkeyPatch
) -> None:
    cache = tmp_path / "cache"
    path = _note(tmp_path)
    first = FileLoader(cache_dir=cache)(path)
    assert len(list(cache.glob("*.pickle"))) == 1

    def refuse(*args: object, **kwargs: object) -> None:
        raise AssertionError("the cached document was read again")

    monkeypatch.setattr(load_module, "load_document", refuse)
    assert FileLoader(cache_dir=cache)(path) == first


def test_other_content_or_limits_are_other_entries(tmp_path: Path) -> None:
    cache = tmp_path / "cache"
    path = _note(tmp_path)
    FileLoader(cache_dir=cache)(path)
    FileLoader(DocumentLimits(ocr_enabled=False), cache_dir=cache)(path)
    path.write_text("Invoice INV-8\nTotal 99.00 EUR\n", "utf-8")
    changed = FileLoader(cache_dir=cache)(path)
    assert "INV-8" in changed.text
    assert len(list(cache.glob("*.pickle"))) == 3


def test_a_broken_entry_is_read_afresh_and_replaced(tmp_path: Path) -> None:
    cache = tmp_path / "cache"
    path = _note(tmp_path)
    FileLoader(cache_dir=cache)(path)
    (entry,) = cache.glob("*.pickle")
    entry.write_bytes(b"not a pickle")
    again = FileLoader(cache_dir=cache)(path)
    assert "INV-7" in again.text
    assert entry.read_bytes() != b"not a pickle"


def test_without_a_cache_nothing_is_written(tmp_path: Path) -> None:
    path = _note(tmp_path)
    FileLoader()(path)
    assert sorted(p.name for p in tmp_path.iterdir()) == ["note.txt"]


def test_the_key_follows_the_loader_code(tmp_path: Path, monkeypatch: pytest.MonkeyPatch) -> None:
    import myloware.documents as documents_package
    from myloware.evaluation import loaders

    package = tmp_path / "documents"
    package.mkdir()
    (package / "__init__.py").write_text("", "utf-8")
    (package / "scan.py").write_text("THRESHOLD = 0.5\n", "utf-8")
    monkeypatch.setattr(documents_package, "__file__", str(package / "__init__.py"))
    loaders.loader_fingerprint.cache_clear()
    before = loaders.loader_fingerprint()
    (package / "scan.py").write_text("THRESHOLD = 0.6\n", "utf-8")
    loaders.loader_fingerprint.cache_clear()
    after = loaders.loader_fingerprint()
    monkeypatch.undo()
    loaders.loader_fingerprint.cache_clear()
    assert before != after


def test_a_cache_that_cannot_be_written_still_reads_the_document(tmp_path: Path) -> None:
    """A cache folder that is a file (or full, or read-only) must not fail the document."""
    blocked = tmp_path / "cache"
    blocked.write_text("a file, not a folder", "utf-8")
    loaded = FileLoader(cache_dir=blocked)(_note(tmp_path))
    assert "INV-7" in loaded.text

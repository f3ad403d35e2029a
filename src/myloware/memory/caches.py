"""Small per-worker caches that spare the per-document memory look-ups a round trip.

- :class:`ApprovedTypes` — which (tenant, document type) pairs have an approved record to
  learn from. Only a *yes* is kept, and only for :data:`APPROVED_TTL_S`: a new approval
  must teach the very next document, so a *no* is asked again every time (one ``EXISTS``
  that stops at the first approved item). A *yes* can only turn stale when every approval
  of the type is forgotten (``DELETE /v1/memory/lessons``, in the API process) — and the
  look-ups skip a forgotten record themselves, so a stale *yes* costs a look-up that finds
  nothing, for :data:`APPROVED_TTL_S` at most, never a wrong lesson.
- :class:`RecentVectors` — the embeddings this worker just computed, by work item: hybrid
  mode asks for a document's embedding twice (related records for the model, then
  learning), and the second ask needs no database.
"""

from __future__ import annotations

import time
import uuid
from collections import OrderedDict
from collections.abc import Callable

#: how long a "this tenant has approvals of the type" answer is trusted
APPROVED_TTL_S = 300.0
#: embeddings kept per worker (a few concurrent documents' worth)
RECENT_VECTORS = 64


class ApprovedTypes:
    def __init__(
        self, ttl_s: float = APPROVED_TTL_S, clock: Callable[[], float] = time.monotonic
    ) -> None:
        self._ttl_s = ttl_s
        self._clock = clock
        self._until: dict[tuple[uuid.UUID, str], float] = {}

    def has(self, tenant_id: uuid.UUID, document_type: str) -> bool:
        until = self._until.get((tenant_id, document_type))
        return until is not None and self._clock() < until

    def add(self, tenant_id: uuid.UUID, document_type: str) -> None:
        self._until[(tenant_id, document_type)] = self._clock() + self._ttl_s


class RecentVectors:
    def __init__(self, size: int = RECENT_VECTORS) -> None:
        self._size = size
        self._vectors: OrderedDict[uuid.UUID, str] = OrderedDict()

    def get(self, work_item_id: uuid.UUID) -> str | None:
        return self._vectors.get(work_item_id)

    def put(self, work_item_id: uuid.UUID, vector: str) -> None:
        self._vectors[work_item_id] = vector
        self._vectors.move_to_end(work_item_id)
        while len(self._vectors) > self._size:
            self._vectors.popitem(last=False)

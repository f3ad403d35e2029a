"""Evaluate the whole running platform: submit each document through the API and score it.

``myloware eval DIR --out P --via-api URL`` measures the pipeline end to end (loaders,
extractor, restyler, …) instead of the extractor in-process. Each document is one work order;
its canonical record is read back from the item's JsonRestyler attempt (with confidences and
spans), so an item that waits for a human approval is still scored. With ground truth, each
document's field scores are stored on the platform as an ``eval_results`` row
(``evaluation_type = "dataset:<set>"``).
"""

from __future__ import annotations

import time
from collections.abc import Iterator
from concurrent.futures import ThreadPoolExecutor
from pathlib import Path
from typing import Any

import httpx

from myloware.agents.names import AgentName
from myloware.errors import MylowareError
from myloware.evaluation.harness import Predict
from myloware.evaluation.scoring import FieldScore
from myloware.records import CanonicalRecord

SETTLED = {"COMPLETED", "FAILED", "REJECTED", "AWAITING_APPROVAL"}
#: how often a document's progress is polled (the platform's rate limit is per credential)
POLL_S = 0.5
#: the longest the runner waits out the platform's rate limit for one request
RATE_LIMIT_WAIT_S = 120.0


class ApiRunner:
    """A ``run_eval`` runner that sends documents to the platform at ``base_url``."""

    def __init__(
        self, base_url: str, token: str, *, workers: int = 4, timeout_s: float = 300.0
    ) -> None:
        self.client = httpx.Client(
            base_url=base_url, headers={"Authorization": f"Bearer {token}"}, timeout=60
        )
        self.workers = workers
        self.timeout_s = timeout_s

    def __call__(
        self, documents: list[tuple[str, Path | None]], predict: Predict
    ) -> Iterator[tuple[str, dict[str, Any], str | None]]:
        with ThreadPoolExecutor(max_workers=self.workers) as pool:
            yield from pool.map(lambda doc: self._one(doc[0], doc[1], predict), documents)

    def _one(
        self, doc_id: str, path: Path | None, predict: Predict
    ) -> tuple[str, dict[str, Any], str | None]:
        started = time.perf_counter()
        try:
            if path is None:
                raise MylowareError("no document file for this id in the requested input mode")
            item = self.process(path)
            record, learned = self.record(item)
        except (MylowareError, httpx.HTTPError) as exc:
            reason = f"{type(exc).__name__}: {exc}"
            return doc_id, {"error": reason, "fields": {}, "seconds": 0.0}, reason
        prediction = predict(record, started)
        prediction.update(work_item_id=item["id"], status=item["status"], learned=learned)
        return doc_id, prediction, None

    def request(self, method: str, url: str, **kwargs: Any) -> httpx.Response:
        """One API request; one refused by the platform's rate limit (429) is sent again
        after the ``Retry-After`` it names, for at most :data:`RATE_LIMIT_WAIT_S` in all."""
        waited = 0.0
        while True:
            response = self.client.request(method, url, **kwargs)
            if response.status_code != 429 or waited >= RATE_LIMIT_WAIT_S:
                return response
            try:
                pause = min(max(float(response.headers.get("Retry-After", "1")), 0.1), 30.0)
            except ValueError:
                pause = 1.0
            time.sleep(pause)
            waited += pause

    def call(self, method: str, url: str, **kwargs: Any) -> Any:
        """One API call; its ``data``, or MylowareError with the API's message."""
        return api_data(self.request(method, url, **kwargs))

    def process(self, path: Path) -> dict[str, Any]:
        """Upload ``path`` as a one-document work order; its item once settled (processed,
        failed, or waiting for a person)."""
        files = [("files", (path.name, path.read_bytes()))]
        order = self.call("POST", "/v1/work-orders/upload", files=files)
        deadline = time.monotonic() + self.timeout_s
        while True:
            items = self.call("GET", f"/v1/work-orders/{order['id']}/work-items")
            if items and all(i["status"] in SETTLED for i in items):
                return dict(items[0])
            if time.monotonic() > deadline:
                raise MylowareError(f"not processed within {self.timeout_s:.0f} s")
            time.sleep(POLL_S)

    def attempts(self, item: dict[str, Any]) -> list[dict[str, Any]]:
        """The item's attempts, oldest first (``GET /v1/work-items/{id}/attempts``)."""
        return list(self.call("GET", f"/v1/work-items/{item['id']}/attempts"))

    def record(
        self, item: dict[str, Any], attempts: list[dict[str, Any]] | None = None
    ) -> tuple[CanonicalRecord, list[str]]:
        """The item's canonical record (the JsonRestyler's output) and the fields its
        extraction learned from the tenant's approvals (ExtractorLLM's ``learned``), from
        its ``attempts`` (fetched when not given)."""
        if attempts is None:
            attempts = self.attempts(item)
        restyled = [
            a
            for a in attempts
            if a["agent_id"] == AgentName.RESTYLER and a["status"] == "COMPLETED"
        ]
        if not restyled:
            raise MylowareError(
                f"the pipeline produced no record: {item.get('error') or item['status']}"
            )
        learned = [
            str(lesson["field"])
            for a in attempts
            if a["agent_id"] == AgentName.EXTRACTOR and a["status"] == "COMPLETED"
            for lesson in (a["output"] or {}).get("learned", [])
        ]
        return CanonicalRecord.model_validate(restyled[-1]["output"]), sorted(set(learned))

    def store_scores(
        self, set_name: str, prediction: dict[str, Any], scores: dict[str, FieldScore]
    ) -> None:
        """Keep one document's scores on the platform as an ``eval_results`` row."""
        item_id = prediction.get("work_item_id")
        if not item_id or not scores:
            return
        correct = sum(1 for s in scores.values() if s.correct)
        body = {
            "evaluation_type": f"dataset:{set_name}",
            "score": round(correct / len(scores), 2),
            "passed": correct == len(scores),
            "metrics": {
                name: {"correct": s.correct, "f1": round(s.f1, 3)} for name, s in scores.items()
            },
        }
        self.call("POST", f"/v1/work-items/{item_id}/evaluations", json=body)

    def close(self) -> None:
        self.client.close()


def api_data(response: httpx.Response) -> Any:
    if response.is_error:
        try:
            message = response.json()["error"]["message"]
        except (ValueError, KeyError, TypeError):
            message = response.text[:200]
        raise MylowareError(f"API answered {response.status_code}: {message}")
    return response.json()["data"]

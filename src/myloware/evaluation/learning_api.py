"""``myloware eval HELDOUT --out PRED --learn-from DEV --via-api URL``: learning from
approvals measured on the running platform, through the approval service itself.

1. With the operator's credential (``tenants:admin``) two fresh tenants are created through
   ``POST /v1/tenants``: one that learns, and a baseline that never does. Their credentials
   come from ``mint`` (the CLI signs a JWT with the platform's secret, as ``myloware token
   create`` does: no API hands out a credential for another tenant), for the subject
   :data:`EVAL_SUBJECT`.
2. The learning tenant publishes :data:`LEARN_POLICY` (every document waits for a person).
   Each DEV document is uploaded, waits for approval, and is approved through
   ``POST /v1/approvals`` — the service a reviewer's click uses — with the fields its
   extraction got wrong corrected to the ground truth (mapped to canonical names by the
   set's ``mapping.json``). Where the record does not add up (SchemaGuard's
   ``line_items_mismatch`` or ``totals_mismatch``, on the extraction or once corrected) the
   eval, like a reviewer who can vouch only for what the ground truth gives, also empties
   the breakdown the ground truth does not give (:data:`BREAKDOWN`: line items, subtotal,
   tax) — a record a person approves adds up, or it does not teach. The eval then waits
   until what was approved teaches: the item ``COMPLETED`` with its Verifier check passed
   (what the lesson look-ups require) and its text found by memory search (the relay's
   indexer embedded it, so the similarity look-up sees it).
3. Both tenants then run :data:`SCORE_POLICY`: every document is rejected once processed,
   so it is scored and never teaches (no held-out document learns from another). Every
   HELDOUT document is uploaded to both; the baseline's records are the ``without`` column,
   the learning tenant's the ``with``; a document's sender is *seen* when a DEV document's
   ground-truth sender is the same (as in :mod:`myloware.evaluation.learning`). The
   predictions written are the learning tenant's.
4. Both tenants are then disabled (audited, as any tenant change): the minted credentials
   stop working at once, the records stay for a look in the UI or the API. ``--keep-tenants``
   leaves them enabled.
"""

from __future__ import annotations

import time
import uuid
from collections import Counter
from collections.abc import Callable
from concurrent.futures import ThreadPoolExecutor
from dataclasses import dataclass
from pathlib import Path
from typing import Any, Literal

import httpx

from myloware.agents.names import AgentName
from myloware.agents.policy import POLICY_CACHE_S
from myloware.errors import MylowareError
from myloware.evaluation.harness import (
    InputMode,
    Mapping,
    Progress,
    SetReport,
    _Outcome,
    _score,
    _set_name,
    document_paths,
    load_mapping,
    prediction_for,
)
from myloware.evaluation.learning import LearningReport, sender_of, truth_of, write_prediction
from myloware.evaluation.resume import forget_run
from myloware.evaluation.via_api import POLL_S, ApiRunner, api_data
from myloware.records import CanonicalRecord

#: who the eval's approvals are decided by (``approval_events.approver_id``)
EVAL_SUBJECT = "myloware-eval"
#: the eval tenants' credential: a tenant admin (to publish the policies) in the approver group
EVAL_CAPABILITIES = ("work_orders:read", "work_orders:write", "approvals:decide", "admin")
EVAL_GROUP = "eval"
#: every document waits for a person (the eval), who approves it with the ground truth
LEARN_POLICY: dict[str, Any] = {
    "name": "eval-learn",
    "version": "1",
    "description": "myloware eval --learn-from: every document waits for the eval's approval",
    "default_action": "REQUIRE_APPROVAL",
    "default_approver_group": EVAL_GROUP,
    "approver_groups": {EVAL_GROUP: [{"group": EVAL_GROUP, "sla": "1d"}]},
    "on_sla_exhausted": "REJECT",
    "rules": [],
}
#: every document is rejected once processed: scored, never approved, so it teaches nothing
SCORE_POLICY: dict[str, Any] = {
    "name": "eval-score",
    "version": "1",
    "description": "myloware eval --learn-from: held-out documents are scored, never approved",
    "default_action": "REJECT",
    "rules": [],
}
#: minted credential for a tenant id
Mint = Callable[[uuid.UUID], str]
#: SchemaGuard's errors of a record whose amounts do not add up
DOES_NOT_ADD_UP = frozenset({"line_items_mismatch", "totals_mismatch"})
#: the amounts the eval empties when a record does not add up and the ground truth does
#: not give them (never the total: the figure a reviewer checks against what was paid)
BREAKDOWN = ("line_items", "subtotal", "tax_amount", "tax_rate")


@dataclass(frozen=True)
class Approved:
    """One DEV document approved through the API: its item, and its text for memory search."""

    doc_id: str
    item_id: str
    document_type: str | None
    text: str | None
    cleared: tuple[str, ...] = ()  # the breakdown emptied because it did not add up


def run_learning_via_api(
    heldout_dir: Path,
    out_dir: Path,
    learn_dir: Path,
    *,
    operator: ApiRunner,
    mint: Mint,
    input_mode: InputMode = "text",
    learn_timeout_s: float = 900.0,
    progress: Progress | None = None,
    keep_tenants: bool = False,
) -> LearningReport:
    """Learn from ``learn_dir`` in a fresh tenant of the platform ``operator`` talks to,
    then score ``heldout_dir`` there and in a fresh baseline tenant. Both tenants are
    disabled at the end (their records stay to look at) unless ``keep_tenants``."""
    started = time.perf_counter()
    mapping = load_mapping(heldout_dir)
    report = LearningReport(_set_name(heldout_dir))
    tag = uuid.uuid4().hex[:8]
    learner = _tenant(operator, mint, f"eval-{tag}-learning", f"{report.name}: learns from DEV")
    baseline = _tenant(operator, mint, f"eval-{tag}-baseline", f"{report.name}: no learning")
    runners = (baseline[1], learner[1])
    slugs = f"tenants: {learner[0]} (learning), {baseline[0]} (baseline)"
    if not keep_tenants:
        slugs += ", disabled when done"
    try:
        report.notes.append(slugs)
        _publish(baseline[1], SCORE_POLICY)
        _publish(learner[1], LEARN_POLICY)
        learning = _Learning(learner[1], mapping, report, progress or _quiet)
        senders = learning.learn(learn_dir, input_mode, learn_timeout_s)
        _publish(learner[1], SCORE_POLICY)
        time.sleep(POLICY_CACHE_S + 1)  # the workers' policy cache: no held-out doc waits
        learning.score(runners, heldout_dir, out_dir, input_mode, senders)
    except MylowareError as exc:
        raise MylowareError(f"{exc.message} ({slugs})", details=exc.details) from exc
    finally:
        for runner in runners:
            runner.close()
        if not keep_tenants:
            report.notes += _disable(operator, [learner[2], baseline[2]])
    report.seconds = time.perf_counter() - started
    return report


def _disable(operator: ApiRunner, tenant_ids: list[str]) -> list[str]:
    """Disable the eval's tenants: their minted credentials stop working at once, their
    records stay to look at. Notes for the report where that failed (never raises: the
    run's own error, if any, is what the user must see)."""
    notes = []
    for tenant_id in tenant_ids:
        try:
            operator.call("PATCH", f"/v1/tenants/{tenant_id}", json={"status": "DISABLED"})
        except MylowareError as exc:
            notes.append(f"tenant {tenant_id} could not be disabled: {exc.message}")
    return notes


def _quiet(done: int, total: int, doc_id: str) -> None:
    """No progress shown."""


def _tenant(operator: ApiRunner, mint: Mint, slug: str, name: str) -> tuple[str, ApiRunner, str]:
    """A fresh tenant (created by the operator): its slug, a runner with its minted
    credential, its id."""
    tenant = operator.call("POST", "/v1/tenants", json={"slug": slug, "name": name})
    base = str(operator.client.base_url).rstrip("/")
    runner = ApiRunner(base, mint(uuid.UUID(tenant["id"])), workers=operator.workers)
    return slug, runner, str(tenant["id"])


def _publish(runner: ApiRunner, policy: dict[str, Any]) -> None:
    response = runner.request("POST", "/v1/policies", json={"document": policy})
    if response.status_code == 401:
        raise MylowareError(
            "the platform refused the eval tenant's credential: it is signed with this "
            "machine's MYLOWARE_JWT_SECRET, which must be the platform's"
        )
    api_data(response)


class _Learning:
    """The learning tenant's side of the run: DEV approved and learned, HELDOUT scored."""

    def __init__(
        self, runner: ApiRunner, mapping: Mapping, report: LearningReport, progress: Progress
    ) -> None:
        self.runner, self.mapping, self.report, self.progress = runner, mapping, report, progress
        self.search = True  # until the platform answers that memory search is off

    def learn(self, learn_dir: Path, input_mode: InputMode, timeout_s: float) -> set[str]:
        """Approve every DEV document with its ground truth and wait until the approvals
        teach; the DEV senders (ground truth), for the seen/unseen split."""
        documents = [
            (doc_id, path, truth)
            for doc_id, path in sorted(document_paths(learn_dir, input_mode).items())
            if path is not None and (truth := truth_of(learn_dir, doc_id)) is not None
        ]
        results: list[Approved | str] = []
        with ThreadPoolExecutor(max_workers=self.runner.workers) as pool:
            for done, result in enumerate(pool.map(lambda d: self._approve(*d), documents), 1):
                results.append(result)
                self.progress(done, len(documents), "approving DEV")
        refused = Counter(r for r in results if isinstance(r, str))
        approved = [r for r in results if isinstance(r, Approved)]
        taught, not_taught = self._wait_taught(approved, timeout_s)
        self.report.learned_from = len(taught)
        self.report.notes.append(
            f"DEV: {len(documents)} documents, {len(approved)} approved through the approval "
            f"service, {len(taught)} teaching"
        )
        if cleared := sum(1 for a in approved if a.cleared):
            self.report.notes.append(
                f"DEV: {cleared} approved with the breakdown the ground truth does not give "
                "emptied (their amounts did not add up)"
            )
        for reason, count in sorted((refused + not_taught).items()):
            self.report.notes.append(f"DEV not teaching ({count}): {reason}")
        return {s for _, _, truth in documents if (s := sender_of(truth, self.mapping))}

    def _approve(self, doc_id: str, path: Path, truth: dict[str, Any]) -> Approved | str:
        """Upload one DEV document, wait for its approval request and approve it, correcting
        what the extraction got wrong to the ground truth; the reason when that failed."""
        runner = self.runner
        try:
            item = runner.process(path)
            if item["status"] != "AWAITING_APPROVAL":
                return f"the item ended {item['status']} before a person was asked"
            attempts = runner.attempts(item)
            record, _ = runner.record(item, attempts)
            prediction = prediction_for(record, self.mapping, time.perf_counter())
            corrections = _corrections(doc_id, prediction, truth, self.mapping)
            fields = self.mapping.fields
            given = {fields[n] for n, v in truth["fields"].items() if n in fields and _given(v)}
            cleared = _breakdown(_guard_codes(attempts), record, given)
            response = _approve(runner, item["id"], {**corrections, **cleared})
            if response.status_code == 422 and not cleared:
                cleared = _breakdown(_refusal_codes(response), record, given)
                if cleared:  # the corrected total no longer matches the breakdown read
                    response = _approve(runner, item["id"], {**corrections, **cleared})
            if response.is_error:
                _close(runner, item["id"], "the approval was refused")
            if response.status_code == 422:
                codes = ", ".join(sorted(_refusal_codes(response))) or "no reason given"
                return f"the approval service refused the corrected record ({codes})"
            api_data(response)
        except (MylowareError, OSError, httpx.HTTPError) as exc:
            return f"{type(exc).__name__}: {exc}"[:160]
        text = path.read_text("utf-8", errors="replace") if path.suffix == ".txt" else None
        return Approved(doc_id, item["id"], item.get("type"), text, tuple(sorted(cleared)))

    def _wait_taught(
        self, approved: list[Approved], timeout_s: float
    ) -> tuple[list[str], Counter[str]]:
        """Wait, one item after the other (each polled until it is settled, so that the
        polling stays within the platform's rate limit), until each approved item teaches
        (completed, Verifier passed, found by memory search) or cannot (another end);
        MylowareError when one is still pending at the deadline."""
        taught: list[str] = []
        not_taught: Counter[str] = Counter()
        self.search = True
        deadline = time.monotonic() + timeout_s
        for done, one in enumerate(approved, start=1):
            while (outcome := self._teaches(one)) is None:
                if time.monotonic() > deadline:
                    raise MylowareError(
                        f"{len(approved) - done + 1} approved DEV documents did not become "
                        f"lessons within {timeout_s:.0f} s (not completed, or not yet embedded "
                        "by the relay's memory indexer: is `myloware relay` running?), e.g. "
                        f"work item {one.item_id}"
                    )
                time.sleep(POLL_S)
            if outcome is True:
                taught.append(one.item_id)
            else:
                not_taught[outcome] += 1
            self.progress(done, len(approved), "learning")
        return taught, not_taught

    def _teaches(self, one: Approved) -> Literal[True] | str | None:
        """True when the approved item teaches now; why not when it never will; None while
        it may yet (still running, or not yet embedded)."""
        item = self.runner.call("GET", f"/v1/work-items/{one.item_id}")
        verification = (item.get("result") or {}).get("verification") or {}
        if item["status"] in ("FAILED", "REJECTED"):
            return f"the approved item ended {item['status']}"
        if item["status"] != "COMPLETED":
            return None
        if not verification.get("passed"):
            return "the Verifier did not pass the approved record"
        if not self.search or one.text is None:
            return True
        found = _searchable(self.runner, one)
        if found is None:
            self.search = False
            self.report.notes.append(
                "memory search is off on the platform: only exact-key lessons teach"
            )
            return True
        return True if found else None

    def score(
        self,
        runners: tuple[ApiRunner, ApiRunner],
        heldout_dir: Path,
        out_dir: Path,
        input_mode: InputMode,
        senders: set[str],
    ) -> None:
        """Run every HELDOUT document through the baseline and the learning tenant (the
        ``runners``, in that order), write the learning tenant's predictions, score both."""
        documents = sorted(document_paths(heldout_dir, input_mode).items())
        mapping = self.mapping
        out_dir.mkdir(parents=True, exist_ok=True)
        forget_run(out_dir)  # the platform's predictions: no --resume may take them

        def predict(record: Any, started: float) -> dict[str, Any]:
            return prediction_for(record, mapping, started)

        runs: list[dict[str, _Outcome]] = []
        for name, runner in zip(("baseline", "learning"), runners, strict=True):
            outcomes: dict[str, _Outcome] = {}
            for doc_id, prediction, error in runner(documents, predict):
                outcomes[doc_id] = _Outcome(doc_id, prediction, error)
                self.progress(len(outcomes), len(documents), f"HELDOUT ({name} tenant)")
            runs.append(outcomes)
        without, learned = runs
        out_dir.mkdir(parents=True, exist_ok=True)
        for doc_id, _ in documents:
            write_prediction(out_dir, learned[doc_id])
            self.report.applied += bool(learned[doc_id].prediction.get("learned"))
            truth = truth_of(heldout_dir, doc_id)
            if truth is not None:
                seen = sender_of(truth, mapping) in senders
                self.report.add(truth, mapping, without[doc_id], learned[doc_id], seen=seen)


def _corrections(
    doc_id: str, prediction: dict[str, Any], truth: dict[str, Any], mapping: Mapping
) -> dict[str, Any]:
    """What a reviewer corrects: each scored field the extraction got wrong, set to the
    ground truth (canonical field names); fields it got right keep their source spans."""
    scores = _score(_Outcome(doc_id, prediction, None), truth, mapping, SetReport(doc_id), set())
    return {
        mapping.fields[name]: truth["fields"][name]
        for name, score in scores.items()
        if not score.correct and _given(truth["fields"][name])
    }


def _given(value: Any) -> bool:
    """Whether the ground truth gives a value (0 does; None, "" and [] do not)."""
    return value not in (None, "", [])


def _approve(runner: ApiRunner, item_id: str, corrections: dict[str, Any]) -> httpx.Response:
    """Approve ``item_id`` through the approval service with ``corrections``."""
    body = {"work_item_id": item_id, "decision": "APPROVED", "corrections": corrections}
    return runner.request("POST", "/v1/approvals", json=body)


def _guard_codes(attempts: list[dict[str, Any]]) -> set[str]:
    """The error codes of SchemaGuard's last completed check of the extraction."""
    checks = [
        a["output"] or {}
        for a in attempts
        if a["agent_id"] == AgentName.SCHEMA_GUARD and a["status"] == "COMPLETED"
    ]
    return {str(e.get("code")) for e in (checks[-1].get("errors") or [])} if checks else set()


def _breakdown(codes: set[str], record: CanonicalRecord, given: set[str]) -> dict[str, None]:
    """The breakdown a reviewer empties when the amounts do not add up (``codes``): each of
    :data:`BREAKDOWN` the record holds and the ground truth does not give (``given``)."""
    if not codes & DOES_NOT_ADD_UP:
        return {}
    held = {n for n, f in record.fields.items() if f.value not in (None, "", [])}
    return {name: None for name in BREAKDOWN if name in held and name not in given}


def _refusal_codes(response: httpx.Response) -> set[str]:
    """The error codes of a refused approval (``totals_mismatch`` …); none when the answer
    does not say."""
    try:
        return {str(e["code"]) for e in response.json()["error"]["details"]["errors"]}
    except (ValueError, KeyError, TypeError):
        return set()


def _close(runner: ApiRunner, item_id: str, reason: str) -> None:
    """Reject an item the eval could not approve, so that no request is left waiting."""
    runner.request(
        "POST",
        "/v1/approvals",
        json={"work_item_id": item_id, "decision": "REJECTED", "reason": f"eval: {reason}"},
    )


def _searchable(runner: ApiRunner, one: Approved) -> bool | None:
    """Whether memory search finds the item by its own text (the indexer embedded it);
    None when the platform's memory search is off."""
    params: dict[str, Any] = {"q": (one.text or "")[:4000], "limit": 10}
    if one.document_type:
        params["document_type"] = one.document_type
    response = runner.request("GET", "/v1/memory/search", params=params)
    if response.status_code == 503:
        return None
    return any(hit["work_item_id"] == one.item_id for hit in api_data(response))

"""The error tree: each class says whether it is transient, the worker retries by that, and
the tree drawn in ``myloware.errors`` is the tree in the code."""

from __future__ import annotations

import importlib
import pkgutil
import re

import httpx
import psycopg
import pytest
from temporalio.exceptions import ApplicationError

import myloware
from myloware import errors
from myloware.errors import DependencyError, DocumentError, MylowareError, NotFoundError
from myloware.worker.failures import UNEXPECTED_ATTEMPTS, is_transient, translate


def _all_error_classes() -> dict[str, type[MylowareError]]:
    for module in pkgutil.walk_packages(myloware.__path__, "myloware."):
        if ".migrations" not in module.name and not module.name.endswith("__main__"):
            importlib.import_module(module.name)
    found: dict[str, type[MylowareError]] = {}
    pending: list[type[MylowareError]] = [MylowareError]
    while pending:
        cls = pending.pop()
        found[cls.__name__] = cls
        pending.extend(cls.__subclasses__())
    return found


def test_the_documented_tree_lists_every_class_with_its_parent_and_kind() -> None:
    """Every MylowareError subclass in the package is drawn in errors.py under its parent,
    marked T (transient) or P (permanent) as its ``transient`` attribute says."""
    drawn = {}
    stack: list[tuple[int, str]] = []
    assert errors.__doc__ is not None
    for line in errors.__doc__.splitlines():
        m = re.match(r"^(?P<indent>[ │├└─]*)(?P<name>\w+)\s+(?P<kind>[TP])\s", line.strip("\n"))
        if not m or not m["name"][0].isupper():
            continue
        depth = len(m["indent"])
        while stack and stack[-1][0] >= depth:
            stack.pop()
        drawn[m["name"]] = (stack[-1][1] if stack else None, m["kind"])
        stack.append((depth, m["name"]))
    classes = _all_error_classes()
    assert set(drawn) == set(classes)
    for name, cls in classes.items():
        parent, kind = drawn[name]
        base = cls.__base__
        assert base is not None  # every class here derives from another
        assert parent == (base.__name__ if cls is not MylowareError else None), name
        assert kind == ("T" if cls.transient else "P"), name


def test_permanent_errors_fail_at_once_with_their_message() -> None:
    """A permanent MylowareError becomes a non-retryable ApplicationError with its reason."""
    failure = translate(DocumentError("the PDF is corrupt"), agent=True, attempt=1)
    assert isinstance(failure, ApplicationError)
    assert failure.non_retryable and failure.type == "DocumentError"
    assert failure.message == "the PDF is corrupt"


def test_transient_errors_are_retried_however_often_they_failed() -> None:
    """Transient MylowareErrors and infrastructure failures stay retryable at any attempt."""
    ours = translate(DependencyError("blob store away"), agent=True, attempt=500)
    assert isinstance(ours, ApplicationError) and not ours.non_retryable
    for foreign in (
        OSError("disk"),
        psycopg.OperationalError("server closed the connection"),
        httpx.ConnectError("refused"),
    ):
        assert is_transient(foreign)
        assert translate(foreign, agent=True, attempt=500) is foreign


@pytest.mark.parametrize("agent", [True, False])
def test_an_unexpected_error_fails_an_agent_after_a_few_tries_but_never_bookkeeping(
    agent: bool,
) -> None:
    """A defect (say KeyError) is retried a few times; then an agent's item fails with the
    error named, while bookkeeping (settling the order) keeps retrying."""
    bug = KeyError("vendor")
    assert not is_transient(bug)
    assert translate(bug, agent=agent, attempt=UNEXPECTED_ATTEMPTS - 1) is bug
    last = translate(bug, agent=agent, attempt=UNEXPECTED_ATTEMPTS)
    if agent:
        assert isinstance(last, ApplicationError) and last.non_retryable
        assert "unexpected KeyError" in last.message
    else:
        assert last is bug


def test_not_found_is_permanent_and_blob_store_trouble_transient() -> None:
    """The kinds the pipeline relies on: a missing item fails, storage trouble is retried."""
    assert not NotFoundError("x").transient
    assert DependencyError("x").transient

"""What an activity's failure says, as workflow code reads it."""

from __future__ import annotations

from temporalio.exceptions import ApplicationError, TimeoutError


def failure_reason(err: BaseException) -> str:
    """The innermost human-readable cause of an activity failure."""
    cause: BaseException | None = err
    while cause is not None:
        if isinstance(cause, ApplicationError):
            return cause.message
        if isinstance(cause, TimeoutError):
            return f"timed out ({cause.type.name if cause.type else 'timeout'})"
        cause = cause.__cause__
    return str(err)


def failure_type(err: BaseException) -> str | None:
    """The error type an activity failed with (``BudgetSpent``), if it names one."""
    cause: BaseException | None = err
    while cause is not None:
        if isinstance(cause, ApplicationError):
            return cause.type
        cause = cause.__cause__
    return None

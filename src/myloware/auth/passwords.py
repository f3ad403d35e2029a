"""Passwords of local accounts: argon2id hashes (argon2-cffi), checked in constant time.

:func:`check_password` takes as long for an unknown account as for a known one (it verifies
against a dummy hash), so the time of an answer does not tell whether a username exists.
"""

from __future__ import annotations

from functools import lru_cache

from argon2 import PasswordHasher
from argon2.exceptions import InvalidHashError, VerificationError

MIN_PASSWORD_CHARS = 12
MAX_PASSWORD_CHARS = 1024

_hasher = PasswordHasher()  # argon2id with the library's RFC 9106 "low memory" parameters


def password_problem(password: str) -> str | None:
    """Why ``password`` is not acceptable as a new password, or None."""
    if len(password) < MIN_PASSWORD_CHARS:
        return f"a password needs at least {MIN_PASSWORD_CHARS} characters"
    if len(password) > MAX_PASSWORD_CHARS:
        return f"a password has at most {MAX_PASSWORD_CHARS} characters"
    return None


def hash_password(password: str) -> str:
    return _hasher.hash(password)


@lru_cache(maxsize=1)
def _dummy_hash() -> str:
    return _hasher.hash("not a password anyone has")


def check_password(stored_hash: str | None, password: str) -> bool:
    """Whether ``password`` matches ``stored_hash``; None (no account, or no password set
    yet) is checked against a dummy hash and is always False."""
    candidate = password[:MAX_PASSWORD_CHARS]
    try:
        _hasher.verify(stored_hash or _dummy_hash(), candidate)
    except (VerificationError, InvalidHashError):
        return False
    return stored_hash is not None

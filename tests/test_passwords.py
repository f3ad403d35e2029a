"""Passwords of local accounts: argon2id hashes, and checks that fail closed."""

from __future__ import annotations

from myloware.auth.passwords import (
    MIN_PASSWORD_CHARS,
    check_password,
    hash_password,
    password_problem,
)


def test_a_hash_is_argon2id_salted_and_checks_only_its_own_password() -> None:
    """Two hashes of one password differ (salt); each accepts it and nothing else."""
    first, second = hash_password("correct horse battery"), hash_password("correct horse battery")
    assert first.startswith("$argon2id$") and first != second
    assert check_password(first, "correct horse battery")
    assert check_password(second, "correct horse battery")
    assert not check_password(first, "correct horse batterY")
    assert not check_password(first, "")


def test_no_hash_or_a_damaged_one_never_matches() -> None:
    """No account (None) is checked against a dummy hash and refused; garbage is refused."""
    assert not check_password(None, "not a password anyone has")
    assert not check_password("not-a-hash", "anything")


def test_short_and_overlong_passwords_are_refused_with_the_reason() -> None:
    """A new password needs MIN_PASSWORD_CHARS characters and at most 1024."""
    assert password_problem("x" * (MIN_PASSWORD_CHARS - 1)) == (
        f"a password needs at least {MIN_PASSWORD_CHARS} characters"
    )
    assert password_problem("x" * 1025) == "a password has at most 1024 characters"
    assert password_problem("a long enough passphrase") is None

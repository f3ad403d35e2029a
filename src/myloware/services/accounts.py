"""A tenant's local accounts: people who sign in to the UI with a username and a password.

Used by the admin API (``/v1/accounts``), the operator CLI (``myloware accounts``) and the
UI's sign-in. Passwords are stored as argon2 hashes (:mod:`myloware.auth.passwords`); an
account made without one gets a one-time set-password token (stored as its SHA-256, valid
for :data:`SETUP_TOKEN_TTL`). Every change is audited in the caller's transaction; the caller
commits. Disabling an account, or giving it a new password, ends its UI sessions.
"""

from __future__ import annotations

import asyncio
import hashlib
import re
import secrets
import uuid
from collections.abc import Sequence
from datetime import UTC, datetime, timedelta
from urllib.parse import quote

from sqlalchemy import delete, or_, select
from sqlalchemy.exc import IntegrityError
from sqlalchemy.ext.asyncio import AsyncSession

from myloware.auth.passwords import check_password, hash_password, password_problem
from myloware.auth.principal import Principal
from myloware.db.audit import ClientInfo, record_audit
from myloware.db.models import Account, UiSession
from myloware.errors import AuthError, ConflictError, NotFoundError, ValidationFailed
from myloware.settings import Settings

SETUP_TOKEN_TTL = timedelta(hours=72)
#: A username as typed (any case; compared lower-case).
USERNAME_PATTERN = r"^[A-Za-z0-9][A-Za-z0-9._@+-]{0,254}$"
USERNAME = re.compile(USERNAME_PATTERN)
#: The one answer to a wrong username or password: which of the two is never said.
BAD_CREDENTIALS = "the username or password is not right"


def set_password_url(settings: Settings, token: str) -> str:
    """The one-time link a person opens to choose their password (API and CLI)."""
    return f"{settings.base_url}/ui/set-password?token={quote(token)}"


def normalise_username(username: str) -> str:
    """Usernames compare without case and surrounding spaces; ValidationFailed when the
    name has characters other than letters, digits and ``. _ @ + -``."""
    name = username.strip().lower()
    if not USERNAME.fullmatch(name):
        raise ValidationFailed(
            "a username is 1-255 letters, digits or . _ @ + - and starts with a letter or digit",
            details={"username": username},
        )
    return name


def _token_hash(token: str) -> str:
    return hashlib.sha256(token.encode()).hexdigest()


def _new_setup_token(row: Account) -> str:
    token = secrets.token_urlsafe(32)
    row.setup_token_hash = _token_hash(token)
    row.setup_token_expires_at = datetime.now(UTC) + SETUP_TOKEN_TTL
    return token


async def _set_password(row: Account, password: str) -> None:
    problem = password_problem(password)
    if problem:
        raise ValidationFailed(problem)
    # argon2 takes ~0.1-2 s of CPU (64 MiB, 3 passes): never on the event loop
    row.password_hash = await asyncio.to_thread(hash_password, password)
    row.password_set_at = datetime.now(UTC)
    row.setup_token_hash = None
    row.setup_token_expires_at = None


async def _end_sessions(session: AsyncSession, row: Account) -> None:
    await session.execute(delete(UiSession).where(UiSession.account_id == row.id))


def _audit(
    session: AsyncSession,
    row: Account,
    action: str,
    *,
    principal: Principal | None,
    user_id: str | None,
    client: ClientInfo | None,
    **details: object,
) -> None:
    record_audit(
        session,
        principal=principal,
        user_id=user_id,
        tenant_id=row.tenant_id,
        action=action,
        resource_type="account",
        resource_id=row.id,
        details={"username": row.username, **details},
        client=client,
    )


async def create_account(
    session: AsyncSession,
    *,
    tenant_id: uuid.UUID,
    username: str,
    display_name: str,
    capabilities: Sequence[str],
    groups: Sequence[str] = (),
    email: str | None = None,
    password: str | None = None,
    principal: Principal | None,
    user_id: str | None = None,
    client: ClientInfo | None = None,
) -> tuple[Account, str | None]:
    """A new account; with ``password`` it can sign in at once, else the returned one-time
    set-password token (shown once) lets its person choose one. ConflictError when the
    username is taken (in any tenant)."""
    row = Account(
        tenant_id=tenant_id,
        username=normalise_username(username),
        display_name=display_name.strip() or username,
        email=email,
        capabilities=sorted(set(capabilities)),
        groups=sorted(set(groups)),
    )
    token = None
    if password is not None:
        await _set_password(row, password)
    else:
        token = _new_setup_token(row)
    try:
        async with session.begin_nested():
            session.add(row)
            await session.flush()
    except IntegrityError:
        raise ConflictError(f"the username '{row.username}' is taken") from None
    _audit(
        session,
        row,
        "account.create",
        principal=principal,
        user_id=user_id,
        client=client,
        capabilities=row.capabilities,
        groups=row.groups,
        password_set=password is not None,
    )
    return row, token


async def list_accounts(
    session: AsyncSession, *, tenant_id: uuid.UUID, include_disabled: bool = False
) -> Sequence[Account]:
    query = select(Account).where(Account.tenant_id == tenant_id)
    if not include_disabled:
        query = query.where(Account.disabled_at.is_(None))
    return (await session.scalars(query.order_by(Account.username))).all()


async def get_account(session: AsyncSession, *, tenant_id: uuid.UUID, account: str) -> Account:
    """The tenant's account given by id or username (locked for update); NotFoundError."""
    if "\x00" in account:  # no username has one (and PostgreSQL cannot compare it)
        raise NotFoundError("account not found")
    try:
        match = or_(Account.id == uuid.UUID(account), Account.username == account.lower())
    except ValueError:
        match = Account.username == account.strip().lower()
    row = await session.scalar(
        select(Account).where(Account.tenant_id == tenant_id, match).with_for_update()
    )
    if row is None:
        raise NotFoundError(f"account {account} not found")
    return row


async def set_disabled(
    session: AsyncSession,
    *,
    tenant_id: uuid.UUID,
    account: str,
    disabled: bool,
    principal: Principal | None,
    user_id: str | None = None,
    client: ClientInfo | None = None,
) -> Account:
    """Disable (its sessions end at once) or enable an account; twice changes nothing."""
    row = await get_account(session, tenant_id=tenant_id, account=account)
    if disabled:
        await _end_sessions(session, row)
    if (row.disabled_at is not None) != disabled:
        row.disabled_at = datetime.now(UTC) if disabled else None
        action = "account.disable" if disabled else "account.enable"
        _audit(session, row, action, principal=principal, user_id=user_id, client=client)
    await session.flush()
    return row


async def sign_out_everywhere(
    session: AsyncSession,
    *,
    tenant_id: uuid.UUID,
    account: str,
    principal: Principal | None,
    user_id: str | None = None,
    client: ClientInfo | None = None,
) -> tuple[Account, int]:
    """End every UI session of the account; the account and how many sessions ended."""
    row = await get_account(session, tenant_id=tenant_id, account=account)
    result = await session.execute(delete(UiSession).where(UiSession.account_id == row.id))
    ended = int(getattr(result, "rowcount", 0) or 0)
    _audit(
        session,
        row,
        "account.sign_out",
        principal=principal,
        user_id=user_id,
        client=client,
        sessions=ended,
    )
    return row, ended


async def sign_out_subject(
    session: AsyncSession,
    *,
    tenant_id: uuid.UUID,
    subject: str,
    principal: Principal | None,
    user_id: str | None = None,
    client: ClientInfo | None = None,
) -> int:
    """End every UI session of the tenant signed in as ``subject``, however it signed in —
    a local account, the identity provider (OIDC) or a developer's token; how many ended.
    Audited even when none was open (someone asked for it)."""
    result = await session.execute(
        delete(UiSession).where(UiSession.tenant_id == tenant_id, UiSession.subject == subject)
    )
    ended = int(getattr(result, "rowcount", 0) or 0)
    record_audit(
        session,
        principal=principal,
        user_id=user_id,
        tenant_id=tenant_id,
        action="ui.sign_out_subject",
        resource_type="ui_session",
        resource_id=None,
        details={"subject": subject, "sessions": ended},
        client=client,
    )
    return ended


async def reset_password(
    session: AsyncSession,
    *,
    tenant_id: uuid.UUID,
    account: str,
    password: str | None,
    principal: Principal | None,
    user_id: str | None = None,
    client: ClientInfo | None = None,
) -> tuple[Account, str | None]:
    """Set the account's password (``password``) or issue a new one-time set-password token
    (returned; the current password keeps working until it is used). A new password ends the
    account's sessions."""
    row = await get_account(session, tenant_id=tenant_id, account=account)
    token = None
    if password is not None:
        await _set_password(row, password)
        await _end_sessions(session, row)
    else:
        token = _new_setup_token(row)
    action = "account.password_set" if password is not None else "account.password_link"
    _audit(session, row, action, principal=principal, user_id=user_id, client=client)
    await session.flush()
    return row, token


async def redeem_setup_token(
    session: AsyncSession, *, token: str, password: str, client: ClientInfo | None = None
) -> Account:
    """Set a password with a one-time token (used up by it). AuthError for an unknown, used
    or expired token; ValidationFailed for a password too short (the token stays valid)."""
    row = await session.scalar(
        select(Account)
        .where(
            Account.setup_token_hash == _token_hash(token),
            Account.setup_token_expires_at > datetime.now(UTC),
            Account.disabled_at.is_(None),
        )
        .with_for_update()
    )
    if row is None:
        raise AuthError("this set-password link is not valid (used, expired or mistyped)")
    await _set_password(row, password)
    await _end_sessions(session, row)
    _audit(
        session, row, "account.password_set", principal=None, user_id=row.username, client=client
    )
    await session.flush()
    return row


async def check_sign_in(
    session: AsyncSession, *, username: str, password: str, client: ClientInfo | None = None
) -> Account:
    """The account a username and password sign in as; AuthError otherwise, with one message
    for an unknown name and a wrong password (and the same argon2 work for both)."""
    try:
        name = normalise_username(username)
    except ValidationFailed:
        name = ""
    row = await session.scalar(select(Account).where(Account.username == name)) if name else None
    stored = row.password_hash if row else None
    if not await asyncio.to_thread(check_password, stored, password) or row is None:
        raise AuthError(BAD_CREDENTIALS)
    if row.disabled_at is not None:
        raise AuthError("this account is disabled; ask an administrator")
    row.last_sign_in_at = datetime.now(UTC)
    _audit(session, row, "account.sign_in", principal=None, user_id=row.username, client=client)
    return row


async def account_principal(session: AsyncSession, account_id: uuid.UUID) -> Principal:
    """The principal of a signed-in account, read afresh (a disabled one: AuthError)."""
    row = await session.get(Account, account_id, populate_existing=True)
    if row is None or row.disabled_at is not None or row.password_hash is None:
        raise AuthError("this account is disabled or gone")
    return Principal(
        subject=row.username,
        tenant_id=row.tenant_id,
        capabilities=frozenset(row.capabilities),
        kind="account",
        groups=frozenset(row.groups),
    )

"""The UI's sign-in: server-side sessions behind an opaque cookie.

Signing in (a password, an identity provider, or a pasted JWT or API key: what each stores
is in :mod:`myloware.ui.identities`) stores a :class:`~myloware.db.models.UiSession` row:
the credential sealed (``myloware.secretbox``), the tenant, the subject and an expiry (when a
JWT expires, else ``MYLOWARE_JWT_TTL_SECONDS``). The cookie holds only a random 256-bit id
(HttpOnly, SameSite=Strict, scoped to ``/ui``, ``Secure`` when the request came over HTTPS or
``MYLOWARE_BEHIND_TLS`` is set) and the table only its SHA-256, so neither a leaked cookie
nor a read of the table is an API credential. Every request finds the row and re-validates
the credential with the API's own code, so an expired token stops working in the UI at once
and a revoked key within the API's 30-second key cache; signing out deletes the row.

PostgreSQL rather than Redis keeps the sessions: they survive a restart of the API or of
Redis, and the UI keeps working while Redis is down (the rate limiter fails open).

CSRF: forms of a signed-in user carry ``HMAC(jwt_secret, session id)``; the login form, which
has no session yet, uses a double-submit cookie.
"""

from __future__ import annotations

import hashlib
import hmac
import secrets
import time
import uuid
from datetime import UTC, datetime, timedelta

import jwt
from fastapi import Request, Response
from sqlalchemy import delete, select
from sqlalchemy.ext.asyncio import AsyncSession

from myloware import secretbox
from myloware.auth.principal import Principal
from myloware.auth.tokens import API_KEY_PREFIX
from myloware.db.models import UiSession
from myloware.errors import AuthError, ConfigurationError
from myloware.settings import Settings
from myloware.web.deps import authenticate_credential
from myloware.web.state import AppState

SESSION_COOKIE = "mlw_ui_session"
LOGIN_CSRF_COOKIE = "mlw_ui_login_csrf"
CSRF_FIELD = "csrf_token"
COOKIE_PATH = "/ui"
MAX_CREDENTIAL_CHARS = 8192
MAX_SESSION_ID_CHARS = 128


async def authenticate(state: AppState, session: AsyncSession, credential: str) -> Principal:
    """The principal a pasted JWT or API key stands for; ``AuthError`` when it is not valid."""
    credential = credential.strip()
    if not credential or len(credential) > MAX_CREDENTIAL_CHARS:
        raise AuthError("paste a token or an API key")
    if credential.startswith(API_KEY_PREFIX):
        return await authenticate_credential(state, session, api_key=credential)
    return await authenticate_credential(state, session, token=credential)


def session_max_age(settings: Settings, credential: str) -> int:
    """Seconds the cookie should live: until a JWT expires, else (an API key, a password or
    an identity provider's sign-in) the configured token TTL."""
    if credential.startswith(API_KEY_PREFIX) or credential.count(".") != 2:
        return settings.jwt_ttl_seconds  # an API key, an account's or an OIDC sign-in
    try:
        exp = jwt.decode(credential, options={"verify_signature": False}).get("exp")
    except jwt.InvalidTokenError:
        return settings.jwt_ttl_seconds
    if not isinstance(exp, int | float):
        return settings.jwt_ttl_seconds
    return max(0, int(exp - time.time()))


def _id_hash(session_id: str) -> str:
    return hashlib.sha256(session_id.encode()).hexdigest()


async def open_session(
    db: AsyncSession,
    settings: Settings,
    credential: str,
    principal: Principal,
    *,
    account_id: uuid.UUID | None = None,
) -> tuple[str, int]:
    """Store a session for ``credential`` (already authenticated as ``principal``; for a
    password sign-in, ``account_id`` the account's) and commit; the new session id (for the
    cookie) and its lifetime in seconds. Expired sessions are swept on the way."""
    max_age = session_max_age(settings, credential)
    session_id = secrets.token_urlsafe(32)
    now = datetime.now(UTC)
    await db.execute(delete(UiSession).where(UiSession.expires_at <= now))
    db.add(
        UiSession(
            id_hash=_id_hash(session_id),
            tenant_id=principal.tenant_id,
            subject=principal.subject[:255],
            credential=secretbox.seal(credential),
            account_id=account_id,
            expires_at=now + timedelta(seconds=max_age),
        )
    )
    await db.commit()
    return session_id, max_age


async def session_credential(db: AsyncSession, session_id: str) -> str | None:
    """The credential of a live session; None when unknown, signed out or expired."""
    if not session_id or len(session_id) > MAX_SESSION_ID_CHARS:
        return None
    row = await db.scalar(
        select(UiSession.credential).where(
            UiSession.id_hash == _id_hash(session_id), UiSession.expires_at > datetime.now(UTC)
        )
    )
    if row is None:
        return None
    try:
        return secretbox.unseal(row)
    except ConfigurationError:  # sealed under a key this process no longer has
        return None


async def close_session(db: AsyncSession, session_id: str) -> None:
    """Sign out: the session is gone for good (committed)."""
    await db.execute(delete(UiSession).where(UiSession.id_hash == _id_hash(session_id)))
    await db.commit()


def _secure(request: Request, settings: Settings) -> bool:
    return settings.behind_tls or request.url.scheme == "https"


def set_session_cookie(
    response: Response, request: Request, settings: Settings, session_id: str, max_age: int
) -> None:
    response.set_cookie(
        SESSION_COOKIE,
        session_id,
        max_age=max_age,
        path=COOKIE_PATH,
        httponly=True,
        samesite="strict",
        secure=_secure(request, settings),
    )


def clear_session_cookie(response: Response, request: Request, settings: Settings) -> None:
    response.delete_cookie(
        SESSION_COOKIE,
        path=COOKIE_PATH,
        httponly=True,
        samesite="strict",
        secure=_secure(request, settings),
    )


def csrf_token(settings: Settings, session_id: str) -> str:
    """The CSRF token bound to this sign-in (a forged form cannot know it)."""
    key = settings.jwt_secret.get_secret_value().encode()
    return hmac.new(key, b"ui-csrf|" + session_id.encode(), hashlib.sha256).hexdigest()


def csrf_ok(settings: Settings, session_id: str, submitted: object) -> bool:
    if not isinstance(submitted, str) or not submitted:
        return False
    return hmac.compare_digest(csrf_token(settings, session_id), submitted)


def login_csrf(request: Request) -> str:
    """The double-submit value of the login form: the cookie's, or a fresh one."""
    existing = request.cookies.get(LOGIN_CSRF_COOKIE)
    return existing if existing and len(existing) <= 128 else secrets.token_urlsafe(24)


def set_login_csrf_cookie(
    response: Response, request: Request, settings: Settings, value: str
) -> None:
    response.set_cookie(
        LOGIN_CSRF_COOKIE,
        value,
        max_age=3600,
        path=COOKIE_PATH,
        httponly=True,
        samesite="strict",
        secure=_secure(request, settings),
    )


def login_csrf_ok(request: Request, submitted: object) -> bool:
    cookie = request.cookies.get(LOGIN_CSRF_COOKIE)
    if not cookie or not isinstance(submitted, str):
        return False
    return hmac.compare_digest(cookie, submitted)


def safe_next(target: object) -> str:
    """Where to go after signing in: a UI path only (never another host)."""
    if (
        isinstance(target, str)
        and target.startswith("/ui")
        and not target.startswith("//")
        and "\\" not in target
        and "\n" not in target
        and "\r" not in target
    ):
        return target
    return "/ui"

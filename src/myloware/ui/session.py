"""The UI's sign-in: the pasted credential in a cookie, checked like the API checks it.

The cookie holds the JWT or API key itself (HttpOnly, SameSite=Strict, Secure behind TLS,
scoped to ``/ui``) and every request re-validates it with the API's own code, so an expired
token stops working in the UI at once and a revoked key within the API's 30-second key cache.

CSRF: forms of a signed-in user carry ``HMAC(jwt_secret, credential)``; the login form, which
has no credential yet, uses a double-submit cookie.
"""

from __future__ import annotations

import hashlib
import hmac
import secrets
import time

import jwt
from fastapi import Request, Response
from sqlalchemy.ext.asyncio import AsyncSession

from myloware.api.deps import authenticate_credential
from myloware.api.state import AppState
from myloware.auth.principal import Principal
from myloware.auth.tokens import API_KEY_PREFIX
from myloware.errors import AuthError
from myloware.settings import Settings

SESSION_COOKIE = "mlw_ui_session"
LOGIN_CSRF_COOKIE = "mlw_ui_login_csrf"
CSRF_FIELD = "csrf_token"
COOKIE_PATH = "/ui"
MAX_CREDENTIAL_CHARS = 8192


async def authenticate(state: AppState, session: AsyncSession, credential: str) -> Principal:
    """The principal a pasted JWT or API key stands for; ``AuthError`` when it is not valid."""
    credential = credential.strip()
    if not credential or len(credential) > MAX_CREDENTIAL_CHARS:
        raise AuthError("paste a token or an API key")
    if credential.startswith(API_KEY_PREFIX):
        return await authenticate_credential(state, session, api_key=credential)
    return await authenticate_credential(state, session, token=credential)


def session_max_age(settings: Settings, credential: str) -> int:
    """Seconds the cookie should live: until a JWT expires, else the configured token TTL."""
    if credential.startswith(API_KEY_PREFIX):
        return settings.jwt_ttl_seconds
    try:
        exp = jwt.decode(credential, options={"verify_signature": False}).get("exp")
    except jwt.InvalidTokenError:
        return settings.jwt_ttl_seconds
    if not isinstance(exp, int | float):
        return settings.jwt_ttl_seconds
    return max(0, int(exp - time.time()))


def set_session_cookie(response: Response, settings: Settings, credential: str) -> None:
    response.set_cookie(
        SESSION_COOKIE,
        credential,
        max_age=session_max_age(settings, credential),
        path=COOKIE_PATH,
        httponly=True,
        samesite="strict",
        secure=settings.behind_tls,
    )


def clear_session_cookie(response: Response, settings: Settings) -> None:
    response.delete_cookie(
        SESSION_COOKIE,
        path=COOKIE_PATH,
        httponly=True,
        samesite="strict",
        secure=settings.behind_tls,
    )


def csrf_token(settings: Settings, credential: str) -> str:
    """The CSRF token bound to this sign-in (a forged form cannot know it)."""
    key = settings.jwt_secret.get_secret_value().encode()
    return hmac.new(key, b"ui-csrf|" + credential.encode(), hashlib.sha256).hexdigest()


def csrf_ok(settings: Settings, credential: str, submitted: object) -> bool:
    if not isinstance(submitted, str) or not submitted:
        return False
    return hmac.compare_digest(csrf_token(settings, credential), submitted)


def login_csrf(request: Request) -> str:
    """The double-submit value of the login form: the cookie's, or a fresh one."""
    existing = request.cookies.get(LOGIN_CSRF_COOKIE)
    return existing if existing and len(existing) <= 128 else secrets.token_urlsafe(24)


def set_login_csrf_cookie(response: Response, settings: Settings, value: str) -> None:
    response.set_cookie(
        LOGIN_CSRF_COOKIE,
        value,
        max_age=3600,
        path=COOKIE_PATH,
        httponly=True,
        samesite="strict",
        secure=settings.behind_tls,
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

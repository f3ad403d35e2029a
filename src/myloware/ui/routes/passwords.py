"""Set a local account's password with the one-time link an administrator handed out."""

from __future__ import annotations

from typing import Annotated

from fastapi import APIRouter, Query, Request
from fastapi.responses import RedirectResponse, Response

from myloware.errors import AuthError, ValidationFailed
from myloware.services.accounts import redeem_setup_token
from myloware.ui.deps import UiRoute
from myloware.ui.rendering import render
from myloware.ui.session import CSRF_FIELD, login_csrf, login_csrf_ok, set_login_csrf_cookie
from myloware.web.deps import SessionDep, StateDep, client_info, throttled

router = APIRouter(route_class=UiRoute, include_in_schema=False)

MAX_TOKEN_CHARS = 128


def _page(
    request: Request, state: StateDep, token: str, problem: str | None, status: int = 200
) -> Response:
    csrf = login_csrf(request)
    response = render(
        request,
        "set_password.html",
        {"token": token[:MAX_TOKEN_CHARS], "login_csrf": csrf, "problem": problem},
        status_code=status,
    )
    set_login_csrf_cookie(response, request, state.settings, csrf)
    return response


@router.get("/set-password")
async def set_password_form(
    request: Request, state: StateDep, token: Annotated[str, Query(max_length=128)] = ""
) -> Response:
    return _page(request, state, token, None)


@router.post("/set-password")
async def set_password(request: Request, state: StateDep, session: SessionDep) -> Response:
    form = await request.form()
    token = str(form.get("token") or "")[:MAX_TOKEN_CHARS]
    if not login_csrf_ok(request, form.get(CSRF_FIELD)):
        return _page(request, state, token, "The form expired; please try again.", 403)
    password = str(form.get("password") or "")
    if password != str(form.get("confirm") or ""):
        return _page(request, state, token, "The two passwords differ; type them again.", 422)
    try:
        await throttled(
            state,
            request,
            lambda: redeem_setup_token(
                session, token=token, password=password, client=client_info(request)
            ),
        )
    except ValidationFailed as exc:
        return _page(request, state, token, f"Not set: {exc.message}.", 422)
    except AuthError as exc:
        return _page(request, state, token, f"Not set: {exc.message}.", 401)
    await session.commit()
    return RedirectResponse("/ui/login?notice=password-set", status_code=303)

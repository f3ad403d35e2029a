"""A small OpenID Connect provider for tests, speaking the real protocol over HTTP.

Discovery document, JWKS, an authorization endpoint that "signs in" the person the test
chose (``provider.person``) and redirects back with a code, and a token endpoint that checks
the client's secret (Basic), the redirect URI and the PKCE verifier (S256) before it answers
with an RS256-signed ID token (joserfc). Codes work once. ``provider.tamper`` lets a test
spoil what the token endpoint signs (another nonce, audience or key).
"""

from __future__ import annotations

import base64
import hashlib
import secrets
import time
from dataclasses import dataclass, field
from typing import Any
from urllib.parse import urlencode

from fastapi import FastAPI, Request
from fastapi.responses import JSONResponse, RedirectResponse, Response
from joserfc import jwt
from joserfc.jwk import RSAKey

CLIENT_ID = "myloware-ui"
CLIENT_SECRET = "s3cret-of-the-client"


@dataclass
class OidcProvider:
    issuer: str = ""
    person: dict[str, Any] = field(default_factory=dict)  # claims of whoever signs in
    tamper: dict[str, Any] = field(default_factory=dict)  # claims to override when signing
    sign_with: RSAKey | None = None  # another key than the published one
    key: RSAKey = field(
        default_factory=lambda: RSAKey.generate_key(2048, parameters={"kid": "k1", "use": "sig"})
    )
    codes: dict[str, dict[str, Any]] = field(default_factory=dict)
    token_requests: list[dict[str, str]] = field(default_factory=list)

    def app(self) -> FastAPI:
        app = FastAPI()
        app.add_api_route("/.well-known/openid-configuration", self.discovery)
        app.add_api_route("/jwks", self.jwks)
        app.add_api_route("/authorize", self.authorize)
        app.add_api_route("/token", self.token, methods=["POST"])
        return app

    async def discovery(self) -> dict[str, Any]:
        return {
            "issuer": self.issuer,
            "authorization_endpoint": f"{self.issuer}/authorize",
            "token_endpoint": f"{self.issuer}/token",
            "jwks_uri": f"{self.issuer}/jwks",
            "response_types_supported": ["code"],
            "subject_types_supported": ["public"],
            "id_token_signing_alg_values_supported": ["RS256"],
            "code_challenge_methods_supported": ["S256"],
        }

    async def jwks(self) -> dict[str, Any]:
        return {"keys": [self.key.as_dict(private=False, alg="RS256")]}

    async def authorize(self, request: Request) -> Response:
        q = request.query_params
        if q.get("client_id") != CLIENT_ID or q.get("response_type") != "code":
            return JSONResponse({"error": "unauthorized_client"}, 400)
        if q.get("code_challenge_method") != "S256" or not q.get("code_challenge"):
            return JSONResponse({"error": "invalid_request", "error_description": "PKCE"}, 400)
        code = secrets.token_urlsafe(16)
        self.codes[code] = {
            "nonce": q.get("nonce"),
            "challenge": q["code_challenge"],
            "redirect_uri": q.get("redirect_uri"),
            "scope": q.get("scope"),
        }
        back = urlencode({"code": code, "state": q.get("state", "")})
        return RedirectResponse(f"{q.get('redirect_uri')}?{back}", status_code=302)

    async def token(self, request: Request) -> Response:
        form = {k: str(v) for k, v in (await request.form()).items()}
        self.token_requests.append(form)
        expected = base64.b64encode(f"{CLIENT_ID}:{CLIENT_SECRET}".encode()).decode()
        if request.headers.get("authorization") != f"Basic {expected}":
            return JSONResponse({"error": "invalid_client"}, 401)
        grant = self.codes.pop(form.get("code", ""), None)
        verifier = form.get("code_verifier", "")
        digest = hashlib.sha256(verifier.encode()).digest()
        challenge = base64.urlsafe_b64encode(digest).rstrip(b"=").decode()
        if (
            grant is None
            or form.get("grant_type") != "authorization_code"
            or form.get("redirect_uri") != grant["redirect_uri"]
            or challenge != grant["challenge"]
        ):
            return JSONResponse({"error": "invalid_grant"}, 400)
        now = int(time.time())
        claims = {
            "iss": self.issuer,
            "aud": CLIENT_ID,
            "iat": now,
            "exp": now + 300,
            "nonce": grant["nonce"],
            **self.person,
            **self.tamper,
        }
        id_token = jwt.encode({"alg": "RS256", "kid": "k1"}, claims, self.sign_with or self.key)
        return JSONResponse(
            {
                "access_token": secrets.token_urlsafe(16),
                "token_type": "Bearer",
                "id_token": id_token,
            }
        )

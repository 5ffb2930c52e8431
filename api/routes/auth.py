"""OAuth2 client credentials (RFC 6749 §4.4): form-encoded, or the client in HTTP Basic."""

from __future__ import annotations

import base64
import binascii
from typing import Annotated, Any

from fastapi import APIRouter, Form, Request

from api.deps import NowDep, SettingsDep, WritersDep
from passengine.services.auth import Unauthorized, issue_token

router = APIRouter(tags=["auth"])


def _basic(request: Request) -> tuple[str, str] | None:
    scheme, _, encoded = request.headers.get("authorization", "").partition(" ")
    if scheme.lower() != "basic":
        return None
    try:
        client_id, _, secret = base64.b64decode(encoded).decode().partition(":")
    except (binascii.Error, UnicodeDecodeError):
        return None
    return client_id, secret


@router.post("/oauth/token")
def token(
    request: Request,
    writers: WritersDep,
    settings: SettingsDep,
    now: NowDep,
    grant_type: Annotated[str, Form()],
    client_id: Annotated[str | None, Form(max_length=100)] = None,
    client_secret: Annotated[str | None, Form(max_length=500)] = None,
) -> dict[str, Any]:
    """Exchange a client id and secret for a bearer token."""
    if grant_type != "client_credentials":
        raise Unauthorized(
            "Only grant_type=client_credentials is supported.", code="unsupported-grant-type"
        )
    basic = _basic(request)
    if basic is not None:
        client_id, client_secret = basic
    if not client_id or not client_secret:
        raise Unauthorized("Send client_id and client_secret.", code="invalid-client")
    with writers() as session:
        issued = issue_token(
            session,
            client_id=client_id,
            client_secret=client_secret,
            token_secret=settings.token_secret.get_secret_value(),
            lifetime_seconds=settings.token_lifetime_seconds,
            now=now,
        )
    return {
        "access_token": issued.access_token,
        "token_type": "Bearer",
        "expires_in": issued.expires_in,
    }

"""OAuth2 client credentials: secrets checked once at the token endpoint, then signed tokens.

A token is a JWT (HS256 under ``PASSENGINE_TOKEN_SECRET``) that carries who the client acts for
and what it may do, so the hot path verifies it without a database round trip. Tokens live 15
minutes by default; disabling a client or rotating its secret bumps ``token_version`` and takes
effect for new tokens at once and for issued ones when they expire (documented in docs/).
"""

from __future__ import annotations

from dataclasses import dataclass
from datetime import UTC, datetime, timedelta
from typing import Any

import jwt
from sqlalchemy import select
from sqlalchemy.orm import Session

from passengine.domain.errors import PassEngineError
from passengine.domain.model import ClientRole
from passengine.services.audit import Actor, record
from passengine.services.credentials import verify_secret
from passengine.storage import tables as t

ALGORITHM = "HS256"
ISSUER = "passengine"


class Unauthorized(PassEngineError):
    code = "unauthorized"


class Forbidden(PassEngineError):
    code = "forbidden"


@dataclass(frozen=True, slots=True)
class Principal:
    """The caller of a request, as the token says."""

    client_id: str
    role: ClientRole
    permissions: frozenset[str]
    region_ids: frozenset[int]
    organizer_id: str | None = None
    desk_id: str | None = None
    referrer_id: str | None = None

    @property
    def actor(self) -> Actor:
        return Actor(
            label=f"client:{self.client_id}", client_id=self.client_id, desk_id=self.desk_id
        )

    def has(self, permission: str) -> bool:
        return permission in self.permissions

    def require(self, permission: str) -> None:
        if permission not in self.permissions:
            raise Forbidden(
                f"This client lacks the {permission} permission.", permission=permission
            )


@dataclass(frozen=True, slots=True)
class IssuedToken:
    access_token: str
    expires_in: int


def issue_token(
    session: Session,
    *,
    client_id: str,
    client_secret: str,
    token_secret: str,
    lifetime_seconds: int,
    now: datetime,
) -> IssuedToken:
    """Check the client's secret and sign a token; every refusal is audited."""
    now = now.astimezone(UTC)  # wall-clock arithmetic on a local time breaks across DST
    with session.begin():
        client = session.get(t.ApiClient, client_id)
        if (
            client is None
            or client.disabled_at is not None
            or not verify_secret(client_secret, client.secret_hash)
        ):
            record(
                session,
                Actor(label="oauth", client_id=None),
                "auth.failed",
                subject=f"client:{client_id[:100]}",
                details={"reason": "unknown client or wrong secret"},
            )
            failed = True
        else:
            failed = False
            regions = frozenset(
                session.scalars(
                    select(t.ApiClientRegion.region_id).where(
                        t.ApiClientRegion.client_id == client_id
                    )
                )
            )
            permissions = sorted(
                session.scalars(
                    select(t.ApiClientPermission.permission).where(
                        t.ApiClientPermission.client_id == client_id
                    )
                )
            )
            payload: dict[str, Any] = {
                "iss": ISSUER,
                "sub": client.client_id,
                "iat": int(now.timestamp()),
                "exp": int((now + timedelta(seconds=lifetime_seconds)).timestamp()),
                "ver": client.token_version,
                "role": client.role.value,
                "perm": permissions,
                "reg": sorted(regions),
                "org": client.organizer_id,
                "desk": client.desk_id,
                "ref": client.referrer_id,
            }
    if failed:
        # Outside the transaction so that the audit row of the refusal is kept.
        raise Unauthorized("Unknown client or wrong secret.", code="invalid-client")
    token = jwt.encode(payload, token_secret, algorithm=ALGORITHM)
    return IssuedToken(access_token=token, expires_in=lifetime_seconds)


def verify_token(token: str, *, token_secret: str, now: datetime) -> Principal:
    try:
        claims = jwt.decode(
            token,
            token_secret,
            algorithms=[ALGORITHM],
            issuer=ISSUER,
            options={"require": ["exp", "iat", "sub"], "verify_iat": False, "verify_exp": False},
            leeway=0,
        )
    except jwt.ExpiredSignatureError as exc:
        raise Unauthorized("The access token has expired.", code="token-expired") from exc
    except jwt.PyJWTError as exc:
        raise Unauthorized("The access token is not valid.", code="invalid-token") from exc
    if claims["exp"] <= now.timestamp():
        raise Unauthorized("The access token has expired.", code="token-expired")
    try:
        return Principal(
            client_id=str(claims["sub"]),
            role=ClientRole(claims["role"]),
            permissions=frozenset(claims.get("perm", [])),
            region_ids=frozenset(int(r) for r in claims.get("reg", [])),
            organizer_id=claims.get("org"),
            desk_id=claims.get("desk"),
            referrer_id=claims.get("ref"),
        )
    except (KeyError, ValueError, TypeError) as exc:
        raise Unauthorized("The access token is not valid.", code="invalid-token") from exc

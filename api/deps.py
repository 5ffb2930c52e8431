"""Dependencies: settings, sessions, the clock and the authenticated caller."""

from __future__ import annotations

from collections.abc import Callable
from datetime import UTC, datetime
from typing import Annotated

from fastapi import Depends, Request
from sqlalchemy.orm import Session, sessionmaker

from passengine.config import Settings
from passengine.services.auth import Principal, Unauthorized, verify_token
from passengine.services.pii import InszVault

Clock = Callable[[], datetime]


def get_settings(request: Request) -> Settings:
    settings: Settings = request.app.state.settings
    return settings


def get_readers(request: Request) -> sessionmaker[Session]:
    sessions: sessionmaker[Session] = request.app.state.sessions
    return sessions


def get_writers(request: Request) -> sessionmaker[Session]:
    """Sessions whose SQLite transactions take the write lock at BEGIN (``BEGIN IMMEDIATE``)."""
    sessions: sessionmaker[Session] = request.app.state.writers
    return sessions


def get_now(request: Request) -> datetime:
    """Now, in UTC: arithmetic on a zone-aware local time is wall-clock arithmetic and goes wrong
    across a DST change; local dates are derived where a rule needs them."""
    clock: Clock = request.app.state.clock
    return clock().astimezone(UTC)


def get_vault(request: Request) -> InszVault:
    vault: InszVault = request.app.state.vault
    return vault


def get_principal(request: Request) -> Principal:
    header = request.headers.get("authorization", "")
    scheme, _, token = header.partition(" ")
    if scheme.lower() != "bearer" or not token.strip():
        raise Unauthorized(
            "Send an access token: Authorization: Bearer <token>.", code="unauthorized"
        )
    settings: Settings = request.app.state.settings
    clock: Clock = request.app.state.clock
    return verify_token(
        token.strip(),
        token_secret=settings.token_secret.get_secret_value(),
        now=clock().astimezone(UTC),
    )


SettingsDep = Annotated[Settings, Depends(get_settings)]
ReadersDep = Annotated[sessionmaker[Session], Depends(get_readers)]
WritersDep = Annotated[sessionmaker[Session], Depends(get_writers)]
NowDep = Annotated[datetime, Depends(get_now)]
PrincipalDep = Annotated[Principal, Depends(get_principal)]
VaultDep = Annotated[InszVault, Depends(get_vault)]

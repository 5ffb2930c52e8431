"""API clients (OAuth2 client credentials): create, list, change, disable, rotate the secret.

A secret is shown once, when it is made (creation or rotation), and stored only as a salted
scrypt hash; no read ever returns it, and no audit row holds it. Rotation and every change of
permissions, regions or the disabled flag bump ``token_version``. Tokens are verified without a
database round trip, so a token issued before the change stays valid until it expires (15
minutes by default); new tokens follow the change at once.

Who may. A region administrator lists the clients that act in one of its regions, and changes
only a client all of whose regions it administers, so that the administrator of region A cannot
disable or widen a client of region B. It cannot give a client a region it does not administer.
"""

from __future__ import annotations

from datetime import datetime
from typing import Annotated

from pydantic import Field, StringConstraints, model_validator
from sqlalchemy import delete, select
from sqlalchemy.orm import Session

from passengine.domain.errors import Conflict, InvalidInput, NotFound
from passengine.domain.model import ClientRole
from passengine.services.administration import (
    REGION_ADMIN,
    AdminScope,
    Name,
    Patch,
    Read,
    Shape,
    flush_or_conflict,
    jsonable,
    patch_fields,
    transaction,
)
from passengine.services.audit import record
from passengine.services.catalog import SPEC_PERMISSIONS
from passengine.services.credentials import hash_secret, new_secret
from passengine.services.fixture_files import Id
from passengine.storage import tables as t
from passengine.storage.base import utcnow

OWN_PERMISSIONS = frozenset((REGION_ADMIN, "AUDIT_READ"))
"""Ours, on top of the UiTPAS spec's permission names."""
KNOWN_PERMISSIONS = SPEC_PERMISSIONS | OWN_PERMISSIONS

ClientId = Annotated[str, StringConstraints(pattern=r"^[A-Za-z0-9_.:-]{3,100}$")]
Permission = Annotated[str, StringConstraints(pattern=r"^[A-Z_]{1,64}$")]


class ClientCreate(Shape):
    """A client that acts as a desk (``organizer_id``, optionally ``desk_id``), a referrer
    (``referrer_id``) or a region administrator (neither), in ``regions``."""

    client_id: ClientId
    name: Name
    role: ClientRole
    organizer_id: Id | None = None
    desk_id: Id | None = None
    referrer_id: Id | None = None
    permissions: list[Permission] = Field(min_length=1, max_length=100)
    regions: list[int] = Field(min_length=1, max_length=50)

    @model_validator(mode="after")
    def _acts_for_what_its_role_says(self) -> ClientCreate:
        if self.role is ClientRole.DESK and (self.organizer_id is None or self.referrer_id):
            raise ValueError("a DESK client acts for an organizer_id (and optionally a desk_id)")
        if self.role is ClientRole.REFERRER and (
            self.referrer_id is None or self.organizer_id or self.desk_id
        ):
            raise ValueError("a REFERRER client acts for a referrer_id only")
        if self.role is ClientRole.REGION_ADMIN and (
            self.organizer_id or self.desk_id or self.referrer_id
        ):
            raise ValueError("a REGION_ADMIN client acts for no organizer, desk or referrer")
        return self


class ClientUpdate(Patch):
    REQUIRED = ("name", "permissions", "regions", "disabled")
    name: Name | None = None
    permissions: list[Permission] | None = Field(default=None, min_length=1, max_length=100)
    """Replaces the list."""
    regions: list[int] | None = Field(default=None, min_length=1, max_length=50)
    """Replaces the list; every region needs the caller as its administrator."""
    disabled: bool | None = None
    """true: no new tokens from now on; false: enabled again."""


class ClientRead(Read):
    client_id: str
    name: str
    role: ClientRole
    organizer_id: str | None
    desk_id: str | None
    referrer_id: str | None
    permissions: list[str]
    regions: list[int]
    token_version: int
    is_demo: bool
    created_at: datetime
    disabled_at: datetime | None


class ClientWithSecret(Read):
    """The only answer that carries a secret: store it now, it cannot be shown again."""

    client: ClientRead
    client_secret: str


def _check_permissions(permissions: list[str]) -> None:
    unknown = sorted(set(permissions) - KNOWN_PERMISSIONS)
    if unknown:
        raise InvalidInput(
            f"Unknown permission(s) {', '.join(unknown)}.", code="unknown-permission"
        )


def _check_acts_for(
    session: Session,
    *,
    organizer_id: str | None,
    desk_id: str | None,
    referrer_id: str | None,
    regions: set[int],
) -> None:
    """What the client acts for must exist and be part of its regions."""
    known = set(session.scalars(select(t.Region.id).where(t.Region.id.in_(sorted(regions)))))
    if regions - known:
        missing = ", ".join(str(r) for r in sorted(regions - known))
        raise InvalidInput(f"Unknown region(s) {missing}.", code="unknown-region")
    if organizer_id is not None:
        if session.get(t.Organizer, organizer_id) is None:
            raise InvalidInput(f"No organizer {organizer_id}.", code="unknown-organizer")
        taking_part = set(
            session.scalars(
                select(t.OrganizerRegion.region_id).where(
                    t.OrganizerRegion.organizer_id == organizer_id
                )
            )
        )
        if not taking_part & regions:
            raise InvalidInput(
                f"Organizer {organizer_id} takes part in none of the client's regions.",
                code="unknown-organizer",
            )
    if desk_id is not None:
        desk = session.get(t.Desk, desk_id)
        if desk is None or desk.organizer_id != organizer_id:
            raise InvalidInput(
                f"No desk {desk_id} of organizer {organizer_id}.", code="unknown-desk"
            )
    if referrer_id is not None:
        referrer = session.get(t.Referrer, referrer_id)
        if referrer is None or referrer.region_id not in regions:
            raise InvalidInput(
                f"No referrer {referrer_id} in the client's regions.", code="unknown-referrer"
            )


def _regions_of(session: Session, client_id: str) -> set[int]:
    return set(
        session.scalars(
            select(t.ApiClientRegion.region_id).where(t.ApiClientRegion.client_id == client_id)
        )
    )


def _view(session: Session, c: t.ApiClient) -> ClientRead:
    permissions = session.scalars(
        select(t.ApiClientPermission.permission).where(
            t.ApiClientPermission.client_id == c.client_id
        )
    )
    return ClientRead(
        client_id=c.client_id,
        name=c.name,
        role=c.role,
        organizer_id=c.organizer_id,
        desk_id=c.desk_id,
        referrer_id=c.referrer_id,
        permissions=sorted(permissions),
        regions=sorted(_regions_of(session, c.client_id)),
        token_version=c.token_version,
        is_demo=c.is_demo,
        created_at=c.created_at,
        disabled_at=c.disabled_at,
    )


def _set_links(
    session: Session, client_id: str, *, permissions: set[str], regions: set[int]
) -> None:
    session.execute(
        delete(t.ApiClientPermission).where(t.ApiClientPermission.client_id == client_id)
    )
    session.execute(delete(t.ApiClientRegion).where(t.ApiClientRegion.client_id == client_id))
    session.add_all(
        t.ApiClientPermission(client_id=client_id, permission=p) for p in sorted(permissions)
    )
    session.add_all(t.ApiClientRegion(client_id=client_id, region_id=r) for r in sorted(regions))


_AUDITED = {"name", "role", "organizer_id", "desk_id", "referrer_id", "permissions", "regions"}


def create_client(session: Session, data: ClientCreate, *, scope: AdminScope) -> ClientWithSecret:
    """The secret is generated here (32 random bytes, URL-safe) and returned once."""
    _check_permissions(data.permissions)
    secret = new_secret()
    hashed = hash_secret(secret)  # scrypt is slow on purpose: outside the transaction
    with transaction(session):
        scope.require_all(data.regions)
        regions = set(data.regions)
        _check_acts_for(
            session,
            organizer_id=data.organizer_id,
            desk_id=data.desk_id,
            referrer_id=data.referrer_id,
            regions=regions,
        )
        if session.get(t.ApiClient, data.client_id) is not None:
            raise Conflict(f"Client {data.client_id} exists already.", code="client-exists")
        client = t.ApiClient(
            client_id=data.client_id,
            name=data.name,
            secret_hash=hashed,
            role=data.role,
            organizer_id=data.organizer_id,
            desk_id=data.desk_id,
            referrer_id=data.referrer_id,
            is_demo=False,
            token_version=1,
            created_at=utcnow(),
        )
        session.add(client)
        flush_or_conflict(session, f"Client {data.client_id} exists already.", code="client-exists")
        _set_links(session, data.client_id, permissions=set(data.permissions), regions=regions)
        session.flush()
        view = _view(session, client)
        record(
            session,
            scope.actor,
            "config.client.created",
            subject=f"client:{data.client_id}",
            details=jsonable(view.model_dump(include=_AUDITED)),
        )
    return ClientWithSecret(client=view, client_secret=secret)


def list_clients(
    session: Session, *, scope: AdminScope, region_id: int | None = None
) -> list[ClientRead]:
    """Clients acting in one of the caller's regions (or in ``region_id``), without secrets."""
    with transaction(session):
        query = select(t.ApiClient).order_by(t.ApiClient.client_id)
        wanted = scope.region_ids
        if region_id is not None:
            scope.require(region_id)
            wanted = frozenset({region_id})
        if wanted is not None:
            query = query.where(
                t.ApiClient.client_id.in_(
                    select(t.ApiClientRegion.client_id).where(
                        t.ApiClientRegion.region_id.in_(sorted(wanted))
                    )
                )
            )
        return [_view(session, c) for c in session.scalars(query)]


def _client(session: Session, client_id: str, scope: AdminScope, *, to_change: bool) -> t.ApiClient:
    """404 ``client-not-found``; 403 for a client that acts in none of the caller's regions, and
    to change one that also acts in a region the caller does not administer."""
    client = session.get(t.ApiClient, client_id)
    if client is None:
        raise NotFound(f"No client {client_id}.", code="client-not-found")
    regions = _regions_of(session, client_id)
    if to_change:
        scope.require_all(regions)
    else:
        scope.require_any(regions, what=f"Client {client_id}")
    return client


def get_client(session: Session, client_id: str, *, scope: AdminScope) -> ClientRead:
    with transaction(session):
        return _view(session, _client(session, client_id, scope, to_change=False))


def update_client(
    session: Session, client_id: str, changes: ClientUpdate, *, scope: AdminScope, at: datetime
) -> ClientRead:
    wanted = patch_fields(changes)
    if "permissions" in wanted:
        _check_permissions(wanted["permissions"])
    with transaction(session):
        client = _client(session, client_id, scope, to_change=True)
        before = _view(session, client)
        permissions = set(wanted.get("permissions", before.permissions))
        regions = set(wanted.get("regions", before.regions))
        scope.require_all(regions)
        _check_acts_for(
            session,
            organizer_id=client.organizer_id,
            desk_id=client.desk_id,
            referrer_id=client.referrer_id,
            regions=regions,
        )
        if "name" in wanted:
            client.name = wanted["name"]
        if "disabled" in wanted and wanted["disabled"] != (client.disabled_at is not None):
            client.disabled_at = at if wanted["disabled"] else None
        _set_links(session, client_id, permissions=permissions, regions=regions)
        session.flush()
        after = _view(session, client)
        old, new = jsonable(before.model_dump()), jsonable(after.model_dump())
        changed = sorted(k for k in new if old[k] != new[k])
        if set(changed) & {"permissions", "regions", "disabled_at"}:
            client.token_version += 1
            session.flush()
            after = _view(session, client)
        if changed:
            record(
                session,
                scope.actor,
                "config.client.updated",
                subject=f"client:{client_id}",
                details={
                    "before": {k: old[k] for k in changed},
                    "after": {k: new[k] for k in changed},
                },
            )
        return after


def rotate_secret(session: Session, client_id: str, *, scope: AdminScope) -> ClientWithSecret:
    """A new secret, shown once; the old one stops working at once for new tokens."""
    secret = new_secret()
    hashed = hash_secret(secret)
    with transaction(session):
        client = _client(session, client_id, scope, to_change=True)
        client.secret_hash = hashed
        client.token_version += 1
        session.flush()
        record(
            session,
            scope.actor,
            "config.client.secret_rotated",
            subject=f"client:{client_id}",
            details={"token_version": client.token_version},
        )
        return ClientWithSecret(client=_view(session, client), client_secret=secret)

"""Registering holders, reading and changing their data, households, and moving region.

The INSZ is validated (mod 97) and unique across the system through its keyed hash; it is never
stored in clear. Registration gives the holder a card (from the region's local stock, or a new
digital card), a first membership and, if the registrar may grant it, a status. Every read of
personal data and every change is audited in the same transaction.
"""

from __future__ import annotations

import random
import uuid
from dataclasses import dataclass, field
from datetime import date, datetime
from typing import Any

from sqlalchemy import func, select, update
from sqlalchemy.orm import Session

from passengine.domain.errors import Conflict, InvalidInput, NotFound
from passengine.domain.identifiers import (
    generate_card_number,
    validate_card_number,
    validate_insz,
)
from passengine.domain.model import (
    CardStatus,
    CardType,
    MembershipStatus,
    SocialTariffState,
    SocialTariffStatus,
)
from passengine.domain.statuses import status_on
from passengine.services.audit import record
from passengine.services.authority import Authority
from passengine.services.pii import InszVault
from passengine.services.status_changes import GrantRequest, grant_in_session
from passengine.storage import tables as t
from passengine.storage.repositories import PassRepository

_system_random = random.SystemRandom()


@dataclass(frozen=True, slots=True)
class Address:
    street: str | None
    postal_code: str
    sub_municipality: str | None = None


@dataclass(frozen=True, slots=True)
class Registration:
    region_id: int
    name: str
    first_name: str
    birth_date: date
    address: Address
    insz: str | None = None
    email: str | None = None
    phone: str | None = None
    uitpas_number: str | None = None
    """A card from the region's stock; without it a digital card is made."""
    status: GrantRequest | None = None
    household_with: tuple[str, ...] = ()
    """Holders already registered at the same address (their dependants share the status)."""


@dataclass(frozen=True, slots=True)
class HolderView:
    id: str
    name: str
    first_name: str
    birth_date: date
    street: str | None
    postal_code: str
    nis_code: str
    municipality: str
    email: str | None
    phone: str | None
    points: int
    created_at: datetime
    memberships: tuple[dict[str, Any], ...]
    cards: tuple[dict[str, Any], ...]
    household: tuple[str, ...]
    registered_by_referrer_id: str | None
    erased: bool = False
    statuses: tuple[dict[str, Any], ...] = field(default_factory=tuple)


def _municipality(session: Session, postal_code: str) -> str:
    nis = session.scalar(
        select(t.PostalCode.nis_code).where(t.PostalCode.postal_code == postal_code).limit(1)
    )
    if nis is None:
        raise InvalidInput(f"Unknown postal code {postal_code}.", code="invalid-postal-code")
    return nis


def _sub_municipality(session: Session, nis: str, address: Address) -> int | None:
    if address.sub_municipality:
        found = session.scalar(
            select(t.SubMunicipality.id).where(
                t.SubMunicipality.nis_code == nis,
                func.lower(t.SubMunicipality.name) == address.sub_municipality.lower(),
            )
        )
        if found is None:
            raise InvalidInput(
                f"{address.sub_municipality} is not a sub-municipality of {nis}.",
                code="invalid-city",
            )
        return found
    ids = session.scalars(
        select(t.SubMunicipality.id).where(
            t.SubMunicipality.nis_code == nis, t.SubMunicipality.postal_code == address.postal_code
        )
    ).all()
    return ids[0] if len(ids) == 1 else None


def _region_municipalities(session: Session, region_id: int, on: date) -> set[str]:
    return set(
        session.scalars(
            select(t.RegionMunicipality.nis_code).where(
                t.RegionMunicipality.region_id == region_id,
                t.RegionMunicipality.joined_on <= on,
                (t.RegionMunicipality.left_on.is_(None)) | (t.RegionMunicipality.left_on > on),
            )
        )
    )


def _issue_card(
    session: Session, region_id: int, holder_id: str, uitpas_number: str | None, *, at: datetime
) -> t.Card:
    if uitpas_number is not None:
        number = validate_card_number(uitpas_number)
        card = session.scalars(select(t.Card).where(t.Card.uitpas_number == number)).one_or_none()
        if card is None or card.region_id != region_id:
            raise NotFound(f"Card {number} is not in this region's stock.", code="invalid-card")
        if card.holder_id is not None or card.status not in (
            CardStatus.PROVISIONED,
            CardStatus.LOCAL_STOCK,
        ):
            raise Conflict(f"Card {number} is already in use.", code="invalid-card-status")
        card.holder_id = holder_id
        card.status = CardStatus.ACTIVE
        card.issued_at = at
        return card
    while True:
        number = generate_card_number(_system_random)
        if session.scalar(select(t.Card.id).where(t.Card.uitpas_number == number)) is None:
            break
    card = t.Card(
        uitpas_number=number,
        card_type=CardType.DIGITAL,
        status=CardStatus.ACTIVE,
        region_id=region_id,
        holder_id=holder_id,
        issued_at=at,
    )
    session.add(card)
    return card


def register(
    session: Session,
    request: Registration,
    *,
    authority: Authority,
    vault: InszVault,
    at: datetime,
    today: date,
) -> str:
    """Register a person; returns the new holder's id. Runs in the caller's transaction."""
    authority.require(authority.can_register(request.region_id), "register holders in this region")
    if session.get(t.Region, request.region_id) is None:
        raise NotFound(f"No region {request.region_id}.", code="cardsystem-not-found")
    if not request.name.strip() or not request.first_name.strip():
        raise InvalidInput("Name and first name are required.", code="invalid-data")
    if request.birth_date > today:
        raise InvalidInput("The birth date lies in the future.", code="invalid-data")
    nis = _municipality(session, request.address.postal_code)
    if authority.desk is not None and not authority.desk.may_register_other_municipalities:
        organizer = session.get(t.Organizer, authority.desk.organizer_id)
        if organizer is not None and organizer.nis_code != nis:
            raise InvalidInput(
                "This desk registers residents of its own municipality only.",
                code="postal-code-not-in-card-system",
            )
    if nis not in _region_municipalities(session, request.region_id, today):
        raise InvalidInput(
            f"Postal code {request.address.postal_code} is not part of this region.",
            code="postal-code-not-in-card-system",
        )
    insz_hash = insz_blob = None
    if request.insz:
        digits = validate_insz(request.insz)
        insz_hash = vault.hash_valid(digits)
        if session.scalar(select(t.PassHolder.id).where(t.PassHolder.insz_hash == insz_hash)):
            raise Conflict(
                "A holder with this INSZ number is already registered.",
                code="passholder-already-registered",
            )
        insz_blob = vault.encrypt(digits)
    holder_id = str(uuid.uuid4())
    session.add(
        t.PassHolder(
            id=holder_id,
            name=request.name.strip(),
            first_name=request.first_name.strip(),
            birth_date=request.birth_date,
            street=request.address.street,
            postal_code=request.address.postal_code,
            nis_code=nis,
            sub_municipality_id=_sub_municipality(session, nis, request.address),
            email=request.email,
            phone=request.phone,
            insz_hash=insz_hash,
            insz_encrypted=insz_blob,
            registered_by_referrer_id=authority.referrer_id,
            registered_at_desk_id=authority.desk_id,
            created_at=at,
        )
    )
    session.flush()
    membership = t.Membership(
        holder_id=holder_id,
        region_id=request.region_id,
        status=MembershipStatus.ACTIVE,
        created_at=at,
    )
    session.add(membership)
    card = _issue_card(session, request.region_id, holder_id, request.uitpas_number, at=at)
    session.flush()
    for other in request.household_with:
        link_household(session, holder_id, other, authority=authority)
    record(
        session,
        authority.actor,
        "holder.registered",
        holder_id=holder_id,
        subject=f"card:{card.uitpas_number}",
        details={"region_id": request.region_id},
    )
    if request.status is not None:
        grant_in_session(
            session, membership.id, request.status, authority=authority, at=at, today=today
        )
    return holder_id


def link_household(
    session: Session, holder_id: str, other_id: str, *, authority: Authority
) -> None:
    """Link two holders of one household; they must live at the same address."""
    a, b = session.get(t.PassHolder, holder_id), session.get(t.PassHolder, other_id)
    if a is None or b is None or b.erased_at is not None:
        raise NotFound("No such holder for the household.", code="passholder-not-found")
    same = (a.street or "").strip().lower() == (
        b.street or ""
    ).strip().lower() and a.postal_code == b.postal_code
    if not same:
        raise InvalidInput("Household members live at the same address.", code="invalid-household")
    low, high = sorted((holder_id, other_id))
    if low == high:
        raise InvalidInput("A holder is not their own household member.", code="invalid-household")
    if session.get(t.HouseholdLink, (low, high)) is None:
        session.add(t.HouseholdLink(holder_a_id=low, holder_b_id=high))
        session.flush()
        record(
            session,
            authority.actor,
            "holder.household_linked",
            holder_id=holder_id,
            details={"other_holder_id": other_id},
        )


def holder_regions(session: Session, holder_id: str) -> list[int]:
    return list(
        session.scalars(select(t.Membership.region_id).where(t.Membership.holder_id == holder_id))
    )


def _require_reader(session: Session, holder_id: str, authority: Authority) -> t.PassHolder:
    holder = session.get(t.PassHolder, holder_id)
    if holder is None:
        raise NotFound(f"No holder {holder_id}.", code="passholder-not-found")
    regions = holder_regions(session, holder_id)
    authority.require(
        any(authority.reads_people(r) for r in regions), "read this holder's personal data"
    )
    return holder


def read_holder(
    session: Session, holder_id: str, *, authority: Authority, today: date
) -> HolderView:
    """Everything a referrer or administrator may see about a holder; audited."""
    holder = _require_reader(session, holder_id, authority)
    regions = holder_regions(session, holder_id)
    show_grounds = any(authority.sees_grounds(r) for r in regions)
    memberships = session.execute(
        select(t.Membership, t.Region.name)
        .join(t.Region, t.Region.id == t.Membership.region_id)
        .where(t.Membership.holder_id == holder_id)
        .order_by(t.Membership.id)
    ).all()
    cards = session.scalars(
        select(t.Card).where(t.Card.holder_id == holder_id).order_by(t.Card.id)
    ).all()
    statuses = []
    for membership, _ in memberships:
        rows = session.execute(
            select(t.SocialTariffStatusRow, t.TargetGroup.code, t.EligibilityGround.code)
            .join(t.TargetGroup, t.TargetGroup.id == t.SocialTariffStatusRow.target_group_id)
            .outerjoin(
                t.EligibilityGround, t.EligibilityGround.id == t.SocialTariffStatusRow.ground_id
            )
            .where(t.SocialTariffStatusRow.membership_id == membership.id)
            .order_by(t.SocialTariffStatusRow.id)
        ).all()
        for row, group, ground in rows:
            view = status_on(_as_status(row, group), today)
            item: dict[str, Any] = {
                "id": row.id,
                "region_id": membership.region_id,
                "target_group": group,
                "start_date": row.start_date.isoformat(),
                "end_date": row.end_date.isoformat(),
                "grace_period_days": row.grace_period_days,
                "state": view.state.value,
                "in_grace_period": view.in_grace_period,
            }
            if row.suspended_until:
                item["suspended_until"] = row.suspended_until.isoformat()
            if row.ended_on:
                item["ended_on"] = row.ended_on.isoformat()
            if show_grounds:
                item["ground"] = ground
                item["granted_by_referrer_id"] = row.granted_by_referrer_id
            statuses.append(item)
    household = session.scalars(
        select(t.HouseholdLink.holder_b_id)
        .where(t.HouseholdLink.holder_a_id == holder_id)
        .union(select(t.HouseholdLink.holder_a_id).where(t.HouseholdLink.holder_b_id == holder_id))
    ).all()
    record(session, authority.actor, "holder.read", holder_id=holder_id)
    return HolderView(
        id=holder.id,
        name=holder.name,
        first_name=holder.first_name,
        birth_date=holder.birth_date,
        street=holder.street,
        postal_code=holder.postal_code,
        nis_code=holder.nis_code,
        municipality=session.scalar(
            select(t.Municipality.name).where(t.Municipality.nis_code == holder.nis_code)
        )
        or holder.nis_code,
        email=holder.email,
        phone=holder.phone,
        points=holder.points,
        created_at=holder.created_at,
        memberships=tuple(
            {"region_id": m.region_id, "region_name": name, "status": m.status.value}
            for m, name in memberships
        ),
        cards=tuple(
            {
                "uitpas_number": c.uitpas_number,
                "status": c.status.value,
                "card_type": c.card_type.value,
                "region_id": c.region_id,
                "replaces": _number_of(session, c.replaces_card_id),
                "block_reason": c.block_reason,
            }
            for c in cards
        ),
        household=tuple(sorted(household)),
        registered_by_referrer_id=holder.registered_by_referrer_id,
        erased=holder.erased_at is not None,
        statuses=tuple(statuses),
    )


def _number_of(session: Session, card_id: int | None) -> str | None:
    if card_id is None:
        return None
    return session.scalar(select(t.Card.uitpas_number).where(t.Card.id == card_id))


def _as_status(row: t.SocialTariffStatusRow, group: str) -> SocialTariffStatus:
    return SocialTariffStatus(
        group,
        row.start_date,
        row.end_date,
        row.grace_period_days,
        row.suspended_until,
        row.ended_on,
    )


def update_holder(
    session: Session,
    holder_id: str,
    changes: dict[str, Any],
    *,
    authority: Authority,
    today: date,
) -> None:
    """Change contact data or the address. A holder with a valid status cannot move their
    address out of that status's region (UiTPAS): they move region instead."""
    holder = _require_reader(session, holder_id, authority)
    regions = holder_regions(session, holder_id)
    authority.require(any(authority.can_register(r) for r in regions), "change this holder")
    allowed = {"name", "first_name", "email", "phone", "street", "postal_code", "sub_municipality"}
    unknown = set(changes) - allowed
    if unknown:
        raise InvalidInput(f"Cannot change {', '.join(sorted(unknown))}.", code="invalid-data")
    before = {k: getattr(holder, k, None) for k in changes if k != "sub_municipality"}
    if "postal_code" in changes:
        postal = str(changes["postal_code"])
        nis = _municipality(session, postal)
        for membership in session.scalars(
            select(t.Membership).where(t.Membership.holder_id == holder_id)
        ):
            if membership.status is not MembershipStatus.ACTIVE:
                continue
            if _has_valid_status(session, membership.id, today) and nis not in (
                _region_municipalities(session, membership.region_id, today)
            ):
                raise InvalidInput(
                    "A holder with a valid status cannot move out of the region: "
                    "register the move to the new region instead.",
                    code="postal-code-not-in-card-system",
                )
        holder.postal_code = postal
        holder.nis_code = nis
        holder.sub_municipality_id = _sub_municipality(
            session,
            nis,
            Address(changes.get("street", holder.street), postal, changes.get("sub_municipality")),
        )
    for key in ("name", "first_name", "email", "phone", "street"):
        if key in changes:
            setattr(holder, key, changes[key])
    session.flush()
    record(
        session,
        authority.actor,
        "holder.updated",
        holder_id=holder_id,
        details={"fields": sorted(changes), "before": {k: str(v) for k, v in before.items()}},
    )


def _has_valid_status(session: Session, membership_id: int, today: date) -> bool:
    for held in PassRepository(session).current_statuses(membership_id):
        if status_on(held.status, today).state is SocialTariffState.ACTIVE:
            return True
    return False


def move_region(
    session: Session,
    holder_id: str,
    *,
    region_id: int,
    address: Address,
    uitpas_number: str | None,
    authority: Authority,
    at: datetime,
    today: date,
) -> str:
    """Move a holder to another region: a new membership and card there, the old membership
    blocked (its statuses no longer count), the points kept (they are the holder's)."""
    holder = session.get(t.PassHolder, holder_id)
    if holder is None:
        raise NotFound(f"No holder {holder_id}.", code="passholder-not-found")
    authority.require(authority.can_register(region_id), "register holders in that region")
    nis = _municipality(session, address.postal_code)
    if nis not in _region_municipalities(session, region_id, today):
        raise InvalidInput(
            f"Postal code {address.postal_code} is not part of region {region_id}.",
            code="postal-code-not-in-card-system",
        )
    existing = session.scalars(
        select(t.Membership).where(t.Membership.holder_id == holder_id)
    ).all()
    if any(m.region_id == region_id and m.status is MembershipStatus.ACTIVE for m in existing):
        raise Conflict(
            "The holder is already a member of that region.", code="passholder-new-membership-error"
        )
    old_regions = []
    for membership in existing:
        if membership.status is MembershipStatus.ACTIVE:
            membership.status = MembershipStatus.BLOCKED
            membership.blocked_at = at
            old_regions.append(membership.region_id)
    session.execute(
        update(t.Card)
        .where(t.Card.holder_id == holder_id, t.Card.status == CardStatus.ACTIVE)
        .values(status=CardStatus.BLOCKED, blocked_at=at, block_reason="MOVED")
    )
    reused = next((m for m in existing if m.region_id == region_id), None)
    if reused is not None:
        reused.status = MembershipStatus.ACTIVE
        reused.blocked_at = None
    else:
        session.add(
            t.Membership(
                holder_id=holder_id,
                region_id=region_id,
                status=MembershipStatus.ACTIVE,
                created_at=at,
            )
        )
    holder.street = address.street
    holder.postal_code = address.postal_code
    holder.nis_code = nis
    holder.sub_municipality_id = _sub_municipality(session, nis, address)
    card = _issue_card(session, region_id, holder_id, uitpas_number, at=at)
    session.flush()
    record(
        session,
        authority.actor,
        "holder.moved",
        holder_id=holder_id,
        subject=f"card:{card.uitpas_number}",
        details={"from_regions": old_regions, "to_region": region_id},
    )
    return card.uitpas_number


def search_holders(
    session: Session,
    *,
    authority: Authority,
    region_ids: frozenset[int],
    insz_hash: str | None = None,
    uitpas_number: str | None = None,
    name: str | None = None,
    first_name: str | None = None,
    start: int = 0,
    limit: int = 20,
) -> tuple[int, list[str]]:
    """Holder ids of the caller's regions matching every filter given; the search is audited."""
    query = (
        select(t.PassHolder.id)
        .join(t.Membership, t.Membership.holder_id == t.PassHolder.id)
        .where(t.Membership.region_id.in_(region_ids), t.PassHolder.erased_at.is_(None))
        .distinct()
    )
    if insz_hash is not None:
        query = query.where(t.PassHolder.insz_hash == insz_hash)
    if uitpas_number is not None:
        query = query.join(t.Card, t.Card.holder_id == t.PassHolder.id).where(
            t.Card.uitpas_number == uitpas_number
        )
    if name:
        query = query.where(func.lower(t.PassHolder.name) == name.strip().lower())
    if first_name:
        query = query.where(func.lower(t.PassHolder.first_name) == first_name.strip().lower())
    total = session.scalar(select(func.count()).select_from(query.subquery())) or 0
    ids = list(session.scalars(query.order_by(t.PassHolder.id).offset(start).limit(limit)))
    record(
        session,
        authority.actor,
        "holder.searched",
        details={"results": total, "holder_ids": ids[:50]},
    )
    return total, ids


def membership_preview(
    session: Session, holder_id: str, region_id: int, *, today: date
) -> tuple[str, bool]:
    """(NOT_POSSIBLE | NEW_MEMBERSHIP | REPLACE_MEMBERSHIP, whether the address must change)."""
    holder = session.get(t.PassHolder, holder_id)
    if holder is None:
        raise NotFound(f"No holder {holder_id}.", code="passholder-not-found")
    if session.get(t.Region, region_id) is None:
        raise NotFound(f"No region {region_id}.", code="cardsystem-not-found")
    memberships = session.scalars(
        select(t.Membership).where(t.Membership.holder_id == holder_id)
    ).all()
    active = [m for m in memberships if m.status is MembershipStatus.ACTIVE]
    if any(m.region_id == region_id for m in active):
        kind = "NOT_POSSIBLE"
    elif active:
        kind = "REPLACE_MEMBERSHIP"
    else:
        kind = "NEW_MEMBERSHIP"
    return kind, holder.nis_code not in _region_municipalities(session, region_id, today)

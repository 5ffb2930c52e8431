"""Looking up a pass by card number, chip number or INSZ: what a desk needs, nothing more.

The view carries the first name, points, postal code, the region and the social-tariff state
with its end date and the messages a desk must show. Never the ground of the status, the INSZ,
the birth date or the address. Every look-up of a person is audited.
"""

from __future__ import annotations

from dataclasses import dataclass
from datetime import date, datetime, timedelta
from zoneinfo import ZoneInfo

from sqlalchemy import select
from sqlalchemy.orm import Session

from passengine.domain.errors import InvalidInput, NotFound
from passengine.domain.identifiers import normalise_chip_number, validate_card_number
from passengine.domain.model import CardStatus, MembershipStatus, SocialTariffState
from passengine.domain.statuses import StatusView, status_on
from passengine.services.audit import Actor, record
from passengine.services.pii import InszVault
from passengine.storage import tables as t
from passengine.storage.repositories import PassRepository

EXPIRY_WARNING_DAYS = 30


class CardBlocked(InvalidInput):
    code = "card-blocked"


@dataclass(frozen=True, slots=True)
class Message:
    level: str  # INFO, WARN, ERROR
    text: str


@dataclass(frozen=True, slots=True)
class RegionView:
    id: int
    name: str
    primary_color: str | None = None
    secondary_color: str | None = None
    website: str | None = None


@dataclass(frozen=True, slots=True)
class PassView:
    passholder_id: str
    pass_type: str  # INDIVIDUAL or GROUP
    uitpas_number: str
    first_name: str
    points: int
    postal_code: str
    region: RegionView
    social_tariff_status: str  # ACTIVE, EXPIRED, NONE (UiTPAS Pass.socialTariff.status)
    social_tariff_end: date | None
    in_grace_period: bool
    suspended_until: date | None
    messages: tuple[Message, ...]


def _region(session: Session, region_id: int) -> RegionView:
    region = session.get(t.Region, region_id)
    if region is None:  # pragma: no cover - a foreign key guarantees it
        raise NotFound(f"Region {region_id} does not exist.", code="cardsystem-not-found")
    return RegionView(
        region.id, region.name, region.primary_color, region.secondary_color, region.website
    )


def _best(views: list[StatusView]) -> StatusView | None:
    """The status a desk sees: an active one (preferably not in grace), else the latest."""
    if not views:
        return None
    order = {
        SocialTariffState.ACTIVE: 0,
        SocialTariffState.SUSPENDED: 1,
        SocialTariffState.EXPIRED: 2,
    }
    return min(views, key=lambda v: (order[v.state], v.in_grace_period, -v.end_date.toordinal()))


def _messages(view: StatusView | None, today: date) -> tuple[Message, ...]:
    if view is None:
        return ()
    end = f"{view.end_date:%d/%m/%Y}"
    if view.state is SocialTariffState.SUSPENDED and view.suspended_until:
        return (
            Message("WARN", f"Je kansentarief is opgeschort tot {view.suspended_until:%d/%m/%Y}."),
        )
    if view.state is SocialTariffState.EXPIRED:
        return (
            Message("WARN", f"Je kansentarief is verlopen op {end}. Contacteer je UiTPAS-balie."),
        )
    if view.in_grace_period:
        return (
            Message("WARN", f"Je kansentarief liep af op {end}. Vraag snel een verlenging aan."),
        )
    if view.end_date - today <= timedelta(days=EXPIRY_WARNING_DAYS):
        return (
            Message("INFO", f"Je kansentarief loopt af op {end}. Vraag tijdig een verlenging aan."),
        )
    return ()


def find_pass(
    session: Session, uitpas_number: str, *, actor: Actor, at: datetime, tz: ZoneInfo
) -> PassView:
    """A pass by card number: a holder's card or a group pass."""
    number = validate_card_number(uitpas_number)  # before any database access
    with session.begin():
        view = _pass_by_number(session, number, at=at, tz=tz)
        record(
            session,
            actor,
            "pass.read",
            holder_id=view.passholder_id if view.pass_type == "INDIVIDUAL" else None,
            subject=f"card:{number}",
        )
    return view


def _pass_by_number(session: Session, number: str, *, at: datetime, tz: ZoneInfo) -> PassView:
    found = PassRepository(session).by_uitpas_number(number)
    if found is None:
        group = session.scalars(
            select(t.GroupPass).where(t.GroupPass.uitpas_number == number)
        ).one_or_none()
        if group is None:
            raise NotFound(f"No pass with number {number}.", code="pass-not-found")
        return PassView(
            passholder_id=group.id,
            pass_type="GROUP",
            uitpas_number=number,
            first_name=group.name,
            points=0,
            postal_code="",
            region=_region(session, group.region_id),
            social_tariff_status="ACTIVE" if group.target_group_id else "NONE",
            social_tariff_end=None,
            in_grace_period=False,
            suspended_until=None,
            messages=(),
        )
    if found.card_status is CardStatus.BLOCKED:
        raise CardBlocked(
            "This card is blocked (reported lost or stolen). Ask the holder for their new card.",
        )
    if found.card_status is not CardStatus.ACTIVE:
        raise NotFound(f"No active pass with number {number}.", code="pass-not-found")
    today = at.astimezone(tz).date()
    best = _best(
        [status_on(h.status, today) for h in found.statuses if h.status.start_date <= today]
    )
    if best is None:
        state, end = "NONE", None
    else:
        state = "ACTIVE" if best.state is SocialTariffState.ACTIVE else "EXPIRED"
        end = best.end_date
    messages = list(_messages(best, today))
    if found.membership_status is MembershipStatus.BLOCKED:
        messages.insert(
            0, Message("ERROR", "Dit lidmaatschap is geblokkeerd. Contacteer je UiTPAS-balie.")
        )
    return PassView(
        passholder_id=found.holder_id,
        pass_type="INDIVIDUAL",
        uitpas_number=number,
        first_name=found.first_name,
        points=found.points,
        postal_code=found.postal_code,
        region=_region(session, found.region_id),
        social_tariff_status=state,
        social_tariff_end=end,
        in_grace_period=bool(best and best.in_grace_period),
        suspended_until=best.suspended_until if best else None,
        messages=tuple(messages),
    )


def find_pass_by_chip(
    session: Session, chip_number: str, *, actor: Actor, at: datetime, tz: ZoneInfo
) -> PassView:
    chip = normalise_chip_number(chip_number)
    with session.begin():
        number = session.scalar(select(t.Card.uitpas_number).where(t.Card.chip_number == chip))
        if number is None:
            raise NotFound("No card with this chip number.", code="pass-not-found")
        view = _pass_by_number(session, number, at=at, tz=tz)
        record(session, actor, "pass.read", holder_id=view.passholder_id, subject="chip")
    return view


def find_pass_by_insz(
    session: Session, insz: str, *, vault: InszVault, actor: Actor, at: datetime, tz: ZoneInfo
) -> PassView:
    """By national register number: looked up through its keyed hash, never stored in clear."""
    digest = vault.hash(insz)
    with session.begin():
        row = session.execute(
            select(t.Card.uitpas_number)
            .join(t.PassHolder, t.PassHolder.id == t.Card.holder_id)
            .where(t.PassHolder.insz_hash == digest, t.Card.status == CardStatus.ACTIVE)
            .order_by(t.Card.issued_at.desc())
            .limit(1)
        ).one_or_none()
        if row is None:
            raise NotFound("No active pass for this INSZ number.", code="pass-not-found")
        view = _pass_by_number(session, row[0], at=at, tz=tz)
        record(session, actor, "pass.read", holder_id=view.passholder_id, subject="insz")
    return view

"""Registration operations of the UiTPAS profile: register, search, read and update passholders,
and preview or create a membership of another card system. Thin shells over services/holders."""

from __future__ import annotations

from datetime import date
from typing import Annotated, Any, Literal
from zoneinfo import ZoneInfo

from fastapi import APIRouter, Header, Path, Query, Response
from fastapi.responses import JSONResponse
from pydantic import BaseModel, ConfigDict, Field
from sqlalchemy.orm import Session

from api.deps import NowDep, PrincipalDep, VaultDep, WritersDep
from api.routes.v1_holders import _write
from api.views import end_of_day, instant
from passengine.domain.errors import InvalidInput
from passengine.domain.statuses import default_end_date
from passengine.services import holders
from passengine.services.auth import Principal
from passengine.services.authority import Authority
from passengine.services.holders import HolderView
from passengine.services.idempotency import Answer, fingerprint
from passengine.services.status_changes import GrantRequest

router = APIRouter(tags=["passholders"])
BRUSSELS = ZoneInfo("Europe/Brussels")
KANSENSTATUUT = "KANSENSTATUUT"


class AddressIn(BaseModel):
    model_config = ConfigDict(extra="ignore")
    street: str | None = Field(default=None, max_length=200)
    postalCode: str = Field(pattern=r"^\d{4}$")
    city: str | None = Field(default=None, max_length=200)


class OrganizerRef(BaseModel):
    model_config = ConfigDict(extra="ignore")
    id: str = Field(min_length=1, max_length=64)


class PassholderIn(BaseModel):
    model_config = ConfigDict(extra="ignore")  # read-only fields of the spec are ignored
    name: str = Field(min_length=1, max_length=200)
    firstName: str = Field(min_length=1, max_length=200)
    dateOfBirth: date
    address: AddressIn
    inszNumber: str | None = Field(default=None, max_length=20)
    email: str | None = Field(default=None, max_length=320)
    phoneNumber: str | None = Field(default=None, max_length=40)
    registrationOrganizer: OrganizerRef | None = None
    registrationCardSystemId: int | None = None
    registrationCardType: Literal["DIGITAL", "NFC_CARD"] = "DIGITAL"
    registrationUitpasNumber: str | None = Field(default=None, max_length=20)
    registrationSocialTariffEndDate: date | None = None


def passholder(view: HolderView, *, today: date) -> dict[str, Any]:
    """The spec's Passholder, from what the caller may see (never the ground of a status)."""
    memberships = []
    for m in view.memberships:
        region = m["region_id"]
        cards = [c for c in view.cards if c["region_id"] == region]
        current = next((c for c in reversed(cards) if c["status"] == "ACTIVE"), None)
        statuses = [
            s
            for s in view.statuses
            if s["region_id"] == region and s["start_date"] <= today.isoformat()
        ]
        membership: dict[str, Any] = {
            "cardSystem": {"id": region, "name": m["region_name"]},
            "status": m["status"],
        }
        if current is not None:
            membership["uitpasNumber"] = current["uitpas_number"]
            membership["currentCard"] = {
                "uitpasNumber": current["uitpas_number"],
                "cardType": current["card_type"],
                "status": current["status"],
            }
        if statuses:
            best = sorted(
                statuses,
                key=lambda s: (s["state"] != "ACTIVE", s["in_grace_period"], s["end_date"]),
            )[0]
            membership["socialTariff"] = {
                "status": best["state"],
                "endDate": end_of_day(date.fromisoformat(best["end_date"])),
                "inGracePeriod": best["in_grace_period"],
            }
        memberships.append(membership)
    oldest_active = next(
        (
            m.get("uitpasNumber")
            for m in memberships
            if m["status"] == "ACTIVE" and m.get("uitpasNumber")
        ),
        None,
    )
    address: dict[str, Any] = {"postalCode": view.postal_code, "city": view.municipality}
    if view.street:
        address["street"] = view.street
    body: dict[str, Any] = {
        "id": view.id,
        "name": view.name,
        "firstName": view.first_name,
        "dateOfBirth": view.birth_date.isoformat(),
        "address": address,
        "creationDate": instant(view.created_at),
        "points": view.points,
        "uitidStatus": "UNREGISTERED",
        "cardSystemMemberships": memberships,
        "postalCode": view.postal_code,
    }
    if oldest_active:
        body["uitpasNumber"] = oldest_active
    if view.email:
        body["email"] = view.email
    if view.phone:
        body["phoneNumber"] = view.phone
    return body


def _require(principal: Principal, permission: str) -> None:
    """A region administrator may do in its regions what the named permission allows."""
    if not principal.has("REGION_ADMIN"):
        principal.require(permission)


def _today(now: Any) -> date:
    return now.astimezone(BRUSSELS).date()  # type: ignore[no-any-return]


@router.post("/passholders")
def post_passholder(
    principal: PrincipalDep,
    writers: WritersDep,
    vault: VaultDep,
    now: NowDep,
    body: PassholderIn,
    idempotency_key: Annotated[str | None, Header(alias="Idempotency-Key", max_length=200)] = None,
) -> JSONResponse:
    """Register a passholder (DIGITAL card, or NFC_CARD from local stock)."""
    _require(principal, "PASSHOLDERS_WRITE")
    region_id = body.registrationCardSystemId
    if region_id is None:
        if len(principal.region_ids) != 1:
            raise InvalidInput("Set registrationCardSystemId.", code="invalid-card-system")
        region_id = next(iter(principal.region_ids))
    if body.registrationCardType == "NFC_CARD" and not body.registrationUitpasNumber:
        raise InvalidInput(
            "An NFC_CARD registration needs registrationUitpasNumber.", code="invalid-card"
        )
    status = (
        GrantRequest(KANSENSTATUUT, end_date=body.registrationSocialTariffEndDate)
        if body.registrationSocialTariffEndDate
        else None
    )

    def work(session: Session, authority: Authority) -> Answer:
        holder_id = holders.register(
            session,
            holders.Registration(
                region_id=region_id,
                name=body.name,
                first_name=body.firstName,
                birth_date=body.dateOfBirth,
                address=holders.Address(body.address.street, body.address.postalCode),
                insz=body.inszNumber,
                email=body.email,
                phone=body.phoneNumber,
                uitpas_number=body.registrationUitpasNumber
                if body.registrationCardType == "NFC_CARD"
                else None,
                status=status,
            ),
            authority=authority,
            vault=vault,
            at=now,
            today=_today(now),
        )
        view = holders.read_holder(session, holder_id, authority=authority, today=_today(now))
        return Answer(200, passholder(view, today=_today(now)))

    return _write(
        writers,
        principal,
        idempotency_key,
        fingerprint("POST", "/passholders", body.model_dump(mode="json")),
        work,
    )


@router.get("/passholders")
def get_passholders(
    principal: PrincipalDep,
    writers: WritersDep,
    vault: VaultDep,
    now: NowDep,
    insz_number: Annotated[str | None, Query(alias="inszNumber", max_length=20)] = None,
    uitpas_number: Annotated[str | None, Query(alias="uitpasNumber", max_length=20)] = None,
    name: Annotated[str | None, Query(max_length=200)] = None,
    first_name: Annotated[str | None, Query(alias="firstName", max_length=200)] = None,
    start: Annotated[int, Query(ge=0, le=10_000)] = 0,
    limit: Annotated[int, Query(ge=1, le=100)] = 20,
) -> dict[str, Any]:
    _require(principal, "PASSHOLDERS_SEARCH")
    if not any((insz_number, uitpas_number, name, first_name)):
        raise InvalidInput(
            "Search by inszNumber, uitpasNumber, name or firstName.", code="invalid-data"
        )
    with writers() as session, session.begin():
        authority = Authority.of(session, principal)
        total, ids = holders.search_holders(
            session,
            authority=authority,
            region_ids=principal.region_ids,
            insz_hash=vault.hash(insz_number) if insz_number else None,
            uitpas_number=uitpas_number,
            name=name,
            first_name=first_name,
            start=start,
            limit=limit,
        )
        members = [
            passholder(
                holders.read_holder(session, i, authority=authority, today=_today(now)),
                today=_today(now),
            )
            for i in ids
        ]
    return {"totalItems": total, "member": members}


@router.get("/passholders/{passholderId}")
def get_passholder(
    principal: PrincipalDep,
    writers: WritersDep,
    now: NowDep,
    holder_id: Annotated[str, Path(alias="passholderId", max_length=64)],
) -> dict[str, Any]:
    if not (
        principal.has("PASSHOLDERS_SEARCH")
        or principal.has("PASSHOLDERS_SEARCH_BY_ID")
        or principal.has("REGION_ADMIN")
    ):
        principal.require("PASSHOLDERS_SEARCH")
    with writers() as session, session.begin():
        view = holders.read_holder(
            session, holder_id, authority=Authority.of(session, principal), today=_today(now)
        )
    return passholder(view, today=_today(now))


@router.put("/passholders/{passholderId}", status_code=204)
def put_passholder(
    principal: PrincipalDep,
    writers: WritersDep,
    now: NowDep,
    body: PassholderIn,
    holder_id: Annotated[str, Path(alias="passholderId", max_length=64)],
) -> Response:
    _require(principal, "PASSHOLDERS_UPDATE")
    changes: dict[str, Any] = {
        "name": body.name,
        "first_name": body.firstName,
        "email": body.email,
        "phone": body.phoneNumber,
        "street": body.address.street,
        "postal_code": body.address.postalCode,
    }
    with writers() as session, session.begin():
        holders.update_holder(
            session,
            holder_id,
            changes,
            authority=Authority.of(session, principal),
            today=_today(now),
        )
    return Response(status_code=204)


@router.get("/passholders/{passholderId}/memberships/{cardSystemId}")
def preview_membership(
    principal: PrincipalDep,
    writers: WritersDep,
    now: NowDep,
    holder_id: Annotated[str, Path(alias="passholderId", max_length=64)],
    region_id: Annotated[int, Path(alias="cardSystemId")],
    social_tariff: Annotated[bool, Query(alias="socialTariff")],
    organizer_id: Annotated[str, Query(alias="organizerId", max_length=64)],
) -> dict[str, Any]:
    """What creating a membership of this card system would do (see the spec)."""
    _require(principal, "PASSHOLDERS_WRITE")
    del organizer_id  # the registering organizer does not change the answer here
    with writers() as session, session.begin():
        kind, address_change = holders.membership_preview(
            session, holder_id, region_id, today=_today(now)
        )
    body: dict[str, Any] = {"type": kind, "addressChangeRequired": address_change}
    if social_tariff:
        body["socialTariffEndDate"] = default_end_date(_today(now)).isoformat()
    return body


class MembershipIn(BaseModel):
    model_config = ConfigDict(extra="ignore")
    cardType: Literal["DIGITAL", "NFC_CARD"]
    uitpasNumber: str | None = Field(default=None, max_length=20)
    address: AddressIn | None = None
    registrationOrganizer: OrganizerRef


@router.post("/passholders/{passholderId}/memberships/{cardSystemId}", status_code=201)
def create_membership(
    principal: PrincipalDep,
    writers: WritersDep,
    now: NowDep,
    body: MembershipIn,
    holder_id: Annotated[str, Path(alias="passholderId", max_length=64)],
    region_id: Annotated[int, Path(alias="cardSystemId")],
) -> Response:
    """A membership of another card system: the holder moves there (new card, old membership
    blocked, points kept)."""
    _require(principal, "PASSHOLDERS_WRITE")
    with writers() as session, session.begin():
        authority = Authority.of(session, principal)
        current = (
            holders.read_holder(session, holder_id, authority=authority, today=_today(now))
            if body.address is None
            else None
        )
        address = (
            holders.Address(body.address.street, body.address.postalCode)
            if body.address is not None
            else holders.Address(
                current.street if current else None, current.postal_code if current else ""
            )
        )
        holders.move_region(
            session,
            holder_id,
            region_id=region_id,
            address=address,
            uitpas_number=body.uitpasNumber if body.cardType == "NFC_CARD" else None,
            authority=authority,
            at=now,
            today=_today(now),
        )
    return Response(status_code=201)

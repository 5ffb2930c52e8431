"""The network's catalogue in the UiTPAS profile: card systems, event settings, organizers,
group passes, the caller's permissions and the export of active social-tariff cards.

Paths, parameters and statuses are the spec's. Where the spec documents no 400 for an operation
(a card system or event by id), a malformed id answers the spec's 404 instead of a validation
error. Lists page with ``start`` and ``limit`` (default 20, at most 500: the spec's
``query-limit-exceeded`` above that).
"""

from __future__ import annotations

from typing import Annotated, Any, Literal

from fastapi import APIRouter, Path, Query, Response
from pydantic import BaseModel, ConfigDict, Field

from api import views
from api.deps import NowDep, PrincipalDep, ReadersDep, WritersDep
from passengine.domain.errors import InvalidInput
from passengine.domain.model import Period, PeriodLimit
from passengine.services.catalog import (
    active_social_tariff_cards,
    caller_permissions,
    event_settings,
    get_card_system,
    get_group_pass,
    get_organizer,
    list_card_systems,
    list_organizers,
    search_group_passes,
    update_event_settings,
)

router = APIRouter(tags=["catalogue"])

MAX_LIMIT = 500
Start = Annotated[int, Query(ge=0, le=100_000)]
Limit = Annotated[int, Query(ge=0)]


def page_limit(limit: int) -> int:
    """The spec's cap on ``limit``, with its own error code rather than a schema error."""
    if limit > MAX_LIMIT:
        raise InvalidInput(
            f"limit is at most {MAX_LIMIT}; page with start.", code="query-limit-exceeded"
        )
    return limit


# --- Card systems ---------------------------------------------------------------------------------


@router.get("/card-systems")
def get_card_systems(
    principal: PrincipalDep,  # noqa: ARG001  # any authenticated caller: card systems are public
    readers: ReadersDep,
    now: NowDep,
    permanent: bool = True,
    city: Annotated[list[str] | None, Query(max_length=50)] = None,
    postal_code: Annotated[list[str] | None, Query(alias="postalCode", max_length=50)] = None,
    start: Start = 0,
    limit: Limit = 20,
) -> dict[str, Any]:
    with readers() as session:
        total, found = list_card_systems(
            session,
            at=now,
            permanent=permanent,
            cities=city or (),
            postal_codes=postal_code or (),
            start=start,
            limit=page_limit(limit),
        )
    return {"totalItems": total, "member": [views.card_system_with_cities(s) for s in found]}


@router.get("/card-systems/{cardSystemId}")
def get_card_system_by_id(
    principal: PrincipalDep,  # noqa: ARG001  # any authenticated caller: card systems are public
    readers: ReadersDep,
    now: NowDep,
    card_system_id: Annotated[str, Path(alias="cardSystemId")],
) -> dict[str, Any]:
    with readers() as session:
        found = get_card_system(session, card_system_id, at=now)
    return views.card_system_with_cities(found)


# --- Event settings -------------------------------------------------------------------------------


class PeriodLimitIn(BaseModel):
    model_config = ConfigDict(extra="forbid")
    volume: int = Field(strict=True, ge=0, le=10_000)
    periodType: Period


class EventSettingsIn(BaseModel):
    """The complete settings object (PUT): a limit left out falls back to the default."""

    model_config = ConfigDict(extra="ignore")
    id: str | None = Field(default=None, max_length=64)
    checkinPoints: int = Field(strict=True, ge=0, le=1_000)
    passholderTicketLimit: PeriodLimitIn | None = None
    checkinLimit: PeriodLimitIn | None = None


@router.get("/events/{eventId}/settings")
def get_event_settings(
    principal: PrincipalDep,
    readers: ReadersDep,
    event_id: Annotated[str, Path(alias="eventId")],
) -> dict[str, Any]:
    """The limits in force: the event's own, or the defaults they fall back to."""
    with readers() as session:
        found = event_settings(session, event_id, principal=principal)
    return views.event_settings(found)


@router.put("/events/{eventId}/settings", status_code=204)
def put_event_settings(
    principal: PrincipalDep,
    writers: WritersDep,
    event_id: Annotated[str, Path(alias="eventId")],
    body: EventSettingsIn,
) -> Response:
    if body.id is not None and body.id != event_id:
        raise InvalidInput(
            f"The body's id {body.id!r} is not the event of the path.", code="invalid-data"
        )

    def limit(value: PeriodLimitIn | None) -> PeriodLimit | None:
        return PeriodLimit(value.volume, value.periodType) if value is not None else None

    with writers() as session:
        update_event_settings(
            session,
            event_id,
            principal=principal,
            checkin_points=body.checkinPoints,
            ticket_limit=limit(body.passholderTicketLimit),
            checkin_limit=limit(body.checkinLimit),
        )
    return Response(status_code=204)


# --- Organizers -----------------------------------------------------------------------------------


@router.get("/organizers")
def get_organizers(
    principal: PrincipalDep,
    readers: ReadersDep,
    now: NowDep,
    name: Annotated[str | None, Query(max_length=200)] = None,
    card_system_id: Annotated[int | None, Query(alias="cardSystemId", ge=0)] = None,
    sort_name: Annotated[Literal["asc", "desc"], Query(alias="sort[name]")] = "asc",
    start: Start = 0,
    limit: Limit = 20,
) -> dict[str, Any]:
    with readers() as session:
        total, found = list_organizers(
            session,
            principal=principal,
            at=now,
            name=name,
            card_system_id=card_system_id,
            descending=sort_name == "desc",
            start=start,
            limit=page_limit(limit),
        )
    return {"totalItems": total, "member": [views.organizer(o) for o in found]}


@router.get("/organizers/{id}")
def get_organizer_by_id(
    principal: PrincipalDep,
    readers: ReadersDep,
    now: NowDep,
    organizer_id: Annotated[str, Path(alias="id")],
) -> dict[str, Any]:
    with readers() as session:
        found = get_organizer(session, organizer_id, principal=principal, at=now)
    return views.organizer(found)


# --- Group passes ---------------------------------------------------------------------------------


@router.get("/grouppasses")
def get_grouppasses(
    principal: PrincipalDep,
    readers: ReadersDep,
    now: NowDep,
    uitpas_number: Annotated[str | None, Query(alias="uitpasNumber", max_length=40)] = None,
    chip_number: Annotated[str | None, Query(alias="chipNumber", max_length=40)] = None,
    start: Start = 0,
    limit: Limit = 20,
) -> dict[str, Any]:
    with readers() as session:
        total, found = search_group_passes(
            session,
            principal=principal,
            at=now,
            uitpas_number=uitpas_number,
            chip_number=chip_number,
            start=start,
            limit=page_limit(limit),
        )
    return {"totalItems": total, "member": [views.group_pass(g) for g in found]}


@router.get("/grouppasses/{passholderId}")
def get_grouppass(
    principal: PrincipalDep,
    readers: ReadersDep,
    now: NowDep,
    group_pass_id: Annotated[str, Path(alias="passholderId")],
) -> dict[str, Any]:
    with readers() as session:
        found = get_group_pass(session, group_pass_id, principal=principal, at=now)
    return views.group_pass(found)


# --- Permissions and cards ------------------------------------------------------------------------


@router.get("/permissions")
def get_permissions(principal: PrincipalDep, readers: ReadersDep) -> list[dict[str, Any]]:
    with readers() as session:
        found = caller_permissions(session, principal=principal)
    return [views.organizer_permissions(p) for p in found]


@router.get("/cards/social-tariff/{cardSystemId}/active")
def get_active_social_tariff_cards(
    principal: PrincipalDep,
    readers: ReadersDep,
    now: NowDep,
    card_system_id: Annotated[str, Path(alias="cardSystemId")],
) -> list[dict[str, Any]]:
    with readers() as session:
        cards = active_social_tariff_cards(session, card_system_id, principal=principal, at=now)
    return [views.social_tariff_card(c) for c in cards]

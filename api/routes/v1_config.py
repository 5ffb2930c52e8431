"""Native API for region administrators: the region, municipalities, target groups and grounds,
tariffs, limit defaults, card prices, organizers, desks, referrers, events, rewards and API
clients. JSON in snake_case, money in integer cents (``*_cents``).

Every route needs ``REGION_ADMIN`` (403 before anything is read) and the region concerned among
the caller's regions (403); an unknown id in the path answers 404 with a ``<noun>-not-found``
code. POSTs that create something take an Idempotency-Key, except those that answer with a
client secret: a replayed answer would have to store the secret in clear.
"""

from __future__ import annotations

from collections.abc import Callable
from datetime import date
from typing import Annotated, Any

from fastapi import APIRouter, Body, Depends, Header, Path, Query, Response
from fastapi.responses import JSONResponse
from pydantic import BaseModel
from sqlalchemy.orm import Session

from api.deps import NowDep, PrincipalDep, ReadersDep, WritersDep
from api.errors import problem
from passengine.domain.distribution import ConfigIssue
from passengine.services import api_clients, card_prices, municipalities, network, region_config
from passengine.services.administration import AdminScope, IssueRead
from passengine.services.auth import Principal
from passengine.services.idempotency import Answer, fingerprint, run_once
from passengine.services.tariff_config import TariffConfigError

router = APIRouter(prefix="/v1", tags=["native: configuration"])

IdempotencyKey = Annotated[str | None, Header(alias="Idempotency-Key", max_length=200)]
RegionId = Annotated[int, Path(ge=1, le=2_147_483_647)]
NisPath = Annotated[str, Path(pattern=r"^\d{5}$")]
IdPath = Annotated[str, Path(min_length=1, max_length=100)]
CodePath = Annotated[str, Path(min_length=1, max_length=64)]


def get_admin(principal: PrincipalDep) -> AdminScope:
    return AdminScope.of(principal)


AdminDep = Annotated[AdminScope, Depends(get_admin)]


def _json(model: BaseModel) -> dict[str, Any]:
    return model.model_dump(mode="json")


def _created(
    writers: WritersDep,
    principal: Principal,
    key: str | None,
    path: str,
    body: BaseModel,
    work: Callable[[Session], BaseModel],
) -> JSONResponse:
    """201 with the created object; a retry with the same Idempotency-Key replays it."""
    answer = run_once(
        writers,
        client_id=principal.client_id,
        key=key,
        request_fingerprint=fingerprint("POST", path, body.model_dump(mode="json")),
        work=lambda session: Answer(201, _json(work(session))),
    )
    return JSONResponse(answer.body, status_code=answer.status_code)


def _issues_problem(code: str, detail: str, issues: list[ConfigIssue]) -> JSONResponse:
    """400 naming every field that is wrong (``issues``), as the tariff validation reports it."""
    return problem(
        400,
        code,
        detail,
        extra={"issues": [IssueRead.of(i).model_dump(mode="json") for i in issues]},
    )


# --- Regions --------------------------------------------------------------------------------------


@router.get("/regions")
def get_regions(admin: AdminDep, readers: ReadersDep, now: NowDep) -> list[dict[str, Any]]:
    """The regions the caller administers, with their municipalities over time."""
    with readers() as session:
        found = region_config.list_regions(session, scope=admin, at=now)
    return [_json(r) for r in found]


@router.get("/regions/{region_id}")
def get_region(
    admin: AdminDep, readers: ReadersDep, now: NowDep, region_id: RegionId
) -> dict[str, Any]:
    with readers() as session:
        return _json(region_config.get_region(session, region_id, scope=admin, at=now))


@router.patch("/regions/{region_id}")
def patch_region(
    admin: AdminDep,
    writers: WritersDep,
    now: NowDep,
    region_id: RegionId,
    body: region_config.RegionUpdate,
) -> dict[str, Any]:
    with writers() as session:
        return _json(region_config.update_region(session, region_id, body, scope=admin, at=now))


# --- Municipalities -------------------------------------------------------------------------------


@router.post("/municipalities", status_code=201)
def post_municipality(
    admin: AdminDep,
    principal: PrincipalDep,
    writers: WritersDep,
    body: municipalities.MunicipalityCreate,
    idempotency_key: IdempotencyKey = None,
) -> JSONResponse:
    return _created(
        writers,
        principal,
        idempotency_key,
        "/v1/municipalities",
        body,
        lambda session: municipalities.create_municipality(session, body, scope=admin),
    )


@router.get("/municipalities/{nis_code}")
def get_municipality(admin: AdminDep, readers: ReadersDep, nis_code: NisPath) -> dict[str, Any]:
    with readers() as session:
        return _json(municipalities.get_municipality(session, nis_code, scope=admin))


@router.patch("/municipalities/{nis_code}")
def patch_municipality(
    admin: AdminDep,
    writers: WritersDep,
    nis_code: NisPath,
    body: municipalities.MunicipalityUpdate,
) -> dict[str, Any]:
    with writers() as session:
        return _json(municipalities.update_municipality(session, nis_code, body, scope=admin))


@router.post("/regions/{region_id}/municipalities", status_code=201)
def post_region_municipality(
    admin: AdminDep,
    principal: PrincipalDep,
    writers: WritersDep,
    now: NowDep,
    region_id: RegionId,
    body: municipalities.MembershipCreate,
    idempotency_key: IdempotencyKey = None,
) -> JSONResponse:
    """Join a municipality to the region from ``joined_on``; overlapping periods are refused."""
    return _created(
        writers,
        principal,
        idempotency_key,
        f"/v1/regions/{region_id}/municipalities",
        body,
        lambda session: municipalities.join_municipality(
            session, region_id, body, scope=admin, at=now
        ),
    )


@router.patch("/regions/{region_id}/municipalities/{nis_code}")
def patch_region_municipality(
    admin: AdminDep,
    writers: WritersDep,
    now: NowDep,
    region_id: RegionId,
    nis_code: NisPath,
    body: municipalities.MembershipUpdate,
) -> dict[str, Any]:
    """Set (or clear) the day the municipality leaves the region (its latest period)."""
    with writers() as session:
        return _json(
            municipalities.set_municipality_left_on(
                session, region_id, nis_code, body, scope=admin, at=now
            )
        )


@router.delete("/regions/{region_id}/municipalities/{nis_code}", status_code=204)
def delete_region_municipality(
    admin: AdminDep, writers: WritersDep, now: NowDep, region_id: RegionId, nis_code: NisPath
) -> Response:
    """Undo a join that has not started yet; 409 ``membership-started`` otherwise."""
    with writers() as session:
        municipalities.remove_municipality(session, region_id, nis_code, scope=admin, at=now)
    return Response(status_code=204)


# --- Target groups and grounds --------------------------------------------------------------------


@router.get("/regions/{region_id}/target-groups")
def get_target_groups(
    admin: AdminDep, readers: ReadersDep, region_id: RegionId
) -> list[dict[str, Any]]:
    with readers() as session:
        return [_json(g) for g in region_config.list_target_groups(session, region_id, scope=admin)]


@router.post("/regions/{region_id}/target-groups", status_code=201)
def post_target_group(
    admin: AdminDep,
    principal: PrincipalDep,
    writers: WritersDep,
    region_id: RegionId,
    body: region_config.TargetGroupCreate,
    idempotency_key: IdempotencyKey = None,
) -> JSONResponse:
    return _created(
        writers,
        principal,
        idempotency_key,
        f"/v1/regions/{region_id}/target-groups",
        body,
        lambda session: region_config.create_target_group(session, region_id, body, scope=admin),
    )


@router.patch("/regions/{region_id}/target-groups/{code}")
def patch_target_group(
    admin: AdminDep,
    writers: WritersDep,
    region_id: RegionId,
    code: CodePath,
    body: region_config.TargetGroupUpdate,
) -> dict[str, Any]:
    with writers() as session:
        return _json(region_config.update_target_group(session, region_id, code, body, scope=admin))


@router.get("/regions/{region_id}/grounds")
def get_grounds(admin: AdminDep, readers: ReadersDep, region_id: RegionId) -> list[dict[str, Any]]:
    with readers() as session:
        return [_json(g) for g in region_config.list_grounds(session, region_id, scope=admin)]


@router.post("/regions/{region_id}/grounds", status_code=201)
def post_ground(
    admin: AdminDep,
    principal: PrincipalDep,
    writers: WritersDep,
    region_id: RegionId,
    body: region_config.GroundCreate,
    idempotency_key: IdempotencyKey = None,
) -> JSONResponse:
    return _created(
        writers,
        principal,
        idempotency_key,
        f"/v1/regions/{region_id}/grounds",
        body,
        lambda session: region_config.create_ground(session, region_id, body, scope=admin),
    )


@router.patch("/regions/{region_id}/grounds/{code}")
def patch_ground(
    admin: AdminDep,
    writers: WritersDep,
    region_id: RegionId,
    code: CodePath,
    body: region_config.GroundUpdate,
) -> dict[str, Any]:
    with writers() as session:
        return _json(region_config.update_ground(session, region_id, code, body, scope=admin))


# --- Tariffs, limit defaults, card prices ---------------------------------------------------------


@router.get("/regions/{region_id}/tariffs")
def get_tariffs(admin: AdminDep, readers: ReadersDep, region_id: RegionId) -> dict[str, Any]:
    """The current version of the tariff document (rules, keys, caps, budgets)."""
    with readers() as session:
        return _json(region_config.get_tariffs(session, region_id, scope=admin))


@router.put("/regions/{region_id}/tariffs", response_model=None)
def put_tariffs(
    admin: AdminDep,
    writers: WritersDep,
    region_id: RegionId,
    document: Annotated[dict[str, Any], Body()],
) -> dict[str, Any] | JSONResponse:
    """A new version, validated as a whole: 200 with the version and warnings (publiq's norm),
    or 400 ``invalid-tariff-config`` with ``issues`` naming every field that is wrong."""
    try:
        with writers() as session:
            saved = region_config.set_tariffs(session, region_id, document, scope=admin)
    except TariffConfigError as exc:
        return _issues_problem(exc.code, exc.message, exc.issues)
    return _json(saved)


@router.get("/regions/{region_id}/tariffs/versions")
def get_tariff_versions(
    admin: AdminDep, readers: ReadersDep, region_id: RegionId
) -> list[dict[str, Any]]:
    with readers() as session:
        found = region_config.list_tariff_versions(session, region_id, scope=admin)
    return [_json(v) for v in found]


@router.get("/regions/{region_id}/tariffs/versions/{version}")
def get_tariff_version(
    admin: AdminDep,
    readers: ReadersDep,
    region_id: RegionId,
    version: Annotated[int, Path(ge=1, le=2_147_483_647)],
) -> dict[str, Any]:
    with readers() as session:
        return _json(region_config.get_tariffs(session, region_id, scope=admin, version=version))


@router.get("/regions/{region_id}/limit-defaults")
def get_limit_defaults(admin: AdminDep, readers: ReadersDep, region_id: RegionId) -> dict[str, Any]:
    """What applies when an event's settings leave a limit empty."""
    with readers() as session:
        return _json(region_config.limit_defaults(session, region_id, scope=admin))


@router.get("/regions/{region_id}/card-prices")
def get_card_prices(
    admin: AdminDep, readers: ReadersDep, now: NowDep, region_id: RegionId
) -> dict[str, Any]:
    with readers() as session:
        return _json(card_prices.get_card_prices(session, region_id, scope=admin, at=now))


@router.put("/regions/{region_id}/card-prices/{valid_from}", response_model=None)
def put_card_prices(
    admin: AdminDep,
    writers: WritersDep,
    now: NowDep,
    region_id: RegionId,
    valid_from: date,
    body: card_prices.CardPriceListIn,
) -> dict[str, Any] | JSONResponse:
    """Create or replace the price list from ``valid_from`` (today or later; a list that has
    started is never changed: 409 ``card-prices-in-force``)."""
    try:
        with writers() as session:
            saved = card_prices.set_card_prices(
                session, region_id, valid_from, body, scope=admin, at=now
            )
    except card_prices.CardPricesError as exc:
        return _issues_problem(exc.code, exc.message, exc.issues)
    return _json(saved)


# --- Organizers and desks -------------------------------------------------------------------------


@router.post("/organizers", status_code=201)
def post_organizer(
    admin: AdminDep,
    principal: PrincipalDep,
    writers: WritersDep,
    body: network.OrganizerCreate,
    idempotency_key: IdempotencyKey = None,
) -> JSONResponse:
    return _created(
        writers,
        principal,
        idempotency_key,
        "/v1/organizers",
        body,
        lambda session: network.create_organizer(session, body, scope=admin),
    )


@router.get("/organizers/{organizer_id}")
def get_organizer(admin: AdminDep, readers: ReadersDep, organizer_id: IdPath) -> dict[str, Any]:
    with readers() as session:
        return _json(network.get_organizer(session, organizer_id, scope=admin))


@router.patch("/organizers/{organizer_id}")
def patch_organizer(
    admin: AdminDep, writers: WritersDep, organizer_id: IdPath, body: network.OrganizerUpdate
) -> dict[str, Any]:
    with writers() as session:
        return _json(network.update_organizer(session, organizer_id, body, scope=admin))


@router.post("/desks", status_code=201)
def post_desk(
    admin: AdminDep,
    principal: PrincipalDep,
    writers: WritersDep,
    body: network.DeskCreate,
    idempotency_key: IdempotencyKey = None,
) -> JSONResponse:
    return _created(
        writers,
        principal,
        idempotency_key,
        "/v1/desks",
        body,
        lambda session: network.create_desk(session, body, scope=admin),
    )


@router.patch("/desks/{desk_id}")
def patch_desk(
    admin: AdminDep, writers: WritersDep, desk_id: IdPath, body: network.DeskUpdate
) -> dict[str, Any]:
    with writers() as session:
        return _json(network.update_desk(session, desk_id, body, scope=admin))


# --- Referrers ------------------------------------------------------------------------------------


@router.get("/regions/{region_id}/referrers")
def get_referrers(
    admin: AdminDep, readers: ReadersDep, region_id: RegionId
) -> list[dict[str, Any]]:
    with readers() as session:
        return [_json(r) for r in network.list_referrers(session, region_id, scope=admin)]


@router.post("/referrers", status_code=201)
def post_referrer(
    admin: AdminDep,
    principal: PrincipalDep,
    writers: WritersDep,
    body: network.ReferrerCreate,
    idempotency_key: IdempotencyKey = None,
) -> JSONResponse:
    return _created(
        writers,
        principal,
        idempotency_key,
        "/v1/referrers",
        body,
        lambda session: network.create_referrer(session, body, scope=admin),
    )


@router.patch("/referrers/{referrer_id}")
def patch_referrer(
    admin: AdminDep, writers: WritersDep, referrer_id: IdPath, body: network.ReferrerUpdate
) -> dict[str, Any]:
    with writers() as session:
        return _json(network.update_referrer(session, referrer_id, body, scope=admin))


# --- Events and rewards ---------------------------------------------------------------------------


@router.post("/events", status_code=201)
def post_event(
    admin: AdminDep,
    principal: PrincipalDep,
    writers: WritersDep,
    body: network.EventCreate,
    idempotency_key: IdempotencyKey = None,
) -> JSONResponse:
    """Settings (points, limits) start at the defaults; change them with
    ``PUT /events/{eventId}/settings``."""
    return _created(
        writers,
        principal,
        idempotency_key,
        "/v1/events",
        body,
        lambda session: network.create_event(session, body, scope=admin),
    )


@router.get("/events/{event_id}")
def get_event(admin: AdminDep, readers: ReadersDep, event_id: IdPath) -> dict[str, Any]:
    with readers() as session:
        return _json(network.get_event(session, event_id, scope=admin))


@router.patch("/events/{event_id}")
def patch_event(
    admin: AdminDep, writers: WritersDep, event_id: IdPath, body: network.EventUpdate
) -> dict[str, Any]:
    with writers() as session:
        return _json(network.update_event(session, event_id, body, scope=admin))


@router.post("/rewards", status_code=201)
def post_reward(
    admin: AdminDep,
    principal: PrincipalDep,
    writers: WritersDep,
    body: network.RewardCreate,
    idempotency_key: IdempotencyKey = None,
) -> JSONResponse:
    return _created(
        writers,
        principal,
        idempotency_key,
        "/v1/rewards",
        body,
        lambda session: network.create_reward(session, body, scope=admin),
    )


@router.patch("/rewards/{reward_id}")
def patch_reward(
    admin: AdminDep, writers: WritersDep, reward_id: IdPath, body: network.RewardUpdate
) -> dict[str, Any]:
    with writers() as session:
        return _json(network.update_reward(session, reward_id, body, scope=admin))


# --- API clients ----------------------------------------------------------------------------------


@router.get("/clients")
def get_clients(
    admin: AdminDep,
    readers: ReadersDep,
    region_id: Annotated[int | None, Query(ge=1, le=2_147_483_647)] = None,
) -> list[dict[str, Any]]:
    """Clients acting in the caller's regions; never a secret."""
    with readers() as session:
        found = api_clients.list_clients(session, scope=admin, region_id=region_id)
    return [_json(c) for c in found]


@router.post("/clients", status_code=201)
def post_client(
    admin: AdminDep, writers: WritersDep, body: api_clients.ClientCreate
) -> dict[str, Any]:
    """The answer carries ``client_secret`` once; it is stored only as a hash. No
    Idempotency-Key: a retry answers 409 ``client-exists``; rotate the secret if it was lost."""
    with writers() as session:
        return _json(api_clients.create_client(session, body, scope=admin))


@router.get("/clients/{client_id}")
def get_client(admin: AdminDep, readers: ReadersDep, client_id: IdPath) -> dict[str, Any]:
    with readers() as session:
        return _json(api_clients.get_client(session, client_id, scope=admin))


@router.patch("/clients/{client_id}")
def patch_client(
    admin: AdminDep,
    writers: WritersDep,
    now: NowDep,
    client_id: IdPath,
    body: api_clients.ClientUpdate,
) -> dict[str, Any]:
    """Name, permissions, regions, disabled. Tokens issued before keep their claims until they
    expire; new tokens follow at once."""
    with writers() as session:
        return _json(api_clients.update_client(session, client_id, body, scope=admin, at=now))


@router.post("/clients/{client_id}/rotate-secret")
def post_rotate_secret(admin: AdminDep, writers: WritersDep, client_id: IdPath) -> dict[str, Any]:
    """A new secret, shown once; the old one no longer gets tokens."""
    with writers() as session:
        return _json(api_clients.rotate_secret(session, client_id, scope=admin))

"""Check-ins: status, register (points), list, cancel (points taken back)."""

from __future__ import annotations

from typing import Annotated, Any

from fastapi import APIRouter, Header, Path, Query, Response
from fastapi.responses import JSONResponse
from pydantic import BaseModel, ConfigDict, Field

from api import views
from api.deps import NowDep, PrincipalDep, ReadersDep, WritersDep
from passengine.services.checkins import cancel_checkin, check_in, checkin_status, list_checkins
from passengine.services.idempotency import Answer, fingerprint, run_once

router = APIRouter(tags=["checkins"])


class CheckinIn(BaseModel):
    model_config = ConfigDict(extra="ignore")
    eventId: str = Field(min_length=1, max_length=64)
    uitpasNumber: str = Field(min_length=1, max_length=40)


@router.get("/checkin-status")
async def get_checkin_status(
    principal: PrincipalDep,
    readers: ReadersDep,
    now: NowDep,
    uitpas_number: Annotated[str, Query(alias="uitpasNumber", min_length=1, max_length=40)],
    event_id: Annotated[str, Query(alias="eventId", min_length=1, max_length=64)],
) -> dict[str, Any]:
    with readers() as session:
        decision = checkin_status(
            session, uitpas_number=uitpas_number, event_id=event_id, principal=principal, at=now
        )
    body: dict[str, Any] = {"allowed": decision.allowed}
    if not decision.allowed:
        body["endUserMessage"] = decision.message()
    return body


@router.post("/checkins", status_code=201)
def post_checkin(
    principal: PrincipalDep,
    writers: WritersDep,
    now: NowDep,
    body: CheckinIn,
    idempotency_key: Annotated[str | None, Header(alias="Idempotency-Key", max_length=200)] = None,
) -> JSONResponse:
    def work(session: Any) -> Answer:
        view = check_in(
            session,
            uitpas_number=body.uitpasNumber,
            event_id=body.eventId,
            principal=principal,
            at=now,
        )
        return Answer(201, views.checkin(view))

    answer = run_once(
        writers,
        client_id=principal.client_id,
        key=idempotency_key,
        request_fingerprint=fingerprint("POST", "/checkins", body.model_dump(mode="json")),
        work=work,
    )
    return JSONResponse(answer.body, status_code=answer.status_code)


@router.get("/checkins")
def get_checkins(
    principal: PrincipalDep,
    readers: ReadersDep,
    passholder_id: Annotated[str, Query(alias="passholderId", max_length=64)],
    organizer_id: Annotated[str, Query(alias="organizerId", max_length=64)],
    start: Annotated[int, Query(ge=0, le=100_000)] = 0,
    limit: Annotated[int, Query(ge=1, le=200)] = 50,
) -> dict[str, Any]:
    with readers() as session, session.begin():
        total, found = list_checkins(
            session,
            principal=principal,
            passholder_id=passholder_id,
            organizer_id=organizer_id,
            start=start,
            limit=limit,
        )
    return {"totalItems": total, "member": [views.checkin(v) for v in found]}


@router.delete("/checkins/{checkinId}", status_code=204)
def delete_checkin(
    principal: PrincipalDep,
    writers: WritersDep,
    now: NowDep,
    checkin_id: Annotated[str, Path(alias="checkinId", max_length=64)],
) -> Response:
    with writers() as session, session.begin():
        cancel_checkin(session, checkin_id, principal=principal, at=now)
    return Response(status_code=204)

"""Rewards: the catalogue, the redeem check, redeem (points), list and cancel redemptions."""

from __future__ import annotations

from typing import Annotated, Any, Literal

from fastapi import APIRouter, Header, Path, Query, Response
from fastapi.responses import JSONResponse
from pydantic import BaseModel, ConfigDict, Field

from api import views
from api.deps import NowDep, PrincipalDep, ReadersDep, WritersDep
from passengine.services.idempotency import Answer, fingerprint, run_once
from passengine.services.rewards import (
    cancel_redemption,
    get_reward,
    list_redemptions,
    list_rewards,
    redeem,
    redeem_status,
)

router = APIRouter(tags=["rewards"])

Start = Annotated[int, Query(ge=0, le=100_000)]
Limit = Annotated[int, Query(ge=0, le=500)]  # the spec's maximum


class RedeemIn(BaseModel):
    model_config = ConfigDict(extra="ignore")
    rewardId: str = Field(min_length=1, max_length=64)
    uitpasNumber: str = Field(min_length=1, max_length=40)


@router.get("/rewards")
def get_rewards(
    principal: PrincipalDep,
    readers: ReadersDep,
    now: NowDep,
    organizer_id: Annotated[list[str] | None, Query(alias="organizerId", max_length=50)] = None,
    owning_card_system_id: Annotated[
        list[int] | None, Query(alias="owningCardSystemId", max_length=50)
    ] = None,
    applicable_card_system_id: Annotated[
        list[int] | None, Query(alias="applicableCardSystemId", max_length=50)
    ] = None,
    reward_type: Annotated[Literal["POINTS", "WELCOME", "ANY"], Query(alias="type")] = "POINTS",
    subset: Annotated[
        Literal["ALL", "ENDUSERS", "REDEEMABLE", "ENDUSER-FUTURE", "REDEEMABLE-FUTURE"], Query()
    ] = "ENDUSERS",
    redeemable_by: Annotated[
        str | None, Query(alias="isRedeemableByPassholderId", max_length=64)
    ] = None,
    start: Start = 0,
    limit: Limit = 20,
) -> dict[str, Any]:
    with readers() as session:
        total, found = list_rewards(
            session,
            principal=principal,
            at=now,
            organizer_ids=organizer_id or (),
            owning_region_ids=owning_card_system_id or (),
            applicable_region_ids=applicable_card_system_id or (),
            reward_type=reward_type,
            subset=subset,
            redeemable_by_holder_id=redeemable_by,
            start=start,
            limit=limit,
        )
    return {"totalItems": total, "member": [views.reward(v) for v in found]}


@router.post("/rewards/redeemed", status_code=201)
def post_redeemed_reward(
    principal: PrincipalDep,
    writers: WritersDep,
    now: NowDep,
    body: RedeemIn,
    idempotency_key: Annotated[str | None, Header(alias="Idempotency-Key", max_length=200)] = None,
) -> JSONResponse:
    """Redeem a reward for a holder; retries with the same Idempotency-Key are safe."""

    def work(session: Any) -> Answer:
        view = redeem(
            session,
            reward_id=body.rewardId,
            uitpas_number=body.uitpasNumber,
            principal=principal,
            at=now,
        )
        return Answer(201, views.redeemed_reward(view))

    answer = run_once(
        writers,
        client_id=principal.client_id,
        key=idempotency_key,
        request_fingerprint=fingerprint("POST", "/rewards/redeemed", body.model_dump(mode="json")),
        work=work,
    )
    return JSONResponse(answer.body, status_code=answer.status_code)


@router.get("/rewards/redeemed")
def get_redeemed_rewards(
    principal: PrincipalDep,
    readers: ReadersDep,
    uitpas_number: Annotated[str | None, Query(alias="uitpasNumber", max_length=40)] = None,
    passholder_id: Annotated[str | None, Query(alias="passholderId", max_length=64)] = None,
    organizer_id: Annotated[list[str] | None, Query(alias="organizerId", max_length=50)] = None,
    reward_type: Annotated[Literal["POINTS", "WELCOME"] | None, Query(alias="rewardType")] = None,
    reward_title: Annotated[str | None, Query(alias="rewardTitle", max_length=200)] = None,
    start: Start = 0,
    limit: Limit = 20,
) -> dict[str, Any]:
    with readers() as session:
        total, found = list_redemptions(
            session,
            principal=principal,
            uitpas_number=uitpas_number,
            passholder_id=passholder_id,
            organizer_ids=organizer_id or (),
            reward_type=reward_type,
            reward_title=reward_title,
            start=start,
            limit=limit,
        )
    return {"totalItems": total, "member": [views.redeemed_reward(v) for v in found]}


@router.delete("/rewards/redeemed/{redeemedRewardId}", status_code=204)
def delete_redeemed_reward(
    principal: PrincipalDep,
    writers: WritersDep,
    now: NowDep,
    redemption_id: Annotated[str, Path(alias="redeemedRewardId", max_length=64)],
) -> Response:
    """Cancel a redemption: the points and the unit go back (a second cancel answers 204 too)."""
    with writers() as session, session.begin():
        cancel_redemption(session, redemption_id, principal=principal, at=now)
    return Response(status_code=204)


@router.get("/rewards/{rewardId}")
def get_one_reward(
    principal: PrincipalDep,
    readers: ReadersDep,
    reward_id: Annotated[str, Path(alias="rewardId", max_length=64)],
) -> dict[str, Any]:
    with readers() as session:
        return views.reward(get_reward(session, reward_id, principal=principal))


@router.get("/rewards/{rewardId}/redeem-status")
def get_redeem_status(
    principal: PrincipalDep,
    readers: ReadersDep,
    now: NowDep,
    reward_id: Annotated[str, Path(alias="rewardId", max_length=64)],
    uitpas_number: Annotated[str, Query(alias="uitpasNumber", min_length=1, max_length=40)],
) -> dict[str, Any]:
    with readers() as session:
        decision = redeem_status(
            session, reward_id=reward_id, uitpas_number=uitpas_number, principal=principal, at=now
        )
    return views.redeem_status(decision)

"""Ticket sales: register a batch (all or nothing), list, cancel."""

from __future__ import annotations

from decimal import Decimal
from typing import Annotated, Any

from fastapi import APIRouter, Header, Path, Query, Response
from fastapi.responses import JSONResponse
from pydantic import BaseModel, ConfigDict, Field

from api import views
from api.deps import NowDep, PrincipalDep, ReadersDep, WritersDep
from api.money import to_cents
from passengine.services.idempotency import Answer, fingerprint, run_once
from passengine.services.sales import SaleRequest, cancel_sale, list_sales, register_sales

router = APIRouter(tags=["ticket-sales"])

IdempotencyKey = Annotated[str | None, Header(alias="Idempotency-Key", max_length=200)]


class TariffRef(BaseModel):
    model_config = ConfigDict(extra="ignore")
    id: str = Field(min_length=1, max_length=100)


class TicketSaleIn(BaseModel):
    model_config = ConfigDict(extra="ignore")  # read-only fields of the spec are ignored
    regularPrice: Decimal = Field(ge=0, le=1_000_000, max_digits=9, decimal_places=2)
    regularPriceLabel: str | None = Field(default=None, max_length=200)
    tariff: TariffRef
    eventId: str = Field(min_length=1, max_length=64)
    uitpasNumber: str = Field(min_length=1, max_length=40)


@router.post("/ticket-sales", status_code=200)
def post_ticket_sales(
    principal: PrincipalDep,
    writers: WritersDep,
    now: NowDep,
    sales: Annotated[list[TicketSaleIn], Field(min_length=1, max_length=100)],
    idempotency_key: IdempotencyKey = None,
) -> JSONResponse:
    """Register reduced-rate ticket sales; retries with the same Idempotency-Key are safe."""
    requests = [
        SaleRequest(
            uitpas_number=s.uitpasNumber,
            event_id=s.eventId,
            regular_price_cents=to_cents(s.regularPrice),
            tariff_id=s.tariff.id,
            regular_price_label=s.regularPriceLabel,
        )
        for s in sales
    ]

    def work(session: Any) -> Answer:
        views_ = register_sales(session, requests, principal=principal, at=now)
        return Answer(200, [views.sale(v) for v in views_])

    answer = run_once(
        writers,
        client_id=principal.client_id,
        key=idempotency_key,
        request_fingerprint=fingerprint(
            "POST", "/ticket-sales", [s.model_dump(mode="json") for s in sales]
        ),
        work=work,
    )
    return JSONResponse(answer.body, status_code=answer.status_code)


@router.get("/ticket-sales")
def get_ticket_sales(
    principal: PrincipalDep,
    readers: ReadersDep,
    event_id: Annotated[str | None, Query(alias="eventId", max_length=64)] = None,
    passholder_id: Annotated[str | None, Query(alias="passholderId", max_length=64)] = None,
    organizer_id: Annotated[str | None, Query(alias="organizerId", max_length=64)] = None,
    start: Annotated[int, Query(ge=0, le=100_000)] = 0,
    limit: Annotated[int, Query(ge=1, le=200)] = 50,
) -> dict[str, Any]:
    with readers() as session, session.begin():
        total, found = list_sales(
            session,
            principal=principal,
            event_id=event_id,
            passholder_id=passholder_id,
            organizer_id=organizer_id,
            start=start,
            limit=limit,
        )
    return {"totalItems": total, "member": [views.sale(v) for v in found]}


@router.delete("/ticket-sales/{ticketSaleId}", status_code=204)
def delete_ticket_sale(
    principal: PrincipalDep,
    writers: WritersDep,
    now: NowDep,
    sale_id: Annotated[str, Path(alias="ticketSaleId", max_length=64)],
) -> Response:
    """Cancel a sale (a second cancel answers 204 too: a desk may retry)."""
    with writers() as session, session.begin():
        cancel_sale(session, sale_id, principal=principal, at=now)
    return Response(status_code=204)

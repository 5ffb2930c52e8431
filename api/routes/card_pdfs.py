"""Card PDFs: one card or a small batch, for a region administrator of the cards' region.

Native API (snake_case, like the rest of ``/v1``). Larger batches, and batches that mark cards
as printed, go through ``passengine cards print``.
"""

from __future__ import annotations

from typing import Annotated, Literal

from fastapi import APIRouter, Path, Query
from fastapi.responses import Response
from pydantic import BaseModel, ConfigDict, Field

from api.deps import PrincipalDep, WritersDep
from passengine.services.card_printing import MAX_PDF_CARDS, card_pdf

router = APIRouter(prefix="/v1/cards", tags=["cards"])

PDF = "application/pdf"
Sheet = Literal["CR80", "A4"]
PDF_RESPONSE: dict[int | str, dict[str, object]] = {
    200: {"content": {PDF: {}}, "description": "The cards, front and back pages."}
}


class CardPdfRequest(BaseModel):
    model_config = ConfigDict(extra="forbid")
    uitpas_numbers: list[str] = Field(min_length=1, max_length=MAX_PDF_CARDS)
    sheet: Sheet = "CR80"


def _pdf(content: bytes, filename: str) -> Response:
    return Response(
        content,
        media_type=PDF,
        headers={
            "Content-Disposition": f'inline; filename="{filename}"',
            "Cache-Control": "no-store",  # names of people: no shared caches
        },
    )


@router.get("/{uitpas_number}/pdf", response_class=Response, responses=PDF_RESPONSE)
def get_card_pdf(
    principal: PrincipalDep,
    writers: WritersDep,
    uitpas_number: Annotated[str, Path(max_length=40)],
    sheet: Annotated[Sheet, Query()] = "CR80",
) -> Response:
    """The printable PDF of one card (CR80 front and back pages, or an A4 sheet)."""
    with writers() as session:
        content = card_pdf(session, [uitpas_number], principal=principal, sheet=sheet)
    return _pdf(content, f"card-{uitpas_number.strip()}.pdf")


@router.post("/pdf", response_class=Response, responses=PDF_RESPONSE)
def post_cards_pdf(principal: PrincipalDep, writers: WritersDep, body: CardPdfRequest) -> Response:
    """The printable PDF of up to 50 cards of one region, in the order asked."""
    with writers() as session:
        content = card_pdf(session, body.uitpas_numbers, principal=principal, sheet=body.sheet)
    return _pdf(content, "cards.pdf")

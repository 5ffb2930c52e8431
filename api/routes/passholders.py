"""Passholder routes of the UiTPAS profile: the transaction history (points and tickets)."""

from __future__ import annotations

from typing import Annotated, Any, Literal

from fastapi import APIRouter, Path, Query

from api import views
from api.deps import PrincipalDep, ReadersDep
from api.routes.catalog import Limit, Start, page_limit
from passengine.services.transactions import list_transactions

router = APIRouter(tags=["passholders"])


@router.get("/passholders/{passholderId}/transactions")
def get_transactions(
    principal: PrincipalDep,
    readers: ReadersDep,
    passholder_id: Annotated[str, Path(alias="passholderId", max_length=100)],
    sort_created: Annotated[Literal["asc", "desc"], Query(alias="sort[creationDate]")] = "desc",
    start: Start = 0,
    limit: Limit = 20,
) -> dict[str, Any]:
    """Check-ins, redeemed rewards and reduced-rate tickets, newest first by default."""
    with readers() as session:
        total, found = list_transactions(
            session,
            passholder_id,
            principal=principal,
            start=start,
            limit=page_limit(limit),
            ascending=sort_created == "asc",
        )
    return {"totalItems": total, "member": [views.transaction(v) for v in found]}

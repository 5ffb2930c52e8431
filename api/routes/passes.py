"""Pass look-ups: the first thing a desk does after a scan. ``async def`` with a few Core
statements: the hottest path of the product does not hop to a thread pool."""

from __future__ import annotations

from typing import Annotated, Any
from zoneinfo import ZoneInfo

from fastapi import APIRouter, Path, Query

from api import views
from api.deps import NowDep, PrincipalDep, ReadersDep, VaultDep
from passengine.domain.identifiers import validate_card_number
from passengine.services.passes import find_pass, find_pass_by_chip, find_pass_by_insz

router = APIRouter(tags=["passes"])
BRUSSELS = ZoneInfo("Europe/Brussels")


@router.get("/passes")
async def get_passes(
    principal: PrincipalDep,
    readers: ReadersDep,
    vault: VaultDep,
    now: NowDep,
    identifier: Annotated[str, Query(min_length=1, max_length=40)],
) -> dict[str, Any]:
    """A pass by UiTPAS number, chip number or INSZ number."""
    principal.require("PASSES_READ")
    value = identifier.strip()
    with readers() as session:
        if len(value) == 13 and value.isascii() and value.isdigit():
            view = find_pass(session, value, actor=principal.actor, at=now, tz=BRUSSELS)
        elif len(value.replace(".", "").replace("-", "").replace(" ", "")) == 11:
            principal.require("PASSES_INSZNUMBERS_READ")
            view = find_pass_by_insz(
                session, value, vault=vault, actor=principal.actor, at=now, tz=BRUSSELS
            )
        elif any(c.isalpha() for c in value) or len(value) in (8, 14, 20):
            principal.require("PASSES_CHIPNUMBERS_READ")
            view = find_pass_by_chip(session, value, actor=principal.actor, at=now, tz=BRUSSELS)
        else:
            validate_card_number(value)  # raises invalid-uitpas-number with the reason
            raise AssertionError("unreachable")
    return views.pass_(view)


@router.get("/passes/{uitpasNumber}")
async def get_pass(
    principal: PrincipalDep,
    readers: ReadersDep,
    now: NowDep,
    uitpas_number: Annotated[str, Path(alias="uitpasNumber", max_length=40)],
) -> dict[str, Any]:
    principal.require("PASSES_READ")
    with readers() as session:
        view = find_pass(session, uitpas_number, actor=principal.actor, at=now, tz=BRUSSELS)
    return views.pass_(view)


@router.get("/chip-numbers/{chipNumber}")
async def get_pass_by_chip(
    principal: PrincipalDep,
    readers: ReadersDep,
    now: NowDep,
    chip_number: Annotated[str, Path(alias="chipNumber", max_length=40)],
) -> dict[str, Any]:
    principal.require("PASSES_READ")
    principal.require("PASSES_CHIPNUMBERS_READ")
    with readers() as session:
        view = find_pass_by_chip(session, chip_number, actor=principal.actor, at=now, tz=BRUSSELS)
    return views.pass_(view)

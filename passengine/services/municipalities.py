"""Municipalities (NIS code, postal codes, sub-municipalities) and the periods in which they
take part in a region. A municipality is shared reference data (one row per NIS code); its
periods decide which region its residents belong to, so periods never overlap, in any region.
"""

from __future__ import annotations

from datetime import date, datetime
from typing import Any

from pydantic import Field, model_validator
from sqlalchemy import select
from sqlalchemy.orm import Session

from passengine.domain.errors import Conflict, InvalidInput, NotFound
from passengine.services.administration import (
    AdminScope,
    Name,
    Patch,
    Read,
    Shape,
    apply_changes,
    flush_or_conflict,
    jsonable,
    patch_fields,
    region_row,
    region_today,
    transaction,
)
from passengine.services.audit import record
from passengine.services.fixture_files import NisCode, PostalCode
from passengine.storage import tables as t


class MembershipRead(Read):
    """A municipality's period in the region; ``left_on`` is the first day it is out."""

    nis_code: str
    name: str
    joined_on: date
    left_on: date | None
    current: bool
    postal_codes: list[str]


def postal_codes_of(session: Session, nis_codes: set[str]) -> dict[str, list[str]]:
    found: dict[str, list[str]] = {n: [] for n in nis_codes}
    for code, nis in session.execute(
        select(t.PostalCode.postal_code, t.PostalCode.nis_code)
        .where(t.PostalCode.nis_code.in_(sorted(nis_codes)))
        .order_by(t.PostalCode.postal_code)
    ):
        found[nis].append(code)
    return found


# --- Municipalities -------------------------------------------------------------------------------


class PostalCodeIn(Shape):
    code: PostalCode
    place: Name


class SubMunicipalityIn(Shape):
    name: Name
    postal_code: PostalCode | None = None


class MunicipalityCreate(Shape):
    """A municipality with its postal codes and sub-municipalities (deelgemeenten), which
    reports use to show hidden poverty outside the centre."""

    nis_code: NisCode
    name: Name
    postal_codes: list[PostalCodeIn] = Field(min_length=1, max_length=50)
    sub_municipalities: list[SubMunicipalityIn] = Field(default=[], max_length=100)


class MunicipalityUpdate(Patch):
    """Rename, or add postal codes and sub-municipalities (never removed: holders and past
    reports refer to them)."""

    REQUIRED = ("name",)
    name: Name | None = None
    add_postal_codes: list[PostalCodeIn] = Field(default=[], max_length=50)
    add_sub_municipalities: list[SubMunicipalityIn] = Field(default=[], max_length=100)


class PostalCodeRead(Read):
    code: str
    place: str


class SubMunicipalityRead(Read):
    id: int
    name: str
    postal_code: str | None


class RegionPeriodRead(Read):
    region_id: int
    joined_on: date
    left_on: date | None


class MunicipalityRead(Read):
    nis_code: str
    name: str
    postal_codes: list[PostalCodeRead]
    sub_municipalities: list[SubMunicipalityRead]
    regions: list[RegionPeriodRead]


def _municipality_view(session: Session, m: t.Municipality) -> MunicipalityRead:
    return MunicipalityRead(
        nis_code=m.nis_code,
        name=m.name,
        postal_codes=[
            PostalCodeRead(code=p.postal_code, place=p.place_name)
            for p in session.scalars(
                select(t.PostalCode)
                .where(t.PostalCode.nis_code == m.nis_code)
                .order_by(t.PostalCode.postal_code)
            )
        ],
        sub_municipalities=[
            SubMunicipalityRead(id=s.id, name=s.name, postal_code=s.postal_code)
            for s in session.scalars(
                select(t.SubMunicipality)
                .where(t.SubMunicipality.nis_code == m.nis_code)
                .order_by(t.SubMunicipality.name)
            )
        ],
        regions=[
            RegionPeriodRead(region_id=p.region_id, joined_on=p.joined_on, left_on=p.left_on)
            for p in _periods(session, m.nis_code)
        ],
    )


def _periods(session: Session, nis_code: str) -> list[t.RegionMunicipality]:
    return list(
        session.scalars(
            select(t.RegionMunicipality)
            .where(t.RegionMunicipality.nis_code == nis_code)
            .order_by(t.RegionMunicipality.joined_on, t.RegionMunicipality.id)
        )
    )


def _municipality(session: Session, nis_code: str) -> t.Municipality:
    found = session.get(t.Municipality, nis_code)
    if found is None:
        raise NotFound(f"No municipality with NIS code {nis_code}.", code="municipality-not-found")
    return found


def _check_places(
    postal_codes: list[PostalCodeIn],
    subs: list[SubMunicipalityIn],
    *,
    known_codes: set[str],
    known_subs: set[str],
) -> None:
    codes = [p.code for p in postal_codes]
    twice = sorted({c for c in codes if codes.count(c) > 1} | (set(codes) & known_codes))
    if twice:
        raise Conflict(
            f"Postal code(s) {', '.join(twice)} listed twice or known already.",
            code="postal-code-exists",
        )
    names = [s.name.casefold() for s in subs]
    twice = sorted({n for n in names if names.count(n) > 1} | (set(names) & known_subs))
    if twice:
        raise Conflict(
            f"Sub-municipality {', '.join(twice)} listed twice or known already.",
            code="sub-municipality-exists",
        )
    all_codes = known_codes | set(codes)
    for s in subs:
        if s.postal_code is not None and s.postal_code not in all_codes:
            raise InvalidInput(
                f"Sub-municipality {s.name}: postal code {s.postal_code} is not one of the "
                "municipality's.",
                code="unknown-postal-code",
            )


def _add_places(
    session: Session,
    nis_code: str,
    postal_codes: list[PostalCodeIn],
    subs: list[SubMunicipalityIn],
) -> None:
    session.add_all(
        t.PostalCode(postal_code=p.code, nis_code=nis_code, place_name=p.place)
        for p in postal_codes
    )
    session.add_all(
        t.SubMunicipality(nis_code=nis_code, name=s.name, postal_code=s.postal_code) for s in subs
    )


def _places_json(postal_codes: list[PostalCodeIn], subs: list[SubMunicipalityIn]) -> dict[str, Any]:
    return {
        "postal_codes": [p.code for p in postal_codes],
        "sub_municipalities": [s.name for s in subs],
    }


def create_municipality(
    session: Session, data: MunicipalityCreate, *, scope: AdminScope
) -> MunicipalityRead:
    """Municipalities are shared by every region (one NIS code, one row); any region
    administrator may add one, and then join it to their region."""
    with transaction(session):
        if session.get(t.Municipality, data.nis_code) is not None:
            raise Conflict(
                f"Municipality {data.nis_code} exists already.", code="municipality-exists"
            )
        _check_places(
            data.postal_codes, data.sub_municipalities, known_codes=set(), known_subs=set()
        )
        municipality = t.Municipality(nis_code=data.nis_code, name=data.name)
        session.add(municipality)
        flush_or_conflict(
            session, f"Municipality {data.nis_code} exists already.", code="municipality-exists"
        )
        _add_places(session, data.nis_code, data.postal_codes, data.sub_municipalities)
        session.flush()
        record(
            session,
            scope.actor,
            "config.municipality.created",
            subject=f"municipality:{data.nis_code}",
            details={"name": data.name, **_places_json(data.postal_codes, data.sub_municipalities)},
        )
        return _municipality_view(session, municipality)


def get_municipality(session: Session, nis_code: str, *, scope: AdminScope) -> MunicipalityRead:
    """Shared reference data: readable by every administrator (``scope`` is only checked to be
    an administrator's, by the caller building it)."""
    del scope
    with transaction(session):
        return _municipality_view(session, _municipality(session, nis_code))


def update_municipality(
    session: Session, nis_code: str, changes: MunicipalityUpdate, *, scope: AdminScope
) -> MunicipalityRead:
    """By the administrators of a region it belongs or belonged to (or of any region while it
    belongs to none yet): a municipality is shared, so a stranger may not rename it."""
    with transaction(session):
        municipality = _municipality(session, nis_code)
        regions = {p.region_id for p in _periods(session, nis_code)}
        if regions:
            scope.require_any(regions, what=f"Municipality {nis_code}")
        known_codes = set(
            session.scalars(
                select(t.PostalCode.postal_code).where(t.PostalCode.nis_code == nis_code)
            )
        )
        known_subs = {
            n.casefold()
            for n in session.scalars(
                select(t.SubMunicipality.name).where(t.SubMunicipality.nis_code == nis_code)
            )
        }
        _check_places(
            changes.add_postal_codes,
            changes.add_sub_municipalities,
            known_codes=known_codes,
            known_subs=known_subs,
        )
        diff = apply_changes(
            municipality, {k: v for k, v in patch_fields(changes).items() if k == "name"}
        )
        _add_places(session, nis_code, changes.add_postal_codes, changes.add_sub_municipalities)
        session.flush()
        added = _places_json(changes.add_postal_codes, changes.add_sub_municipalities)
        if diff or any(added.values()):
            record(
                session,
                scope.actor,
                "config.municipality.updated",
                subject=f"municipality:{nis_code}",
                details={**diff, "added": added},
            )
        return _municipality_view(session, municipality)


# --- Municipalities in a region over time ---------------------------------------------------------


class MembershipCreate(Shape):
    nis_code: NisCode
    joined_on: date
    left_on: date | None = None

    @model_validator(mode="after")
    def _leaves_after_joining(self) -> MembershipCreate:
        if self.left_on is not None and self.left_on <= self.joined_on:
            raise ValueError("left_on must be after joined_on")
        return self


class MembershipUpdate(Shape):
    left_on: date | None
    """The first day the municipality is no longer part of the region; null: it stays."""


def _overlaps(a_from: date, a_to: date | None, b_from: date, b_to: date | None) -> bool:
    """Half-open periods [from, to): a municipality that leaves on the 1st may join another
    region on the 1st."""
    return (b_to is None or a_from < b_to) and (a_to is None or b_from < a_to)


def _refuse_overlap(
    session: Session,
    nis_code: str,
    joined_on: date,
    left_on: date | None,
    *,
    ignore_id: int | None = None,
) -> None:
    """A municipality is in one region at a time: the region decides which pass its people get
    and which municipality pays its share, so two regions at once would be ambiguous."""
    for p in _periods(session, nis_code):
        if p.id != ignore_id and _overlaps(joined_on, left_on, p.joined_on, p.left_on):
            until = p.left_on.isoformat() if p.left_on else "open-ended"
            raise Conflict(
                f"Municipality {nis_code} is already in region {p.region_id} from "
                f"{p.joined_on.isoformat()} ({until}); periods may not overlap.",
                code="overlapping-membership",
            )


def _membership_view(
    session: Session, region: t.Region, p: t.RegionMunicipality, *, at: datetime
) -> MembershipRead:
    today = region_today(region, at)
    return MembershipRead(
        nis_code=p.nis_code,
        name=_municipality(session, p.nis_code).name,
        joined_on=p.joined_on,
        left_on=p.left_on,
        current=p.joined_on <= today and (p.left_on is None or today < p.left_on),
        postal_codes=postal_codes_of(session, {p.nis_code})[p.nis_code],
    )


def _period_json(p: t.RegionMunicipality) -> dict[str, Any]:
    return {
        "nis_code": p.nis_code,
        "joined_on": jsonable(p.joined_on),
        "left_on": jsonable(p.left_on),
    }


def join_municipality(
    session: Session, region_id: int, data: MembershipCreate, *, scope: AdminScope, at: datetime
) -> MembershipRead:
    """The municipality takes part in the region from ``joined_on`` (its residents' region,
    the region's postal codes on that day); overlapping periods are refused."""
    with transaction(session):
        region = region_row(session, region_id, scope)
        if session.get(t.Municipality, data.nis_code) is None:
            raise InvalidInput(
                f"No municipality with NIS code {data.nis_code}; create it first.",
                code="unknown-municipality",
            )
        _refuse_overlap(session, data.nis_code, data.joined_on, data.left_on)
        period = t.RegionMunicipality(
            region_id=region_id,
            nis_code=data.nis_code,
            joined_on=data.joined_on,
            left_on=data.left_on,
        )
        session.add(period)
        flush_or_conflict(
            session,
            f"Municipality {data.nis_code} joins region {region_id} on that day already.",
            code="overlapping-membership",
        )
        record(
            session,
            scope.actor,
            "config.region.municipality_joined",
            subject=f"region:{region_id}",
            details=_period_json(period),
        )
        return _membership_view(session, region, period, at=at)


def _latest_period(session: Session, region_id: int, nis_code: str) -> t.RegionMunicipality:
    period = session.scalars(
        select(t.RegionMunicipality)
        .where(
            t.RegionMunicipality.region_id == region_id,
            t.RegionMunicipality.nis_code == nis_code,
        )
        .order_by(t.RegionMunicipality.joined_on.desc())
        .limit(1)
    ).one_or_none()
    if period is None:
        raise NotFound(
            f"Municipality {nis_code} has never been part of region {region_id}.",
            code="municipality-not-in-region",
        )
    return period


def set_municipality_left_on(
    session: Session,
    region_id: int,
    nis_code: str,
    data: MembershipUpdate,
    *,
    scope: AdminScope,
    at: datetime,
) -> MembershipRead:
    """Set (or clear) the day the municipality leaves, on its latest period in the region;
    earlier periods are history."""
    with transaction(session):
        region = region_row(session, region_id, scope)
        period = _latest_period(session, region_id, nis_code)
        if data.left_on is not None and data.left_on <= period.joined_on:
            raise InvalidInput(
                f"left_on must be after joined_on ({period.joined_on.isoformat()}).",
                code="invalid-data",
            )
        _refuse_overlap(session, nis_code, period.joined_on, data.left_on, ignore_id=period.id)
        diff = apply_changes(period, {"left_on": data.left_on})
        session.flush()
        if diff:
            record(
                session,
                scope.actor,
                "config.region.municipality_left",
                subject=f"region:{region_id}",
                details={"nis_code": nis_code, "joined_on": jsonable(period.joined_on), **diff},
            )
        return _membership_view(session, region, period, at=at)


def remove_municipality(
    session: Session, region_id: int, nis_code: str, *, scope: AdminScope, at: datetime
) -> None:
    """Undo a join that has not started yet (a mistake). A period that has started is part of
    history (sales were priced with it): end it with ``left_on`` instead."""
    with transaction(session):
        region = region_row(session, region_id, scope)
        period = _latest_period(session, region_id, nis_code)
        if period.joined_on <= region_today(region, at):
            raise Conflict(
                f"Municipality {nis_code} is part of region {region_id} since "
                f"{period.joined_on.isoformat()}; set left_on instead of removing it.",
                code="membership-started",
            )
        details = _period_json(period)
        session.delete(period)
        session.flush()
        record(
            session,
            scope.actor,
            "config.region.municipality_removed",
            subject=f"region:{region_id}",
            details=details,
        )

"""The settlement of a period: what each organizer gets back and what each municipality owes.

Organizers are reimbursed for what their expense claim (onkostennota) lists, and each
municipality pays the municipal share of its own residents' reduced-rate tickets. Every figure
comes from the shares stored on the sale when it was priced, so a sale priced under an older
configuration keeps its shares (the line shows its ``config_version``). Cancelled sales are left
out. Totals are summed in SQL; the line list is streamed.

The period is a span of local dates in the region's time zone, filtered on UTC bounds
(``report_periods``). No authorization and no audit here: the caller checks access.

Order: organizers and municipalities by name, compared without case or accents (``Ça`` sorts
under C) and the same on SQLite and PostgreSQL, whose collations differ; so the order is decided
in Python on the few grouped rows, and the lines are read one organizer at a time in that order.
For a result that the totals and the lines agree on, call ``settle`` and ``settlement_lines`` in
one transaction that sees one snapshot (REPEATABLE READ on PostgreSQL).
"""

from __future__ import annotations

import unicodedata
from collections.abc import Iterator
from dataclasses import dataclass
from datetime import datetime
from typing import Any
from zoneinfo import ZoneInfo

from sqlalchemy import ColumnElement, func, select
from sqlalchemy.orm import Session

from passengine.domain.errors import NotFound
from passengine.domain.report_periods import LocalPeriod, utc_bounds
from passengine.storage import tables as t

_BATCH = 2000
"""Rows fetched per round trip when streaming lines (a server-side cursor on PostgreSQL)."""

_S = t.TicketSale


@dataclass(frozen=True, slots=True)
class ShareTotals:
    sales: int
    regular_cents: int
    holder_cents: int
    organizer_cents: int
    municipality_cents: int
    region_cents: int

    @property
    def reimbursed_cents(self) -> int:
        """What the organizer gets back: the municipality and region shares it did not receive
        at the till (the holder paid their share, the organizer bears its own)."""
        return self.municipality_cents + self.region_cents


EMPTY_TOTALS = ShareTotals(0, 0, 0, 0, 0, 0)


@dataclass(frozen=True, slots=True)
class OrganizerTotals:
    organizer_id: str
    organizer_name: str
    totals: ShareTotals


@dataclass(frozen=True, slots=True)
class MunicipalityDebt:
    """What one municipality owes one organizer for its residents' tickets."""

    nis_code: str
    municipality_name: str
    organizer_id: str
    organizer_name: str
    sales: int
    cents: int


@dataclass(frozen=True, slots=True)
class Settlement:
    region_id: int
    region_name: str
    period: LocalPeriod
    organizer_id: str | None
    """``None``: every organizer with sales in the region."""
    organizers: tuple[OrganizerTotals, ...]
    """Sorted by organizer name."""
    debts: tuple[MunicipalityDebt, ...]
    """Sorted by municipality name, then organizer name."""
    municipality_totals: tuple[tuple[str, str, int], ...]
    """(NIS code, name, cents), sorted by name."""
    totals: ShareTotals
    timezone: str = "Europe/Brussels"
    """The region's time zone, for local times printed on the files (when they were made)."""


@dataclass(frozen=True, slots=True)
class SettlementLine:
    sale_id: str
    sold_at: datetime
    """Local time in the region's time zone (aware)."""
    organizer_id: str
    organizer_name: str
    event_id: str
    event_title: str
    tariff_name: str | None
    rule_id: str
    config_version: int
    key_id: str
    regular_cents: int
    holder_cents: int
    organizer_cents: int
    municipality_cents: int
    municipality_nis_code: str
    municipality_name: str
    region_cents: int


def sort_key(name: str) -> str:
    """A name as a reader looks it up: accents and case ignored (Ça next to Ca, é next to e)."""
    decomposed = unicodedata.normalize("NFKD", name)
    return "".join(c for c in decomposed if not unicodedata.combining(c)).casefold()


@dataclass(frozen=True, slots=True)
class _Scope:
    region: t.Region
    tz: ZoneInfo
    conditions: tuple[ColumnElement[bool], ...]


def _scope(
    session: Session, *, region_id: int, period: LocalPeriod, organizer_id: str | None
) -> _Scope:
    """The region (or NotFound) and the conditions that select the period's valid sales."""
    region = session.get(t.Region, region_id)
    if region is None:
        raise NotFound(f"No region {region_id}.", code="region-not-found")
    if organizer_id is not None and session.get(t.Organizer, organizer_id) is None:
        raise NotFound(f"No organizer {organizer_id!r}.", code="organizer-not-found")
    tz = ZoneInfo(region.timezone)
    lo, hi = utc_bounds(period, tz)
    conditions: list[ColumnElement[bool]] = [
        _S.region_id == region_id,
        _S.created_at >= lo,
        _S.created_at < hi,
        _S.cancelled_at.is_(None),
    ]
    if organizer_id is not None:
        conditions.append(_S.organizer_id == organizer_id)
    return _Scope(region, tz, tuple(conditions))


def _share_sums() -> tuple[Any, ...]:
    """COUNT and the five SUMs, each 0 rather than NULL over no rows."""
    return (
        func.count(_S.id),
        *(
            func.coalesce(func.sum(column), 0)
            for column in (
                _S.regular_price_cents,
                _S.holder_cents,
                _S.organizer_cents,
                _S.municipality_cents,
                _S.region_cents,
            )
        ),
    )


def _totals(values: tuple[Any, ...]) -> ShareTotals:
    sales, regular, holder, organizer, municipality, region = (int(v) for v in values)
    return ShareTotals(sales, regular, holder, organizer, municipality, region)


def _organizer_totals(session: Session, scope: _Scope) -> list[OrganizerTotals]:
    rows = session.execute(
        select(_S.organizer_id, t.Organizer.name, *_share_sums())
        .join(t.Organizer, t.Organizer.id == _S.organizer_id)
        .where(*scope.conditions)
        .group_by(_S.organizer_id, t.Organizer.name)
    ).all()
    found = [OrganizerTotals(row[0], row[1], _totals(tuple(row[2:]))) for row in rows]
    return sorted(found, key=lambda o: (sort_key(o.organizer_name), o.organizer_id))


def _debts(session: Session, scope: _Scope) -> list[MunicipalityDebt]:
    rows = session.execute(
        select(
            _S.municipality_nis_code,
            t.Municipality.name,
            _S.organizer_id,
            t.Organizer.name,
            func.count(_S.id),
            func.coalesce(func.sum(_S.municipality_cents), 0),
        )
        .join(t.Municipality, t.Municipality.nis_code == _S.municipality_nis_code)
        .join(t.Organizer, t.Organizer.id == _S.organizer_id)
        .where(*scope.conditions)
        .group_by(_S.municipality_nis_code, t.Municipality.name, _S.organizer_id, t.Organizer.name)
    ).all()
    found = [
        MunicipalityDebt(nis, name, org_id, org_name, int(sales), int(cents))
        for nis, name, org_id, org_name, sales, cents in rows
    ]
    return sorted(
        found,
        key=lambda d: (
            sort_key(d.municipality_name),
            d.nis_code,
            sort_key(d.organizer_name),
            d.organizer_id,
        ),
    )


def _municipality_totals(session: Session, scope: _Scope) -> list[tuple[str, str, int]]:
    rows = session.execute(
        select(
            _S.municipality_nis_code,
            t.Municipality.name,
            func.coalesce(func.sum(_S.municipality_cents), 0),
        )
        .join(t.Municipality, t.Municipality.nis_code == _S.municipality_nis_code)
        .where(*scope.conditions)
        .group_by(_S.municipality_nis_code, t.Municipality.name)
    ).all()
    found = [(nis, name, int(cents)) for nis, name, cents in rows]
    return sorted(found, key=lambda m: (sort_key(m[1]), m[0]))


def settle(
    session: Session, *, region_id: int, period: LocalPeriod, organizer_id: str | None = None
) -> Settlement:
    """The totals per organizer and per municipality for the period, and the grand total.

    The grand total is its own query rather than the sum of the organizers, so that the tests
    that compare them compare two computations. Raises ``NotFound`` for an unknown region or
    organizer.
    """
    scope = _scope(session, region_id=region_id, period=period, organizer_id=organizer_id)
    grand = session.execute(select(*_share_sums()).where(*scope.conditions)).one()
    return Settlement(
        region_id=region_id,
        region_name=scope.region.name,
        period=period,
        organizer_id=organizer_id,
        organizers=tuple(_organizer_totals(session, scope)),
        debts=tuple(_debts(session, scope)),
        municipality_totals=tuple(_municipality_totals(session, scope)),
        totals=_totals(tuple(grand)),
        timezone=scope.region.timezone,
    )


def count_lines(
    session: Session, *, region_id: int, period: LocalPeriod, organizer_id: str | None = None
) -> int:
    """How many lines ``settlement_lines`` yields (for a progress bar or a size check)."""
    scope = _scope(session, region_id=region_id, period=period, organizer_id=organizer_id)
    return session.scalar(select(func.count(_S.id)).where(*scope.conditions)) or 0


def settlement_lines(
    session: Session, *, region_id: int, period: LocalPeriod, organizer_id: str | None = None
) -> Iterator[SettlementLine]:
    """Every valid sale of the period, by organizer name, then time of sale and id, streamed.

    The arguments are checked now (``NotFound`` is raised by this call, not by the first
    ``next``); the rows are read lazily, one organizer at a time through the index on
    (organizer_id, created_at), ``_BATCH`` rows per fetch, so memory stays flat for a million
    sales. Close the iterator (or exhaust it) to release the cursor.
    """
    scope = _scope(session, region_id=region_id, period=period, organizer_id=organizer_id)
    # The organizers in settlement order (their totals are a by-product of the grouping).
    organizers = [(o.organizer_id, o.organizer_name) for o in _organizer_totals(session, scope)]
    return _stream(session, scope, organizers)


def _stream(
    session: Session, scope: _Scope, organizers: list[tuple[str, str]]
) -> Iterator[SettlementLine]:
    for organizer_id, organizer_name in organizers:
        result = session.execute(
            select(
                _S.id,
                _S.created_at,
                _S.event_id,
                t.Event.title,
                _S.tariff_name,
                _S.rule_id,
                _S.config_version,
                _S.key_id,
                _S.regular_price_cents,
                _S.holder_cents,
                _S.organizer_cents,
                _S.municipality_cents,
                _S.municipality_nis_code,
                t.Municipality.name,
                _S.region_cents,
            )
            .join(t.Event, t.Event.id == _S.event_id)
            .join(t.Municipality, t.Municipality.nis_code == _S.municipality_nis_code)
            .where(*scope.conditions, _S.organizer_id == organizer_id)
            .order_by(_S.created_at, _S.id)
            .execution_options(yield_per=_BATCH)
        )
        try:
            for row in result:
                yield SettlementLine(
                    sale_id=row[0],
                    sold_at=row[1].astimezone(scope.tz),
                    organizer_id=organizer_id,
                    organizer_name=organizer_name,
                    event_id=row[2],
                    event_title=row[3],
                    tariff_name=row[4],
                    rule_id=row[5],
                    config_version=row[6],
                    key_id=row[7],
                    regular_cents=row[8],
                    holder_cents=row[9],
                    organizer_cents=row[10],
                    municipality_cents=row[11],
                    municipality_nis_code=row[12],
                    municipality_name=row[13],
                    region_cents=row[14],
                )
        finally:
            result.close()

"""Budget view: what each municipality's residents' reduced-rate tickets cost it in a year,
against its yearly budget (trekkingsrecht + own contribution), with a projection to year end.

Consumption is summed from the sales themselves (not from ``budget_usage``, the lock row the
desk draws on), so the view also answers for years and regions that never had a budget and can
be checked against the settlement reports to the cent.
"""

from __future__ import annotations

from collections.abc import Iterable, Mapping, Sequence
from dataclasses import dataclass
from datetime import date, datetime
from typing import Any
from zoneinfo import ZoneInfo

from sqlalchemy import func, select
from sqlalchemy.orm import Session

from passengine.domain.budget_projection import DEFAULT_THRESHOLDS, assess, validate_thresholds
from passengine.domain.errors import NotFound
from passengine.domain.report_periods import utc_bounds, year_period
from passengine.domain.rules import Budget, TariffConfig
from passengine.services.tariff_config import current_tariff_config, parse_tariff_config
from passengine.storage import tables as t


@dataclass(frozen=True, slots=True)
class BudgetLine:
    nis_code: str
    municipality_name: str
    budget_cents: int | None
    policy: str | None
    consumed_cents: int
    sales: int
    """Sales that drew on the budget (a municipality share above zero)."""
    consumed_percent: float | None
    """One decimal, for display only."""
    projected_cents: int
    projected_percent: float | None
    warnings: tuple[str, ...]


@dataclass(frozen=True, slots=True)
class BudgetReport:
    region_id: int
    region_name: str
    year: int
    as_of: date
    thresholds: tuple[int, ...]
    lines: tuple[BudgetLine, ...]
    """The region's municipalities in that year, any other municipality charged or budgeted in
    it, by name."""
    total_budget_cents: int
    total_consumed_cents: int
    total_projected_cents: int


@dataclass(frozen=True, slots=True)
class _Consumption:
    cents: int
    sales: int


def budget_report(
    session: Session,
    *,
    region_id: int,
    year: int,
    today: date,
    thresholds: Sequence[int] = DEFAULT_THRESHOLDS,
) -> BudgetReport:
    """The region's budgets for ``year`` as they stand on ``today`` (a local date)."""
    levels = validate_thresholds(thresholds)
    region = session.get(t.Region, region_id)
    if region is None:
        raise NotFound(f"Region {region_id} does not exist.", code="region-not-found")
    tz = ZoneInfo(region.timezone)
    lo, hi = utc_bounds(year_period(year), tz)
    config = _config_for_year(session, region_id=region_id, year=year, today=today, year_end=hi)
    budgets: Mapping[str, Budget] = config.budgets if config is not None else {}
    consumption = _consumption(session, region_id=region_id, lo=lo, hi=hi)
    members = _member_municipalities(session, region_id=region_id, year=year)
    codes = {*members, *consumption, *budgets}
    names = _names(session, codes)
    lines = sorted(
        (
            _line(
                nis,
                name=names.get(nis, nis),
                budget=budgets.get(nis),
                used=consumption.get(nis, _Consumption(0, 0)),
                year=year,
                today=today,
                thresholds=levels,
            )
            for nis in codes
        ),
        key=lambda line: (line.municipality_name.casefold(), line.nis_code),
    )
    return BudgetReport(
        region_id=region_id,
        region_name=region.name,
        year=year,
        as_of=today,
        thresholds=levels,
        lines=tuple(lines),
        total_budget_cents=sum(line.budget_cents or 0 for line in lines),
        total_consumed_cents=sum(line.consumed_cents for line in lines),
        total_projected_cents=sum(line.projected_cents for line in lines),
    )


def budget_json(report: BudgetReport) -> dict[str, Any]:
    return {
        "region_id": report.region_id,
        "region_name": report.region_name,
        "year": report.year,
        "as_of": report.as_of.isoformat(),
        "thresholds": list(report.thresholds),
        "lines": [
            {
                "nis_code": line.nis_code,
                "municipality_name": line.municipality_name,
                "budget_cents": line.budget_cents,
                "policy": line.policy,
                "consumed_cents": line.consumed_cents,
                "sales": line.sales,
                "consumed_percent": line.consumed_percent,
                "projected_cents": line.projected_cents,
                "projected_percent": line.projected_percent,
                "warnings": list(line.warnings),
            }
            for line in report.lines
        ],
        "total_budget_cents": report.total_budget_cents,
        "total_consumed_cents": report.total_consumed_cents,
        "total_projected_cents": report.total_projected_cents,
    }


def _line(
    nis: str,
    *,
    name: str,
    budget: Budget | None,
    used: _Consumption,
    year: int,
    today: date,
    thresholds: tuple[int, ...],
) -> BudgetLine:
    budget_cents = budget.amount_cents if budget is not None else None
    projection = assess(
        used.cents, budget_cents=budget_cents, year=year, today=today, thresholds=thresholds
    )
    return BudgetLine(
        nis_code=nis,
        municipality_name=name,
        budget_cents=budget_cents,
        policy=budget.policy.value if budget is not None else None,
        consumed_cents=used.cents,
        sales=used.sales,
        consumed_percent=projection.consumed_percent,
        projected_cents=projection.projected_cents,
        projected_percent=projection.projected_percent,
        warnings=projection.warnings,
    )


def _config_for_year(
    session: Session, *, region_id: int, year: int, today: date, year_end: datetime
) -> TariffConfig | None:
    """The budgets that held for the year: the newest configuration for the running (or a
    coming) year; for a closed year the newest one saved before it ended, else the newest."""
    if year >= today.year:
        return current_tariff_config(session, region_id)
    row = session.execute(
        select(t.TariffConfigRow.version, t.TariffConfigRow.document)
        .where(t.TariffConfigRow.region_id == region_id, t.TariffConfigRow.created_at < year_end)
        .order_by(t.TariffConfigRow.version.desc())
        .limit(1)
    ).one_or_none()
    if row is None:
        return current_tariff_config(session, region_id)
    config, _ = parse_tariff_config(row.document, region_id=region_id, version=row.version)
    return config


def _consumption(
    session: Session, *, region_id: int, lo: datetime, hi: datetime
) -> dict[str, _Consumption]:
    """One grouped query over the region's sales in ``[lo, hi)`` that are not cancelled."""
    rows = session.execute(
        select(
            t.TicketSale.municipality_nis_code,
            func.sum(t.TicketSale.municipality_cents),
            func.count(),
        )
        .where(
            t.TicketSale.region_id == region_id,
            t.TicketSale.cancelled_at.is_(None),
            t.TicketSale.municipality_cents > 0,
            t.TicketSale.created_at >= lo,
            t.TicketSale.created_at < hi,
        )
        .group_by(t.TicketSale.municipality_nis_code)
    )
    return {nis: _Consumption(int(cents), int(count)) for nis, cents, count in rows}


def _member_municipalities(session: Session, *, region_id: int, year: int) -> set[str]:
    """Municipalities that took part in the region on some day of the year."""
    first, last = date(year, 1, 1), date(year, 12, 31)
    return set(
        session.scalars(
            select(t.RegionMunicipality.nis_code).where(
                t.RegionMunicipality.region_id == region_id,
                t.RegionMunicipality.joined_on <= last,
                (t.RegionMunicipality.left_on.is_(None)) | (t.RegionMunicipality.left_on > first),
            )
        )
    )


def _names(session: Session, nis_codes: Iterable[str]) -> dict[str, str]:
    codes = sorted(set(nis_codes))
    if not codes:
        return {}
    rows = session.execute(
        select(t.Municipality.nis_code, t.Municipality.name).where(
            t.Municipality.nis_code.in_(codes)
        )
    )
    return {str(nis): str(name) for nis, name in rows}

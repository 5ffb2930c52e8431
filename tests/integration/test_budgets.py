"""The budget view sums a region's sales per municipality over the local calendar year and
reads the budgets of the configuration that held in that year."""

from __future__ import annotations

import copy
import itertools
import json
from datetime import UTC, date, datetime
from typing import Any

import pytest
from sqlalchemy.orm import Session

from passengine.domain.errors import InvalidInput, NotFound
from passengine.domain.model import CalendarType, EventDomain
from passengine.services.reports.budgets import BudgetLine, budget_json, budget_report
from passengine.storage import tables as t
from tests.factories import make_region
from tests.unit.test_tariff_config import VALID

REGION = 9301
OTHER_REGION = 9302
NIS = "98101"  # the region's municipality ("Gemeente 98101")
GUEST_NIS = "98102"  # charged, but not part of the region
OTHER_NIS = "98103"  # the other region's municipality
_ids = itertools.count(1)


def utc(
    year: int, month: int, day: int, hour: int = 0, minute: int = 0, second: int = 0
) -> datetime:
    return datetime(year, month, day, hour, minute, second, tzinfo=UTC)


def setup_regions(session: Session) -> None:
    make_region(session, region_id=REGION, name="Budgetregio", nis_code=NIS, postal_codes=("9981",))
    make_region(session, region_id=OTHER_REGION, nis_code=OTHER_NIS, postal_codes=("9983",))
    session.add(t.Municipality(nis_code=GUEST_NIS, name="Aangrenzende Gemeente"))
    session.add(t.Organizer(id="org-budget", name="Cultuurcentrum", nis_code=NIS))
    session.flush()
    session.add(
        t.Event(
            id="ev-budget",
            organizer_id="org-budget",
            title="Voorstelling",
            location_nis_code=NIS,
            domain=EventDomain.CULTURE,
            calendar_type=CalendarType.PERMANENT,
        )
    )
    for nis in (NIS, GUEST_NIS, OTHER_NIS):
        session.add(
            t.PassHolder(
                id=f"holder-{nis}",
                name="Peeters",
                first_name="An",
                birth_date=date(1980, 5, 1),
                postal_code="9981",
                nis_code=nis,
            )
        )
    session.flush()


def sale(
    session: Session,
    *,
    at: datetime,
    municipality_cents: int,
    nis: str = NIS,
    region_id: int = REGION,
    cancelled: bool = False,
) -> None:
    """A ticket of at least €10: the holder pays €2, the municipality its share, the organizer
    the rest."""
    regular = max(1000, 200 + municipality_cents)
    session.add(
        t.TicketSale(
            id=f"sale-{next(_ids)}",
            created_at=at,
            event_id="ev-budget",
            organizer_id="org-budget",
            region_id=region_id,
            holder_id=f"holder-{nis}",
            uitpas_number="0900000000001",
            tariff_id="kansentarief",
            tariff_type="SOCIALTARIFF",
            rule_id="kansentarief",
            config_version=1,
            key_id="norm",
            regular_price_cents=regular,
            holder_cents=200,
            organizer_cents=regular - 200 - municipality_cents,
            municipality_cents=municipality_cents,
            region_cents=0,
            municipality_nis_code=nis,
            holder_is_local=nis == NIS,
            cancelled_at=at if cancelled else None,
        )
    )
    session.flush()


def config(
    session: Session, *, version: int, created_at: datetime, budgets: dict[str, Any]
) -> None:
    document = copy.deepcopy(VALID)
    document["budgets"] = budgets
    session.add(
        t.TariffConfigRow(
            region_id=REGION,
            version=version,
            document=document,
            created_at=created_at,
            created_by="test",
        )
    )
    session.flush()


def line_of(lines: tuple[BudgetLine, ...], nis: str) -> BudgetLine:
    return next(line for line in lines if line.nis_code == nis)


class TestConsumption:
    def test_sums_the_local_year_per_municipality(self, session: Session) -> None:
        setup_regions(session)
        config(
            session,
            version=1,
            created_at=utc(2025, 6, 1),
            budgets={NIS: {"amount_cents": 1000, "policy": "STOP"}},
        )
        # Local New Year's midnight is 23:00 UTC the evening before.
        sale(session, at=utc(2025, 12, 31, 22, 59, 59), municipality_cents=1)  # 2025 locally
        sale(session, at=utc(2025, 12, 31, 23, 0), municipality_cents=100)  # 1 Jan 00:00
        sale(session, at=utc(2026, 3, 31, 22, 30), municipality_cents=200)  # 1 Apr, summer time
        sale(session, at=utc(2026, 6, 30, 12), municipality_cents=300)
        sale(session, at=utc(2026, 6, 30, 12), municipality_cents=400, cancelled=True)
        sale(session, at=utc(2026, 6, 30, 12), municipality_cents=0)  # draws on no budget
        sale(session, at=utc(2026, 12, 31, 22, 59, 59), municipality_cents=20)  # 31 Dec 23:59
        sale(session, at=utc(2026, 12, 31, 23, 0), municipality_cents=4000)  # 2027 locally
        sale(session, at=utc(2026, 5, 1), municipality_cents=50, nis=GUEST_NIS)
        sale(
            session,
            at=utc(2026, 5, 1),
            municipality_cents=70,
            nis=OTHER_NIS,
            region_id=OTHER_REGION,
        )
        sale(session, at=utc(2026, 5, 1), municipality_cents=90, nis=NIS, region_id=OTHER_REGION)

        report = budget_report(session, region_id=REGION, year=2026, today=date(2026, 7, 2))

        assert report.region_name == "Budgetregio"
        assert [line.nis_code for line in report.lines] == [GUEST_NIS, NIS]  # by name
        own = line_of(report.lines, NIS)
        assert (own.consumed_cents, own.sales) == (620, 4)
        assert own.budget_cents == 1000
        assert own.policy == "STOP"
        # 2 July is day 183: 620 × 365 / 183 = 1236.6 → 1237.
        assert own.projected_cents == 1237
        assert own.consumed_percent == 62.0
        assert own.projected_percent == 123.7
        assert own.warnings == ("projected-over-budget",)
        guest = line_of(report.lines, GUEST_NIS)
        assert (guest.consumed_cents, guest.sales, guest.budget_cents) == (50, 1, None)
        assert guest.municipality_name == "Aangrenzende Gemeente"
        assert (guest.consumed_percent, guest.warnings, guest.policy) == (None, (), None)
        assert guest.projected_cents == 100  # 50 × 365 / 183 = 99.7
        assert report.total_budget_cents == 1000
        assert report.total_consumed_cents == 670
        assert report.total_projected_cents == 1337

    def test_neighbouring_years_get_their_own_sales(self, session: Session) -> None:
        setup_regions(session)
        sale(session, at=utc(2025, 12, 31, 22, 59, 59), municipality_cents=1)
        sale(session, at=utc(2025, 12, 31, 23, 0), municipality_cents=100)
        sale(session, at=utc(2026, 12, 31, 23, 0), municipality_cents=4000)
        today = date(2026, 7, 2)
        by_year = {
            year: budget_report(session, region_id=REGION, year=year, today=today)
            for year in (2025, 2026, 2027)
        }
        assert line_of(by_year[2025].lines, NIS).consumed_cents == 1
        assert line_of(by_year[2025].lines, NIS).projected_cents == 1  # a closed year
        assert line_of(by_year[2026].lines, NIS).consumed_cents == 100
        assert line_of(by_year[2027].lines, NIS).consumed_cents == 4000
        assert line_of(by_year[2027].lines, NIS).projected_cents == 0  # not begun

    def test_a_municipality_without_sales_or_budget_still_has_a_line(
        self, session: Session
    ) -> None:
        setup_regions(session)
        report = budget_report(session, region_id=REGION, year=2026, today=date(2026, 7, 2))
        assert len(report.lines) == 1
        only = report.lines[0]
        assert (only.nis_code, only.municipality_name) == (NIS, f"Gemeente {NIS}")
        assert (only.consumed_cents, only.sales, only.projected_cents) == (0, 0, 0)
        assert (only.budget_cents, only.warnings) == (None, ())
        assert (report.total_budget_cents, report.total_consumed_cents) == (0, 0)

    def test_membership_limits_the_municipalities_listed(self, session: Session) -> None:
        setup_regions(session)
        session.add(
            t.RegionMunicipality(
                region_id=REGION,
                nis_code=GUEST_NIS,
                joined_on=date(2020, 1, 1),
                left_on=date(2026, 1, 1),
            )
        )
        session.flush()
        listed_2025 = budget_report(session, region_id=REGION, year=2025, today=date(2026, 7, 2))
        listed_2026 = budget_report(session, region_id=REGION, year=2026, today=date(2026, 7, 2))
        assert {line.nis_code for line in listed_2025.lines} == {NIS, GUEST_NIS}
        assert {line.nis_code for line in listed_2026.lines} == {NIS}


class TestBudgetsOfTheYear:
    def test_the_version_saved_before_the_year_ended_holds_for_a_closed_year(
        self, session: Session
    ) -> None:
        setup_regions(session)
        config(session, version=1, created_at=utc(2025, 2, 1), budgets={NIS: {"amount_cents": 400}})
        # 31 December 23:30 in Brussels: still 2025.
        config(
            session,
            version=2,
            created_at=utc(2025, 12, 31, 22, 30),
            budgets={NIS: {"amount_cents": 500}, GUEST_NIS: {"amount_cents": 100}},
        )
        # 1 January 00:30 in Brussels: 2026.
        config(
            session,
            version=3,
            created_at=utc(2025, 12, 31, 23, 30),
            budgets={NIS: {"amount_cents": 900, "policy": "STOP"}},
        )
        sale(session, at=utc(2025, 4, 1), municipality_cents=450)
        sale(session, at=utc(2026, 4, 1), municipality_cents=700)
        today = date(2026, 7, 2)

        closed = budget_report(session, region_id=REGION, year=2025, today=today)
        own = line_of(closed.lines, NIS)
        assert (own.budget_cents, own.policy) == (500, "WARN")
        assert own.projected_cents == 450
        assert own.warnings == ("threshold-75", "threshold-90")  # no projection for a closed year
        guest = line_of(closed.lines, GUEST_NIS)  # budgeted, though neither member nor charged
        assert (guest.budget_cents, guest.consumed_cents, guest.consumed_percent) == (100, 0, 0.0)
        assert closed.total_budget_cents == 600

        running = budget_report(session, region_id=REGION, year=2026, today=today)
        own = line_of(running.lines, NIS)
        assert (own.budget_cents, own.policy) == (900, "STOP")
        assert own.projected_cents == 1396  # 700 × 365 / 183 = 1396.2
        assert own.warnings == ("threshold-75", "projected-over-budget")
        assert [line.nis_code for line in running.lines] == [NIS]

    def test_a_year_before_any_version_falls_back_to_the_newest(self, session: Session) -> None:
        setup_regions(session)
        config(session, version=1, created_at=utc(2025, 2, 1), budgets={NIS: {"amount_cents": 400}})
        config(session, version=2, created_at=utc(2025, 8, 1), budgets={NIS: {"amount_cents": 700}})
        report = budget_report(session, region_id=REGION, year=2023, today=date(2026, 7, 2))
        assert line_of(report.lines, NIS).budget_cents == 700

    def test_custom_thresholds(self, session: Session) -> None:
        setup_regions(session)
        config(
            session, version=1, created_at=utc(2025, 2, 1), budgets={NIS: {"amount_cents": 1000}}
        )
        sale(session, at=utc(2025, 4, 1), municipality_cents=500)
        report = budget_report(
            session, region_id=REGION, year=2025, today=date(2026, 7, 2), thresholds=(10, 50, 51)
        )
        assert report.thresholds == (10, 50, 51)
        assert line_of(report.lines, NIS).warnings == ("threshold-10", "threshold-50")


class TestErrorsAndJson:
    def test_an_unknown_region_is_not_found(self, session: Session) -> None:
        with pytest.raises(NotFound) as info:
            budget_report(session, region_id=9399, year=2026, today=date(2026, 7, 2))
        assert info.value.code == "region-not-found"

    def test_thresholds_are_checked_before_anything_else(self, session: Session) -> None:
        with pytest.raises(InvalidInput) as info:
            budget_report(
                session, region_id=9399, year=2026, today=date(2026, 7, 2), thresholds=(90, 75)
            )
        assert info.value.code == "invalid-thresholds"

    def test_json_is_plain_and_complete(self, session: Session) -> None:
        setup_regions(session)
        config(
            session, version=1, created_at=utc(2025, 2, 1), budgets={NIS: {"amount_cents": 1000}}
        )
        sale(session, at=utc(2026, 4, 1), municipality_cents=800)
        report = budget_report(session, region_id=REGION, year=2026, today=date(2026, 7, 2))
        data = budget_json(report)
        assert json.loads(json.dumps(data)) == data
        assert data["as_of"] == "2026-07-02"
        assert data["thresholds"] == [75, 90, 100]
        assert data["region_name"] == "Budgetregio"
        assert data["lines"] == [
            {
                "nis_code": NIS,
                "municipality_name": f"Gemeente {NIS}",
                "budget_cents": 1000,
                "policy": "WARN",
                "consumed_cents": 800,
                "sales": 1,
                "consumed_percent": 80.0,
                "projected_cents": 1596,
                "projected_percent": 159.6,
                "warnings": ["threshold-75", "projected-over-budget"],
            }
        ]
        assert (data["total_budget_cents"], data["total_consumed_cents"]) == (1000, 800)
        assert data["total_projected_cents"] == 1596

"""The settlement on a real database: totals to the cent, period edges in local time, streams."""

from __future__ import annotations

import csv
import io
import itertools
import subprocess
import uuid
from collections import defaultdict
from collections.abc import Iterator
from dataclasses import dataclass
from datetime import UTC, date, datetime, timedelta
from decimal import Decimal
from zoneinfo import ZoneInfo

import pytest
from hypothesis import HealthCheck, given, settings, strategies as st
from openpyxl import load_workbook
from sqlalchemy.orm import Session

from passengine.domain.errors import NotFound
from passengine.domain.model import CalendarType, EventDomain, MembershipStatus
from passengine.domain.report_periods import LocalPeriod
from passengine.services.reports.settlement import (
    MunicipalityDebt,
    Settlement,
    SettlementLine,
    ShareTotals,
    count_lines,
    settle,
    settlement_lines,
)
from passengine.services.reports.settlement_files import (
    expense_claim_pdf,
    settlement_csv,
    settlement_xlsx,
)
from passengine.storage import tables as t
from tests.factories import make_region

BRUSSELS = ZoneInfo("Europe/Brussels")
REGION, OTHER_REGION = 981, 982
NIS_AALST, NIS_ZELE, NIS_OTHER = "98101", "98102", "98109"
MARCH = LocalPeriod(date(2026, 3, 1), date(2026, 3, 31))
"""Brussels moves to summer time on 29 March 2026: the month starts at 23:00 UTC on 28 February
and ends at 22:00 UTC on 31 March."""


def utc(
    year: int, month: int, day: int, hour: int = 0, minute: int = 0, second: int = 0
) -> datetime:
    return datetime(year, month, day, hour, minute, second, tzinfo=UTC)


@dataclass(frozen=True, slots=True)
class World:
    holder_id: str
    group_pass_id: str
    organizers: tuple[str, ...]
    events: dict[str, str]
    """Organizer id → the id of its one event."""


def build_world(session: Session, organizers: dict[str, str]) -> World:
    """Two regions, three municipalities, the organizers (id → name) with an event each."""
    make_region(session, region_id=REGION, name="Denderland", nis_code=NIS_AALST)
    make_region(session, region_id=OTHER_REGION, name="Elders", nis_code=NIS_OTHER)
    session.get_one(t.Municipality, NIS_AALST).name = "Aalst"
    session.get_one(t.Municipality, NIS_OTHER).name = "Elders"
    session.add(t.Municipality(nis_code=NIS_ZELE, name="Zele"))
    session.flush()
    events: dict[str, str] = {}
    for organizer_id, name in organizers.items():
        session.add(t.Organizer(id=organizer_id, name=name, nis_code=NIS_AALST))
        session.flush()
        session.add(t.OrganizerRegion(organizer_id=organizer_id, region_id=REGION))
        events[organizer_id] = f"ev-{organizer_id}"
        session.add(
            t.Event(
                id=events[organizer_id],
                organizer_id=organizer_id,
                title=f"Voorstelling van {name}",
                location_nis_code=NIS_AALST,
                domain=EventDomain.CULTURE,
                calendar_type=CalendarType.PERMANENT,
            )
        )
    holder_id = str(uuid.uuid4())
    session.add(
        t.PassHolder(
            id=holder_id,
            name="Peeters",
            first_name="An",
            birth_date=date(1980, 5, 1),
            postal_code="9300",
            nis_code=NIS_AALST,
        )
    )
    session.add(
        t.GroupPass(
            id="gp-981",
            region_id=REGION,
            name="Vzw De Brug",
            uitpas_number="0981000000001",
            tickets_per_year=50,
            status=MembershipStatus.ACTIVE,
        )
    )
    session.flush()
    return World(holder_id, "gp-981", tuple(organizers), events)


@dataclass(frozen=True, slots=True)
class Sale:
    """What the test knows of a sale, to compute the expected settlement without SQL."""

    organizer_id: str
    nis_code: str
    at: datetime
    shares: tuple[int, int, int, int]
    """holder, organizer, municipality, region."""
    config_version: int = 2
    region_id: int = REGION
    cancelled: bool = False
    group: bool = False
    tariff_name: str | None = "Kansentarief"

    @property
    def regular(self) -> int:
        return sum(self.shares)


def add_sale(session: Session, world: World, sale: Sale) -> str:
    sale_id = str(uuid.uuid4())
    holder, organizer, municipality, region = sale.shares
    session.add(
        t.TicketSale(
            id=sale_id,
            created_at=sale.at,
            event_id=world.events[sale.organizer_id],
            organizer_id=sale.organizer_id,
            region_id=sale.region_id,
            holder_id=None if sale.group else world.holder_id,
            group_pass_id=world.group_pass_id if sale.group else None,
            uitpas_number="0981000000001" if sale.group else "0981000000002",
            tariff_id=f"kansentarief-v{sale.config_version}",
            tariff_name=sale.tariff_name,
            tariff_type="SOCIAL",
            rule_id=f"rule-v{sale.config_version}",
            config_version=sale.config_version,
            key_id=f"key-{sale.nis_code}",
            regular_price_cents=sale.regular,
            holder_cents=holder,
            organizer_cents=organizer,
            municipality_cents=municipality,
            region_cents=region,
            municipality_nis_code=sale.nis_code,
            holder_is_local=sale.nis_code == NIS_AALST,
            cancelled_at=sale.at + timedelta(minutes=5) if sale.cancelled else None,
        )
    )
    return sale_id


# --- A hand-made month ---------------------------------------------------------------------------

ALFA, CA = "org-alfa", "org-ca"
ORGANIZERS = {ALFA: "Alfa Cultuur", CA: "Ça Gaat Vooruit Şahin"}
"""Sorted by name "Ça" comes after "Alfa" and before "Zeta" on every database."""

COUNTED = {
    # version 1: its own shares, kept as they were priced
    "alfa-v1-aalst": Sale(
        ALFA, NIS_AALST, utc(2026, 3, 10, 10), (250, 250, 300, 200), config_version=1
    ),
    # version 2, just after the switch to summer time (03:30 local)
    "alfa-v2-zele": Sale(
        ALFA, NIS_ZELE, utc(2026, 3, 29, 1, 30), (300, 0, 600, 300), tariff_name=None
    ),
    # a group pass at the very first local instant of March
    "ca-group-aalst": Sale(CA, NIS_AALST, utc(2026, 2, 28, 23), (200, 200, 400, 0), group=True),
    # the last second of 31 March in Brussels
    "ca-zele-last": Sale(CA, NIS_ZELE, utc(2026, 3, 31, 21, 59, 59), (500, 100, 700, 199)),
}
LEFT_OUT = {
    "april-midnight": Sale(ALFA, NIS_AALST, utc(2026, 3, 31, 22), (100, 100, 100, 100)),
    "april-0030": Sale(ALFA, NIS_ZELE, utc(2026, 3, 31, 22, 30), (100, 100, 100, 100)),
    "february-last": Sale(CA, NIS_AALST, utc(2026, 2, 28, 22, 59, 59), (100, 100, 100, 100)),
    "cancelled": Sale(ALFA, NIS_AALST, utc(2026, 3, 15, 12), (900, 0, 900, 0), cancelled=True),
    "other-region": Sale(CA, NIS_OTHER, utc(2026, 3, 12), (100, 0, 50, 0), region_id=OTHER_REGION),
}


@pytest.fixture
def month(session: Session) -> dict[str, str]:
    """The hand-made sales; name → sale id."""
    world = build_world(session, ORGANIZERS)
    ids = {name: add_sale(session, world, sale) for name, sale in {**COUNTED, **LEFT_OUT}.items()}
    session.flush()
    return ids


class TestHandMadeMonth:
    @pytest.mark.usefixtures("month")
    def test_every_total_to_the_cent(self, session: Session) -> None:
        result = settle(session, region_id=REGION, period=MARCH)
        assert result.region_name == "Denderland"
        assert result.timezone == "Europe/Brussels"
        assert result.totals == ShareTotals(4, 4499, 1250, 550, 2000, 699)
        assert result.totals.reimbursed_cents == 2000 + 699
        [alfa, ca] = result.organizers
        assert (alfa.organizer_id, alfa.organizer_name) == (ALFA, "Alfa Cultuur")
        assert alfa.totals == ShareTotals(2, 2200, 550, 250, 900, 500)
        assert alfa.totals.reimbursed_cents == 1400
        assert (ca.organizer_id, ca.organizer_name) == (CA, "Ça Gaat Vooruit Şahin")
        assert ca.totals == ShareTotals(2, 2299, 700, 300, 1100, 199)
        assert ca.totals.reimbursed_cents == 1299
        assert result.debts == (
            MunicipalityDebt(NIS_AALST, "Aalst", ALFA, "Alfa Cultuur", 1, 300),
            MunicipalityDebt(NIS_AALST, "Aalst", CA, "Ça Gaat Vooruit Şahin", 1, 400),
            MunicipalityDebt(NIS_ZELE, "Zele", ALFA, "Alfa Cultuur", 1, 600),
            MunicipalityDebt(NIS_ZELE, "Zele", CA, "Ça Gaat Vooruit Şahin", 1, 700),
        )
        assert result.municipality_totals == ((NIS_AALST, "Aalst", 700), (NIS_ZELE, "Zele", 1300))

    def test_the_lines_in_local_time_with_their_own_version(
        self, session: Session, month: dict[str, str]
    ) -> None:
        lines = list(settlement_lines(session, region_id=REGION, period=MARCH))
        assert [line.sale_id for line in lines] == [
            month["alfa-v1-aalst"],
            month["alfa-v2-zele"],
            month["ca-group-aalst"],
            month["ca-zele-last"],
        ]
        v1, v2, group, last = lines
        assert (v1.config_version, v1.rule_id, v1.key_id) == (1, "rule-v1", f"key-{NIS_AALST}")
        assert (v1.holder_cents, v1.organizer_cents, v1.municipality_cents) == (250, 250, 300)
        assert (v2.config_version, v2.tariff_name, v2.municipality_name) == (2, None, "Zele")
        assert v2.sold_at == datetime(2026, 3, 29, 3, 30, tzinfo=BRUSSELS)
        assert v2.sold_at.utcoffset() == timedelta(hours=2)
        assert group.sold_at == datetime(2026, 3, 1, 0, 0, tzinfo=BRUSSELS)
        assert group.sold_at.utcoffset() == timedelta(hours=1)
        assert last.sold_at.isoformat() == "2026-03-31T23:59:59+02:00"
        assert last.organizer_name == "Ça Gaat Vooruit Şahin"
        assert last.event_title == "Voorstelling van Ça Gaat Vooruit Şahin"
        assert last.regular_cents == 1499
        assert count_lines(session, region_id=REGION, period=MARCH) == 4

    def test_april_starts_at_local_midnight(self, session: Session, month: dict[str, str]) -> None:
        april = LocalPeriod(date(2026, 4, 1), date(2026, 4, 30))
        result = settle(session, region_id=REGION, period=april)
        assert result.totals == ShareTotals(2, 800, 200, 200, 200, 200)
        ids = {line.sale_id for line in settlement_lines(session, region_id=REGION, period=april)}
        assert ids == {month["april-midnight"], month["april-0030"]}

    def test_one_organizer(self, session: Session, month: dict[str, str]) -> None:
        result = settle(session, region_id=REGION, period=MARCH, organizer_id=CA)
        assert result.organizer_id == CA
        assert [o.organizer_id for o in result.organizers] == [CA]
        assert result.totals == ShareTotals(2, 2299, 700, 300, 1100, 199)
        assert result.municipality_totals == ((NIS_AALST, "Aalst", 400), (NIS_ZELE, "Zele", 700))
        lines = settlement_lines(session, region_id=REGION, period=MARCH, organizer_id=CA)
        assert [line.sale_id for line in lines] == [month["ca-group-aalst"], month["ca-zele-last"]]
        assert count_lines(session, region_id=REGION, period=MARCH, organizer_id=CA) == 2

    @pytest.mark.usefixtures("month")
    def test_an_empty_period_is_zero_not_null(self, session: Session) -> None:
        empty = LocalPeriod(date(2025, 1, 1), date(2025, 1, 31))
        result = settle(session, region_id=REGION, period=empty)
        assert result.totals == ShareTotals(0, 0, 0, 0, 0, 0)
        assert (result.organizers, result.debts, result.municipality_totals) == ((), (), ())
        assert list(settlement_lines(session, region_id=REGION, period=empty)) == []
        assert count_lines(session, region_id=REGION, period=empty) == 0

    @pytest.mark.usefixtures("month")
    def test_unknown_region_or_organizer_is_not_found_at_once(self, session: Session) -> None:
        for call in (settle, count_lines, settlement_lines):
            with pytest.raises(NotFound) as region:
                call(session, region_id=989, period=MARCH)
            assert region.value.code == "region-not-found"
            with pytest.raises(NotFound) as organizer:
                call(session, region_id=REGION, period=MARCH, organizer_id="nobody")
            assert organizer.value.code == "organizer-not-found"

    def test_organizers_sort_by_name_without_case_or_accents(self, session: Session) -> None:
        names = {"z": "Zeta", "e": "émile vzw", "b": "bravo", "c": "Ça Gaat", "a": "Alfa"}
        world = build_world(session, names)
        for organizer_id in names:
            add_sale(session, world, Sale(organizer_id, NIS_ZELE, utc(2026, 3, 2), (1, 1, 1, 1)))
        session.flush()
        result = settle(session, region_id=REGION, period=MARCH)
        expected = ["Alfa", "bravo", "Ça Gaat", "émile vzw", "Zeta"]
        assert [o.organizer_name for o in result.organizers] == expected
        assert [d.organizer_name for d in result.debts] == expected
        lines = settlement_lines(session, region_id=REGION, period=MARCH)
        assert [line.organizer_name for line in lines] == expected


class TestFilesFromTheDatabase:
    @pytest.mark.usefixtures("month")
    def test_csv_xlsx_and_pdf_agree_with_the_settlement(self, session: Session) -> None:
        result = settle(session, region_id=REGION, period=MARCH)

        def lines() -> Iterator[SettlementLine]:
            return settlement_lines(session, region_id=REGION, period=MARCH)

        text = "".join(settlement_csv(result, lines()))
        rows = list(csv.DictReader(io.StringIO(text.removeprefix("\ufeff")), delimiter=";"))
        assert [row["sale_id"] for row in rows] == [line.sale_id for line in lines()]
        assert sum(int(row["region_eur"].replace(".", "")) for row in rows) == 699
        assert rows[1]["sold_at"] == "2026-03-29T03:30:00+02:00"

        book = io.BytesIO()
        settlement_xlsx(result, lines(), book)
        sheet = load_workbook(book, read_only=True)["Organisatoren"]
        total = next(r for r in sheet.iter_rows(values_only=True) if r[:1] == ("Totaal",))
        assert total[2] == 4
        assert [Decimal(str(v)) * 100 for v in total[3:9]] == [4499, 1250, 550, 2000, 699, 2699]

        pdf = io.BytesIO()
        expense_claim_pdf(result, lines(), pdf)
        shown = pdftotext(pdf.getvalue())
        assert "Ça Gaat Vooruit Şahin" in shown
        assert "1 maart 2026 – 31 maart 2026" in shown
        assert "€ 26,99" in shown  # the grand total to reimburse, on the summary
        assert "€ 14,00" in shown  # each organizer's claim
        assert "€ 12,99" in shown


def pdftotext(pdf: bytes) -> str:
    return subprocess.run(
        ["pdftotext", "-layout", "-", "-"], input=pdf, capture_output=True, check=True
    ).stdout.decode()


# --- Properties ----------------------------------------------------------------------------------

PROPERTY_ORGANIZERS = {"p-1": "Kunstencentrum", "p-2": "Sportdienst", "p-3": "Jeugdhuis"}
PERIODS = (
    MARCH,
    LocalPeriod(date(2026, 3, 29), date(2026, 3, 29)),  # 23 hours long
    LocalPeriod(date(2026, 10, 25), date(2026, 10, 25)),  # 25 hours long
    LocalPeriod(date(2026, 3, 1), date(2026, 10, 31)),
)


def local_midnight(day: date) -> datetime:
    return datetime.combine(day, datetime.min.time(), tzinfo=BRUSSELS).astimezone(UTC)


@st.composite
def scenarios(draw: st.DrawFn) -> tuple[LocalPeriod, list[Sale], str | None]:
    """A period, sales around it (many on its first and last second and just outside), and
    perhaps one organizer to settle."""
    period = draw(st.sampled_from(PERIODS))
    lo, hi = local_midnight(period.start), local_midnight(period.end + timedelta(days=1))
    edges = [edge + timedelta(seconds=n) for edge in (lo, hi) for n in (-1, 0, 1)]
    span = int((hi - lo).total_seconds()) + 4 * 24 * 3600
    instants = st.one_of(
        st.sampled_from(edges),
        st.integers(0, span).map(lambda s: lo - timedelta(days=2) + timedelta(seconds=s)),
    )
    sale = st.builds(
        Sale,
        organizer_id=st.sampled_from(sorted(PROPERTY_ORGANIZERS)),
        nis_code=st.sampled_from([NIS_AALST, NIS_ZELE, NIS_OTHER]),
        at=instants,
        shares=st.tuples(*(st.integers(0, 5_000) for _ in range(4))),
        config_version=st.integers(1, 3),
        region_id=st.sampled_from([REGION, REGION, REGION, OTHER_REGION]),
        cancelled=st.booleans(),
        group=st.booleans(),
        tariff_name=st.sampled_from(["Kansentarief", None]),
    )
    organizer_id = draw(st.none() | st.sampled_from(sorted(PROPERTY_ORGANIZERS)))
    return period, draw(st.lists(sale, max_size=30)), organizer_id


def expected_settlement(
    generated: list[Sale], period: LocalPeriod, organizer_id: str | None
) -> tuple[dict[str | None, list[int]], dict[tuple[str, str], list[int]]]:
    """Σ per organizer (and None: all) and per (municipality, organizer), from the local date of
    each sale: the other way round from the code, which turns the period into UTC bounds."""
    per_organizer: dict[str | None, list[int]] = defaultdict(lambda: [0] * 6)
    per_debt: dict[tuple[str, str], list[int]] = defaultdict(lambda: [0, 0])
    for sale in generated:
        local_day = sale.at.astimezone(BRUSSELS).date()
        if sale.region_id != REGION or sale.cancelled:
            continue
        if not period.start <= local_day <= period.end:
            continue
        if organizer_id is not None and sale.organizer_id != organizer_id:
            continue
        figures = [1, sale.regular, *sale.shares]
        for key in (sale.organizer_id, None):
            per_organizer[key] = [a + b for a, b in zip(per_organizer[key], figures, strict=True)]
        debt = per_debt[(sale.nis_code, sale.organizer_id)]
        debt[0] += 1
        debt[1] += sale.shares[2]
    return per_organizer, per_debt


def as_list(totals: ShareTotals) -> list[int]:
    return [
        totals.sales,
        totals.regular_cents,
        totals.holder_cents,
        totals.organizer_cents,
        totals.municipality_cents,
        totals.region_cents,
    ]


class TestProperties:
    @settings(
        max_examples=30,
        deadline=None,
        suppress_health_check=[HealthCheck.function_scoped_fixture, HealthCheck.too_slow],
    )
    @given(scenario=scenarios())
    def test_totals_equal_the_sum_of_the_sales(
        self, session: Session, scenario: tuple[LocalPeriod, list[Sale], str | None]
    ) -> None:
        period, generated, organizer_id = scenario
        savepoint = session.begin_nested()  # each example starts from an empty region
        try:
            world = build_world(session, PROPERTY_ORGANIZERS)
            for sale in generated:
                add_sale(session, world, sale)
            session.flush()
            check(session, generated, period, organizer_id)
        finally:
            savepoint.rollback()


def check(
    session: Session, generated: list[Sale], period: LocalPeriod, organizer_id: str | None
) -> None:
    per_organizer, per_debt = expected_settlement(generated, period, organizer_id)
    result = settle(session, region_id=REGION, period=period, organizer_id=organizer_id)
    empty = [0] * 6
    assert as_list(result.totals) == per_organizer.get(None, empty)
    assert {o.organizer_id: as_list(o.totals) for o in result.organizers} == {
        k: v for k, v in per_organizer.items() if k is not None
    }
    assert {(d.nis_code, d.organizer_id): [d.sales, d.cents] for d in result.debts} == per_debt
    assert_adds_up(result)
    lines = list(
        settlement_lines(session, region_id=REGION, period=period, organizer_id=organizer_id)
    )
    assert (
        len(lines)
        == result.totals.sales
        == count_lines(session, region_id=REGION, period=period, organizer_id=organizer_id)
    )
    line_sums = [
        len(lines),
        *(
            sum(getattr(line, name) for line in lines)
            for name in (
                "regular_cents",
                "holder_cents",
                "organizer_cents",
                "municipality_cents",
                "region_cents",
            )
        ),
    ]
    assert line_sums == as_list(result.totals)
    for line in lines:
        assert period.start <= line.sold_at.date() <= period.end
        assert line.sold_at.utcoffset() in (timedelta(hours=1), timedelta(hours=2))
    order = [o.organizer_id for o in result.organizers]
    grouped = [key for key, _ in itertools.groupby(line.organizer_id for line in lines)]
    assert grouped == order
    for _, group in itertools.groupby(lines, key=lambda line: line.organizer_id):
        keys = [(line.sold_at, line.sale_id) for line in group]
        assert keys == sorted(keys)


def assert_adds_up(result: Settlement) -> None:
    """The settlement's figures agree with each other."""
    totals = result.totals
    assert (
        totals.regular_cents
        == (totals.holder_cents + totals.organizer_cents + totals.municipality_cents)
        + totals.region_cents
    )
    for organizer in result.organizers:
        o = organizer.totals
        assert o.regular_cents == (
            o.holder_cents + o.organizer_cents + o.municipality_cents + o.region_cents
        )
    assert [sum(x) for x in zip(*(as_list(o.totals) for o in result.organizers), strict=True)] == (
        as_list(totals) if result.organizers else []
    )
    per_municipality: dict[str, int] = defaultdict(int)
    for debt in result.debts:
        per_municipality[debt.nis_code] += debt.cents
    assert {nis: cents for nis, _, cents in result.municipality_totals} == per_municipality
    assert sum(cents for _, _, cents in result.municipality_totals) == totals.municipality_cents
    assert sum(debt.sales for debt in result.debts) == totals.sales

"""Participation analytics on a hand-made region (known figures) and suppression that survives an
attacker who subtracts along every published sum."""

from __future__ import annotations

import itertools
import random
from datetime import UTC, date, datetime, timedelta
from fractions import Fraction
from typing import Any

import pytest
from sqlalchemy import select
from sqlalchemy.orm import Session

from passengine.domain.errors import InvalidInput, NotFound
from passengine.domain.model import CalendarType, EventDomain, MembershipStatus
from passengine.domain.report_periods import LocalPeriod
from passengine.services.reports.analytics import participation, reach_percent
from passengine.storage import tables as t
from tests.factories import make_region

PERIOD = LocalPeriod(date(2026, 2, 1), date(2026, 5, 31))
TODAY = date(2026, 6, 15)
REGION, OTHER_REGION, BIG_REGION = 7310, 7311, 7320
KS = "KANSENSTATUUT"


def at(text: str) -> datetime:
    """An instant written in UTC, e.g. ``at("2026-03-31 22:30")``."""
    return datetime.fromisoformat(text).replace(tzinfo=UTC)


class World:
    """Rows for a region: municipalities, an organizer with an event per domain, holders with
    memberships and statuses, sales and check-ins, inserted directly."""

    def __init__(self, session: Session, *, region_id: int, nis_code: str, postal_code: str):
        self.session = session
        self.region_id = region_id
        self.nis_code = nis_code
        self._ids = itertools.count(1)
        make_region(
            session,
            region_id=region_id,
            name=f"Regio {region_id}",
            nis_code=nis_code,
            postal_codes=(postal_code, str(int(postal_code) + 1)),
            target_groups=(KS, "SENIOR"),
        )
        self.organizer_id = f"org-{region_id}"
        session.add(t.Organizer(id=self.organizer_id, name="Cultuurhuis", nis_code=nis_code))
        session.flush()
        self.events: dict[EventDomain, str] = {}
        for domain in EventDomain:
            event_id = f"ev-{region_id}-{domain.value}"
            session.add(
                t.Event(
                    id=event_id,
                    organizer_id=self.organizer_id,
                    title=domain.value.title(),
                    location_nis_code=nis_code,
                    domain=domain,
                    calendar_type=CalendarType.PERMANENT,
                )
            )
            self.events[domain] = event_id
        session.flush()

    def group(self, code: str = KS, region_id: int | None = None) -> int:
        found = self.session.scalar(
            select(t.TargetGroup.id).where(
                t.TargetGroup.region_id == (region_id or self.region_id),
                t.TargetGroup.code == code,
            )
        )
        assert found is not None
        return found

    def municipality(
        self,
        nis_code: str,
        name: str,
        subs: tuple[str, ...],
        *,
        joined: date | None = None,
        left: date | None = None,
    ) -> None:
        """A municipality with sub-municipalities; in the region from ``joined`` if given."""
        self.session.add(t.Municipality(nis_code=nis_code, name=name))
        self.session.flush()
        for sub in subs:
            self.session.add(t.SubMunicipality(nis_code=nis_code, name=sub))
        if joined is not None:
            self.session.add(
                t.RegionMunicipality(
                    region_id=self.region_id,
                    nis_code=nis_code,
                    joined_on=joined,
                    left_on=left,
                )
            )
        self.session.flush()

    def sub(self, nis_code: str, name: str) -> int:
        found = self.session.scalar(
            select(t.SubMunicipality.id).where(
                t.SubMunicipality.nis_code == nis_code, t.SubMunicipality.name == name
            )
        )
        assert found is not None
        return found

    def holder(
        self, nis_code: str, sub_id: int | None = None, *, region_id: int | None = None
    ) -> tuple[str, int]:
        """A holder living in ``nis_code`` with a membership; returns (holder id, membership id)."""
        holder_id = f"h-{self.region_id}-{next(self._ids)}"
        self.session.add(
            t.PassHolder(
                id=holder_id,
                name="Peeters",
                first_name="An",
                birth_date=date(1980, 1, 1),
                postal_code="3630",
                nis_code=nis_code,
                sub_municipality_id=sub_id,
            )
        )
        self.session.flush()
        membership = t.Membership(
            holder_id=holder_id,
            region_id=region_id or self.region_id,
            status=MembershipStatus.ACTIVE,
        )
        self.session.add(membership)
        self.session.flush()
        return holder_id, membership.id

    def status(
        self,
        membership_id: int,
        start: date,
        end: date,
        *,
        ended_on: date | None = None,
        granted_at: datetime | None = None,
        group_id: int | None = None,
    ) -> None:
        self.session.add(
            t.SocialTariffStatusRow(
                membership_id=membership_id,
                target_group_id=group_id or self.group(),
                start_date=start,
                end_date=end,
                ended_on=ended_on,
                granted_at=granted_at or datetime.combine(start, datetime.min.time(), UTC),
            )
        )
        self.session.flush()

    def status_holder(
        self, nis_code: str, sub_id: int | None = None, *, start: date = date(2026, 1, 1)
    ) -> str:
        holder_id, membership_id = self.holder(nis_code, sub_id)
        self.status(membership_id, start, date(2026, 12, 31))
        return holder_id

    def sale(
        self, holder_id: str, domain: EventDomain, when: datetime, *, cancelled: bool = False
    ) -> None:
        self.session.add(
            t.TicketSale(
                id=f"s-{self.region_id}-{next(self._ids)}",
                created_at=when,
                event_id=self.events[domain],
                organizer_id=self.organizer_id,
                region_id=self.region_id,
                holder_id=holder_id,
                uitpas_number="0900000000001",
                tariff_id="SOCIALTARIFF-r1",
                tariff_type="SOCIALTARIFF",
                rule_id="r1",
                config_version=1,
                key_id="k1",
                regular_price_cents=1000,
                holder_cents=250,
                organizer_cents=250,
                municipality_cents=500,
                region_cents=0,
                municipality_nis_code=self.nis_code,
                holder_is_local=True,
                cancelled_at=when + timedelta(minutes=5) if cancelled else None,
            )
        )
        self.session.flush()

    def checkin(
        self, holder_id: str, domain: EventDomain, when: datetime, *, cancelled: bool = False
    ) -> None:
        self.session.add(
            t.Checkin(
                id=f"c-{self.region_id}-{next(self._ids)}",
                created_at=when,
                event_id=self.events[domain],
                organizer_id=self.organizer_id,
                holder_id=holder_id,
                uitpas_number="0900000000001",
                points=1,
                cancelled_at=when + timedelta(minutes=5) if cancelled else None,
            )
        )
        self.session.flush()


CULTURE, YOUTH, SPORT, OTHER = (
    EventDomain.CULTURE,
    EventDomain.YOUTH,
    EventDomain.SPORT,
    EventDomain.OTHER,
)


A, B, C, GONE, HALF = "73901", "73902", "73903", "73904", "73906"


@pytest.fixture
def world(session: Session) -> World:
    """The hand-made region (figures worked out in ``test_hand_made_region``).

    Municipalities: A (``Gemeente 73901``: Deel 3901, Deel 3902), B (Kleindorp: Centrum), HALF
    (Halfweg, left the region during the period) and GONE (left before it) in the region; C
    (Verweg: Noord) outside it, where one status holder lives. The period is February to May
    2026, across the DST change.
    """
    w = World(session, region_id=REGION, nis_code=A, postal_code="3901")
    w.municipality(B, "Kleindorp", ("Centrum",), joined=date(2020, 1, 1))
    w.municipality(C, "Verweg", ("Noord",))
    w.municipality(GONE, "Vertrokken", ("Oud",), joined=date(2020, 1, 1), left=date(2025, 1, 1))
    w.municipality(HALF, "Halfweg", (), joined=date(2020, 1, 1), left=date(2026, 3, 1))
    make_region(session, region_id=OTHER_REGION, nis_code="73905", postal_codes=("3905",))
    a1, a2, b1 = w.sub(A, "Deel 3901"), w.sub(A, "Deel 3902"), w.sub(B, "Centrum")

    # h1 A/Deel 3901: active before the period (not first-time); 00:30 on 1 April in Brussels.
    h1 = w.status_holder(A, a1)
    w.checkin(h1, CULTURE, at("2025-12-10 10:00"))
    w.checkin(h1, CULTURE, at("2026-03-31 22:30"))
    w.sale(h1, SPORT, at("2026-04-10 10:00"))
    # h2 A/Deel 3901: first activity ever at 00:30 on 1 February (first-time in February); a
    # check-in at 00:30 on 1 June is outside the period.
    h2 = w.status_holder(A, a1)
    w.sale(h2, YOUTH, at("2026-01-31 23:30"))
    w.checkin(h2, CULTURE, at("2026-05-20 10:00"))
    w.checkin(h2, CULTURE, at("2026-05-31 22:30"))
    # h3 A/Deel 3902: only a check-in at 23:59 on 31 January: not reached.
    h3 = w.status_holder(A, a2)
    w.checkin(h3, CULTURE, at("2026-01-31 22:59"))
    # h4 A/unknown, erased: a status that ends on 1 March still overlaps; first-time in March.
    h4, m4 = w.holder(A)
    w.status(m4, date(2025, 5, 1), date(2026, 3, 1))
    w.checkin(h4, CULTURE, at("2026-03-01 10:00"))
    session.get_one(t.PassHolder, h4).erased_at = at("2026-06-01 09:00")
    # h5 A/Deel 3902: status ended in 2025: an "other" holder.
    h5, m5 = w.holder(A, a2)
    w.status(m5, date(2025, 1, 1), date(2025, 12, 31))
    w.checkin(h5, OTHER, at("2026-02-10 10:00"))
    # h6 A/Deel 3902: status ended early (ended_on 15 January): not a status holder.
    h6, m6 = w.holder(A, a2)
    w.status(m6, date(2025, 6, 1), date(2026, 12, 31), ended_on=date(2026, 1, 15))
    w.sale(h6, CULTURE, at("2026-03-15 10:00"))
    # h7 B/Centrum: only cancelled activity: not reached.
    h7 = w.status_holder(B, b1)
    w.checkin(h7, SPORT, at("2026-03-10 10:00"), cancelled=True)
    w.sale(h7, SPORT, at("2026-03-11 10:00"), cancelled=True)
    # h8 lives in C (outside the region), member of it: reached, first-time in May (a
    # cancelled check-in in 2025 does not count as activity).
    h8 = w.status_holder(C)
    w.checkin(h8, OTHER, at("2025-06-01 10:00"), cancelled=True)
    w.checkin(h8, OTHER, at("2026-05-05 10:00"))
    # h9 A/Deel 3901, a status holder of the other region only: excluded everywhere.
    h9, m9 = w.holder(A, a1, region_id=OTHER_REGION)
    w.status(m9, date(2026, 1, 1), date(2026, 7, 1), group_id=w.group(region_id=OTHER_REGION))
    w.checkin(h9, CULTURE, at("2026-03-05 10:00"))
    w.sale(h9, CULTURE, at("2026-03-05 10:00"))
    # h10 A/Deel 3901, no status: an "other" holder.
    h10, _ = w.holder(A, a1)
    w.checkin(h10, YOUTH, at("2026-02-15 10:00"))
    # h11 B/Centrum: status starts after the period: an "other" holder.
    h11, m11 = w.holder(B, b1)
    w.status(m11, date(2026, 6, 1), date(2027, 5, 31))
    w.checkin(h11, SPORT, at("2026-04-01 10:00"))
    # h12 A/Deel 3901: not reached; status ends 31 July (ending soon).
    _, m12 = w.holder(A, a1)
    w.status(m12, date(2025, 9, 1), date(2026, 7, 31))
    # h13 B/Centrum: renewed (newest grant ends in 2027): not ending soon.
    _, m13 = w.holder(B, b1)
    w.status(m13, date(2025, 1, 1), date(2026, 7, 1), granted_at=at("2025-01-01 09:00"))
    w.status(m13, date(2026, 7, 2), date(2027, 6, 30), granted_at=at("2026-05-01 09:00"))
    # h14 A/Deel 3902: kansenstatuut ends 1 August, but a senior status runs on.
    _, m14 = w.holder(A, a2)
    w.status(m14, date(2025, 9, 1), date(2026, 8, 1))
    w.status(m14, date(2026, 1, 1), date(2027, 12, 31), group_id=w.group("SENIOR"))
    # h15 B/Centrum: ended on 1 July (ending soon); active in 2025 so not first-time.
    h15, m15 = w.holder(B, b1)
    w.status(m15, date(2026, 1, 1), date(2026, 12, 31), ended_on=date(2026, 7, 1))
    w.sale(h15, CULTURE, at("2025-11-01 10:00"))
    w.sale(h15, CULTURE, at("2026-02-20 10:00"))
    # h16 B/unknown: ends on the last day of the window (ending soon); h17 A/Deel 3901 ends today.
    _, m16 = w.holder(B)
    w.status(m16, date(2026, 1, 1), date(2026, 8, 14))
    _, m17 = w.holder(A, a1)
    w.status(m17, date(2026, 1, 1), date(2026, 6, 15))
    return w


def test_hand_made_region(session: Session, world: World) -> None:
    a1, a2, b1 = world.sub(A, "Deel 3901"), world.sub(A, "Deel 3902"), world.sub(B, "Centrum")
    c1 = world.sub(C, "Noord")

    result = participation(session, region_id=REGION, period=PERIOD, today=TODAY, threshold=1)

    assert (result.region_id, result.region_name, result.period) == (REGION, "Regio 7310", PERIOD)
    assert (result.threshold, result.ending_within_days) == (1, 60)
    f = result.figures
    assert f["region"] == {"id": REGION, "name": "Regio 7310"}
    assert f["period"] == {"start": "2026-02-01", "end": "2026-05-31"}
    assert f["threshold"] == 1

    def reach(holders: int, reached: int, percent: float | None) -> dict[str, Any]:
        return {
            "status_holders": holders,
            "reached": reached,
            "not_reached": holders - reached,
            "reach_percent": percent,
        }

    assert f["reach"] == {
        "total": reach(12, 5, 41.7),
        "municipalities": [
            {
                "nis_code": A,
                "name": "Gemeente 73901",
                **reach(7, 3, 42.9),
                "sub_municipalities": [
                    {"id": a1, "name": "Deel 3901", **reach(4, 2, 50.0)},
                    {"id": a2, "name": "Deel 3902", **reach(2, 0, 0.0)},
                    {"id": None, "name": None, **reach(1, 1, 100.0)},
                ],
            },
            {
                "nis_code": HALF,
                "name": "Halfweg",
                **reach(0, 0, None),
                "sub_municipalities": [{"id": None, "name": None, **reach(0, 0, None)}],
            },
            {
                "nis_code": B,
                "name": "Kleindorp",
                **reach(4, 1, 25.0),
                "sub_municipalities": [
                    {"id": b1, "name": "Centrum", **reach(3, 1, 33.3)},
                    {"id": None, "name": None, **reach(1, 0, 0.0)},
                ],
            },
            {
                "nis_code": C,
                "name": "Verweg",
                **reach(1, 1, 100.0),
                "sub_municipalities": [
                    {"id": c1, "name": "Noord", **reach(0, 0, None)},
                    {"id": None, "name": None, **reach(1, 1, 100.0)},
                ],
            },
        ],
    }
    assert f["months"] == [
        {"month": "2026-02", "reached": 2, "first_time": 1, "checkins": 2, "tickets": 2},
        {"month": "2026-03", "reached": 1, "first_time": 1, "checkins": 1, "tickets": 1},
        {"month": "2026-04", "reached": 1, "first_time": 0, "checkins": 2, "tickets": 1},
        {"month": "2026-05", "reached": 2, "first_time": 1, "checkins": 2, "tickets": 0},
    ]
    assert f["domains"] == [
        {"domain": "CULTURE", "reached": 4, "checkins": 3, "tickets": 2},
        {"domain": "OTHER", "reached": 1, "checkins": 2, "tickets": 0},
        {"domain": "SPORT", "reached": 1, "checkins": 1, "tickets": 1},
        {"domain": "YOUTH", "reached": 1, "checkins": 1, "tickets": 1},
    ]
    assert f["first_time"] == {"total": 3}
    assert f["checkins"] == {"total": 7, "status_holders": 4, "other_holders": 3}
    assert f["tickets"] == {"total": 4}
    assert f["ending_soon"] == {
        "within_days": 60,
        "total": 3,
        "municipalities": [
            {"nis_code": A, "name": "Gemeente 73901", "count": 1},
            {"nis_code": HALF, "name": "Halfweg", "count": 0},
            {"nis_code": B, "name": "Kleindorp", "count": 2},
            {"nis_code": C, "name": "Verweg", "count": 0},
        ],
    }


@pytest.mark.usefixtures("world")
def test_ending_soon_follows_today_and_the_window(session: Session) -> None:
    def ending(today: date, days: int) -> dict[str, Any]:
        figures = participation(
            session,
            region_id=REGION,
            period=PERIOD,
            today=today,
            threshold=0,
            ending_within_days=days,
        ).figures
        return {m["nis_code"]: m["count"] for m in figures["ending_soon"]["municipalities"]}

    # (14 June, 13 August]: h17 (15 June) now counts, h16 (14 August) no longer.
    assert ending(date(2026, 6, 14), 60) == {A: 2, HALF: 0, B: 1, C: 0}
    # Within 16 days of 15 June: only h15 (ended on 1 July).
    assert ending(TODAY, 16) == {A: 0, HALF: 0, B: 1, C: 0}
    assert ending(TODAY, 0) == {A: 0, HALF: 0, B: 0, C: 0}


@pytest.mark.usefixtures("world")
def test_one_month_and_an_unknown_region(session: Session) -> None:
    april = participation(
        session,
        region_id=REGION,
        period=LocalPeriod(date(2026, 4, 1), date(2026, 4, 30)),
        today=TODAY,
        threshold=0,
    ).figures
    # h1 (00:30 on 1 April in Brussels) is reached in April; h11 is an "other" holder.
    assert april["months"] == [
        {"month": "2026-04", "reached": 1, "first_time": 0, "checkins": 2, "tickets": 1}
    ]
    assert april["reach"]["total"]["reached"] == 1
    assert april["checkins"] == {"total": 2, "status_holders": 1, "other_holders": 1}
    with pytest.raises(NotFound) as err:
        participation(session, region_id=999_999, period=PERIOD, today=TODAY)
    assert err.value.code == "region-not-found"
    with pytest.raises(InvalidInput):
        participation(session, region_id=REGION, period=PERIOD, today=TODAY, threshold=-1)


@pytest.mark.usefixtures("world")
def test_small_cells_are_suppressed_in_the_hand_made_region(session: Session) -> None:
    _, cells = assert_safely_suppressed(session, REGION)
    # Zero is published: nobody singles nobody out.
    assert cells[f"reach.{C}.Noord.status_holders"] == 0
    assert cells[f"reach.{A}.Deel 3902.reached"] == 0
    assert cells[f"reach.{A}.Deel 3901.reached"] is None


def big_region(session: Session, seed: int) -> World:
    """Two municipalities with random status holders, activity and end dates, except that
    Deel 3911 has ten status holders of whom exactly two were reached."""
    rng = random.Random(seed)
    w = World(session, region_id=BIG_REGION, nis_code="73911", postal_code="3911")
    w.municipality("73912", "Tweede", ("Noord", "Zuid"), joined=date(2020, 1, 1))
    a1 = w.sub("73911", "Deel 3911")
    for n in range(10):
        holder_id = w.status_holder("73911", a1)
        if n < 2:
            w.checkin(holder_id, CULTURE, at("2026-03-03 10:00") + timedelta(days=n))
    nodes = [
        ("73911", w.sub("73911", "Deel 3912")),
        ("73911", None),
        ("73912", w.sub("73912", "Noord")),
        ("73912", w.sub("73912", "Zuid")),
        ("73912", None),
    ]
    for nis_code, sub_id in nodes:
        for _ in range(rng.randint(0, 12)):
            holder_id, membership_id = w.holder(nis_code, sub_id)
            ends = rng.choice([date(2026, 12, 31), TODAY + timedelta(days=rng.randint(1, 60))])
            w.status(membership_id, date(2026, 1, 1), ends)
            if rng.random() < 0.6:
                random_activity(w, rng, holder_id, earlier=rng.random() < 0.4)
        for _ in range(rng.randint(0, 8)):
            holder_id, _ = w.holder(nis_code, sub_id)
            random_activity(w, rng, holder_id, earlier=False)
    return w


def random_activity(w: World, rng: random.Random, holder_id: str, *, earlier: bool) -> None:
    if earlier:
        w.sale(holder_id, CULTURE, at("2025-10-01 10:00"))
    for _ in range(rng.randint(1, 3)):
        when = at("2026-02-01 08:00") + timedelta(days=rng.randrange(119), hours=rng.randrange(12))
        domain = rng.choice(list(EventDomain))
        (w.sale if rng.random() < 0.5 else w.checkin)(holder_id, domain, when)


@pytest.mark.parametrize("seed", [1, 2, 3, 4])
def test_suppression_resists_subtraction(session: Session, seed: int) -> None:
    big_region(session, seed)
    truth, cells = assert_safely_suppressed(session, BIG_REGION)
    assert truth["reach.73911.Deel 3911.reached"] == 2
    assert cells["reach.73911.Deel 3911.reached"] is None


def assert_safely_suppressed(
    session: Session, region_id: int
) -> tuple[dict[str, int | None], dict[str, int | None]]:
    """Threshold 5 against the raw figures: what is published is true, every count from 1 to 4
    is hidden, and an attacker subtracting along the published sums learns nothing hidden.
    Returns the raw and the published cells."""
    raw = participation(session, region_id=region_id, period=PERIOD, today=TODAY, threshold=0)
    shown = participation(session, region_id=region_id, period=PERIOD, today=TODAY)
    assert shown.threshold == 5
    truth, truth_relations = published_cells(raw.figures)
    assert all(v is not None for v in truth.values())
    for total, parts in truth_relations:
        assert truth[total] == sum(truth[p] or 0 for p in parts), total
    cells, relations = published_cells(shown.figures)
    assert cells.keys() == truth.keys()
    hidden = {key for key, value in cells.items() if value is None}
    assert hidden, "the test data should need suppression"
    for key, value in cells.items():
        assert value is None or value == truth[key], key
        assert not 0 < (truth[key] or 0) < 5 or value is None, key
    assert recoverable(cells, relations) == {}
    assert determined(cells, relations) == set()
    for node in reach_nodes(shown.figures):
        if node["reached"] is None or node["status_holders"] is None:
            assert node["reach_percent"] is None
        else:
            assert node["reach_percent"] == reach_percent(node["reached"], node["status_holders"])
    return truth, cells


# --- The attacker ---------------------------------------------------------------------------------

Relation = tuple[str, tuple[str, ...]]
MEASURES = ("status_holders", "reached", "not_reached")


def reach_nodes(figures: dict[str, Any]) -> list[dict[str, Any]]:
    nodes = [figures["reach"]["total"]]
    for municipality in figures["reach"]["municipalities"]:
        nodes.append(municipality)
        nodes.extend(municipality["sub_municipalities"])
    return nodes


def published_cells(figures: dict[str, Any]) -> tuple[dict[str, int | None], list[Relation]]:
    """Every published count by name, and every additive relation a reader knows holds."""
    cells: dict[str, int | None] = {}
    relations: list[Relation] = []

    def node(prefix: str, figures: dict[str, Any]) -> None:
        for measure in MEASURES:
            cells[f"{prefix}.{measure}"] = figures[measure]
        relations.append(
            (f"{prefix}.status_holders", (f"{prefix}.reached", f"{prefix}.not_reached"))
        )

    def partition(total: str, parts: list[str]) -> None:
        relations.append((total, tuple(parts)))

    node("reach.region", figures["reach"]["total"])
    municipalities = [f"reach.{m['nis_code']}" for m in figures["reach"]["municipalities"]]
    for prefix, municipality in zip(
        municipalities, figures["reach"]["municipalities"], strict=True
    ):
        node(prefix, municipality)
        subs = [f"{prefix}.{s['name'] or 'unknown'}" for s in municipality["sub_municipalities"]]
        for sub_prefix, sub in zip(subs, municipality["sub_municipalities"], strict=True):
            node(sub_prefix, sub)
        for measure in MEASURES:
            partition(f"{prefix}.{measure}", [f"{s}.{measure}" for s in subs])
    for measure in MEASURES:
        partition(f"reach.region.{measure}", [f"{m}.{measure}" for m in municipalities])
    for family in ("first_time", "checkins", "tickets", "reached"):
        for row in figures["months"]:
            cells[f"{family}.{row['month']}"] = row[family]
        if family != "reached":
            cells[f"{family}.total"] = figures[family]["total"]
            partition(f"{family}.total", [f"{family}.{row['month']}" for row in figures["months"]])
    for family in ("checkins", "tickets", "reached"):
        for row in figures["domains"]:
            cells[f"{family}.{row['domain']}"] = row[family]
        if family != "reached":
            partition(
                f"{family}.total", [f"{family}.{row['domain']}" for row in figures["domains"]]
            )
    cells["checkins.status_holders"] = figures["checkins"]["status_holders"]
    cells["checkins.other_holders"] = figures["checkins"]["other_holders"]
    partition("checkins.total", ["checkins.status_holders", "checkins.other_holders"])
    ending = figures["ending_soon"]
    cells["ending_soon.total"] = ending["total"]
    for m in ending["municipalities"]:
        cells[f"ending_soon.{m['nis_code']}"] = m["count"]
    partition(
        "ending_soon.total", [f"ending_soon.{m['nis_code']}" for m in ending["municipalities"]]
    )
    return cells, relations


def recoverable(cells: dict[str, int | None], relations: list[Relation]) -> dict[str, int]:
    """What an attacker works out by solving, again and again, any sum with one unknown."""
    known = {key: value for key, value in cells.items() if value is not None}
    found: dict[str, int] = {}
    progress = True
    while progress:
        progress = False
        for total, parts in relations:
            unknown = [key for key in (total, *parts) if key not in known]
            if len(unknown) != 1:
                continue
            (key,) = unknown
            rest = sum(known[p] for p in parts if p != key)
            found[key] = known[key] = rest if key == total else known[total] - rest
            progress = True
    return found


def determined(cells: dict[str, int | None], relations: list[Relation]) -> set[str]:
    """Hidden cells the published sums pin down when solved together (exact elimination)."""
    unknowns = sorted(key for key, value in cells.items() if value is None)
    column = {key: i for i, key in enumerate(unknowns)}
    pivots: dict[int, dict[int, Fraction]] = {}
    for total, parts in relations:
        row: dict[int, Fraction] = {}
        for key, sign in [(total, -1), *((p, 1) for p in parts)]:
            if key in column:
                row[column[key]] = row.get(column[key], Fraction(0)) + sign
        for col, pivot_row in pivots.items():
            eliminate(row, pivot_row, col)
        row = {c: v for c, v in row.items() if v}
        if not row:
            continue
        col = min(row)
        row = {c: v / row[col] for c, v in row.items()}
        for other in pivots.values():
            eliminate(other, row, col)
        pivots[col] = row
    return {unknowns[next(iter(row))] for row in pivots.values() if len(row) == 1}


def eliminate(row: dict[int, Fraction], pivot_row: dict[int, Fraction], col: int) -> None:
    factor = row.get(col)
    if not factor:
        return
    for c, v in pivot_row.items():
        row[c] = row.get(c, Fraction(0)) - factor * v
        if not row[c]:
            del row[c]

"""A synthetic past for a region: dated events, reduced-rate ticket sales and check-ins.

The demo needs months of activity for its settlement, budget view and annual report, and the
benchmarks need a million sales. The history is written as the live services would have written
it: every sale is priced with the region's current tariff configuration through the pure core
(``static_quote`` for the rule and price, ``split`` for the shares) and stamps its rule, key and
configuration version; every check-in earns its event's points through the points ledger; the
municipalities' budget counters include the generated municipality shares, so live pricing sees
the history.

The window is the ``months`` whole calendar months before today's month, plus today's month up to
yesterday (local dates in the region's time zone): every generated event lies in the past.

Holders take part when their membership in the region is active and they are not excluded.
Fixtures register statuses as starting on the day of loading, so the newest status per target
group of every taking-part holder is backdated (to a seeded day before or inside the window) to
make the past consistent: a sale is only generated on a day the holder's status was active.
A sale the live engine would refuse because of a cap, an organizer limit or a STOP budget is not
generated (the engine's fallback to a lower-priority rule in that case is not modelled).

A second run for the same region is refused (``Conflict``): the history's events already exist,
and adding a second past on top of the first would double every figure.

Everything happens in one transaction of the caller's session, written with Core ``executemany``
in batches, month by month, so memory stays flat for a million sales.
"""

from __future__ import annotations

import math
import random
from collections import defaultdict
from collections.abc import Callable, Collection, Iterator
from contextlib import contextmanager, suppress
from dataclasses import dataclass, field, replace
from datetime import UTC, date, datetime, time, timedelta
from typing import Any
from zoneinfo import ZoneInfo

from sqlalchemy import Table, bindparam, insert, select, text, update
from sqlalchemy.exc import SQLAlchemyError
from sqlalchemy.orm import Session

from passengine.domain.distribution import split
from passengine.domain.errors import Conflict, NotFound
from passengine.domain.limits import period_key
from passengine.domain.model import (
    CalendarType,
    CardStatus,
    DeskKind,
    EventDomain,
    MembershipStatus,
    Period,
)
from passengine.domain.report_periods import Bucket, LocalPeriod, months
from passengine.domain.rules import (
    BudgetPolicy,
    Payer,
    Residence,
    TariffConfig,
    TariffRule,
)
from passengine.domain.tariffs import SOCIALTARIFF, EventFacts, age_on, static_quote
from passengine.services.tariff_config import current_tariff_config
from passengine.storage import tables as t
from passengine.storage.base import Base

BATCH = 5_000
SQLITE_CACHE_KIB = 128 * 1024
MAX_MONTHS = 48
HISTORY_PREFIX = "hist-"
CHECKIN_REASON = "CHECKIN"
"""The ledger reason the live check-in service writes (``services.checkins``)."""

REGULAR_PRICES = (500, 600, 750, 800, 950, 1000, 1200, 1250, 1500, 1750, 1800, 2000, 2250, 2500)
"""Regular prices in cents: whole euros and 50 cents, €5 to €25."""
ROTATION = (EventDomain.CULTURE, EventDomain.YOUTH, EventDomain.SPORT)
TITLES: dict[EventDomain, tuple[str, ...]] = {
    EventDomain.CULTURE: (
        "Theatervoorstelling",
        "Concert in de foyer",
        "Filmavond",
        "Comedyavond",
        "Dansvoorstelling",
        "Lezing met gesprek",
        "Muziektheater voor het hele gezin",
        "Singer-songwriteravond",
    ),
    EventDomain.YOUTH: (
        "Speelnamiddag",
        "Knutselatelier",
        "Kindervoorstelling",
        "Grabbelpasactiviteit",
        "Jeugdatelier koken",
        "Spelletjesnamiddag",
    ),
    EventDomain.SPORT: (
        "Recreatief zwemmen",
        "Initiatie klimmen",
        "Yoga voor beginners",
        "Petanquetornooi",
        "Sportkamp-dag",
        "Aquagym",
    ),
    EventDomain.OTHER: (
        "Daguitstap",
        "Kookworkshop",
        "Buurtfeest",
        "Uitstap naar de zoo",
    ),
}
START_TIMES: dict[EventDomain, tuple[time, ...]] = {
    EventDomain.CULTURE: (time(19, 30), time(20, 0), time(20, 30), time(15, 0)),
    EventDomain.YOUTH: (time(13, 30), time(14, 0), time(14, 30)),
    EventDomain.SPORT: (time(14, 0), time(15, 0), time(19, 0), time(19, 30)),
    EventDomain.OTHER: (time(13, 0), time(14, 0), time(19, 0)),
}
ACTIVITY_COUNTS = (1, 2, 3)
ACTIVITY_WEIGHTS = (6, 3, 1)
MEAN_ACTIVITIES = sum(c * w for c, w in zip(ACTIVITY_COUNTS, ACTIVITY_WEIGHTS, strict=True)) / sum(
    ACTIVITY_WEIGHTS
)


@dataclass(frozen=True, slots=True)
class HistorySpec:
    """How much past to generate; mirrors the ``[activity_history]`` section of a region file."""

    months: int = 12
    seed: int = 1
    status_participation: float = 0.35
    """Share of the holders whose status covers a month who take part in that month."""
    other_participation: float = 0.08
    """Share of the other holders who take part (check-ins only: no reduced rate)."""
    sale_share: float = 0.85
    """Chance that a status holder's activity includes a reduced-rate ticket."""
    checkin_share: float = 0.6
    """Chance that an activity with a ticket also has a check-in (one without always has)."""
    max_events_per_organizer: int = 2
    """Each organizer holds 1 to this many events a month."""
    sales_per_month: int | None = None
    """Force this many sales in every month of the window, today's partial month included
    (benchmarks), spread evenly over the holders whose status covers the month; organizers then
    hold as many events as that needs. Slightly fewer are written when a holder's status covers
    too few of the month's events or a cap or STOP budget refuses a sale."""

    def __post_init__(self) -> None:
        if not 1 <= self.months <= MAX_MONTHS:
            raise ValueError(f"a history spans 1 to {MAX_MONTHS} months, not {self.months}")
        for name in ("status_participation", "other_participation", "sale_share", "checkin_share"):
            if not 0 <= getattr(self, name) <= 1:
                raise ValueError(f"{name} is a share between 0 and 1")
        if not 1 <= self.max_events_per_organizer <= 31:
            raise ValueError("max_events_per_organizer lies between 1 and 31")
        if self.sales_per_month is not None and self.sales_per_month < 0:
            raise ValueError("sales_per_month cannot be negative")


@dataclass(frozen=True, slots=True)
class HistoryResult:
    events: int
    sales: int
    checkins: int


def holder_ids_for_cards(session: Session, card_numbers: Collection[str]) -> frozenset[str]:
    """The holders of these cards (the demo excludes its hand-written holders this way)."""
    if not card_numbers:
        return frozenset()
    with session.begin():
        found = session.scalars(
            select(t.Card.holder_id).where(t.Card.uitpas_number.in_(list(card_numbers)))
        )
        return frozenset(h for h in found if h is not None)


def generate_history(
    session: Session,
    *,
    region_id: int,
    spec: HistorySpec,
    today: date,
    exclude_holder_ids: Collection[str] = (),
    progress: Callable[[int, int], None] | None = None,
) -> HistoryResult:
    """Write the region's synthetic past in one transaction; see the module docstring.

    ``progress(done, total)`` is called after every batch of sales: the sales written so far and
    the number expected (an estimate unless ``spec.sales_per_month`` is set).
    """
    with session.begin(), _roomy_sqlite_cache(session):
        region = session.get(t.Region, region_id)
        if region is None:
            raise NotFound(f"Region {region_id} does not exist.", code="cardsystem-not-found")
        tz = ZoneInfo(region.timezone)
        organizers = _organizers(session, region_id)
        _refuse_second_run(session, region_id, [o.id for o in organizers])
        buckets = _window(today, spec.months, tz)
        rng = random.Random(f"passengine-history:{region_id}:{spec.seed}")
        holders = _holders(session, region_id, frozenset(exclude_holder_ids))
        _backdate_statuses(session, holders, buckets[0].start, today, rng)
        config = current_tariff_config(session, region_id)
        run = _Run(
            session=session,
            tz=tz,
            rng=rng,
            spec=spec,
            pricer=_Pricer(config) if config is not None else None,
            budgets=_Budgets(session, region_id, config),
            writer=_Writer(session, progress, _expected_sales(holders, buckets, spec)),
        )
        for bucket in buckets:
            events = _make_events(run, organizers, bucket, holders)
            run.writer.events(events)
            _month_activities(run, holders, events, bucket)
        run.writer.finish()
        run.budgets.write()
        return HistoryResult(
            run.writer.event_count, run.writer.sale_count, run.writer.checkin_count
        )


@contextmanager
def _roomy_sqlite_cache(session: Session) -> Iterator[None]:
    """SQLite's default 2 MB page cache makes a million random-key index inserts (the sales'
    and check-ins' UUIDs) read and spill pages all the time; a bounded cache for the run makes a
    benchmark history about a quarter faster. Restored afterwards; other databases untouched."""
    if session.get_bind().dialect.name != "sqlite":
        yield
        return
    before = session.execute(text("PRAGMA cache_size")).scalar()
    session.execute(text(f"PRAGMA cache_size=-{SQLITE_CACHE_KIB}"))
    try:
        yield
    finally:
        with suppress(SQLAlchemyError):  # the transaction may already have failed
            session.execute(text(f"PRAGMA cache_size={int(before or -2000)}"))


# --- What there is to work with -------------------------------------------------------------------


@dataclass(frozen=True, slots=True)
class _Organizer:
    id: str
    nis_code: str
    region_ids: frozenset[int]
    desk_id: str | None
    domains: tuple[EventDomain, ...]


@dataclass(slots=True)
class _Status:
    row_id: int
    group: str
    start: date
    end: date
    grace_days: int
    suspended_until: date | None
    ended_on: date | None
    floor: date | None
    """The day after an older grant of the same group ended: a backdated start stays after it."""

    def active_days(self) -> tuple[date, date] | None:
        """First and last day the status is active (``domain.statuses.status_on``)."""
        first = self.start
        if self.suspended_until is not None:
            first = max(first, self.suspended_until + timedelta(days=1))
        last = self.end + timedelta(days=self.grace_days)
        if self.ended_on is not None:
            last = min(last, self.ended_on - timedelta(days=1))
        return (first, last) if first <= last else None


@dataclass(slots=True)
class _Holder:
    id: str
    card: str
    nis_code: str
    birth_date: date
    statuses: list[_Status] = field(default_factory=list)
    spans: list[tuple[date, date, str]] = field(default_factory=list)

    def refresh_spans(self) -> None:
        self.spans = [
            (*days, s.group) for s in self.statuses if (days := s.active_days()) is not None
        ]

    def covers(self, first: date, last: date) -> bool:
        return any(a <= last and b >= first for a, b, _ in self.spans)

    def covers_all(self, first: date, last: date) -> bool:
        return any(a <= first and b >= last for a, b, _ in self.spans)

    def active_on(self, day: date) -> bool:
        return any(first <= day <= last for first, last, _ in self.spans)

    def groups_on(self, day: date) -> frozenset[str]:
        return frozenset(g for a, b, g in self.spans if a <= day <= b)


@dataclass(frozen=True, slots=True)
class _Event:
    id: str
    title: str
    organizer: _Organizer
    day: date
    starts_at: datetime
    prices: tuple[tuple[int, str], ...]
    points: int
    facts: EventFacts


def _organizers(session: Session, region_id: int) -> list[_Organizer]:
    """The region's organizers, sorted in Python: the order feeds the seeded generator, and the
    databases' collations may order ids with hyphens differently."""
    rows = sorted(
        (organizer_id, nis_code)
        for organizer_id, nis_code in session.execute(
            select(t.Organizer.id, t.Organizer.nis_code)
            .join(t.OrganizerRegion, t.OrganizerRegion.organizer_id == t.Organizer.id)
            .where(t.OrganizerRegion.region_id == region_id)
        )
    )
    ids = [organizer_id for organizer_id, _ in rows]
    regions: dict[str, set[int]] = defaultdict(set)
    for organizer_id, other in session.execute(
        select(t.OrganizerRegion.organizer_id, t.OrganizerRegion.region_id).where(
            t.OrganizerRegion.organizer_id.in_(ids)
        )
    ):
        regions[organizer_id].add(other)
    desks: dict[str, str] = {}
    for organizer_id, _not_tickets, desk_id in sorted(
        (o, k is not DeskKind.TICKETS, d)
        for o, d, k in session.execute(
            select(t.Desk.organizer_id, t.Desk.id, t.Desk.kind).where(t.Desk.organizer_id.in_(ids))
        )
    ):
        desks.setdefault(organizer_id, desk_id)  # a ticket desk if it has one
    domains: dict[str, list[EventDomain]] = defaultdict(list)
    for organizer_id, _, domain in sorted(
        (o, e, d)
        for o, e, d in session.execute(
            select(t.Event.organizer_id, t.Event.id, t.Event.domain).where(
                t.Event.organizer_id.in_(ids)
            )
        )
    ):
        domains[organizer_id].append(domain)
    return [
        _Organizer(
            id=organizer_id,
            nis_code=nis_code,
            region_ids=frozenset(regions[organizer_id]),
            desk_id=desks.get(organizer_id),
            domains=tuple(domains[organizer_id]) or (ROTATION[i % len(ROTATION)],),
        )
        for i, (organizer_id, nis_code) in enumerate(rows)
    ]


def _refuse_second_run(session: Session, region_id: int, organizer_ids: list[str]) -> None:
    found = session.scalar(
        select(t.Event.id)
        .where(t.Event.organizer_id.in_(organizer_ids), t.Event.id.like(f"{HISTORY_PREFIX}%"))
        .limit(1)
    )
    if found is not None:
        raise Conflict(
            f"Region {region_id} already has a generated history (event {found}); "
            "generate it once, on a fresh database."
        )


def _window(today: date, count: int, tz: ZoneInfo) -> list[Bucket]:
    year, month = divmod(today.year * 12 + today.month - 1 - count, 12)
    return months(LocalPeriod(date(year, month + 1, 1), today - timedelta(days=1)), tz)


def _holders(session: Session, region_id: int, excluded: frozenset[str]) -> list[_Holder]:
    """The region's active members with their active card and their newest status per group."""
    holders: dict[str, _Holder] = {}
    rows = session.execute(
        select(
            t.PassHolder.id, t.Card.uitpas_number, t.PassHolder.nis_code, t.PassHolder.birth_date
        )
        .join(t.Membership, t.Membership.holder_id == t.PassHolder.id)
        .join(t.Card, t.Card.holder_id == t.PassHolder.id)
        .where(
            t.Membership.region_id == region_id,
            t.Membership.status == MembershipStatus.ACTIVE,
            t.PassHolder.erased_at.is_(None),
            t.Card.region_id == region_id,
            t.Card.status == CardStatus.ACTIVE,
        )
        .order_by(t.Card.uitpas_number)  # digits: the same order in every collation
    )
    for holder_id, card, nis, birth in rows:
        if holder_id not in excluded and holder_id not in holders:
            holders[holder_id] = _Holder(holder_id, card, nis, birth)
    grants = session.execute(
        select(
            t.Membership.holder_id,
            t.TargetGroup.code,
            t.SocialTariffStatusRow.id,
            t.SocialTariffStatusRow.start_date,
            t.SocialTariffStatusRow.end_date,
            t.SocialTariffStatusRow.grace_period_days,
            t.SocialTariffStatusRow.suspended_until,
            t.SocialTariffStatusRow.ended_on,
        )
        .join(t.Membership, t.Membership.id == t.SocialTariffStatusRow.membership_id)
        .join(t.TargetGroup, t.TargetGroup.id == t.SocialTariffStatusRow.target_group_id)
        .where(t.Membership.region_id == region_id)
        .order_by(
            t.Membership.holder_id, t.SocialTariffStatusRow.granted_at, t.SocialTariffStatusRow.id
        )
    )
    newest: dict[tuple[str, str], _Status] = {}
    for holder_id, code, row_id, start, end, grace, suspended, ended in grants:
        if holder_id not in holders:
            continue
        older = newest.get((holder_id, code))
        floor = older.end + timedelta(days=older.grace_days + 1) if older else None
        newest[(holder_id, code)] = _Status(
            row_id, code, start, end, grace, suspended, ended, floor
        )
    for (holder_id, _), status in newest.items():
        holders[holder_id].statuses.append(status)
    for holder in holders.values():
        holder.refresh_spans()
    return sorted(holders.values(), key=lambda h: h.id)  # in Python: see ``_organizers``


def _backdate_statuses(
    session: Session, holders: list[_Holder], window_start: date, today: date, rng: random.Random
) -> None:
    """Most statuses ran before the window opened; a quarter were granted inside it."""
    changes: list[dict[str, Any]] = []
    for holder in holders:
        for status in holder.statuses:
            if not window_start < status.start <= today:
                continue
            if rng.random() < 0.75:
                start = window_start - timedelta(days=rng.randint(0, 365))
            else:
                start = window_start + timedelta(
                    days=rng.randint(0, (status.start - window_start).days)
                )
            if status.floor is not None:
                start = max(start, status.floor)
            if start < status.start:
                status.start = start
                changes.append({"b_id": status.row_id, "b_start": start})
        holder.refresh_spans()
    table = _table(t.SocialTariffStatusRow)
    statement = (
        update(table).where(table.c.id == bindparam("b_id")).values(start_date=bindparam("b_start"))
    )
    for chunk in _chunks(changes):
        session.execute(statement, chunk)


def _expected_sales(holders: list[_Holder], buckets: list[Bucket], spec: HistorySpec) -> int:
    if spec.sales_per_month is not None:
        return spec.sales_per_month * len(buckets)
    covered = sum(1 for b in buckets for h in holders if h.covers(b.start, b.end))
    return round(covered * spec.status_participation * MEAN_ACTIVITIES * spec.sale_share)


# --- Pricing through the core ---------------------------------------------------------------------


@dataclass(frozen=True, slots=True)
class _Priced:
    rule: TariffRule
    holder_cents: int
    municipality_cents: int
    discount_cents: int
    columns: dict[str, Any]
    """The sale's columns that follow from the price: tariff, rule, version, key and shares."""


class _Pricer:
    """``static_quote`` over the rules a holder qualifies for, then ``split``; cached, since a
    month has few events and prices but up to a hundred thousand sales."""

    def __init__(self, config: TariffConfig) -> None:
        self.config = config
        self.rules = config.ordered_rules()
        self.organizer_limit_periods = frozenset(
            r.organizer_limit.period for r in self.rules if r.organizer_limit is not None
        )
        self._needs_age = any(
            r.conditions.min_age is not None or r.conditions.max_age is not None for r in self.rules
        )
        self._eligible: dict[tuple[frozenset[str], bool, int | None], tuple[str, ...]] = {}
        self._priced: dict[tuple[str, int, tuple[str, ...], bool], _Priced | None] = {}

    def price(self, event: _Event, regular: int, holder: _Holder, day: date) -> _Priced | None:
        local = holder.nis_code == event.organizer.nis_code
        age = age_on(holder.birth_date, day) if self._needs_age else None
        person = (holder.groups_on(day), local, age)
        eligible = self._eligible.get(person)
        if eligible is None:
            eligible = tuple(r.id for r in self.rules if _person_ok(r, *person))
            self._eligible[person] = eligible
        if not eligible:
            return None
        key = (event.id, regular, eligible, local)
        if key not in self._priced:
            self._priced[key] = self._quote(event, regular, eligible, local)
        return self._priced[key]

    def _quote(
        self, event: _Event, regular: int, eligible: tuple[str, ...], local: bool
    ) -> _Priced | None:
        rules = tuple(r for r in self.rules if r.id in eligible)
        quote = static_quote(event.facts, regular, replace(self.config, rules=rules))
        if not quote.tariffs:
            return None
        tariff_id, name, holder_cents = quote.tariffs[0]
        applied = next(o.rule for o in quote.outcomes if o.applied)
        rule = next(r for r in rules if r.id == applied)
        shares = split(regular, holder_cents, self.config.keys[rule.key_id], holder_is_local=local)
        columns = {
            "region_id": self.config.region_id,
            "group_pass_id": None,
            "tariff_id": tariff_id,
            "tariff_name": name,
            "tariff_type": SOCIALTARIFF,
            "rule_id": rule.id,
            "config_version": self.config.version,
            "key_id": rule.key_id,
            "holder_cents": holder_cents,
            "organizer_cents": shares[Payer.ORGANIZER],
            "municipality_cents": shares[Payer.MUNICIPALITY],
            "region_cents": shares[Payer.REGION],
            "holder_is_local": shares.local,
            "reimbursement_kind": rule.reimbursement_kind,
            "client_id": None,
        }
        return _Priced(
            rule, holder_cents, shares[Payer.MUNICIPALITY], regular - holder_cents, columns
        )


def _person_ok(rule: TariffRule, groups: frozenset[str], local: bool, age: int | None) -> bool:
    """The conditions on the person that ``static_quote`` leaves to the live quote."""
    c = rule.conditions
    if not rule.target_groups & groups:
        return False
    if c.min_age is not None and (age is None or age < c.min_age):
        return False
    if c.max_age is not None and (age is None or age > c.max_age):
        return False
    if c.residence is Residence.ORGANIZER_MUNICIPALITY:
        return local
    if c.residence is Residence.OTHER_MUNICIPALITY:
        return not local
    return True


class _Budgets:
    """Municipality shares per (municipality, local year), for the budgeted municipalities (as
    live sales count them), with STOP budgets enforced."""

    def __init__(self, session: Session, region_id: int, config: TariffConfig | None) -> None:
        self.session = session
        self.region_id = region_id
        self.budgets = dict(config.budgets) if config is not None else {}
        self.existing: dict[tuple[str, int], int] = {
            (nis, year): consumed
            for nis, year, consumed in session.execute(
                select(
                    t.BudgetUsage.nis_code, t.BudgetUsage.year, t.BudgetUsage.consumed_cents
                ).where(t.BudgetUsage.region_id == region_id)
            )
        }
        self.added: dict[tuple[str, int], int] = defaultdict(int)

    def allows(self, nis: str, year: int, cents: int) -> bool:
        budget = self.budgets.get(nis)
        if budget is None or cents == 0 or budget.policy is not BudgetPolicy.STOP:
            return True
        key = (nis, year)
        return self.existing.get(key, 0) + self.added[key] + cents <= budget.amount_cents

    def add(self, nis: str, year: int, cents: int) -> None:
        if nis in self.budgets and cents > 0:
            self.added[(nis, year)] += cents

    def write(self) -> None:
        table = _table(t.BudgetUsage)
        for (nis, year), cents in sorted(self.added.items()):
            if (nis, year) in self.existing:
                self.session.execute(
                    update(table)
                    .where(
                        table.c.region_id == self.region_id,
                        table.c.nis_code == nis,
                        table.c.year == year,
                    )
                    .values(consumed_cents=table.c.consumed_cents + cents)
                )
            else:
                self.session.execute(
                    insert(table).values(
                        region_id=self.region_id, nis_code=nis, year=year, consumed_cents=cents
                    )
                )


class _Usage:
    """What holders used at the reduced rate this run: the caps and organizer limits that
    ``static_quote`` does not know of count it (per local year, per limit period)."""

    def __init__(self) -> None:
        self.paid: dict[tuple[str, int], int] = defaultdict(int)
        self.reimbursed: dict[tuple[str, str, int], int] = defaultdict(int)
        self.per_organizer: dict[tuple[str, str, Period, tuple[int, ...]], int] = defaultdict(int)

    def allows(
        self, pricer: _Pricer, holder: _Holder, event: _Event, priced: _Priced, year: int
    ) -> bool:
        config, rule = pricer.config, priced.rule
        cap = config.holder_yearly_cap_cents
        if cap is not None and self.paid[(holder.id, year)] + priced.holder_cents > cap:
            return False
        kind = rule.reimbursement_kind
        if kind is not None and kind in config.reimbursement_caps:
            used = self.reimbursed[(holder.id, kind, year)]
            if used + priced.discount_cents > config.reimbursement_caps[kind]:
                return False
        limit = rule.organizer_limit
        if limit is None:
            return True
        key = (holder.id, event.organizer.id, limit.period, period_key(limit.period, event.day))
        return self.per_organizer[key] < limit.volume

    def add(
        self, pricer: _Pricer, holder: _Holder, event: _Event, priced: _Priced, year: int
    ) -> None:
        config = pricer.config
        if config.holder_yearly_cap_cents is not None:
            self.paid[(holder.id, year)] += priced.holder_cents
        kind = priced.rule.reimbursement_kind
        if kind is not None and kind in config.reimbursement_caps:
            self.reimbursed[(holder.id, kind, year)] += priced.discount_cents
        for period in pricer.organizer_limit_periods:
            key = (holder.id, event.organizer.id, period, period_key(period, event.day))
            self.per_organizer[key] += 1


# --- Writing --------------------------------------------------------------------------------------


class _Writer:
    """Buffers rows and writes them with Core ``executemany`` in batches (parents first)."""

    def __init__(
        self, session: Session, progress: Callable[[int, int], None] | None, expected: int
    ) -> None:
        self.session = session
        self.progress = progress
        self.expected = expected
        self.sales: list[dict[str, Any]] = []
        self.checkins: list[dict[str, Any]] = []
        self.ledger: list[dict[str, Any]] = []
        self.points: dict[str, int] = defaultdict(int)
        self.event_count = self.sale_count = self.checkin_count = 0

    def events(self, events: list[_Event]) -> None:
        rows = [
            {
                "id": e.id,
                "organizer_id": e.organizer.id,
                "title": e.title,
                "location_nis_code": e.organizer.nis_code,
                "domain": e.facts.domain,
                "calendar_type": CalendarType.SINGLE,
                "starts_at": e.starts_at,
                "ends_at": e.starts_at + timedelta(hours=2),
                "checkin_points": e.points,
            }
            for e in events
        ]
        for chunk in _chunks(rows):
            self.session.execute(insert(_table(t.Event)), chunk)
        self.event_count += len(rows)

    def sale(self, row: dict[str, Any]) -> None:
        self.sales.append(row)
        if len(self.sales) >= BATCH:
            self._flush_sales()

    def checkin(self, row: dict[str, Any]) -> None:
        self.checkins.append(row)
        if row["points"]:
            self.ledger.append(
                {
                    "holder_id": row["holder_id"],
                    "created_at": row["created_at"],
                    "delta": row["points"],
                    "reason": CHECKIN_REASON,
                    "checkin_id": row["id"],
                    "redemption_id": None,
                }
            )
            self.points[row["holder_id"]] += row["points"]
        if len(self.checkins) >= BATCH:
            self._flush_checkins()

    def finish(self) -> None:
        self._flush_sales()
        self._flush_checkins()
        table = _table(t.PassHolder)
        statement = (
            update(table)
            .where(table.c.id == bindparam("b_id"))
            .values(points=table.c.points + bindparam("b_delta"))
        )
        deltas = [{"b_id": h, "b_delta": d} for h, d in sorted(self.points.items())]
        for chunk in _chunks(deltas):
            self.session.execute(statement, chunk)
        if self.progress:
            self.progress(self.sale_count, self.sale_count)

    def _flush_sales(self) -> None:
        if self.sales:
            self.session.execute(insert(_table(t.TicketSale)), self.sales)
            self.sale_count += len(self.sales)
            self.sales = []
            if self.progress:
                self.progress(self.sale_count, max(self.expected, self.sale_count))

    def _flush_checkins(self) -> None:
        if self.checkins:
            self.session.execute(insert(_table(t.Checkin)), self.checkins)
            self.checkin_count += len(self.checkins)
            self.checkins = []
        if self.ledger:
            self.session.execute(insert(_table(t.PointsTransaction)), self.ledger)
            self.ledger = []


def _table(model: type[Base]) -> Table:
    """The Core table: one ``executemany`` per batch, without ORM bulk bookkeeping."""
    table = model.__table__
    assert isinstance(table, Table)
    return table


def _chunks(rows: list[dict[str, Any]]) -> Iterator[list[dict[str, Any]]]:
    for i in range(0, len(rows), BATCH):
        yield rows[i : i + BATCH]


# --- One month ------------------------------------------------------------------------------------


@dataclass(slots=True)
class _Run:
    session: Session
    tz: ZoneInfo
    rng: random.Random
    spec: HistorySpec
    pricer: _Pricer | None
    budgets: _Budgets
    writer: _Writer
    usage: _Usage = field(default_factory=_Usage)

    def new_id(self) -> str:
        """A version-4 UUID drawn from the seeded generator (as ``uuid.UUID(int=…,
        version=4)``, without its overhead: two million ids are drawn for a benchmark)."""
        n = (self.rng.getrandbits(128) & _UUID_CLEAR) | _UUID_SET
        h = f"{n:032x}"
        return f"{h[:8]}-{h[8:12]}-{h[12:16]}-{h[16:20]}-{h[20:]}"

    def minutes(self, choices: tuple[timedelta, ...]) -> timedelta:
        return choices[int(self.rng.random() * len(choices))]


_UUID_CLEAR = ~((0xF000 << 64) | (0xC000 << 48))
_UUID_SET = (4 << 76) | (0x8000 << 48)
SALE_LEAD = tuple(timedelta(minutes=m) for m in range(5, 91))
"""A ticket is bought 5 to 90 minutes before the start (most sales happen at the desk)."""
CHECKIN_LEAD = tuple(timedelta(minutes=m) for m in range(-20, 41))
"""A holder checks in from 40 minutes before to 20 minutes after the start."""


def _make_events(
    run: _Run, organizers: list[_Organizer], bucket: Bucket, holders: list[_Holder]
) -> list[_Event]:
    rng, spec = run.rng, run.spec
    minimum = 1
    if spec.sales_per_month and organizers:
        covered = sum(1 for h in holders if h.covers(bucket.start, bucket.end)) or 1
        per_holder = math.ceil(spec.sales_per_month / covered)
        minimum = math.ceil((per_holder + 2) / len(organizers))
    span = (bucket.end - bucket.start).days
    events: list[_Event] = []
    for organizer in organizers:
        count = max(minimum, rng.randint(1, spec.max_events_per_organizer))
        for n in range(1, count + 1):
            domain = rng.choice(organizer.domains)
            day = bucket.start + timedelta(days=rng.randint(0, span))
            local = datetime.combine(day, rng.choice(START_TIMES[domain]), tzinfo=run.tz)
            main = rng.choice(REGULAR_PRICES)
            prices: tuple[tuple[int, str], ...] = ((main, "Basistarief"),)
            if main >= 1000 and rng.random() < 0.4:
                prices += ((main - 250, "Voorverkoop"),)
            event_id = f"{HISTORY_PREFIX}{organizer.id[:48]}-{bucket.label}-{n}"
            events.append(
                _Event(
                    id=event_id,
                    title=rng.choice(TITLES[domain]),
                    organizer=organizer,
                    day=day,
                    starts_at=local.astimezone(UTC),
                    prices=prices,
                    points=rng.choice((1, 1, 1, 2)),
                    facts=EventFacts(
                        id=event_id,
                        organizer_id=organizer.id,
                        organizer_nis_code=organizer.nis_code,
                        region_ids=organizer.region_ids,
                        domain=domain,
                    ),
                )
            )
    events.sort(key=lambda e: (e.starts_at, e.id))
    return events


def _month_activities(
    run: _Run, holders: list[_Holder], events: list[_Event], bucket: Bucket
) -> None:
    """One pass over the holders in id order, so the rows of a batch are near each other in the
    holder indexes (random order makes a million-sale history several times slower)."""
    if not events:
        return
    rng, spec = run.rng, run.spec
    covered = {h.id for h in holders if h.covers(bucket.start, bucket.end)}
    forced = _forced_counts(run, holders, covered) if spec.sales_per_month is not None else None
    for holder in holders:
        with_status = holder.id in covered
        if forced is not None and with_status:
            candidates = (
                events
                if holder.covers_all(bucket.start, bucket.end)
                else [e for e in events if holder.active_on(e.day)]
            )
            _forced_sales(run, holder, candidates, forced[0] + (holder.id in forced[1]))
            continue
        share = spec.status_participation if with_status else spec.other_participation
        if rng.random() >= share:
            continue
        count = rng.choices(ACTIVITY_COUNTS, ACTIVITY_WEIGHTS)[0]
        for event in rng.sample(events, min(count, len(events))):
            sold = with_status and rng.random() < spec.sale_share and _sell(run, holder, event)
            if not sold or rng.random() < spec.checkin_share:
                _check_in(run, holder, event)


def _forced_counts(
    run: _Run, holders: list[_Holder], covered: set[str]
) -> tuple[int, frozenset[str]]:
    """Sales per status holder this month, and the holders who get one more to reach the total."""
    if not covered:
        return 0, frozenset()
    base, extra = divmod(run.spec.sales_per_month or 0, len(covered))
    ordered = [h.id for h in holders if h.id in covered]
    return base, frozenset(run.rng.sample(ordered, extra))


def _forced_sales(run: _Run, holder: _Holder, candidates: list[_Event], wanted: int) -> None:
    """``wanted`` sales on distinct events (of days the holder's status was active)."""
    if wanted <= 0:
        return
    for event in run.rng.sample(candidates, min(wanted, len(candidates))):
        if _sell(run, holder, event) and run.rng.random() < run.spec.checkin_share:
            _check_in(run, holder, event)


def _sell(run: _Run, holder: _Holder, event: _Event) -> bool:
    """Write a reduced-rate sale as the live service would, or nothing if it would refuse."""
    if run.pricer is None:
        return False
    prices = event.prices
    regular, label = prices[0] if len(prices) == 1 else run.rng.choice(prices)
    priced = run.pricer.price(event, regular, holder, event.day)
    if priced is None:
        return False
    year = event.day.year  # sold on the event's (local) day, an hour or so before it starts
    if not run.usage.allows(run.pricer, holder, event, priced, year) or not run.budgets.allows(
        holder.nis_code, year, priced.municipality_cents
    ):
        return False
    run.budgets.add(holder.nis_code, year, priced.municipality_cents)
    run.usage.add(run.pricer, holder, event, priced, year)
    run.writer.sale(
        {
            "id": run.new_id(),
            "created_at": event.starts_at - run.minutes(SALE_LEAD),
            "event_id": event.id,
            "organizer_id": event.organizer.id,
            "holder_id": holder.id,
            "uitpas_number": holder.card,
            "regular_price_cents": regular,
            "regular_price_label": label,
            "municipality_nis_code": holder.nis_code,
            "desk_id": event.organizer.desk_id,
            **priced.columns,
        }
    )
    return True


def _check_in(run: _Run, holder: _Holder, event: _Event) -> None:
    run.writer.checkin(
        {
            "id": run.new_id(),
            "created_at": event.starts_at - run.minutes(CHECKIN_LEAD),
            "event_id": event.id,
            "organizer_id": event.organizer.id,
            "holder_id": holder.id,
            "uitpas_number": holder.card,
            "points": event.points,
            "client_id": None,
            "desk_id": event.organizer.desk_id,
        }
    )

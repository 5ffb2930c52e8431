"""Participation analytics: whom does the local network reach in a period, and whom does it miss?

Definitions (the docs quote them):

- **Scope.** The region's people are the holders with a membership in the region. Residence is
  the holder's *current* municipality and sub-municipality (no address history is kept); a
  holder without a sub-municipality counts in the municipality's "unknown" bucket (``id`` and
  ``name`` null). Erased holders still count: their rows remain, anonymised.
- **Status holders in the period.** Holders with a status (any target group) on their membership
  in this region whose ``[start_date, COALESCE(ended_on, end_date)]`` overlaps the period.
- **Activity.** A non-cancelled reduced-rate ticket sale or check-in of the holder, with any
  organizer in any region, whose instant lies in the period (local dates in the region's time
  zone, turned into UTC bounds). Its domain is the domain of its event.
- **Reached** = status holders with at least one activity in the period; **not reached**
  (non-use) = status holders - reached. ``reach_percent`` = reached / status holders x 100, one
  decimal (half up); null when a count is hidden or there are no status holders.
- **Per month / per domain.** ``reached`` counts the status holders with an activity in that
  month or domain (one holder counts in several, so these do not add up to the total);
  ``checkins`` and ``tickets`` count the activities of all the region's people.
- **First-time participants.** Status holders whose first activity ever (over all time) lies in
  the period, counted in the month of that first activity.
- **Check-ins** in the period by the region's people, split into those of status holders and of
  other holders; **tickets** = reduced-rate sales in the period to the region's people.
- **Statuses ending soon.** Holders of the region whose status ends in ``(today, today +
  ending_within_days]``: per target group the newest grant counts (by ``granted_at``), and the
  holder's status ends at the latest effective end (``COALESCE(ended_on, end_date)``) of those,
  so a holder who keeps a status in another target group is not counted. Relative to ``today``,
  not to the period. Counted per municipality of residence.
- **Municipalities listed**: the region's municipalities during the period, plus any other
  municipality where one of its status holders (or a holder whose status ends soon) lives, each
  with all its sub-municipalities and the unknown bucket; zeros included.

**Suppression.** Counts from 1 to ``threshold - 1`` are hidden (``None``), and every additive
relation published is declared to :func:`passengine.domain.suppression.suppress`, which hides
more cells until nothing hidden can be worked out by subtraction: region = sum of municipalities =
sum of their sub-municipalities (for status holders, reached and not reached); status holders =
reached + not reached at every level; first-time total = sum of months; check-ins total = status
holders' + others' = sum of months = sum of domains; tickets total = sum of months = sum of
domains; ending-soon total = sum of municipalities. Reached per month and per domain are no
partitions: primary suppression only. Differencing two reports over overlapping periods is not
prevented (see the suppression module).

Every figure is aggregated in SQL, one grouped query per family: status holders and reached
holders per residence; check-ins and tickets per month and domain; reached status holders per
month and per domain; first-time participants per month; statuses ending soon. Month buckets are
a CASE over the UTC bounds; sets of holders are ``IN (subquery)`` filters, never a join that a
planner without statistics could turn into a nested loop over a million sales.
"""

from __future__ import annotations

from collections.abc import Mapping, Sequence
from dataclasses import dataclass, field
from datetime import date, datetime, timedelta
from decimal import ROUND_HALF_UP, Decimal
from typing import Any
from zoneinfo import ZoneInfo

from sqlalchemy import (
    ColumnElement,
    CompoundSelect,
    Integer,
    Select,
    String,
    Subquery,
    and_,
    case,
    distinct,
    exists,
    func,
    literal,
    literal_column,
    or_,
    select,
    union,
    union_all,
)
from sqlalchemy.orm import Session

from passengine.domain.errors import InvalidInput, NotFound
from passengine.domain.model import EventDomain
from passengine.domain.report_periods import Bucket, LocalPeriod, months, utc_bounds
from passengine.domain.suppression import DEFAULT_THRESHOLD, Group, suppress
from passengine.storage import tables as t

DEFAULT_ENDING_WITHIN_DAYS = 60
DOMAINS = tuple(sorted(d.value for d in EventDomain))
REACH_MEASURES = ("status_holders", "reached", "not_reached")

Cell = tuple[str | int | None, ...]
"""A cell key for suppression, e.g. ``("reached", "sub", "73107", 3)``."""
Node = tuple[str | int | None, ...]
"""Where a reach figure is: ``("region",)``, ``("municipality", nis)``, ``("sub", nis, id)``."""


@dataclass(frozen=True, slots=True)
class Participation:
    region_id: int
    region_name: str
    period: LocalPeriod
    threshold: int
    ending_within_days: int
    figures: dict[str, Any]
    """The JSON document (see the module docstring); hidden counts are ``None``."""


@dataclass(frozen=True, slots=True)
class _Window:
    region_id: int
    period: LocalPeriod
    lo: datetime
    hi: datetime
    buckets: list[Bucket]


@dataclass(slots=True)
class _Counts:
    """The raw figures, before suppression."""

    reach: dict[tuple[str, int | None], tuple[int, int]]
    """(nis, sub-municipality id) -> (status holders, reached)."""
    month_reached: dict[str, int] = field(default_factory=dict)
    month_first_time: dict[str, int] = field(default_factory=dict)
    month_checkins_status: dict[str, int] = field(default_factory=dict)
    month_checkins: dict[str, int] = field(default_factory=dict)
    month_tickets: dict[str, int] = field(default_factory=dict)
    domain_reached: dict[str, int] = field(default_factory=dict)
    domain_checkins: dict[str, int] = field(default_factory=dict)
    domain_tickets: dict[str, int] = field(default_factory=dict)
    ending_soon: dict[str, int] = field(default_factory=dict)


@dataclass(frozen=True, slots=True)
class _Municipality:
    nis_code: str
    name: str
    subs: tuple[tuple[int | None, str | None], ...]
    """(id, name) sorted by name; the unknown bucket ``(None, None)`` last."""


def participation(
    session: Session,
    *,
    region_id: int,
    period: LocalPeriod,
    today: date,
    threshold: int = DEFAULT_THRESHOLD,
    ending_within_days: int = DEFAULT_ENDING_WITHIN_DAYS,
) -> Participation:
    """The region's participation figures for ``period``, small cells suppressed. No
    authorization or audit here: the caller does both."""
    if threshold < 0 or ending_within_days < 0:
        raise InvalidInput(
            "The threshold and the number of days are never negative.", code="invalid-report"
        )
    region = session.get(t.Region, region_id)
    if region is None:
        raise NotFound(f"Region {region_id} does not exist.", code="region-not-found")
    tz = ZoneInfo(region.timezone or "Europe/Brussels")
    lo, hi = utc_bounds(period, tz)
    window = _Window(region_id, period, lo, hi, months(period, tz))
    counts = _count(session, window, today=today, ending_within_days=ending_within_days)
    layout = _layout(session, window, counts)
    values, groups = _cells(counts, layout, window)
    published = suppress(values, groups, threshold=threshold)
    figures = _document(published, layout, window, region, threshold, ending_within_days)
    return Participation(
        region_id=region.id,
        region_name=region.name,
        period=period,
        threshold=threshold,
        ending_within_days=ending_within_days,
        figures=figures,
    )


# --- SQL -----------------------------------------------------------------------------------------


def _count(session: Session, window: _Window, *, today: date, ending_within_days: int) -> _Counts:
    counts = _Counts(reach=_reach(session, window))
    _activity_counts(session, counts, window)
    _status_months(session, counts, window)
    _status_domains(session, counts, window)
    counts.month_first_time = _first_time(session, window)
    counts.ending_soon = _ending_soon(
        session, window.region_id, today=today, until=today + timedelta(days=ending_within_days)
    )
    return counts


def _status_holder_ids(window: _Window) -> Select[str]:
    status = t.SocialTariffStatusRow
    return (
        select(t.Membership.holder_id)
        .join(status, status.membership_id == t.Membership.id)
        .where(
            t.Membership.region_id == window.region_id,
            status.start_date <= window.period.end,
            # COALESCE(ended_on, end_date) >= start, spelt out so that PostgreSQL's estimate
            # of the status holders is right (it guesses a third for an expression) and it
            # does not pick a nested loop over the sales for a "small" set.
            or_(
                and_(status.ended_on.is_(None), status.end_date >= window.period.start),
                status.ended_on >= window.period.start,
            ),
        )
    )


def _people_ids(window: _Window) -> Select[str]:
    return select(t.Membership.holder_id).where(t.Membership.region_id == window.region_id)


def _activity(window: _Window, holder_ids: Select[str]) -> Subquery:
    """Sales and check-ins in the period of the holders in ``holder_ids``, one row each;
    ``is_checkin`` is 1 or 0."""
    sale, checkin = t.TicketSale, t.Checkin
    sales = select(
        sale.holder_id.label("holder_id"),
        sale.created_at.label("at"),
        sale.event_id.label("event_id"),
        literal_column("0", Integer).label("is_checkin"),
    ).where(
        sale.holder_id.in_(holder_ids),
        sale.cancelled_at.is_(None),
        sale.created_at >= window.lo,
        sale.created_at < window.hi,
    )
    checkins = select(
        checkin.holder_id, checkin.created_at, checkin.event_id, literal_column("1", Integer)
    ).where(
        checkin.holder_id.in_(holder_ids),
        checkin.cancelled_at.is_(None),
        checkin.created_at >= window.lo,
        checkin.created_at < window.hi,
    )
    return union_all(sales, checkins).subquery("activity")


def _month_of(instant: ColumnElement[datetime], buckets: list[Bucket]) -> ColumnElement[str]:
    """The month label of an instant already known to lie in the period."""
    if len(buckets) == 1:
        return literal(buckets[0].label, String)
    return case(
        *((instant < b.hi, literal(b.label, String)) for b in buckets[:-1]),
        else_=literal(buckets[-1].label, String),
    )


def _reach(session: Session, window: _Window) -> dict[tuple[str, int | None], tuple[int, int]]:
    """Status holders and those reached, per residence."""
    sale, checkin = t.TicketSale, t.Checkin
    ids = _status_holder_ids(window)
    reached: CompoundSelect[str] = union(  # UNION, not ALL: one row per holder
        select(sale.holder_id).where(
            sale.holder_id.in_(ids),
            sale.cancelled_at.is_(None),
            sale.created_at >= window.lo,
            sale.created_at < window.hi,
        ),
        select(checkin.holder_id).where(
            checkin.holder_id.in_(ids),
            checkin.cancelled_at.is_(None),
            checkin.created_at >= window.lo,
            checkin.created_at < window.hi,
        ),
    )
    holders = _per_residence(session, ids)
    hits = _per_residence(session, reached)
    return {key: (total, hits.get(key, 0)) for key, total in holders.items()}


def _per_residence(
    session: Session, ids: Select[str] | CompoundSelect[str]
) -> dict[tuple[str, int | None], int]:
    """How many of the holders in ``ids`` live in each (municipality, sub-municipality)."""
    holder = t.PassHolder
    stmt = (
        select(holder.nis_code, holder.sub_municipality_id, func.count())
        .where(holder.id.in_(ids))
        .group_by(holder.nis_code, holder.sub_municipality_id)
    )
    return {(nis, sub): int(n) for nis, sub, n in session.execute(stmt)}


def _activity_counts(session: Session, counts: _Counts, window: _Window) -> None:
    """Check-ins and tickets of the region's people per month and domain; the totals per month
    and per domain are sums of these few rows."""
    # The month is computed in a subquery and grouped on by name: PostgreSQL does not accept
    # GROUP BY on an expression whose bound parameters are repeated.
    activity = _activity(window, _people_ids(window))
    rows = (
        select(
            _month_of(activity.c.at, window.buckets).label("month"),
            t.Event.domain.label("domain"),
            activity.c.is_checkin,
        )
        .select_from(activity)
        .join(t.Event, t.Event.id == activity.c.event_id)
        .subquery("dated")
    )
    stmt = select(rows.c.month, rows.c.domain, func.sum(rows.c.is_checkin), func.count()).group_by(
        rows.c.month, rows.c.domain
    )
    for month, domain, checkins, activities in session.execute(stmt):
        key = EventDomain(domain).value
        tickets = int(activities) - int(checkins)
        for totals, cell, n in (
            (counts.month_checkins, month, int(checkins)),
            (counts.month_tickets, month, tickets),
            (counts.domain_checkins, key, int(checkins)),
            (counts.domain_tickets, key, tickets),
        ):
            totals[cell] = totals.get(cell, 0) + n


def _status_months(session: Session, counts: _Counts, window: _Window) -> None:
    """Status holders reached per month, and their check-ins."""
    activity = _activity(window, _status_holder_ids(window))
    rows = (
        select(
            _month_of(activity.c.at, window.buckets).label("month"),
            activity.c.holder_id,
            activity.c.is_checkin,
        )
        .select_from(activity)
        .subquery("dated")
    )
    stmt = select(
        rows.c.month, func.count(distinct(rows.c.holder_id)), func.sum(rows.c.is_checkin)
    ).group_by(rows.c.month)
    for month, reached, checkins in session.execute(stmt):
        counts.month_reached[month] = int(reached)
        counts.month_checkins_status[month] = int(checkins)


def _status_domains(session: Session, counts: _Counts, window: _Window) -> None:
    """Status holders reached per domain."""
    activity = _activity(window, _status_holder_ids(window))
    stmt = (
        select(t.Event.domain, func.count(distinct(activity.c.holder_id)))
        .select_from(activity)
        .join(t.Event, t.Event.id == activity.c.event_id)
        .group_by(t.Event.domain)
    )
    for domain, reached in session.execute(stmt):
        counts.domain_reached[EventDomain(domain).value] = int(reached)


def _first_time(session: Session, window: _Window) -> dict[str, int]:
    """Status holders active in the period and never before it, by the month of their first
    activity. "Never before" is an anti-join (NOT EXISTS) per holder on the (holder, instant)
    indexes, after grouping: PostgreSQL plans it as a join, SQLite answers it with one index
    probe per holder, and neither reads the years of history before the period."""
    activity = _activity(window, _status_holder_ids(window))
    first = (
        select(activity.c.holder_id, func.min(activity.c.at).label("first_at"))
        .group_by(activity.c.holder_id)
        .subquery("first")
    )
    sale, checkin = t.TicketSale, t.Checkin
    bought_before = exists().where(
        sale.holder_id == first.c.holder_id,
        sale.created_at < window.lo,
        sale.cancelled_at.is_(None),
    )
    came_before = exists().where(
        checkin.holder_id == first.c.holder_id,
        checkin.created_at < window.lo,
        checkin.cancelled_at.is_(None),
    )
    dated = (
        select(_month_of(first.c.first_at, window.buckets).label("month"))
        .select_from(first)
        .where(~bought_before, ~came_before)
        .subquery("dated")
    )
    stmt = select(dated.c.month, func.count()).group_by(dated.c.month)
    return {month: int(n) for month, n in session.execute(stmt)}


def _ending_soon(session: Session, region_id: int, *, today: date, until: date) -> dict[str, int]:
    status = t.SocialTariffStatusRow
    ranked = (
        select(
            t.Membership.holder_id.label("holder_id"),
            func.coalesce(status.ended_on, status.end_date).label("ends"),
            func.row_number()
            .over(
                partition_by=(status.membership_id, status.target_group_id),
                order_by=(status.granted_at.desc(), status.id.desc()),
            )
            .label("rank"),
        )
        .join(t.Membership, t.Membership.id == status.membership_id)
        .where(t.Membership.region_id == region_id)
        .subquery("ranked")
    )
    ends = func.max(ranked.c.ends)
    ending = (
        select(ranked.c.holder_id)
        .where(ranked.c.rank == 1)
        .group_by(ranked.c.holder_id)
        .having(and_(ends > today, ends <= until))
        .subquery("ending")
    )
    stmt = (
        select(t.PassHolder.nis_code, func.count())
        .select_from(ending)
        .join(t.PassHolder, t.PassHolder.id == ending.c.holder_id)
        .group_by(t.PassHolder.nis_code)
    )
    return {nis: int(n) for nis, n in session.execute(stmt)}


def _layout(session: Session, window: _Window, counts: _Counts) -> list[_Municipality]:
    """The municipalities to list, by name, each with its sub-municipalities."""
    joined = t.RegionMunicipality
    nis_codes = set(
        session.scalars(
            select(joined.nis_code).where(
                joined.region_id == window.region_id,
                joined.joined_on <= window.period.end,
                or_(joined.left_on.is_(None), joined.left_on > window.period.start),
            )
        )
    )
    nis_codes |= {nis for nis, _ in counts.reach} | set(counts.ending_soon)
    names: dict[str, str] = {
        row.nis_code: row.name
        for row in session.execute(
            select(t.Municipality.nis_code, t.Municipality.name).where(
                t.Municipality.nis_code.in_(sorted(nis_codes))
            )
        )
    }
    # A holder's sub-municipality is listed under the holder's municipality even if the data
    # files it under another one: the partition follows the residence recorded on the holder.
    stray = {sub_id for _, sub_id in counts.reach if sub_id is not None}
    subs: dict[str, dict[int, str]] = {nis: {} for nis in nis_codes}
    sub_names: dict[int, str] = {}
    sub = t.SubMunicipality
    for sub_id, nis, name in session.execute(
        select(sub.id, sub.nis_code, sub.name).where(
            or_(sub.nis_code.in_(sorted(nis_codes)), sub.id.in_(sorted(stray)))
        )
    ):
        sub_names[sub_id] = name
        if nis in subs:
            subs[nis][sub_id] = name
    for nis, holder_sub in counts.reach:
        if holder_sub is not None:
            subs[nis].setdefault(holder_sub, sub_names.get(holder_sub, str(holder_sub)))
    listed = [
        _Municipality(
            nis_code=nis,
            name=names.get(nis, nis),
            subs=(
                *sorted(
                    ((i, n) for i, n in subs[nis].items()), key=lambda s: (s[1].casefold(), s[0])
                ),
                (None, None),
            ),
        )
        for nis in nis_codes
    ]
    return sorted(listed, key=lambda m: (m.name.casefold(), m.nis_code))


# --- Cells and suppression -----------------------------------------------------------------------


def _nodes(layout: list[_Municipality]) -> list[Node]:
    nodes: list[Node] = [("region",)]
    for m in layout:
        nodes.append(("municipality", m.nis_code))
        nodes.extend(("sub", m.nis_code, sub_id) for sub_id, _ in m.subs)
    return nodes


def _cells(
    counts: _Counts, layout: list[_Municipality], window: _Window
) -> tuple[dict[Cell, int], list[Group[Cell]]]:
    values: dict[Cell, int] = {}
    groups: list[Group[Cell]] = []
    _reach_cells(values, groups, counts, layout)
    labels = [b.label for b in window.buckets]
    _family(values, groups, "first_time", counts.month_first_time, labels, by_domain=None)
    _family(values, groups, "checkins", counts.month_checkins, labels, counts.domain_checkins)
    _family(values, groups, "tickets", counts.month_tickets, labels, counts.domain_tickets)
    status_checkins = sum(counts.month_checkins_status.values())
    values[("checkins", "status_holders")] = status_checkins
    values[("checkins", "other_holders")] = values[("checkins", "total")] - status_checkins
    groups.append(
        Group(
            ("checkins", "total"), (("checkins", "status_holders"), ("checkins", "other_holders"))
        )
    )
    for label in labels:
        values[("reached", "month", label)] = counts.month_reached.get(label, 0)
    for domain in DOMAINS:
        values[("reached", "domain", domain)] = counts.domain_reached.get(domain, 0)
    for m in layout:
        values[("ending_soon", m.nis_code)] = counts.ending_soon.get(m.nis_code, 0)
    values[("ending_soon", "total")] = sum(counts.ending_soon.values())
    groups.append(
        Group(("ending_soon", "total"), tuple(("ending_soon", m.nis_code) for m in layout))
    )
    return values, groups


def _reach_cells(
    values: dict[Cell, int],
    groups: list[Group[Cell]],
    counts: _Counts,
    layout: list[_Municipality],
) -> None:
    for m in layout:
        for sub_id, _ in m.subs:
            holders, reached = counts.reach.get((m.nis_code, sub_id), (0, 0))
            _reach_node(values, ("sub", m.nis_code, sub_id), holders, reached)
        children = [("sub", m.nis_code, sub_id) for sub_id, _ in m.subs]
        _reach_parent(values, groups, ("municipality", m.nis_code), children)
    _reach_parent(values, groups, ("region",), [("municipality", m.nis_code) for m in layout])
    for node in _nodes(layout):
        groups.append(
            Group(("status_holders", *node), (("reached", *node), ("not_reached", *node)))
        )


def _reach_node(values: dict[Cell, int], node: Node, holders: int, reached: int) -> None:
    values[("status_holders", *node)] = holders
    values[("reached", *node)] = reached
    values[("not_reached", *node)] = holders - reached


def _reach_parent(
    values: dict[Cell, int], groups: list[Group[Cell]], parent: Node, children: Sequence[Node]
) -> None:
    for measure in REACH_MEASURES:
        parts = tuple((measure, *child) for child in children)
        values[(measure, *parent)] = sum(values[p] for p in parts)
        groups.append(Group((measure, *parent), parts))


def _family(
    values: dict[Cell, int],
    groups: list[Group[Cell]],
    name: str,
    by_month: Mapping[str, int],
    labels: list[str],
    by_domain: Mapping[str, int] | None,
) -> None:
    """A count published as a total, per month and (optionally) per domain: two partitions."""
    months_ = tuple((name, "month", label) for label in labels)
    for cell, label in zip(months_, labels, strict=True):
        values[cell] = by_month.get(label, 0)
    values[(name, "total")] = sum(values[c] for c in months_)
    groups.append(Group((name, "total"), months_))
    if by_domain is not None:
        domains = tuple((name, "domain", domain) for domain in DOMAINS)
        for cell, domain in zip(domains, DOMAINS, strict=True):
            values[cell] = by_domain.get(domain, 0)
        groups.append(Group((name, "total"), domains))


# --- The document --------------------------------------------------------------------------------


def reach_percent(reached: int | None, status_holders: int | None) -> float | None:
    """One decimal, half up; ``None`` when a count is hidden or nobody holds a status."""
    if reached is None or not status_holders:
        return None
    ratio = Decimal(reached * 100) / Decimal(status_holders)
    return float(ratio.quantize(Decimal("0.1"), rounding=ROUND_HALF_UP))


def _reach_figures(published: Mapping[Cell, int | None], node: Node) -> dict[str, Any]:
    holders = published[("status_holders", *node)]
    reached = published[("reached", *node)]
    return {
        "status_holders": holders,
        "reached": reached,
        "not_reached": published[("not_reached", *node)],
        "reach_percent": reach_percent(reached, holders),
    }


def _document(
    published: Mapping[Cell, int | None],
    layout: list[_Municipality],
    window: _Window,
    region: t.Region,
    threshold: int,
    ending_within_days: int,
) -> dict[str, Any]:
    return {
        "region": {"id": region.id, "name": region.name},
        "period": {
            "start": window.period.start.isoformat(),
            "end": window.period.end.isoformat(),
        },
        "threshold": threshold,
        "reach": {
            "total": _reach_figures(published, ("region",)),
            "municipalities": [_municipality(published, m) for m in layout],
        },
        "months": [
            {
                "month": b.label,
                "reached": published[("reached", "month", b.label)],
                "first_time": published[("first_time", "month", b.label)],
                "checkins": published[("checkins", "month", b.label)],
                "tickets": published[("tickets", "month", b.label)],
            }
            for b in window.buckets
        ],
        "domains": [
            {
                "domain": domain,
                "reached": published[("reached", "domain", domain)],
                "checkins": published[("checkins", "domain", domain)],
                "tickets": published[("tickets", "domain", domain)],
            }
            for domain in DOMAINS
        ],
        "first_time": {"total": published[("first_time", "total")]},
        "checkins": {
            "total": published[("checkins", "total")],
            "status_holders": published[("checkins", "status_holders")],
            "other_holders": published[("checkins", "other_holders")],
        },
        "tickets": {"total": published[("tickets", "total")]},
        "ending_soon": {
            "within_days": ending_within_days,
            "total": published[("ending_soon", "total")],
            "municipalities": [
                {
                    "nis_code": m.nis_code,
                    "name": m.name,
                    "count": published[("ending_soon", m.nis_code)],
                }
                for m in layout
            ],
        },
    }


def _municipality(published: Mapping[Cell, int | None], m: _Municipality) -> dict[str, Any]:
    return {
        "nis_code": m.nis_code,
        "name": m.name,
        **_reach_figures(published, ("municipality", m.nis_code)),
        "sub_municipalities": [
            {"id": sub_id, "name": name, **_reach_figures(published, ("sub", m.nis_code, sub_id))}
            for sub_id, name in m.subs
        ],
    }

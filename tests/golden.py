"""Golden tariff cases as data: ``fixtures/cases/*.toml`` (facts, ``at``, expected cents and codes).

A case file holds one tariff configuration (``[config]``, the stored document shape plus
``region_id``) and any number of quote cases (``[[cases]]``) and check-in cases
(``[[checkin_cases]]``). Expectations are written by hand from the rules in domain.md, never
copied from the engine's output.
"""

from __future__ import annotations

import tomllib
from datetime import date, datetime
from pathlib import Path
from typing import Any

from pydantic import BaseModel, ConfigDict, Field

from passengine.domain.checkins import CheckinEventFacts
from passengine.domain.model import (
    EventDomain,
    Occurrence,
    Period,
    PeriodLimit,
    SocialTariffStatus,
)
from passengine.domain.rules import TariffConfig
from passengine.domain.tariffs import (
    EventFacts,
    GroupPassFacts,
    HolderFacts,
    QuoteRequest,
    UsageFacts,
)
from passengine.services.tariff_config import parse_tariff_config

CASES_DIR = Path(__file__).resolve().parent.parent / "fixtures" / "cases"


class _Strict(BaseModel):
    model_config = ConfigDict(extra="forbid", frozen=True)


class LimitCase(_Strict):
    volume: int
    period: Period


class EventCase(_Strict):
    id: str = "evt-1"
    organizer_id: str = "org-1"
    organizer_nis_code: str = "11002"
    region_ids: list[int] = [1]
    domain: EventDomain = EventDomain.CULTURE
    permanent: bool = False
    ticket_limit: LimitCase | None = None


class StatusCase(_Strict):
    target_group: str = "KANSENSTATUUT"
    start_date: date = date(2026, 5, 1)
    end_date: date = date(2027, 4, 30)
    grace_period_days: int = 0
    suspended_until: date | None = None
    ended_on: date | None = None


class HolderCase(_Strict):
    region_id: int = 1
    nis_code: str = "11002"
    birth_date: date | None = date(1985, 7, 30)
    statuses: list[StatusCase] = [StatusCase()]
    card_blocked: bool = False
    membership_blocked: bool = False


class GroupPassCase(_Strict):
    region_id: int = 1
    nis_code: str = "11002"
    tickets_per_year: int = 20
    target_group: str | None = "KANSENSTATUUT"
    blocked: bool = False


class UsageCase(_Strict):
    event_sales: list[datetime] = []
    organizer_sales: list[datetime] = []
    group_pass_sales: list[datetime] = []
    holder_contributions: list[tuple[datetime, int]] = []
    reimbursements: dict[str, list[tuple[datetime, int]]] = {}
    municipality_consumed_cents: int = 0


class Expect(_Strict):
    price_cents: int | None = None
    """None: no reduced rate is offered."""
    tariff_id: str | None = None
    remaining: int | None = None
    outcomes: list[tuple[str, str]]
    """(rule id, code) for every rule, in priority order."""
    shares: dict[str, int] | None = None
    messages: list[str] = []
    """Codes of the end-user messages, in order (e.g. social-tariff-in-grace-period)."""
    message_nl_contains: list[str] = []


class QuoteCase(_Strict):
    name: str
    at: datetime
    regular_price_cents: int
    event: EventCase = EventCase()
    holder: HolderCase | None = HolderCase()
    group_pass: GroupPassCase | None = None
    usage: UsageCase = UsageCase()
    expect: Expect


class OccurrenceCase(_Strict):
    start: datetime
    end: datetime


class CheckinExpect(_Strict):
    allowed: bool
    code: str
    points: int = 0
    remaining: int | None = None


class CheckinCase(_Strict):
    name: str
    at: datetime
    occurrences: list[OccurrenceCase] = []
    points: int = 1
    limit: LimitCase | None = None
    opens_minutes_before: int = 300
    closes_minutes_after: int = 300
    checkins: list[datetime] = []
    card_blocked: bool = False
    membership_blocked: bool = False
    group_pass: bool = False
    expect: CheckinExpect


class CaseFile(_Strict):
    description: str = ""
    timezone: str = "Europe/Brussels"
    config: dict[str, Any] = Field(default_factory=dict)
    cases: list[QuoteCase] = []
    checkin_cases: list[CheckinCase] = []


def load_case_files() -> list[tuple[str, CaseFile, TariffConfig]]:
    loaded = []
    for path in sorted(CASES_DIR.glob("*.toml")):
        data = CaseFile.model_validate(tomllib.loads(path.read_text(encoding="utf-8")))
        document = dict(data.config)
        region_id = int(document.pop("region_id", 1))
        config, _ = parse_tariff_config(document, region_id=region_id, version=1)
        loaded.append((path.stem, data, config))
    return loaded


def _limit(limit: LimitCase | None) -> PeriodLimit | None:
    return PeriodLimit(limit.volume, limit.period) if limit else None


def request_of(case: QuoteCase) -> QuoteRequest:
    e, h, g, u = case.event, case.holder, case.group_pass, case.usage
    return QuoteRequest(
        event=EventFacts(
            id=e.id,
            organizer_id=e.organizer_id,
            organizer_nis_code=e.organizer_nis_code,
            region_ids=frozenset(e.region_ids),
            domain=e.domain,
            permanent=e.permanent,
            ticket_limit=_limit(e.ticket_limit),
        ),
        regular_price_cents=case.regular_price_cents,
        holder=None
        if h is None or g is not None
        else HolderFacts(
            region_id=h.region_id,
            nis_code=h.nis_code,
            birth_date=h.birth_date,
            statuses=tuple(
                SocialTariffStatus(
                    s.target_group,
                    s.start_date,
                    s.end_date,
                    s.grace_period_days,
                    s.suspended_until,
                    s.ended_on,
                )
                for s in h.statuses
            ),
            card_blocked=h.card_blocked,
            membership_blocked=h.membership_blocked,
        ),
        group_pass=None
        if g is None
        else GroupPassFacts(g.region_id, g.nis_code, g.tickets_per_year, g.target_group, g.blocked),
        usage=UsageFacts(
            event_sales=tuple(u.event_sales),
            organizer_sales=tuple(u.organizer_sales),
            group_pass_sales=tuple(u.group_pass_sales),
            holder_contributions=tuple(u.holder_contributions),
            reimbursements={k: tuple(v) for k, v in u.reimbursements.items()},
            municipality_consumed_cents=u.municipality_consumed_cents,
        ),
    )


def checkin_event_of(case: CheckinCase) -> CheckinEventFacts:
    return CheckinEventFacts(
        id="evt-1",
        occurrences=tuple(Occurrence(o.start, o.end) for o in case.occurrences),
        points=case.points,
        limit=_limit(case.limit),
        opens_minutes_before=case.opens_minutes_before,
        closes_minutes_after=case.closes_minutes_after,
    )

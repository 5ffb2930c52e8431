"""The quote: which tariffs apply to a holder for an event at a moment, and why (not).

A pure function of its arguments. Rules are tried in their declared priority; the first that
applies gives the SOCIALTARIFF tariff, and every rule gets an outcome that says why it applied
or not, in data (``RuleOutcome``) and in words a desk can show (``messages.render``). "Not
eligible" is a result, never an exception.
"""

from __future__ import annotations

from collections.abc import Mapping
from dataclasses import dataclass, field
from datetime import date, datetime, timedelta
from zoneinfo import ZoneInfo

from passengine.domain.distribution import Shares, split
from passengine.domain.errors import InvalidInput
from passengine.domain.limits import check_limit, local_date, sum_in_period
from passengine.domain.messages import ParamValue, render
from passengine.domain.model import (
    EventDomain,
    Period,
    PeriodLimit,
    SocialTariffState,
    SocialTariffStatus,
)
from passengine.domain.money import apply_bp
from passengine.domain.rules import (
    BudgetPolicy,
    Payer,
    PriceKind,
    Residence,
    TariffConfig,
    TariffRule,
)
from passengine.domain.statuses import status_on

SOCIALTARIFF = "SOCIALTARIFF"
MAX_PRICE_CENTS = 100_000_000  # €1,000,000: anything above is a typing error, not a ticket

DEFAULT_TICKET_LIMIT = PeriodLimit(1, Period.ABSOLUTE)
DEFAULT_PERMANENT_TICKET_LIMIT = PeriodLimit(1, Period.WEEK)

# Codes a holder should hear about when no reduced rate is offered, most telling first.
USER_FACING_CODES = (
    "card-blocked",
    "passholder-blocked",
    "social-tariff-suspended",
    "social-tariff-expired",
    "social-tariff-not-yet-active",
    "other-region",
    "maximum-reached",
    "holder-cap-reached",
    "reimbursement-cap-reached",
    "budget-exhausted",
    "price-above-maximum",
    "age-not-covered",
    "residence-not-covered",
    "group-pass-not-covered",
    "event-not-in-region",
    "domain-not-covered",
    "organizer-not-covered",
    "event-not-covered",
    "no-discount",
    "not-in-target-group",
)


@dataclass(frozen=True, slots=True)
class EventFacts:
    id: str
    organizer_id: str
    organizer_nis_code: str
    region_ids: frozenset[int]
    """The regions the organizer takes part in."""
    domain: EventDomain
    permanent: bool = False
    ticket_limit: PeriodLimit | None = None
    """The event's own setting (passholderTicketLimit); wins over the rule's."""


@dataclass(frozen=True, slots=True)
class HolderFacts:
    region_id: int
    """The region of the membership the scanned card belongs to."""
    nis_code: str
    """The municipality where the holder lives (pays its share, draws on its budget)."""
    statuses: tuple[SocialTariffStatus, ...] = ()
    birth_date: date | None = None
    card_blocked: bool = False
    membership_blocked: bool = False


@dataclass(frozen=True, slots=True)
class GroupPassFacts:
    region_id: int
    nis_code: str
    tickets_per_year: int
    target_group: str | None
    blocked: bool = False


@dataclass(frozen=True, slots=True)
class UsageFacts:
    """What the holder already used; the shell loads it, the core counts what is in a period."""

    event_sales: tuple[datetime, ...] = ()
    """Reduced-rate tickets (not cancelled) of this holder or group pass for this event."""
    organizer_sales: tuple[datetime, ...] = ()
    group_pass_sales: tuple[datetime, ...] = ()
    holder_contributions: tuple[tuple[datetime, int], ...] = ()
    """(when, holder price in cents) of the holder's reduced-rate tickets."""
    reimbursements: Mapping[str, tuple[tuple[datetime, int], ...]] = field(default_factory=dict)
    """Per reimbursement kind: (when, discount in cents) granted to this holder."""
    municipality_consumed_cents: int = 0
    """This calendar year's municipality shares of the holder's municipality so far."""


@dataclass(frozen=True, slots=True)
class QuoteRequest:
    event: EventFacts
    regular_price_cents: int
    holder: HolderFacts | None = None
    group_pass: GroupPassFacts | None = None
    usage: UsageFacts = UsageFacts()


@dataclass(frozen=True, slots=True)
class RuleOutcome:
    rule: str
    applied: bool
    code: str
    params: Mapping[str, ParamValue] = field(default_factory=dict)

    def message(self) -> dict[str, str]:
        return render(self.code, self.params)


@dataclass(frozen=True, slots=True)
class Tariff:
    id: str
    name: str
    price_cents: int
    type: str
    remaining: int
    rule_id: str
    config_version: int
    key_id: str
    shares: Shares


@dataclass(frozen=True, slots=True)
class Quote:
    regular_price_cents: int
    tariffs: tuple[Tariff, ...]
    outcomes: tuple[RuleOutcome, ...]
    notices: tuple[RuleOutcome, ...]
    """What the desk should tell the holder: why there is no reduced rate, or a warning (grace
    period, budget) when there is one."""

    @property
    def messages(self) -> tuple[dict[str, str], ...]:
        return tuple(n.message() for n in self.notices)

    @property
    def social_tariff(self) -> Tariff | None:
        return next((t for t in self.tariffs if t.type == SOCIALTARIFF), None)


class _NotApplied(Exception):
    def __init__(self, code: str, **params: ParamValue) -> None:
        self.code = code
        self.params = params


@dataclass(frozen=True, slots=True)
class _Applied:
    tariff: Tariff
    outcome: RuleOutcome
    warnings: tuple[RuleOutcome, ...]


def validate_price(regular_price_cents: int) -> None:
    if not 0 <= regular_price_cents <= MAX_PRICE_CENTS:
        raise InvalidInput(
            "A regular price lies between €0 and €1,000,000.",
            code="invalid-price",
            regular_price_cents=regular_price_cents,
        )


def quote(request: QuoteRequest, config: TariffConfig, *, at: datetime, tz: ZoneInfo) -> Quote:
    """Price a ticket for a holder (or a group pass) at ``at``; see the module docstring."""
    validate_price(request.regular_price_cents)
    if at.tzinfo is None:
        raise ValueError("at must be timezone-aware")
    outcomes: list[RuleOutcome] = []
    warnings: list[RuleOutcome] = []
    chosen: Tariff | None = None
    for rule in config.ordered_rules():
        if chosen is not None:
            outcomes.append(RuleOutcome(rule.id, False, "superseded", {"by": chosen.rule_id}))
            continue
        try:
            applied = _evaluate(rule, request, config, at=at, tz=tz)
        except _NotApplied as no:
            outcomes.append(RuleOutcome(rule.id, False, no.code, no.params))
            continue
        chosen = applied.tariff
        outcomes.append(applied.outcome)
        warnings.extend(applied.warnings)
    if chosen is None:
        reason = _most_telling(outcomes)
        if reason is not None:
            warnings.insert(0, reason)
    return Quote(
        regular_price_cents=request.regular_price_cents,
        tariffs=(chosen,) if chosen else (),
        outcomes=tuple(outcomes),
        notices=tuple(warnings),
    )


def _most_telling(outcomes: list[RuleOutcome]) -> RuleOutcome | None:
    ranked = [o for o in outcomes if o.code in USER_FACING_CODES]
    if not ranked:
        return None
    return min(ranked, key=lambda o: USER_FACING_CODES.index(o.code))


def _evaluate(
    rule: TariffRule, request: QuoteRequest, config: TariffConfig, *, at: datetime, tz: ZoneInfo
) -> _Applied:
    today = local_date(at, tz)
    holder, group = request.holder, request.group_pass
    warnings: list[RuleOutcome] = []

    # 1. The card and membership can be used at all.
    if holder is not None and holder.card_blocked:
        raise _NotApplied("card-blocked")
    if (holder is not None and holder.membership_blocked) or (group is not None and group.blocked):
        raise _NotApplied("passholder-blocked")

    # 2. The kansentarief is valid only in the holder's own region (or regions the rule lists),
    #    at events of organizers that take part in this region.
    if config.region_id not in request.event.region_ids:
        raise _NotApplied("event-not-in-region", region_id=config.region_id)
    member_region, nis = _membership_of(request)
    if member_region != config.region_id and member_region not in rule.conditions.other_regions:
        raise _NotApplied("other-region", holder_region_id=member_region)

    # 3. A status of a target group the rule covers, on this local day.
    grace_params: dict[str, ParamValue] | None = None
    if holder is not None:
        grace_params = _require_status(rule, holder, today)
    elif group is not None and group.target_group not in rule.target_groups:
        raise _NotApplied("not-in-target-group", target_groups=",".join(sorted(rule.target_groups)))

    # 4. Conditions on the event and the person.
    _require_event_conditions(rule, request)
    local = _require_person_conditions(rule, request, today)

    # 5. The price.
    regular = request.regular_price_cents
    maximum = rule.maximum_regular_price_cents
    if maximum is not None and regular > maximum:
        raise _NotApplied("price-above-maximum", maximum_cents=maximum)
    price = reduced_price(rule, regular)
    if price >= regular:
        raise _NotApplied("no-discount", price_cents=price)

    # 6. Limits: tickets per event (and per organizer), or the group pass's yearly tickets.
    remaining = _remaining_tickets(rule, request, at=at, tz=tz)

    # 7. Caps on money per holder per year.
    usage = request.usage
    partial: RuleOutcome | None = None
    if holder is not None and rule.reimbursement_kind:
        cap = config.reimbursement_caps.get(rule.reimbursement_kind)
        if cap is not None:
            used = sum_in_period(
                Period.YEAR, usage.reimbursements.get(rule.reimbursement_kind, ()), at=at, tz=tz
            )
            left = max(0, cap - used)
            if left == 0:
                raise _NotApplied(
                    "reimbursement-cap-reached",
                    kind=rule.reimbursement_kind,
                    cap_cents=cap,
                    used_cents=used,
                )
            if regular - price > left:
                price = regular - left
                partial = RuleOutcome(
                    rule.id,
                    True,
                    "reimbursement-cap-partial",
                    {"kind": rule.reimbursement_kind, "left_cents": left, "price_cents": price},
                )
    if holder is not None and config.holder_yearly_cap_cents is not None:
        cap = config.holder_yearly_cap_cents
        used = sum_in_period(Period.YEAR, usage.holder_contributions, at=at, tz=tz)
        if used + price > cap:
            raise _NotApplied("holder-cap-reached", cap_cents=cap, used_cents=used)

    # 8. Who pays the difference, and whether the municipality's budget allows it.
    key = config.keys[rule.key_id]
    shares = split(regular, price, key, holder_is_local=local)
    budget = config.budgets.get(nis)
    if budget is not None and shares[Payer.MUNICIPALITY] > 0:
        after = usage.municipality_consumed_cents + shares[Payer.MUNICIPALITY]
        if after > budget.amount_cents:
            params: dict[str, ParamValue] = {
                "nis_code": nis,
                "budget_cents": budget.amount_cents,
                "consumed_cents": usage.municipality_consumed_cents,
            }
            if budget.policy is BudgetPolicy.STOP:
                raise _NotApplied("budget-exhausted", **params)
            warnings.append(RuleOutcome(rule.id, True, "budget-exhausted-warning", params))

    if partial is not None:
        warnings.append(partial)
    code = "social-tariff-available"
    params = {"price_cents": price, "remaining": remaining}
    if grace_params is not None:
        warnings.insert(
            0, RuleOutcome(rule.id, True, "social-tariff-in-grace-period", grace_params)
        )
    tariff = Tariff(
        id=f"{SOCIALTARIFF}-{rule.id}",
        name=rule.name or config.tariff_name,
        price_cents=price,
        type=SOCIALTARIFF,
        remaining=remaining,
        rule_id=rule.id,
        config_version=config.version,
        key_id=key.id,
        shares=shares,
    )
    return _Applied(tariff, RuleOutcome(rule.id, True, code, params), tuple(warnings))


def reduced_price(rule: TariffRule, regular_cents: int) -> int:
    """The holder's price under a rule: its form, then its minimum, never above the regular
    price and never €0 unless the rule allows it."""
    form = rule.price
    if form.kind is PriceKind.PERCENT_OF_PRICE:
        price = apply_bp(regular_cents, form.value)
    elif form.kind is PriceKind.FIXED_PRICE:
        price = form.value
    else:
        price = regular_cents - form.value
    price = max(price, rule.minimum_price_cents, 0 if rule.allow_free else 1)
    return min(price, regular_cents)


def _require_status(
    rule: TariffRule, holder: HolderFacts, today: date
) -> dict[str, ParamValue] | None:
    """Pass if the holder has an ACTIVE status of a covered group; return grace details if the
    status is only active through its grace period."""
    covered = [s for s in holder.statuses if s.target_group in rule.target_groups]
    if not covered:
        raise _NotApplied("not-in-target-group", target_groups=",".join(sorted(rule.target_groups)))
    started = [s for s in covered if s.start_date <= today]
    if not started:
        # A renewal or a first grant that starts later: nothing is held yet.
        first = min(s.start_date for s in covered)
        raise _NotApplied("social-tariff-not-yet-active", start_date=first)
    covered = started
    views = [(s, status_on(s, today)) for s in covered]
    active = [(s, v) for s, v in views if v.state is SocialTariffState.ACTIVE]
    if active:
        # Prefer a status that is active without relying on its grace period.
        status, view = min(
            active, key=lambda sv: (sv[1].in_grace_period, -sv[1].end_date.toordinal())
        )
        if view.in_grace_period:
            return {
                "end_date": view.end_date,
                "grace_until": view.end_date + timedelta(days=status.grace_period_days),
            }
        return None
    suspended = [v for _, v in views if v.state is SocialTariffState.SUSPENDED]
    if suspended:
        raise _NotApplied("social-tariff-suspended", suspended_until=suspended[0].suspended_until)
    latest = max(views, key=lambda sv: sv[1].end_date)[1]
    raise _NotApplied("social-tariff-expired", end_date=latest.end_date)


def _require_event_conditions(rule: TariffRule, request: QuoteRequest) -> None:
    c, event = rule.conditions, request.event
    if c.domains is not None and event.domain not in c.domains:
        raise _NotApplied("domain-not-covered", domain=event.domain.value)
    if c.organizer_ids is not None and event.organizer_id not in c.organizer_ids:
        raise _NotApplied("organizer-not-covered", organizer_id=event.organizer_id)
    if c.event_ids is not None and event.id not in c.event_ids:
        raise _NotApplied("event-not-covered", event_id=event.id)


def _require_person_conditions(rule: TariffRule, request: QuoteRequest, today: date) -> bool:
    """Check age and residence; return whether the holder lives in the organizer's municipality."""
    c = rule.conditions
    holder, group = request.holder, request.group_pass
    local = _membership_of(request)[1] == request.event.organizer_nis_code
    if group is not None and (
        c.min_age is not None or c.max_age is not None or c.residence is not Residence.ANY
    ):
        raise _NotApplied("group-pass-not-covered")
    if holder is not None and (c.min_age is not None or c.max_age is not None):
        age = age_on(holder.birth_date, today) if holder.birth_date else None
        if (
            age is None
            or (c.min_age is not None and age < c.min_age)
            or (c.max_age is not None and age > c.max_age)
        ):
            raise _NotApplied("age-not-covered", min_age=c.min_age, max_age=c.max_age)
    if c.residence is Residence.ORGANIZER_MUNICIPALITY and not local:
        raise _NotApplied("residence-not-covered", residence=c.residence.value)
    if c.residence is Residence.OTHER_MUNICIPALITY and local:
        raise _NotApplied("residence-not-covered", residence=c.residence.value)
    return local


def _membership_of(request: QuoteRequest) -> tuple[int, str]:
    """(region, municipality of residence) of the holder or the group pass."""
    if request.holder is not None:
        return request.holder.region_id, request.holder.nis_code
    if request.group_pass is not None:
        return request.group_pass.region_id, request.group_pass.nis_code
    raise ValueError("a quote for a person needs a holder or a group pass; see static_quote")


def age_on(birth_date: date, day: date) -> int:
    """Completed years; someone born on 29 February turns a year older on 1 March."""
    return day.year - birth_date.year - ((day.month, day.day) < (birth_date.month, birth_date.day))


def ticket_limit_for(rule: TariffRule, event: EventFacts) -> PeriodLimit:
    if event.ticket_limit is not None:
        return event.ticket_limit
    if rule.ticket_limit is not None:
        return rule.ticket_limit
    return DEFAULT_PERMANENT_TICKET_LIMIT if event.permanent else DEFAULT_TICKET_LIMIT


def _remaining_tickets(
    rule: TariffRule, request: QuoteRequest, *, at: datetime, tz: ZoneInfo
) -> int:
    usage = request.usage
    if request.group_pass is not None:
        yearly = PeriodLimit(request.group_pass.tickets_per_year, Period.YEAR)
        check = check_limit(yearly, usage.group_pass_sales, at=at, tz=tz)
        if check.reached:
            raise _NotApplied(
                "maximum-reached",
                scope="group-pass",
                volume=yearly.volume,
                period=yearly.period.value,
                used=check.used,
            )
        return check.remaining
    limits = [("event", ticket_limit_for(rule, request.event), usage.event_sales)]
    if rule.organizer_limit is not None:
        limits.append(("organizer", rule.organizer_limit, usage.organizer_sales))
    remaining: int | None = None
    for scope, limit, usages in limits:
        check = check_limit(limit, usages, at=at, tz=tz)
        if check.reached:
            raise _NotApplied(
                "maximum-reached",
                scope=scope,
                volume=limit.volume,
                period=limit.period.value,
                used=check.used,
            )
        remaining = check.remaining if remaining is None else min(remaining, check.remaining)
    assert remaining is not None
    return remaining


# --- Static quote: the reduced price for listings, without a holder ------------------------------


@dataclass(frozen=True, slots=True)
class StaticQuote:
    regular_price_cents: int
    tariffs: tuple[tuple[str, str, int], ...]
    """(tariff id, name, price in cents) of the first rule that applies to the event."""
    outcomes: tuple[RuleOutcome, ...]


def static_quote(event: EventFacts, regular_price_cents: int, config: TariffConfig) -> StaticQuote:
    """What the kansentarief for this event costs, for a calendar or a ticket shop's listing:
    only the conditions on the event and the price are checked."""
    validate_price(regular_price_cents)
    outcomes: list[RuleOutcome] = []
    chosen: tuple[str, str, int] | None = None
    probe = QuoteRequest(event=event, regular_price_cents=regular_price_cents)
    for rule in config.ordered_rules():
        if chosen is not None:
            outcomes.append(RuleOutcome(rule.id, False, "superseded", {"by": chosen[0]}))
            continue
        try:
            if config.region_id not in event.region_ids:
                raise _NotApplied("event-not-in-region", region_id=config.region_id)
            _require_event_conditions(rule, probe)
            maximum = rule.maximum_regular_price_cents
            if maximum is not None and regular_price_cents > maximum:
                raise _NotApplied("price-above-maximum", maximum_cents=maximum)
            price = reduced_price(rule, regular_price_cents)
            if price >= regular_price_cents:
                raise _NotApplied("no-discount", price_cents=price)
        except _NotApplied as no:
            outcomes.append(RuleOutcome(rule.id, False, no.code, no.params))
            continue
        chosen = (f"{SOCIALTARIFF}-{rule.id}", rule.name or config.tariff_name, price)
        outcomes.append(
            RuleOutcome(rule.id, True, "social-tariff-available", {"price_cents": price})
        )
    return StaticQuote(regular_price_cents, (chosen,) if chosen else (), tuple(outcomes))

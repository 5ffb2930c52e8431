"""Invariants of the tariff engine over generated prices, keys, rules and usage."""

from __future__ import annotations

import random
from dataclasses import replace
from datetime import UTC, date, datetime, timedelta
from zoneinfo import ZoneInfo

from hypothesis import given, settings, strategies as st

from passengine.domain.distribution import split
from passengine.domain.model import EventDomain, Period, PeriodLimit, SocialTariffStatus
from passengine.domain.rules import (
    Conditions,
    DistributionKey,
    KeyLine,
    Payer,
    PriceForm,
    PriceKind,
    ShareKind,
    TariffConfig,
    TariffRule,
)
from passengine.domain.tariffs import EventFacts, HolderFacts, QuoteRequest, UsageFacts, quote

TZ = ZoneInfo("Europe/Brussels")
PAYERS = [Payer.ORGANIZER, Payer.MUNICIPALITY, Payer.REGION]

prices = st.integers(min_value=0, max_value=200_000)
key_lines = st.builds(
    KeyLine,
    payer=st.sampled_from(PAYERS),
    kind=st.sampled_from(list(ShareKind)),
    value=st.integers(min_value=0, max_value=10_000),
)
keys = st.builds(
    DistributionKey,
    id=st.just("k"),
    name=st.just("k"),
    local=st.lists(key_lines, max_size=4).map(tuple),
    other=st.one_of(st.none(), st.lists(key_lines, max_size=4).map(tuple)),
    remainder_to=st.sampled_from(PAYERS),
)
price_forms = st.one_of(
    st.builds(PriceForm, st.just(PriceKind.PERCENT_OF_PRICE), st.integers(0, 10_000)),
    st.builds(PriceForm, st.just(PriceKind.FIXED_PRICE), st.integers(0, 5_000)),
    st.builds(PriceForm, st.just(PriceKind.AMOUNT_OFF), st.integers(0, 5_000)),
)
rules = st.builds(
    TariffRule,
    id=st.sampled_from(["a", "b", "c", "d", "e"]),
    name=st.just("rule"),
    priority=st.integers(0, 5),
    target_groups=st.sampled_from([frozenset({"KANSENSTATUUT"}), frozenset({"SENIOR"})]),
    price=price_forms,
    key_id=st.just("k"),
    minimum_price_cents=st.integers(0, 300),
    allow_free=st.booleans(),
    maximum_regular_price_cents=st.one_of(st.none(), st.integers(0, 5_000)),
    conditions=st.builds(
        Conditions,
        domains=st.one_of(st.none(), st.just(frozenset({EventDomain.CULTURE}))),
        min_age=st.one_of(st.none(), st.integers(0, 70)),
    ),
    ticket_limit=st.one_of(
        st.none(), st.builds(PeriodLimit, st.integers(0, 3), st.sampled_from(list(Period)))
    ),
)
instants = st.datetimes(  # hypothesis takes naive bounds and attaches the zone itself
    min_value=datetime(2025, 1, 1),  # noqa: DTZ001
    max_value=datetime(2027, 12, 31),  # noqa: DTZ001
    timezones=st.just(UTC),
)


def config_of(rule_list: list[TariffRule], key: DistributionKey) -> TariffConfig:
    unique = {r.id: r for r in rule_list}  # ids are unique in a valid configuration
    return TariffConfig(region_id=1, version=1, rules=tuple(unique.values()), keys={"k": key})


def request(regular: int, sales: list[datetime], domain: EventDomain) -> QuoteRequest:
    return QuoteRequest(
        event=EventFacts("e", "o", "11002", frozenset({1}), domain),
        regular_price_cents=regular,
        holder=HolderFacts(
            region_id=1,
            nis_code="11002",
            birth_date=date(1960, 2, 29),
            statuses=(SocialTariffStatus("KANSENSTATUUT", date(2025, 1, 1), date(2027, 12, 31)),),
        ),
        usage=UsageFacts(event_sales=tuple(sales)),
    )


class TestSplit:
    @given(prices, st.data(), keys, st.booleans())
    def test_shares_are_non_negative_and_add_up_to_the_regular_price(
        self, regular: int, data: st.DataObject, key: DistributionKey, local: bool
    ) -> None:
        holder = data.draw(st.integers(0, regular))
        shares = split(regular, holder, key, holder_is_local=local)
        assert shares.total == regular
        assert shares[Payer.HOLDER] == holder
        assert all(amount >= 0 for amount in shares.amounts.values())


class TestQuote:
    @settings(max_examples=300)
    @given(
        st.lists(rules, min_size=1, max_size=5),
        keys,
        prices,
        st.lists(instants, max_size=4),
        instants,
        st.sampled_from(list(EventDomain)),
    )
    def test_invariants(
        self,
        rule_list: list[TariffRule],
        key: DistributionKey,
        regular: int,
        sales: list[datetime],
        at: datetime,
        domain: EventDomain,
    ) -> None:
        config = config_of(rule_list, key)
        req = request(regular, sales, domain)
        result = quote(req, config, at=at, tz=TZ)
        # One outcome per rule, in priority order, at most one applied.
        assert [o.rule for o in result.outcomes] == [r.id for r in config.ordered_rules()]
        assert sum(o.applied for o in result.outcomes) == len(result.tariffs) <= 1
        for tariff in result.tariffs:
            assert 0 <= tariff.price_cents < regular
            assert tariff.remaining >= 1
            assert tariff.shares.total == regular
            assert tariff.shares[Payer.HOLDER] == tariff.price_cents
        # Deterministic, and storage order does not matter: only the declared priority does.
        shuffled = list(config.rules)
        random.Random(regular).shuffle(shuffled)
        again = quote(req, replace(config, rules=tuple(shuffled)), at=at, tz=TZ)
        assert again == result
        assert all(m["nl"] for m in result.messages)

    @given(st.integers(1, 200_000), st.integers(0, 10_000), st.integers(0, 500))
    def test_the_holder_never_pays_nothing_unless_allowed(
        self, regular: int, bp: int, minimum: int
    ) -> None:
        rule = TariffRule(
            id="r",
            name="r",
            priority=1,
            target_groups=frozenset({"KANSENSTATUUT"}),
            price=PriceForm(PriceKind.PERCENT_OF_PRICE, bp),
            key_id="k",
            minimum_price_cents=minimum,
        )
        key = DistributionKey("k", "k", ())
        result = quote(
            request(regular, [], EventDomain.CULTURE),
            config_of([rule], key),
            at=datetime(2026, 6, 1, tzinfo=UTC),
            tz=TZ,
        )
        for tariff in result.tariffs:
            assert tariff.price_cents >= 1

    @given(st.integers(0, 5), st.lists(instants, max_size=6), instants)
    def test_remaining_is_what_is_left_of_the_limit_in_the_period(
        self, volume: int, sales: list[datetime], at: datetime
    ) -> None:
        rule = TariffRule(
            id="r",
            name="r",
            priority=1,
            target_groups=frozenset({"KANSENSTATUUT"}),
            price=PriceForm(PriceKind.PERCENT_OF_PRICE, 2000),
            key_id="k",
            ticket_limit=PeriodLimit(volume, Period.MONTH),
        )
        result = quote(
            request(1000, sales, EventDomain.CULTURE),
            config_of([rule], DistributionKey("k", "k", ())),
            at=at,
            tz=TZ,
        )
        month = at.astimezone(TZ).date().replace(day=1)
        used = sum(1 for s in sales if s.astimezone(TZ).date().replace(day=1) == month)
        expected = max(0, volume - used)
        if expected == 0:
            assert result.tariffs == ()
            assert result.outcomes[0].code == "maximum-reached"
        else:
            assert result.tariffs[0].remaining == expected


def test_days_are_counted_in_brussels_not_utc() -> None:
    rule = TariffRule(
        id="r",
        name="r",
        priority=1,
        target_groups=frozenset({"KANSENSTATUUT"}),
        price=PriceForm(PriceKind.PERCENT_OF_PRICE, 2000),
        key_id="k",
        ticket_limit=PeriodLimit(1, Period.DAY),
    )
    config = config_of([rule], DistributionKey("k", "k", ()))
    # 23:30 UTC on 22 November is 00:30 on 23 November in Brussels: a new day there.
    earlier = datetime(2026, 11, 22, 22, 30, tzinfo=UTC)  # 23:30 in Brussels, on the 22nd
    at = earlier + timedelta(hours=1)
    assert quote(request(1000, [earlier], EventDomain.CULTURE), config, at=at, tz=TZ).tariffs

from __future__ import annotations

from datetime import date

import pytest

from passengine.domain.limits import period_key
from passengine.domain.messages import TEMPLATES, render
from passengine.domain.model import EventDomain, Period
from passengine.domain.tariffs import USER_FACING_CODES, EventFacts, age_on, static_quote
from passengine.services.tariff_config import parse_tariff_config

DOCUMENT = {
    "rules": [
        {
            "id": "sport",
            "priority": 1,
            "target_groups": ["KANSENSTATUUT"],
            "price": {"kind": "FIXED_PRICE", "value": 150},
            "key": "k",
            "conditions": {"domains": ["SPORT"]},
        },
        {
            "id": "general",
            "priority": 2,
            "target_groups": ["KANSENSTATUUT"],
            "price": {"kind": "PERCENT_OF_PRICE", "value": 2000},
            "key": "k",
            "maximum_regular_price_cents": 5000,
        },
    ],
    "keys": [{"id": "k", "local": []}],
}
CONFIG, _ = parse_tariff_config(DOCUMENT, region_id=1, version=1)


def event(domain: EventDomain, regions: frozenset[int] = frozenset({1})) -> EventFacts:
    return EventFacts("e", "o", "11002", regions, domain)


class TestStaticQuote:
    def test_gives_the_first_applicable_rules_price_for_a_listing(self) -> None:
        result = static_quote(event(EventDomain.SPORT), 800, CONFIG)
        assert result.tariffs == (("SOCIALTARIFF-sport", "Kansentarief", 150),)
        assert [(o.rule, o.code) for o in result.outcomes] == [
            ("sport", "social-tariff-available"),
            ("general", "superseded"),
        ]

    def test_falls_through_to_the_next_rule(self) -> None:
        result = static_quote(event(EventDomain.CULTURE), 1250, CONFIG)
        assert result.tariffs == (("SOCIALTARIFF-general", "Kansentarief", 250),)
        assert result.outcomes[0].code == "domain-not-covered"

    def test_no_reduced_rate_above_the_maximum_price(self) -> None:
        result = static_quote(event(EventDomain.CULTURE), 5001, CONFIG)
        assert result.tariffs == ()
        assert [o.code for o in result.outcomes] == ["domain-not-covered", "price-above-maximum"]

    def test_an_event_outside_the_region_has_no_reduced_rate(self) -> None:
        result = static_quote(event(EventDomain.SPORT, frozenset({2})), 800, CONFIG)
        assert result.tariffs == ()
        assert {o.code for o in result.outcomes} == {"event-not-in-region"}

    @pytest.mark.parametrize("bad", [-1, 100_000_001])
    def test_refuses_impossible_prices(self, bad: int) -> None:
        with pytest.raises(Exception, match="regular price") as info:
            static_quote(event(EventDomain.SPORT), bad, CONFIG)
        assert getattr(info.value, "code", None) == "invalid-price"


class TestMessages:
    def test_every_user_facing_code_has_a_dutch_message(self) -> None:
        for code in USER_FACING_CODES:
            assert "nl" in TEMPLATES[code], code

    def test_dates_and_money_are_written_for_people(self) -> None:
        message = render("holder-cap-reached", {"cap_cents": 15000, "used_cents": 14950})
        assert message["nl"] == (
            "Je betaalde dit jaar al € 149,50 aan kansentarief; het maximum is € 150,00."
        )
        expired = render("social-tariff-expired", {"end_date": date(2027, 4, 30)})
        assert "30/04/2027" in expired["nl"]
        assert set(expired) == {"nl", "fr", "en", "de"}

    def test_an_unknown_code_still_says_something(self) -> None:
        assert render("something-new", {}) == {"nl": "something-new"}


class TestCalendar:
    def test_iso_weeks_start_on_monday_and_straddle_the_new_year(self) -> None:
        assert period_key(Period.WEEK, date(2026, 12, 31)) == period_key(
            Period.WEEK, date(2027, 1, 3)
        )
        assert period_key(Period.WEEK, date(2027, 1, 3)) != period_key(
            Period.WEEK, date(2027, 1, 4)
        )
        assert period_key(Period.QUARTER, date(2026, 3, 31)) != period_key(
            Period.QUARTER, date(2026, 4, 1)
        )

    @pytest.mark.parametrize(
        ("birth", "day", "age"),
        [
            (date(2008, 2, 29), date(2026, 2, 28), 17),
            (date(2008, 2, 29), date(2026, 3, 1), 18),
            (date(1961, 11, 23), date(2026, 11, 23), 65),
            (date(1961, 11, 24), date(2026, 11, 23), 64),
        ],
    )
    def test_age_counts_completed_years(self, birth: date, day: date, age: int) -> None:
        assert age_on(birth, day) == age

"""The redeem decision, table by table: points, welcome once, stock, per-holder limit, periods,
regions, blocked cards, and the order in which a desk hears the reasons."""

from __future__ import annotations

from dataclasses import replace
from datetime import datetime, timedelta
from zoneinfo import ZoneInfo

import pytest

from passengine.domain.model import Period, PeriodLimit
from passengine.domain.rewards import (
    HOLDER_LIMIT,
    INVALID_CARD,
    NO_ACTIVE_MEMBERSHIP,
    NOT_ENOUGH_POINTS,
    PERIOD,
    REDEEMABLE,
    REGION,
    STOCK,
    HolderFacts,
    RewardFacts,
    decide_redemption,
    reward_message,
)

BRUSSELS = ZoneInfo("Europe/Brussels")
AT = datetime(2026, 11, 23, 19, 30, tzinfo=BRUSSELS)
TEN = RewardFacts(id="r10", type="POINTS", points=10, owning_region_id=1)
WELCOME = RewardFacts(id="welcome", type="WELCOME", points=0, owning_region_id=1)
HOLDER = HolderFacts(points=24, region_id=1)


class TestDecideRedemption:
    def test_a_points_reward_costs_its_points_when_the_balance_suffices(self) -> None:
        decision = decide_redemption(TEN, HOLDER, (), at=AT, tz=BRUSSELS)
        assert (decision.allowed, decision.code, decision.points) == (True, REDEEMABLE, 10)

    def test_exactly_enough_points_is_enough(self) -> None:
        decision = decide_redemption(TEN, replace(HOLDER, points=10), (), at=AT, tz=BRUSSELS)
        assert decision.allowed

    def test_too_few_points_is_refused_with_the_cost_and_balance(self) -> None:
        decision = decide_redemption(TEN, replace(HOLDER, points=9), (), at=AT, tz=BRUSSELS)
        assert (decision.allowed, decision.code, decision.points) == (False, NOT_ENOUGH_POINTS, 0)
        assert decision.params == {"points": 10, "balance": 9}
        assert "het kost 10 punt(en), je hebt er 9" in decision.message()["nl"]

    def test_a_welcome_reward_costs_nothing_even_with_no_points(self) -> None:
        decision = decide_redemption(WELCOME, replace(HOLDER, points=0), (), at=AT, tz=BRUSSELS)
        assert (decision.allowed, decision.points) == (True, 0)

    def test_a_welcome_reward_with_points_configured_still_costs_nothing(self) -> None:
        odd = replace(WELCOME, points=7)
        assert decide_redemption(odd, replace(HOLDER, points=0), (), at=AT, tz=BRUSSELS).allowed

    def test_a_welcome_reward_is_given_once_per_membership_ever(self) -> None:
        years_ago = (AT - timedelta(days=800),)
        decision = decide_redemption(WELCOME, HOLDER, years_ago, at=AT, tz=BRUSSELS)
        assert (decision.allowed, decision.code) == (False, HOLDER_LIMIT)
        assert decision.params["period"] == "ABSOLUTE"

    def test_stock_that_is_taken_refuses(self) -> None:
        sold_out = replace(TEN, max_available_units=3, redeemed_units=3)
        decision = decide_redemption(sold_out, HOLDER, (), at=AT, tz=BRUSSELS)
        assert (decision.allowed, decision.code) == (False, STOCK)

    def test_the_last_unit_can_be_redeemed(self) -> None:
        last = replace(TEN, max_available_units=3, redeemed_units=2)
        assert decide_redemption(last, HOLDER, (), at=AT, tz=BRUSSELS).allowed

    def test_the_holder_limit_counts_calendar_periods_in_brussels(self) -> None:
        yearly = replace(TEN, holder_limit=PeriodLimit(1, Period.YEAR))
        new_year = datetime(2027, 1, 1, 0, 30, tzinfo=BRUSSELS)
        last_night = (datetime(2026, 12, 31, 23, 30, tzinfo=BRUSSELS),)
        late = datetime(2026, 12, 31, 23, 45, tzinfo=BRUSSELS)
        refused = decide_redemption(yearly, HOLDER, last_night, at=late, tz=BRUSSELS)
        assert (refused.allowed, refused.code) == (False, HOLDER_LIMIT)
        assert refused.params == {"volume": 1, "period": "YEAR", "used": 1}
        assert decide_redemption(yearly, HOLDER, last_night, at=new_year, tz=BRUSSELS).allowed

    def test_before_the_redeem_period_says_when_it_opens(self) -> None:
        later = replace(TEN, redeem_starts_at=AT + timedelta(days=2))
        decision = decide_redemption(later, HOLDER, (), at=AT, tz=BRUSSELS)
        assert (decision.allowed, decision.code) == (False, PERIOD)
        assert decision.params["ended"] == 0
        assert "25/11/2026" in decision.message()["nl"]

    def test_after_the_redeem_period_says_when_it_ended(self) -> None:
        over = replace(TEN, redeem_ends_at=AT - timedelta(days=30))
        decision = decide_redemption(over, HOLDER, (), at=AT, tz=BRUSSELS)
        assert (decision.allowed, decision.code) == (False, PERIOD)
        assert decision.params["ended"] == 1
        assert "tot 24/10/2026" in decision.message()["nl"]

    def test_the_period_bounds_are_inclusive(self) -> None:
        exact = replace(TEN, redeem_starts_at=AT, redeem_ends_at=AT)
        assert decide_redemption(exact, HOLDER, (), at=AT, tz=BRUSSELS).allowed

    @pytest.mark.parametrize(
        ("reward", "allowed"),
        [
            (TEN, False),
            (replace(TEN, region_ids=frozenset({2})), True),
            (replace(TEN, all_regions=True), True),
        ],
    )
    def test_members_of_other_regions_only_where_the_reward_applies(
        self, reward: RewardFacts, allowed: bool
    ) -> None:
        decision = decide_redemption(reward, replace(HOLDER, region_id=2), (), at=AT, tz=BRUSSELS)
        assert decision.allowed is allowed
        if not allowed:
            assert decision.code == REGION

    @pytest.mark.parametrize(
        ("holder", "code"),
        [
            (replace(HOLDER, card_blocked=True), INVALID_CARD),
            (replace(HOLDER, membership_blocked=True), NO_ACTIVE_MEMBERSHIP),
            (HolderFacts(points=0, region_id=1, group_pass=True), INVALID_CARD),
        ],
    )
    def test_blocked_cards_memberships_and_group_passes_redeem_nothing(
        self, holder: HolderFacts, code: str
    ) -> None:
        decision = decide_redemption(WELCOME, holder, (), at=AT, tz=BRUSSELS)
        assert (decision.allowed, decision.code) == (False, code)

    def test_reasons_come_in_a_fixed_order_points_last(self) -> None:
        everything_wrong = replace(
            TEN,
            redeem_ends_at=AT - timedelta(days=1),
            max_available_units=1,
            redeemed_units=1,
            holder_limit=PeriodLimit(1, Period.ABSOLUTE),
        )
        poor_stranger = HolderFacts(points=0, region_id=9)
        steps = [
            (everything_wrong, PERIOD),
            (replace(everything_wrong, redeem_ends_at=None), REGION),
            (replace(everything_wrong, redeem_ends_at=None, all_regions=True), STOCK),
            (
                replace(everything_wrong, redeem_ends_at=None, all_regions=True, redeemed_units=0),
                HOLDER_LIMIT,
            ),
            (
                replace(
                    everything_wrong,
                    redeem_ends_at=None,
                    all_regions=True,
                    redeemed_units=0,
                    holder_limit=None,
                ),
                NOT_ENOUGH_POINTS,
            ),
        ]
        for reward, code in steps:
            decision = decide_redemption(reward, poor_stranger, (AT,), at=AT, tz=BRUSSELS)
            assert decision.code == code

    def test_a_naive_moment_is_a_programming_error(self) -> None:
        with pytest.raises(ValueError, match="timezone-aware"):
            decide_redemption(TEN, HOLDER, (), at=AT.replace(tzinfo=None), tz=BRUSSELS)


class TestRewardMessage:
    @pytest.mark.parametrize(
        "code",
        [REDEEMABLE, NOT_ENOUGH_POINTS, HOLDER_LIMIT, STOCK, PERIOD, REGION, INVALID_CARD],
    )
    def test_every_outcome_speaks_dutch_french_and_english(self, code: str) -> None:
        message = reward_message(code, {"points": 5, "balance": 1, "period": "YEAR", "volume": 1})
        assert set(message) == {"nl", "fr", "en"}
        assert all(text and "{" not in text for text in message.values())

    def test_an_unknown_code_falls_back_to_the_code(self) -> None:
        assert reward_message("something-else", {}) == {"nl": "something-else"}

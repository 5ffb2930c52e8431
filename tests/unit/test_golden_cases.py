"""Every golden case in fixtures/cases: the price, the remaining count, the outcome of every rule,
the shares per payer and the messages."""

from __future__ import annotations

from zoneinfo import ZoneInfo

import pytest

from passengine.domain.checkins import decide_checkin
from passengine.domain.rules import Payer, TariffConfig
from passengine.domain.tariffs import quote
from tests.golden import (
    CaseFile,
    CheckinCase,
    QuoteCase,
    checkin_event_of,
    load_case_files,
    request_of,
)

FILES = load_case_files()
QUOTE_CASES = [
    pytest.param(data, config, case, id=f"{stem}: {case.name}")
    for stem, data, config in FILES
    for case in data.cases
]
CHECKIN_CASES = [
    pytest.param(data, case, id=f"{stem}: {case.name}")
    for stem, data, _ in FILES
    for case in data.checkin_cases
]


def test_there_are_at_least_sixty_golden_cases() -> None:
    assert len(QUOTE_CASES) + len(CHECKIN_CASES) >= 60


@pytest.mark.parametrize(("data", "config", "case"), QUOTE_CASES)
def test_quote(data: CaseFile, config: TariffConfig, case: QuoteCase) -> None:
    result = quote(request_of(case), config, at=case.at, tz=ZoneInfo(data.timezone))
    expect = case.expect
    assert [(o.rule, o.code) for o in result.outcomes] == [tuple(o) for o in expect.outcomes]
    tariff = result.social_tariff
    if expect.price_cents is None:
        assert tariff is None
    else:
        assert tariff is not None
        assert tariff.price_cents == expect.price_cents
        if expect.remaining is not None:
            assert tariff.remaining == expect.remaining
        if expect.tariff_id is not None:
            assert tariff.id == expect.tariff_id
        assert tariff.shares.total == case.regular_price_cents
        if expect.shares is not None:
            actual = {p.value: tariff.shares[p] for p in Payer if tariff.shares[p]}
            assert actual == {k: v for k, v in expect.shares.items() if v}
    nl = " ".join(m["nl"] for m in result.messages)
    for fragment in expect.message_nl_contains:
        assert fragment in nl
    assert [n.code for n in result.notices] == expect.messages
    assert all(m["nl"] and "{" not in m["nl"] for m in result.messages)


@pytest.mark.parametrize(("data", "case"), CHECKIN_CASES)
def test_checkin(data: CaseFile, case: CheckinCase) -> None:
    decision = decide_checkin(
        checkin_event_of(case),
        tuple(case.checkins),
        at=case.at,
        tz=ZoneInfo(data.timezone),
        card_blocked=case.card_blocked,
        membership_blocked=case.membership_blocked,
        group_pass=case.group_pass,
    )
    assert (decision.allowed, decision.code) == (case.expect.allowed, case.expect.code)
    assert decision.points == case.expect.points
    if case.expect.remaining is not None:
        assert decision.remaining == case.expect.remaining
    assert decision.message()["nl"]

"""Micro-benchmark of the pure tariff engine: quotes per second for a realistic region.

    .venv/bin/python -m bench.quotes [--seconds 3]

A region with 10 rules (target groups, domains, organizers, ages, residence, limits, caps and
budgets) and a holder with 3 memberships' worth of statuses and a year of usage history. The
decision runs on one core with no database; the figure bounds what the scan path can do.
"""

from __future__ import annotations

import argparse
import time
from datetime import UTC, date, datetime, timedelta
from zoneinfo import ZoneInfo

from passengine.domain.model import EventDomain, SocialTariffStatus
from passengine.domain.tariffs import (
    EventFacts,
    HolderFacts,
    QuoteRequest,
    UsageFacts,
    quote,
    static_quote,
)
from passengine.services.tariff_config import parse_tariff_config

TZ = ZoneInfo("Europe/Brussels")


def region_document() -> dict[str, object]:
    rules: list[dict[str, object]] = []
    for index, (group, domain) in enumerate(
        [
            ("HANDICAP", "SPORT"),
            ("SENIOR", "CULTURE"),
            ("JEUGD", "YOUTH"),
            ("HANDICAP", "CULTURE"),
            ("SENIOR", "SPORT"),
            ("JEUGD", "SPORT"),
            ("HANDICAP", "YOUTH"),
            ("SENIOR", "YOUTH"),
            ("JEUGD", "CULTURE"),
        ]
    ):
        rules.append(
            {
                "id": f"rule-{index}",
                "priority": index,
                "target_groups": [group],
                "price": {"kind": "PERCENT_OF_PRICE", "value": 5000},
                "key": "norm",
                "conditions": {"domains": [domain], "min_age": 12 if group == "JEUGD" else None},
                "organizer_limit": {"volume": 10, "period": "MONTH"},
            }
        )
    rules.append(
        {
            "id": "kansentarief",
            "priority": 100,
            "target_groups": ["KANSENSTATUUT"],
            "price": {"kind": "PERCENT_OF_PRICE", "value": 2000},
            "minimum_price_cents": 100,
            "key": "norm",
            "ticket_limit": {"volume": 2, "period": "YEAR"},
        }
    )
    return {
        "rules": rules,
        "keys": [
            {
                "id": "norm",
                "local": [{"payer": "MUNICIPALITY", "kind": "PERCENT_OF_REMAINDER", "value": 5000}],
                "other": [{"payer": "MUNICIPALITY", "kind": "PERCENT_OF_REMAINDER", "value": 7000}],
            }
        ],
        "holder_yearly_cap_cents": 15000,
        "budgets": {"11002": {"amount_cents": 1_000_000, "policy": "WARN"}},
    }


def main() -> None:
    parser = argparse.ArgumentParser()
    parser.add_argument("--seconds", type=float, default=3.0)
    args = parser.parse_args()
    document = region_document()
    started = time.perf_counter()
    config, _ = parse_tariff_config(document, region_id=1, version=1)
    parse_ms = (time.perf_counter() - started) * 1000
    at = datetime(2026, 11, 23, 19, 30, tzinfo=UTC)
    history = tuple(at - timedelta(days=d) for d in range(3, 360, 17))
    request = QuoteRequest(
        event=EventFacts("evt", "org", "11002", frozenset({1, 2}), EventDomain.CULTURE),
        regular_price_cents=1250,
        holder=HolderFacts(
            region_id=1,
            nis_code="11002",
            birth_date=date(1984, 3, 9),
            statuses=(
                SocialTariffStatus("KANSENSTATUUT", date(2026, 5, 1), date(2027, 4, 30), 30),
                SocialTariffStatus("HANDICAP", date(2024, 1, 1), date(2025, 12, 31)),
                SocialTariffStatus("SENIOR", date(2020, 1, 1), date(2021, 1, 1)),
            ),
        ),
        usage=UsageFacts(
            event_sales=history[:1],
            organizer_sales=history,
            holder_contributions=tuple((h, 250) for h in history),
        ),
    )
    result = quote(request, config, at=at, tz=TZ)
    assert result.social_tariff is not None
    assert result.social_tariff.price_cents == 250  # the kansentarief, after 9 other rules
    for label, run in (
        ("quote (holder, 10 rules)", lambda: quote(request, config, at=at, tz=TZ)),
        ("static quote (listing)", lambda: static_quote(request.event, 1250, config)),
    ):
        count, deadline = 0, time.perf_counter() + args.seconds
        started = time.perf_counter()
        while time.perf_counter() < deadline:
            for _ in range(100):
                run()
            count += 100
        elapsed = time.perf_counter() - started
        each_us = elapsed / count * 1e6
        print(f"{label:28} {count / elapsed:>10,.0f} per second  ({each_us:.1f} µs each)")
    print(f"{'parse + validate config':28} {parse_ms:>10.1f} ms once per config version")


if __name__ == "__main__":
    main()

"""What a card costs: by age, by whether the holder has a status, and by why the card is issued
(a first card, a replacement after a loss, a new card after a status change; domain.md,
"Desks, referrers and administrators").

A region keeps price lists. A list is the set of prices that share a ``valid_from`` day; the list
in force on a day is the one with the latest ``valid_from`` on or before it, as a whole: a new
list replaces the previous one, it does not patch it. Within one list at most one price may
match a case (ambiguous lists are refused by ``validate_card_prices``), so picking a price needs
no tie-breaking rule an administrator would have to learn.
"""

from __future__ import annotations

import enum
from collections.abc import Iterable, Sequence
from dataclasses import dataclass
from datetime import date

from passengine.domain.distribution import ConfigIssue, IssueLevel

MAX_AGE = 130
"""The oldest age a price range needs to cover; an open ``max_age`` reaches it."""


class CardPriceReason(enum.StrEnum):
    FIRST_CARD = "FIRST_CARD"
    LOSS = "LOSS"
    """A replacement for a lost, stolen or broken card."""
    STATUS_CHANGE = "STATUS_CHANGE"
    """A new card because the holder's status changed (regions that print it differently)."""


@dataclass(frozen=True, slots=True)
class CardPrice:
    """One price of a list. ``None`` bounds are open; ``with_status=None`` applies to holders
    with and without a status."""

    reason: CardPriceReason
    price_cents: int
    valid_from: date
    min_age: int | None = None
    max_age: int | None = None
    with_status: bool | None = None

    def matches(self, *, age: int, has_status: bool, reason: CardPriceReason) -> bool:
        return (
            self.reason is reason
            and (self.min_age is None or age >= self.min_age)
            and (self.max_age is None or age <= self.max_age)
            and (self.with_status is None or self.with_status is has_status)
        )


def list_in_force(prices: Iterable[CardPrice], *, on: date) -> tuple[CardPrice, ...]:
    """The prices of the newest list that started on or before ``on`` (none before the first)."""
    started = [p for p in prices if p.valid_from <= on]
    if not started:
        return ()
    newest = max(p.valid_from for p in started)
    return tuple(p for p in started if p.valid_from == newest)


def card_price(
    prices: Iterable[CardPrice],
    *,
    age: int,
    has_status: bool,
    reason: CardPriceReason,
    on: date,
) -> CardPrice | None:
    """The price that applies, or ``None`` when the list in force has no price for this case
    (the caller decides what that means; registration treats it as "not configured")."""
    if age < 0:
        raise ValueError("an age cannot be negative")
    found = [
        p
        for p in list_in_force(prices, on=on)
        if p.matches(age=age, has_status=has_status, reason=reason)
    ]
    if len(found) > 1:
        # validate_card_prices refuses such lists; a stored one means the data was edited by hand
        raise ValueError(f"{len(found)} card prices match; the price list is ambiguous")
    return found[0] if found else None


def _bounds(p: CardPrice) -> tuple[int, int]:
    return (p.min_age or 0, MAX_AGE if p.max_age is None else p.max_age)


def _overlap(a: CardPrice, b: CardPrice) -> bool:
    (a_lo, a_hi), (b_lo, b_hi) = _bounds(a), _bounds(b)
    statuses_meet = a.with_status is None or b.with_status is None or a.with_status is b.with_status
    return a.reason is b.reason and statuses_meet and a_lo <= b_hi and b_lo <= a_hi


def _who(with_status: bool) -> str:
    return "with a status" if with_status else "without a status"


def validate_card_prices(prices: Sequence[CardPrice]) -> list[ConfigIssue]:
    """Errors (bad bounds, two prices for one case, several days in one list) and warnings (ages
    a reason that has prices leaves uncovered). Fields are named ``prices[i].field``."""
    issues: list[ConfigIssue] = []
    if len({p.valid_from for p in prices}) > 1:
        issues.append(
            ConfigIssue(
                IssueLevel.ERROR, "valid_from", "mixed-valid-from", "a list has one valid_from"
            )
        )
    for i, p in enumerate(prices):
        if p.price_cents < 0:
            issues.append(
                ConfigIssue(
                    IssueLevel.ERROR, f"prices[{i}].price_cents", "negative", "cannot be negative"
                )
            )
        for name, value in (("min_age", p.min_age), ("max_age", p.max_age)):
            if value is not None and not 0 <= value <= MAX_AGE:
                issues.append(
                    ConfigIssue(
                        IssueLevel.ERROR,
                        f"prices[{i}].{name}",
                        "age-out-of-range",
                        f"an age is between 0 and {MAX_AGE}",
                    )
                )
        if p.min_age is not None and p.max_age is not None and p.min_age > p.max_age:
            issues.append(
                ConfigIssue(
                    IssueLevel.ERROR,
                    f"prices[{i}].max_age",
                    "empty-age-range",
                    f"max_age {p.max_age} is below min_age {p.min_age}",
                )
            )
    if any(i.level is IssueLevel.ERROR for i in issues):
        return issues
    for j, b in enumerate(prices):
        for i, a in enumerate(prices[:j]):
            if _overlap(a, b):
                issues.append(
                    ConfigIssue(
                        IssueLevel.ERROR,
                        f"prices[{j}]",
                        "overlapping-card-prices",
                        f"prices[{i}] and prices[{j}] both price {b.reason.value} for the same "
                        "ages and status",
                    )
                )
    if any(i.level is IssueLevel.ERROR for i in issues):
        return issues
    for reason in sorted({p.reason for p in prices}):
        for with_status in (False, True):
            gaps = _gaps(
                [p for p in prices if p.reason is reason and p.with_status in (None, with_status)]
            )
            issues += [
                ConfigIssue(
                    IssueLevel.WARNING,
                    "prices",
                    "card-price-gap",
                    f"{reason.value}: no price for holders {_who(with_status)} aged {lo}–{hi}",
                )
                for lo, hi in gaps
            ]
    return issues


def _gaps(prices: Iterable[CardPrice]) -> list[tuple[int, int]]:
    """Age ranges in 0..MAX_AGE that no price covers (the prices do not overlap)."""
    gaps: list[tuple[int, int]] = []
    next_age = 0
    for lo, hi in sorted(_bounds(p) for p in prices):
        if lo > next_age:
            gaps.append((next_age, lo - 1))
        next_age = max(next_age, hi + 1)
    if next_age <= MAX_AGE:
        gaps.append((next_age, MAX_AGE))
    return gaps

"""Distribution keys: who pays what share of a reduced-rate ticket, to the cent.

The holder pays the reduced price; the key splits the rest of the regular price over organizer,
the holder's municipality and the region, line by line in order. Every share is an integer and
the shares add up exactly to the regular price: the last cent of any rounding goes to the key's
``remainder_to`` payer (domain.md, "Prices").
"""

from __future__ import annotations

import enum
from collections.abc import Mapping
from dataclasses import dataclass

from passengine.domain.money import BASIS_POINTS, apply_bp, format_bp, round_half_up
from passengine.domain.rules import DistributionKey, KeyLine, Payer, ShareKind

# publiq's norm (20-40-40): the holder pays at most 25 % and never nothing; the organizer at
# least 10 %. Regions may deviate; we warn, we do not refuse.
NORM_HOLDER_MAX_BP = 2_500
NORM_ORGANIZER_MIN_BP = 1_000


@dataclass(frozen=True, slots=True)
class Shares:
    regular_cents: int
    amounts: Mapping[Payer, int]
    local: bool
    """Whether the holder lives in the organizer's municipality (the key's ``local`` column)."""
    clamped: bool = False
    """A line asked for more than was left and was cut to what was left."""

    def __getitem__(self, payer: Payer) -> int:
        return self.amounts.get(payer, 0)

    @property
    def total(self) -> int:
        return sum(self.amounts.values())


def split(
    regular_cents: int, holder_cents: int, key: DistributionKey, *, holder_is_local: bool
) -> Shares:
    if not 0 <= holder_cents <= regular_cents:
        raise ValueError("the holder's price lies between 0 and the regular price")
    lines = key.local if holder_is_local or key.other is None else key.other
    amounts = dict.fromkeys(Payer, 0)
    amounts[Payer.HOLDER] = holder_cents
    left = regular_cents - holder_cents
    clamped = False
    for line in lines:
        wanted = _line_amount(line, regular_cents=regular_cents, left=left)
        amount = min(max(wanted, 0), left)
        clamped = clamped or amount != wanted
        amounts[line.payer] += amount
        left -= amount
    amounts[key.remainder_to] += left
    return Shares(regular_cents, amounts, holder_is_local, clamped)


def _line_amount(line: KeyLine, *, regular_cents: int, left: int) -> int:
    if line.kind is ShareKind.FIXED:
        return line.value
    if line.kind is ShareKind.PERCENT_OF_TOTAL:
        return apply_bp(regular_cents, line.value)
    return apply_bp(left, line.value)


class IssueLevel(enum.StrEnum):
    ERROR = "ERROR"
    WARNING = "WARNING"


@dataclass(frozen=True, slots=True)
class ConfigIssue:
    level: IssueLevel
    field: str
    code: str
    message: str


def validate_key(key: DistributionKey, *, field: str) -> list[ConfigIssue]:
    """Errors for keys that cannot add up; see ``norm_warnings`` for publiq's norm."""
    issues: list[ConfigIssue] = []
    columns = [("local", key.local)] + ([("other", key.other)] if key.other is not None else [])
    for column, lines in columns:
        percent_of_total = 0
        for index, line in enumerate(lines):
            where = f"{field}.{column}[{index}]"
            if line.payer is Payer.HOLDER:
                issues.append(
                    ConfigIssue(
                        IssueLevel.ERROR,
                        where + ".payer",
                        "holder-in-key",
                        "the holder's share is the tariff's price; a key line cannot charge it",
                    )
                )
            if line.value < 0:
                issues.append(
                    ConfigIssue(
                        IssueLevel.ERROR,
                        where + ".value",
                        "negative-share",
                        "a share cannot be negative",
                    )
                )
            if line.kind is not ShareKind.FIXED and line.value > BASIS_POINTS:
                issues.append(
                    ConfigIssue(
                        IssueLevel.ERROR,
                        where + ".value",
                        "share-above-100-percent",
                        f"{line.value} basis points is more than 100 %",
                    )
                )
            if line.kind is ShareKind.PERCENT_OF_TOTAL:
                percent_of_total += line.value
        if percent_of_total > BASIS_POINTS:
            issues.append(
                ConfigIssue(
                    IssueLevel.ERROR,
                    f"{field}.{column}",
                    "key-cannot-add-up",
                    f"the percentages of the total add up to {format_bp(percent_of_total)}, "
                    "more than the whole price",
                )
            )
    if key.remainder_to is Payer.HOLDER:
        issues.append(
            ConfigIssue(
                IssueLevel.ERROR,
                f"{field}.remainder_to",
                "holder-in-key",
                "the rounding remainder cannot be charged to the holder",
            )
        )
    return issues


def norm_warnings(shares: Shares, *, field: str) -> list[ConfigIssue]:
    """Warnings where a split breaks publiq's norm (holder ≤ 25 % and > 0, organizer ≥ 10 %)."""
    issues: list[ConfigIssue] = []
    regular = shares.regular_cents
    if regular <= 0:
        return issues
    column = "local" if shares.local else "other"
    holder_bp = round_half_up(shares[Payer.HOLDER] * BASIS_POINTS, regular)
    organizer_bp = round_half_up(shares[Payer.ORGANIZER] * BASIS_POINTS, regular)
    if shares[Payer.HOLDER] == 0:
        issues.append(
            ConfigIssue(
                IssueLevel.WARNING,
                field,
                "holder-pays-nothing",
                f"the holder pays nothing ({column} column); publiq's norm: never €0",
            )
        )
    elif holder_bp > NORM_HOLDER_MAX_BP:
        issues.append(
            ConfigIssue(
                IssueLevel.WARNING,
                field,
                "holder-share-above-norm",
                f"the holder pays {format_bp(holder_bp)} ({column} column); "
                "publiq's norm: at most 25 %",
            )
        )
    if organizer_bp < NORM_ORGANIZER_MIN_BP:
        issues.append(
            ConfigIssue(
                IssueLevel.WARNING,
                field,
                "organizer-share-below-norm",
                f"the organizer pays {format_bp(organizer_bp)} ({column} column); "
                "publiq's norm: at least 10 %",
            )
        )
    return issues

"""Checks on a whole tariff configuration: errors refuse it, warnings are shown to the region.

Every issue names the field (``rules[2].key``) and the reason, so a region administrator can
fix a configuration without reading code.
"""

from __future__ import annotations

from passengine.domain.distribution import (
    ConfigIssue,
    IssueLevel,
    norm_warnings,
    split,
    validate_key,
)
from passengine.domain.money import BASIS_POINTS
from passengine.domain.rules import PriceKind, TariffConfig
from passengine.domain.tariffs import reduced_price

# Prices at which a rule and its key are tried against publiq's norm: a cinema ticket, a
# theatre seat, a course. Only warnings come from these; nothing is refused on a sample.
NORM_SAMPLE_PRICES = (500, 1_000, 2_500)


def validate_config(config: TariffConfig) -> list[ConfigIssue]:
    issues: list[ConfigIssue] = []

    def error(field: str, code: str, message: str) -> None:
        issues.append(ConfigIssue(IssueLevel.ERROR, field, code, message))

    for key_id, key in config.keys.items():
        issues += validate_key(key, field=f"keys[{key_id}]")
    seen: set[str] = set()
    for index, rule in enumerate(config.rules):
        where = f"rules[{index}]"
        if rule.id in seen:
            error(f"{where}.id", "duplicate-rule", f"rule id {rule.id!r} is used twice")
        seen.add(rule.id)
        if rule.key_id not in config.keys:
            error(f"{where}.key", "unknown-key", f"no distribution key {rule.key_id!r}")
        if not rule.target_groups:
            error(f"{where}.target_groups", "no-target-group", "name at least one target group")
        form = rule.price
        if form.kind is PriceKind.PERCENT_OF_PRICE and not 0 <= form.value <= BASIS_POINTS:
            error(
                f"{where}.price.value",
                "percentage-out-of-range",
                f"{form.value} basis points is not between 0 and 10000 (100 %)",
            )
        if form.kind is not PriceKind.PERCENT_OF_PRICE and form.value < 0:
            error(f"{where}.price.value", "negative-amount", "an amount cannot be negative")
        if rule.minimum_price_cents < 0:
            error(f"{where}.minimum_price_cents", "negative-amount", "cannot be negative")
        if rule.maximum_regular_price_cents is not None and rule.maximum_regular_price_cents < 0:
            error(f"{where}.maximum_regular_price_cents", "negative-amount", "cannot be negative")
        c = rule.conditions
        if c.min_age is not None and c.max_age is not None and c.min_age > c.max_age:
            error(
                f"{where}.conditions",
                "empty-age-range",
                f"min_age {c.min_age} is above max_age {c.max_age}",
            )
        if rule.reimbursement_kind and rule.reimbursement_kind not in config.reimbursement_caps:
            error(
                f"{where}.reimbursement_kind",
                "unknown-reimbursement-kind",
                f"no yearly cap for {rule.reimbursement_kind!r} in reimbursement_caps",
            )
        if rule.key_id in config.keys and not any(i.level is IssueLevel.ERROR for i in issues):
            key = config.keys[rule.key_id]
            found: set[str] = set()
            for regular in NORM_SAMPLE_PRICES:
                price = reduced_price(rule, regular)
                if price >= regular:
                    continue
                for local in (True, False):
                    for issue in norm_warnings(
                        split(regular, price, key, holder_is_local=local), field=where
                    ):
                        if issue.code not in found:
                            found.add(issue.code)
                            issues.append(issue)
    if config.holder_yearly_cap_cents is not None and config.holder_yearly_cap_cents < 0:
        error("holder_yearly_cap_cents", "negative-amount", "cannot be negative")
    for kind, cap in config.reimbursement_caps.items():
        if cap < 0:
            error(f"reimbursement_caps.{kind}", "negative-amount", "cannot be negative")
    for nis, budget in config.budgets.items():
        if budget.amount_cents < 0:
            error(f"budgets.{nis}.amount_cents", "negative-amount", "cannot be negative")
    return issues

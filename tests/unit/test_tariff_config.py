"""Configuration errors name the field and the reason; publiq's norm gives warnings."""

from __future__ import annotations

import copy
from typing import Any

import pytest

from passengine.domain.distribution import IssueLevel
from passengine.domain.money import apply_bp, format_bp, format_euro, round_half_up
from passengine.services.tariff_config import TariffConfigError, parse_tariff_config

VALID: dict[str, Any] = {
    "rules": [
        {
            "id": "kansentarief",
            "priority": 10,
            "target_groups": ["KANSENSTATUUT"],
            "price": {"kind": "PERCENT_OF_PRICE", "value": 2000},
            "key": "norm",
        }
    ],
    "keys": [
        {
            "id": "norm",
            "local": [{"payer": "MUNICIPALITY", "kind": "PERCENT_OF_REMAINDER", "value": 5000}],
        }
    ],
}


def changed(path: str, value: Any) -> dict[str, Any]:
    document = copy.deepcopy(VALID)
    *parents, last = path.split(".")
    node: Any = document
    for part in parents:
        node = node[int(part)] if part.isdigit() else node[part]
    node[int(last) if last.isdigit() else last] = value
    return document


def error_of(document: dict[str, Any]) -> TariffConfigError:
    with pytest.raises(TariffConfigError) as info:
        parse_tariff_config(document, region_id=1, version=1)
    return info.value


class TestParseTariffConfig:
    def test_a_valid_document_meets_the_norm_without_warnings(self) -> None:
        config, warnings = parse_tariff_config(VALID, region_id=1, version=3)
        assert config.version == 3
        assert [r.id for r in config.rules] == ["kansentarief"]
        assert warnings == []

    @pytest.mark.parametrize(
        ("path", "value", "field", "fragment"),
        [
            ("rules.0.key", "nope", "rules[0].key", "no distribution key 'nope'"),
            ("rules.0.price.value", 12000, "rules[0].price.value", "not between 0 and 10000"),
            ("rules.0.price.kind", "HALF_PRICE", "rules.0.price.kind", "Input should be"),
            ("rules.0.target_groups", [], "rules.0.target_groups", "at least 1 item"),
            (
                "rules.0.ticket_limit",
                {"volume": 1, "period": "FORTNIGHT"},
                "rules.0.ticket_limit.period",
                "Input should be",
            ),
            (
                "rules.0.conditions",
                {"min_age": 70, "max_age": 60},
                "rules[0].conditions",
                "min_age 70 is above max_age 60",
            ),
            (
                "rules.0.reimbursement_kind",
                "LIDGELD",
                "rules[0].reimbursement_kind",
                "no yearly cap for 'LIDGELD'",
            ),
            (
                "keys.0.local",
                [
                    {"payer": "MUNICIPALITY", "kind": "PERCENT_OF_TOTAL", "value": 6000},
                    {"payer": "REGION", "kind": "PERCENT_OF_TOTAL", "value": 5000},
                ],
                "keys[norm].local",
                "add up to 110 %",
            ),
            (
                "keys.0.local",
                [{"payer": "HOLDER", "kind": "FIXED", "value": 100}],
                "keys[norm].local[0].payer",
                "holder's share is the tariff's price",
            ),
            ("keys.0.remainder_to", "HOLDER", "keys[norm].remainder_to", "cannot be charged"),
            (
                "keys.0.local",
                [{"payer": "REGION", "kind": "PERCENT_OF_REMAINDER", "value": 10001}],
                "keys[norm].local[0].value",
                "more than 100 %",
            ),
            ("holder_yearly_cap_cents", -1, "holder_yearly_cap_cents", "greater than or equal"),
            ("budgets", {"7310": {"amount_cents": 100}}, "budgets.7310.[key]", "match pattern"),
            ("rules.0.colour", "red", "rules.0.colour", "Extra inputs"),
        ],
    )
    def test_errors_name_the_field_and_the_reason(
        self, path: str, value: Any, field: str, fragment: str
    ) -> None:
        error = error_of(changed(path, value))
        assert error.code == "invalid-tariff-config"
        assert any(i.field == field and fragment in i.message for i in error.issues), error.issues
        assert error.message.startswith(error.issues[0].field)

    def test_duplicate_rule_ids_are_refused(self) -> None:
        document = copy.deepcopy(VALID)
        document["rules"].append(copy.deepcopy(document["rules"][0]))
        assert any(i.code == "duplicate-rule" for i in error_of(document).issues)

    def test_warns_when_the_holder_pays_more_than_a_quarter(self) -> None:
        _, warnings = parse_tariff_config(
            changed("rules.0.price.value", 5000), region_id=1, version=1
        )
        assert [w.code for w in warnings] == ["holder-share-above-norm"]
        assert warnings[0].level is IssueLevel.WARNING
        assert warnings[0].field == "rules[0]"

    def test_warns_when_the_holder_pays_nothing_or_the_organizer_too_little(self) -> None:
        document = changed("rules.0.allow_free", True)
        document["rules"][0]["price"] = {"kind": "FIXED_PRICE", "value": 0}
        document["keys"][0]["local"] = [
            {"payer": "MUNICIPALITY", "kind": "PERCENT_OF_REMAINDER", "value": 9500}
        ]
        _, warnings = parse_tariff_config(document, region_id=1, version=1)
        assert {w.code for w in warnings} == {"holder-pays-nothing", "organizer-share-below-norm"}


class TestMoney:
    @pytest.mark.parametrize(
        ("numerator", "denominator", "expected"),
        [(5, 10, 1), (4, 10, 0), (15, 10, 2), (-5, 10, -1), (-4, 10, 0), (0, 7, 0)],
    )
    def test_rounds_halves_away_from_zero(
        self, numerator: int, denominator: int, expected: int
    ) -> None:
        assert round_half_up(numerator, denominator) == expected

    def test_basis_points_of_cents(self) -> None:
        assert apply_bp(1235, 2000) == 247  # 246.999… → 247
        assert apply_bp(1001, 2000) == 200  # 200.2 → 200
        assert apply_bp(1, 5000) == 1  # half a cent rounds up

    def test_formats_euro_and_percentages_the_flemish_way(self) -> None:
        assert format_euro(150) == "€ 1,50"
        assert format_euro(-5) == "-€ 0,05"
        assert format_bp(2500) == "25 %"
        assert format_bp(2550) == "25,5 %"

"""A region's tariff configuration as frozen dataclasses: closed rule kinds, no DSL.

Validated at the edge (pydantic, ``passengine/services/tariff_config.py``) and by
``validate_config`` here, which also knows the field names, so a configuration error always
names the field and the reason.
"""

from __future__ import annotations

import enum
from collections.abc import Mapping
from dataclasses import dataclass, field

from passengine.domain.model import EventDomain, PeriodLimit


class PriceKind(enum.StrEnum):
    PERCENT_OF_PRICE = "PERCENT_OF_PRICE"
    """The holder pays this share of the regular price (2000 bp: 80 % off)."""
    FIXED_PRICE = "FIXED_PRICE"
    """The holder pays a fixed amount (€1.50 in Dender)."""
    AMOUNT_OFF = "AMOUNT_OFF"
    """The regular price minus an amount (minus €5)."""


class Residence(enum.StrEnum):
    ANY = "ANY"
    ORGANIZER_MUNICIPALITY = "ORGANIZER_MUNICIPALITY"
    OTHER_MUNICIPALITY = "OTHER_MUNICIPALITY"


class Payer(enum.StrEnum):
    HOLDER = "HOLDER"
    ORGANIZER = "ORGANIZER"
    MUNICIPALITY = "MUNICIPALITY"
    """The municipality where the holder lives."""
    REGION = "REGION"
    """The region, or the Flemish government through it."""


class ShareKind(enum.StrEnum):
    FIXED = "FIXED"
    PERCENT_OF_TOTAL = "PERCENT_OF_TOTAL"
    PERCENT_OF_REMAINDER = "PERCENT_OF_REMAINDER"


class BudgetPolicy(enum.StrEnum):
    WARN = "WARN"
    """The reduced rate stays available; the desk and the report are warned."""
    STOP = "STOP"
    """No reduced rate charged to a municipality whose budget is spent."""


@dataclass(frozen=True, slots=True)
class PriceForm:
    kind: PriceKind
    value: int
    """Basis points for PERCENT_OF_PRICE, cents otherwise."""


@dataclass(frozen=True, slots=True)
class Conditions:
    """Every condition left empty (None) does not restrict."""

    domains: frozenset[EventDomain] | None = None
    organizer_ids: frozenset[str] | None = None
    event_ids: frozenset[str] | None = None
    min_age: int | None = None
    max_age: int | None = None
    residence: Residence = Residence.ANY
    other_regions: frozenset[int] = frozenset()
    """Regions besides the rule's own whose holders also get this rate (default: own only)."""


@dataclass(frozen=True, slots=True)
class TariffRule:
    id: str
    name: str
    priority: int
    target_groups: frozenset[str]
    price: PriceForm
    key_id: str
    minimum_price_cents: int = 0
    allow_free: bool = False
    """Without it the holder always pays at least one cent (publiq: never €0)."""
    maximum_regular_price_cents: int | None = None
    conditions: Conditions = field(default_factory=Conditions)
    ticket_limit: PeriodLimit | None = None
    """Per holder per event; None means the defaults (1 ABSOLUTE, 1 per WEEK if permanent), and
    an event's own ticket limit setting wins over both."""
    organizer_limit: PeriodLimit | None = None
    """Per holder per organizer, across its events."""
    reimbursement_kind: str | None = None
    """Counts against the region's yearly reimbursement cap of this kind (membership fees)."""


@dataclass(frozen=True, slots=True)
class KeyLine:
    payer: Payer
    kind: ShareKind
    value: int
    """Cents for FIXED, basis points otherwise."""


@dataclass(frozen=True, slots=True)
class DistributionKey:
    """Who pays the difference between the regular price and the holder's price.

    Lines are evaluated in order over what the holder does not pay; ``remainder_to`` receives
    whatever is left, rounding included, so the shares always add up to the regular price.
    """

    id: str
    name: str
    local: tuple[KeyLine, ...]
    """For holders who live in the organizer's municipality."""
    other: tuple[KeyLine, ...] | None = None
    """For holders from another municipality of the region; None: the same as ``local``."""
    remainder_to: Payer = Payer.ORGANIZER


@dataclass(frozen=True, slots=True)
class Budget:
    amount_cents: int
    policy: BudgetPolicy = BudgetPolicy.WARN


@dataclass(frozen=True, slots=True)
class TariffConfig:
    """Everything a region configures for prices. ``version`` is stamped on every sale."""

    region_id: int
    version: int
    rules: tuple[TariffRule, ...]
    keys: Mapping[str, DistributionKey]
    holder_yearly_cap_cents: int | None = None
    reimbursement_caps: Mapping[str, int] = field(default_factory=dict)
    budgets: Mapping[str, Budget] = field(default_factory=dict)
    """Per municipality (NIS code): the yearly budget its residents' discounts draw on."""
    tariff_name: str = "Kansentarief"

    def ordered_rules(self) -> tuple[TariffRule, ...]:
        """By declared priority, then id: never by storage order."""
        return tuple(sorted(self.rules, key=lambda r: (r.priority, r.id)))

"""A region's tariff configuration document (JSON or TOML): validated at the edge with pydantic,
then turned into the core's frozen dataclasses and checked as a whole.

The same document shape is stored per region and version, written by administrators through the
API and the CLI, and used by the golden test cases in ``fixtures/cases``.
"""

from __future__ import annotations

from typing import Annotated, Any

from pydantic import BaseModel, ConfigDict, Field, StringConstraints, ValidationError
from sqlalchemy.exc import IntegrityError
from sqlalchemy.orm import Session

from passengine.domain.distribution import ConfigIssue, IssueLevel
from passengine.domain.errors import Conflict, InvalidInput, NotFound
from passengine.domain.model import EventDomain, Period, PeriodLimit
from passengine.domain.rules import (
    Budget,
    BudgetPolicy,
    Conditions,
    DistributionKey,
    KeyLine,
    Payer,
    PriceForm,
    PriceKind,
    Residence,
    ShareKind,
    TariffConfig,
    TariffRule,
)
from passengine.domain.validation import validate_config
from passengine.services.audit import Actor, record
from passengine.storage.repositories import TariffConfigRepository
from passengine.storage.tables import Region

Code = Annotated[str, StringConstraints(pattern=r"^[A-Za-z0-9_.:-]{1,64}$")]
Cents = Annotated[int, Field(ge=0, le=100_000_000)]


class _Strict(BaseModel):
    model_config = ConfigDict(extra="forbid", frozen=True)


class PriceIn(_Strict):
    kind: PriceKind
    value: int = Field(ge=0, le=100_000_000)


class LimitIn(_Strict):
    volume: int = Field(ge=0, le=1_000_000)
    period: Period

    def to_core(self) -> PeriodLimit:
        return PeriodLimit(self.volume, self.period)


class ConditionsIn(_Strict):
    domains: list[EventDomain] | None = None
    organizer_ids: list[Code] | None = None
    event_ids: list[Code] | None = None
    min_age: int | None = Field(default=None, ge=0, le=130)
    max_age: int | None = Field(default=None, ge=0, le=130)
    residence: Residence = Residence.ANY
    other_regions: list[int] = []


class RuleIn(_Strict):
    id: Code
    name: str = Field(default="", max_length=200)
    priority: int = Field(ge=0, le=1_000_000)
    target_groups: list[Code] = Field(min_length=1)
    price: PriceIn
    key: Code
    minimum_price_cents: Cents = 0
    allow_free: bool = False
    maximum_regular_price_cents: Cents | None = None
    conditions: ConditionsIn = ConditionsIn()
    ticket_limit: LimitIn | None = None
    organizer_limit: LimitIn | None = None
    reimbursement_kind: Code | None = None


class KeyLineIn(_Strict):
    payer: Payer
    kind: ShareKind
    value: int = Field(ge=0, le=100_000_000)


class KeyIn(_Strict):
    id: Code
    name: str = Field(default="", max_length=200)
    local: list[KeyLineIn] = []
    other: list[KeyLineIn] | None = None
    remainder_to: Payer = Payer.ORGANIZER


class BudgetIn(_Strict):
    amount_cents: Cents
    policy: BudgetPolicy = BudgetPolicy.WARN


class TariffConfigIn(_Strict):
    tariff_name: str = Field(default="Kansentarief", min_length=1, max_length=100)
    rules: list[RuleIn] = []
    keys: list[KeyIn] = []
    holder_yearly_cap_cents: Cents | None = None
    reimbursement_caps: dict[Code, Cents] = {}
    budgets: dict[Annotated[str, StringConstraints(pattern=r"^\d{5}$")], BudgetIn] = {}


class TariffConfigError(InvalidInput):
    code = "invalid-tariff-config"

    def __init__(self, issues: list[ConfigIssue]) -> None:
        first = issues[0]
        more = f" (and {len(issues) - 1} more)" if len(issues) > 1 else ""
        super().__init__(f"{first.field}: {first.message}{more}", issues=issues)
        self.issues = issues


def parse_tariff_config(
    document: dict[str, Any], *, region_id: int, version: int
) -> tuple[TariffConfig, list[ConfigIssue]]:
    """Return the configuration and its warnings, or raise TariffConfigError naming the field."""
    try:
        parsed = TariffConfigIn.model_validate(document)
    except ValidationError as exc:
        raise TariffConfigError(
            [
                ConfigIssue(
                    IssueLevel.ERROR,
                    ".".join(str(p) for p in e["loc"]) or "(document)",
                    "invalid-value",
                    e["msg"],
                )
                for e in exc.errors()
            ]
        ) from exc
    keys = {k.id: _key(k) for k in parsed.keys}
    issues: list[ConfigIssue] = []
    if len(keys) != len(parsed.keys):
        issues.append(
            ConfigIssue(IssueLevel.ERROR, "keys", "duplicate-key", "a key id is used twice")
        )
    config = TariffConfig(
        region_id=region_id,
        version=version,
        rules=tuple(_rule(r) for r in parsed.rules),
        keys=keys,
        holder_yearly_cap_cents=parsed.holder_yearly_cap_cents,
        reimbursement_caps=dict(parsed.reimbursement_caps),
        budgets={nis: Budget(b.amount_cents, b.policy) for nis, b in parsed.budgets.items()},
        tariff_name=parsed.tariff_name,
    )
    issues += validate_config(config)
    errors = [i for i in issues if i.level is IssueLevel.ERROR]
    if errors:
        raise TariffConfigError(errors)
    return config, issues


def _rule(r: RuleIn) -> TariffRule:
    c = r.conditions
    return TariffRule(
        id=r.id,
        name=r.name,
        priority=r.priority,
        target_groups=frozenset(r.target_groups),
        price=PriceForm(r.price.kind, r.price.value),
        key_id=r.key,
        minimum_price_cents=r.minimum_price_cents,
        allow_free=r.allow_free,
        maximum_regular_price_cents=r.maximum_regular_price_cents,
        conditions=Conditions(
            domains=frozenset(c.domains) if c.domains is not None else None,
            organizer_ids=frozenset(c.organizer_ids) if c.organizer_ids is not None else None,
            event_ids=frozenset(c.event_ids) if c.event_ids is not None else None,
            min_age=c.min_age,
            max_age=c.max_age,
            residence=c.residence,
            other_regions=frozenset(c.other_regions),
        ),
        ticket_limit=r.ticket_limit.to_core() if r.ticket_limit else None,
        organizer_limit=r.organizer_limit.to_core() if r.organizer_limit else None,
        reimbursement_kind=r.reimbursement_kind,
    )


def _key(k: KeyIn) -> DistributionKey:
    def lines(items: list[KeyLineIn]) -> tuple[KeyLine, ...]:
        return tuple(KeyLine(i.payer, i.kind, i.value) for i in items)

    return DistributionKey(
        id=k.id,
        name=k.name,
        local=lines(k.local),
        other=lines(k.other) if k.other is not None else None,
        remainder_to=k.remainder_to,
    )


# --- Stored configurations -----------------------------------------------------------------------


def save_tariff_config(
    session: Session, region_id: int, document: dict[str, Any], *, actor: Actor
) -> tuple[int, list[ConfigIssue]]:
    """Validate and store a new version of the region's configuration, with its audit row.

    Returns the new version and the warnings (publiq's norm) the administrator should see.
    """
    with session.begin():
        if session.get(Region, region_id) is None:
            raise NotFound(f"Region {region_id} does not exist.", code="cardsystem-not-found")
        return add_tariff_config(session, region_id, document, actor=actor)


def add_tariff_config(
    session: Session, region_id: int, document: dict[str, Any], *, actor: Actor
) -> tuple[int, list[ConfigIssue]]:
    """As ``save_tariff_config``, inside the caller's transaction (fixture loading)."""
    repository = TariffConfigRepository(session)
    current = repository.current(region_id)
    _, warnings = parse_tariff_config(
        document, region_id=region_id, version=(current[0] + 1) if current else 1
    )
    try:
        version = repository.add(region_id, document, created_by=actor.label)
    except IntegrityError as exc:
        raise Conflict(
            "Another change to this region's tariffs was saved at the same time; "
            "reload and try again."
        ) from exc
    record(
        session,
        actor,
        "tariff_config.changed",
        subject=f"region:{region_id}",
        details={"version": version, "warnings": [w.code for w in warnings]},
    )
    return version, warnings


def current_tariff_config(session: Session, region_id: int) -> TariffConfig | None:
    found = TariffConfigRepository(session).current(region_id)
    if found is None:
        return None
    version, document = found
    config, _ = parse_tariff_config(document, region_id=region_id, version=version)
    return config

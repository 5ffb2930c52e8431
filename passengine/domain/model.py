"""The vocabulary of the field as enums and frozen dataclasses (domain.md, glossary).

These are the plain-data facts that services load from storage and hand to the pure core.
"""

from __future__ import annotations

import enum
from dataclasses import dataclass
from datetime import date, datetime

BRUSSELS = "Europe/Brussels"


class CardType(enum.StrEnum):
    NFC_CARD = "NFC_CARD"
    DIGITAL = "DIGITAL"


class CardStatus(enum.StrEnum):
    PROVISIONED = "PROVISIONED"
    LOCAL_STOCK = "LOCAL_STOCK"
    ACTIVE = "ACTIVE"
    BLOCKED = "BLOCKED"
    DELETED = "DELETED"


class MembershipStatus(enum.StrEnum):
    ACTIVE = "ACTIVE"
    BLOCKED = "BLOCKED"


class SocialTariffState(enum.StrEnum):
    """What a desk sees: ``ACTIVE`` also during the grace period after the end date."""

    ACTIVE = "ACTIVE"
    EXPIRED = "EXPIRED"
    SUSPENDED = "SUSPENDED"


class EventDomain(enum.StrEnum):
    CULTURE = "CULTURE"
    YOUTH = "YOUTH"
    SPORT = "SPORT"
    OTHER = "OTHER"


class CalendarType(enum.StrEnum):
    SINGLE = "SINGLE"
    MULTIPLE = "MULTIPLE"
    PERIODIC = "PERIODIC"
    PERMANENT = "PERMANENT"


class DeskKind(enum.StrEnum):
    REGISTRATION = "REGISTRATION"
    """Registers holders and sells cards; cannot grant a status."""
    AUTHORISED_REGISTRATION = "AUTHORISED_REGISTRATION"
    """A registration desk that may also grant, renew, suspend and end statuses."""
    TICKETS = "TICKETS"
    """Sells tickets and checks holders in at events."""


class ReferrerKind(enum.StrEnum):
    OCMW = "OCMW"
    CAW = "CAW"
    POVERTY_ASSOCIATION = "POVERTY_ASSOCIATION"
    OTHER = "OTHER"


class Period(enum.StrEnum):
    ABSOLUTE = "ABSOLUTE"
    DAY = "DAY"
    WEEK = "WEEK"
    MONTH = "MONTH"
    QUARTER = "QUARTER"
    YEAR = "YEAR"


class ClientRole(enum.StrEnum):
    """Who an API client acts for; permissions are granted separately."""

    DESK = "DESK"
    REFERRER = "REFERRER"
    REGION_ADMIN = "REGION_ADMIN"


@dataclass(frozen=True, slots=True)
class PeriodLimit:
    """At most ``volume`` uses per calendar ``period`` in the region's time zone."""

    volume: int
    period: Period

    def __post_init__(self) -> None:
        if self.volume < 0:
            raise ValueError("a period limit's volume cannot be negative")


@dataclass(frozen=True, slots=True)
class SocialTariffStatus:
    """One grant of a target-group status to a membership, as stored."""

    target_group: str
    start_date: date
    end_date: date
    grace_period_days: int = 0
    suspended_until: date | None = None
    ended_on: date | None = None
    """Set when a referrer ends the status early; the status is EXPIRED from that day on."""


@dataclass(frozen=True, slots=True)
class Occurrence:
    start: datetime
    end: datetime


@dataclass(frozen=True, slots=True)
class HeldStatus:
    """A status grant as the core needs it: the group's code plus the grant itself."""

    status_id: int
    status: SocialTariffStatus


@dataclass(frozen=True, slots=True)
class PassRecord:
    """What a scan of a card number finds: enough to price a ticket, nothing about why.

    Deliberately without INSZ, address, birth date or eligibility ground: a desk never needs them.
    """

    uitpas_number: str
    card_status: CardStatus
    card_type: CardType
    region_id: int
    holder_id: str
    first_name: str
    postal_code: str
    nis_code: str
    membership_id: int
    membership_status: MembershipStatus
    points: int
    statuses: tuple[HeldStatus, ...]
    timezone: str = BRUSSELS
    """The region's time zone, in which its days, weeks and years are counted."""

"""The schema. Money is integer cents; instants are UTC; personal data is kept to what is needed.

Relationships are not declared: repositories load what a use case needs with explicit queries,
so no request pays for lazy loads it did not ask for.
"""

from __future__ import annotations

from datetime import date, datetime
from typing import Any

from sqlalchemy import (
    JSON,
    BigInteger,
    Boolean,
    CheckConstraint,
    Date,
    ForeignKey,
    Index,
    Integer,
    LargeBinary,
    String,
    Text,
    UniqueConstraint,
    text,
)
from sqlalchemy.orm import Mapped, mapped_column

from passengine.domain.card_prices import CardPriceReason
from passengine.domain.model import (
    CalendarType,
    CardStatus,
    CardType,
    ClientRole,
    DeskKind,
    EventDomain,
    MembershipStatus,
    Period,
    ReferrerKind,
)
from passengine.storage.base import Base, UTCDateTime, str_enum, utcnow

ID = String(64)
"""Ids of organizers, desks, events…: free text as in UiTdatabank (often a UUID)."""


# --- Regions and municipalities ------------------------------------------------------------------
class Region(Base):
    """A card system: one pass, one or more municipalities."""

    __tablename__ = "regions"

    id: Mapped[int] = mapped_column(Integer, primary_key=True, autoincrement=False)
    name: Mapped[str] = mapped_column(String(200))
    timezone: Mapped[str] = mapped_column(String(64), default="Europe/Brussels")
    primary_color: Mapped[str | None] = mapped_column(String(32))
    secondary_color: Mapped[str | None] = mapped_column(String(32))
    website: Mapped[str | None] = mapped_column(String(300))
    contact_line: Mapped[str | None] = mapped_column(String(300))
    conditions_text: Mapped[str | None] = mapped_column(Text)
    created_at: Mapped[datetime] = mapped_column(UTCDateTime, default=utcnow)


class Municipality(Base):
    __tablename__ = "municipalities"

    nis_code: Mapped[str] = mapped_column(String(5), primary_key=True)
    name: Mapped[str] = mapped_column(String(200))

    __table_args__ = (CheckConstraint("length(nis_code) = 5", name="nis_code_length"),)


class PostalCode(Base):
    """A postal code of a municipality, with the place name the post uses for it."""

    __tablename__ = "postal_codes"

    postal_code: Mapped[str] = mapped_column(String(4), primary_key=True)
    nis_code: Mapped[str] = mapped_column(
        ForeignKey("municipalities.nis_code"), primary_key=True, index=True
    )
    place_name: Mapped[str] = mapped_column(String(200))


class SubMunicipality(Base):
    """A deelgemeente: reports per sub-municipality reveal hidden poverty outside the centre."""

    __tablename__ = "sub_municipalities"

    id: Mapped[int] = mapped_column(Integer, primary_key=True)
    nis_code: Mapped[str] = mapped_column(ForeignKey("municipalities.nis_code"), index=True)
    name: Mapped[str] = mapped_column(String(200))
    postal_code: Mapped[str | None] = mapped_column(String(4))

    __table_args__ = (UniqueConstraint("nis_code", "name"),)


class RegionMunicipality(Base):
    """A municipality takes part in a region from ``joined_on`` (and may leave again)."""

    __tablename__ = "region_municipalities"

    id: Mapped[int] = mapped_column(Integer, primary_key=True)
    region_id: Mapped[int] = mapped_column(ForeignKey("regions.id"))
    nis_code: Mapped[str] = mapped_column(ForeignKey("municipalities.nis_code"), index=True)
    joined_on: Mapped[date] = mapped_column(Date)
    left_on: Mapped[date | None] = mapped_column(Date)

    __table_args__ = (
        UniqueConstraint("region_id", "nis_code", "joined_on"),
        CheckConstraint("left_on IS NULL OR left_on > joined_on", name="left_after_joined"),
    )


class TargetGroup(Base):
    """Kansenstatuut, disability, seniors…: configuration per region, never code."""

    __tablename__ = "target_groups"

    id: Mapped[int] = mapped_column(Integer, primary_key=True)
    region_id: Mapped[int] = mapped_column(ForeignKey("regions.id"))
    code: Mapped[str] = mapped_column(String(64))
    name: Mapped[str] = mapped_column(String(200))
    default_grace_period_days: Mapped[int] = mapped_column(Integer, default=0)

    __table_args__ = (
        UniqueConstraint("region_id", "code"),
        CheckConstraint("default_grace_period_days >= 0", name="grace_not_negative"),
    )


class EligibilityGround(Base):
    """Why a status was granted. Shown only to those allowed, never to a desk."""

    __tablename__ = "eligibility_grounds"

    id: Mapped[int] = mapped_column(Integer, primary_key=True)
    region_id: Mapped[int] = mapped_column(ForeignKey("regions.id"))
    code: Mapped[str] = mapped_column(String(64))
    name: Mapped[str] = mapped_column(String(200))

    __table_args__ = (UniqueConstraint("region_id", "code"),)


# --- Organizers, desks, referrers, events --------------------------------------------------------
class Organizer(Base):
    __tablename__ = "organizers"

    id: Mapped[str] = mapped_column(ID, primary_key=True)
    name: Mapped[str] = mapped_column(String(200))
    nis_code: Mapped[str] = mapped_column(ForeignKey("municipalities.nis_code"), index=True)
    street: Mapped[str | None] = mapped_column(String(200))
    postal_code: Mapped[str | None] = mapped_column(String(4))


class OrganizerRegion(Base):
    __tablename__ = "organizer_regions"

    organizer_id: Mapped[str] = mapped_column(ForeignKey("organizers.id"), primary_key=True)
    region_id: Mapped[int] = mapped_column(ForeignKey("regions.id"), primary_key=True, index=True)


class Desk(Base):
    """A balie of an organizer. Staff act for a desk and get its permissions."""

    __tablename__ = "desks"

    id: Mapped[str] = mapped_column(ID, primary_key=True)
    organizer_id: Mapped[str] = mapped_column(ForeignKey("organizers.id"), index=True)
    name: Mapped[str] = mapped_column(String(200))
    kind: Mapped[DeskKind] = mapped_column(str_enum(DeskKind, "desk_kind"))
    may_register_other_municipalities: Mapped[bool] = mapped_column(Boolean, default=False)


class Referrer(Base):
    """A toeleider: OCMW, CAW or poverty association that assesses and refers."""

    __tablename__ = "referrers"

    id: Mapped[str] = mapped_column(ID, primary_key=True)
    region_id: Mapped[int] = mapped_column(ForeignKey("regions.id"), index=True)
    name: Mapped[str] = mapped_column(String(200))
    kind: Mapped[ReferrerKind] = mapped_column(str_enum(ReferrerKind, "referrer_kind"))
    nis_code: Mapped[str | None] = mapped_column(ForeignKey("municipalities.nis_code"))
    may_register: Mapped[bool] = mapped_column(Boolean, default=False)
    may_grant_status: Mapped[bool] = mapped_column(Boolean, default=False)


class Event(Base):
    """An activity. Limits left empty fall back to the defaults of domain.md."""

    __tablename__ = "events"

    id: Mapped[str] = mapped_column(ID, primary_key=True)
    organizer_id: Mapped[str] = mapped_column(ForeignKey("organizers.id"), index=True)
    title: Mapped[str] = mapped_column(String(300))
    location_nis_code: Mapped[str] = mapped_column(ForeignKey("municipalities.nis_code"))
    domain: Mapped[EventDomain] = mapped_column(str_enum(EventDomain, "event_domain"))
    calendar_type: Mapped[CalendarType] = mapped_column(str_enum(CalendarType, "calendar_type"))
    starts_at: Mapped[datetime | None] = mapped_column(UTCDateTime)
    ends_at: Mapped[datetime | None] = mapped_column(UTCDateTime)
    checkin_points: Mapped[int] = mapped_column(Integer, default=1)
    checkin_limit_volume: Mapped[int | None] = mapped_column(Integer)
    checkin_limit_period: Mapped[Period | None] = mapped_column(
        str_enum(Period, "checkin_limit_period")
    )
    ticket_limit_volume: Mapped[int | None] = mapped_column(Integer)
    ticket_limit_period: Mapped[Period | None] = mapped_column(
        str_enum(Period, "ticket_limit_period")
    )
    checkin_opens_minutes_before: Mapped[int] = mapped_column(Integer, default=300)
    checkin_closes_minutes_after: Mapped[int] = mapped_column(Integer, default=300)

    __table_args__ = (
        CheckConstraint("checkin_points >= 0", name="points_not_negative"),
        CheckConstraint(
            "checkin_limit_volume IS NULL OR checkin_limit_volume >= 0", name="checkin_limit"
        ),
        CheckConstraint(
            "ticket_limit_volume IS NULL OR ticket_limit_volume >= 0", name="ticket_limit"
        ),
        CheckConstraint(
            "(calendar_type = 'PERMANENT') OR (starts_at IS NOT NULL AND ends_at IS NOT NULL)",
            name="dated_events_have_dates",
        ),
        CheckConstraint("ends_at IS NULL OR ends_at >= starts_at", name="ends_after_start"),
    )


class EventOccurrence(Base):
    """One date of a MULTIPLE event (SINGLE and PERIODIC events use starts_at/ends_at)."""

    __tablename__ = "event_occurrences"

    id: Mapped[int] = mapped_column(Integer, primary_key=True)
    event_id: Mapped[str] = mapped_column(ForeignKey("events.id"), index=True)
    starts_at: Mapped[datetime] = mapped_column(UTCDateTime)
    ends_at: Mapped[datetime] = mapped_column(UTCDateTime)

    __table_args__ = (CheckConstraint("ends_at >= starts_at", name="ends_after_start"),)


# --- Holders, memberships, statuses, cards -------------------------------------------------------
class PassHolder(Base):
    """A person. The INSZ is never stored in clear: a keyed hash for uniqueness and look-up, and
    the number encrypted for the few who may read it."""

    __tablename__ = "pass_holders"

    id: Mapped[str] = mapped_column(String(36), primary_key=True)
    name: Mapped[str] = mapped_column(String(200))
    first_name: Mapped[str] = mapped_column(String(200))
    birth_date: Mapped[date] = mapped_column(Date)
    street: Mapped[str | None] = mapped_column(String(200))
    postal_code: Mapped[str] = mapped_column(String(4))
    nis_code: Mapped[str] = mapped_column(ForeignKey("municipalities.nis_code"), index=True)
    sub_municipality_id: Mapped[int | None] = mapped_column(ForeignKey("sub_municipalities.id"))
    email: Mapped[str | None] = mapped_column(String(320))
    phone: Mapped[str | None] = mapped_column(String(40))
    insz_hash: Mapped[str | None] = mapped_column(String(64), unique=True)
    insz_encrypted: Mapped[bytes | None] = mapped_column(LargeBinary)
    registered_by_referrer_id: Mapped[str | None] = mapped_column(ForeignKey("referrers.id"))
    registered_at_desk_id: Mapped[str | None] = mapped_column(ForeignKey("desks.id"))
    points: Mapped[int] = mapped_column(Integer, default=0, server_default=text("0"))
    """The balance of the points ledger, kept across regions (a move keeps the points)."""
    created_at: Mapped[datetime] = mapped_column(UTCDateTime, default=utcnow)
    erased_at: Mapped[datetime | None] = mapped_column(UTCDateTime)

    __table_args__ = (CheckConstraint("points >= 0", name="points_not_negative"),)


class HouseholdLink(Base):
    """Two holders of one household (dependants share a status); stored once per pair."""

    __tablename__ = "household_links"

    holder_a_id: Mapped[str] = mapped_column(ForeignKey("pass_holders.id"), primary_key=True)
    holder_b_id: Mapped[str] = mapped_column(
        ForeignKey("pass_holders.id"), primary_key=True, index=True
    )

    __table_args__ = (CheckConstraint("holder_a_id < holder_b_id", name="ordered_pair"),)


class Membership(Base):
    __tablename__ = "memberships"

    id: Mapped[int] = mapped_column(Integer, primary_key=True)
    holder_id: Mapped[str] = mapped_column(ForeignKey("pass_holders.id"))
    region_id: Mapped[int] = mapped_column(ForeignKey("regions.id"), index=True)
    status: Mapped[MembershipStatus] = mapped_column(
        str_enum(MembershipStatus, "membership_status")
    )
    created_at: Mapped[datetime] = mapped_column(UTCDateTime, default=utcnow)
    blocked_at: Mapped[datetime | None] = mapped_column(UTCDateTime)

    __table_args__ = (UniqueConstraint("holder_id", "region_id"),)


class SocialTariffStatusRow(Base):
    """A grant of a target-group status; rows are history, the newest per group counts."""

    __tablename__ = "social_tariff_statuses"

    id: Mapped[int] = mapped_column(Integer, primary_key=True)
    membership_id: Mapped[int] = mapped_column(ForeignKey("memberships.id"), index=True)
    target_group_id: Mapped[int] = mapped_column(ForeignKey("target_groups.id"))
    ground_id: Mapped[int | None] = mapped_column(ForeignKey("eligibility_grounds.id"))
    start_date: Mapped[date] = mapped_column(Date)
    end_date: Mapped[date] = mapped_column(Date, index=True)
    grace_period_days: Mapped[int] = mapped_column(Integer, default=0)
    suspended_until: Mapped[date | None] = mapped_column(Date)
    ended_on: Mapped[date | None] = mapped_column(Date)
    granted_by_referrer_id: Mapped[str | None] = mapped_column(ForeignKey("referrers.id"))
    granted_by_desk_id: Mapped[str | None] = mapped_column(ForeignKey("desks.id"))
    granted_at: Mapped[datetime] = mapped_column(UTCDateTime, default=utcnow)

    __table_args__ = (
        CheckConstraint("end_date >= start_date", name="ends_after_start"),
        CheckConstraint("grace_period_days >= 0", name="grace_not_negative"),
    )


class Card(Base):
    """A card. The number is random apart from its check digit: it reveals nothing."""

    __tablename__ = "cards"

    id: Mapped[int] = mapped_column(Integer, primary_key=True)
    uitpas_number: Mapped[str] = mapped_column(String(13), unique=True)
    chip_number: Mapped[str | None] = mapped_column(String(20), unique=True)
    card_type: Mapped[CardType] = mapped_column(str_enum(CardType, "card_type"))
    status: Mapped[CardStatus] = mapped_column(str_enum(CardStatus, "card_status"))
    region_id: Mapped[int] = mapped_column(ForeignKey("regions.id"))
    holder_id: Mapped[str | None] = mapped_column(ForeignKey("pass_holders.id"), index=True)
    replaces_card_id: Mapped[int | None] = mapped_column(ForeignKey("cards.id"), unique=True)
    issued_at: Mapped[datetime | None] = mapped_column(UTCDateTime)
    blocked_at: Mapped[datetime | None] = mapped_column(UTCDateTime)
    block_reason: Mapped[str | None] = mapped_column(String(64))
    printed_at: Mapped[datetime | None] = mapped_column(UTCDateTime)

    __table_args__ = (
        CheckConstraint("length(uitpas_number) = 13", name="uitpas_number_length"),
        CheckConstraint(
            "status IN ('PROVISIONED', 'LOCAL_STOCK', 'DELETED') OR holder_id IS NOT NULL",
            name="issued_cards_have_a_holder",
        ),
        Index("ix_cards_region_id_status", "region_id", "status"),
    )


class GroupPass(Base):
    """A pass for an organisation: N reduced-rate tickets a year, no points, no rewards."""

    __tablename__ = "group_passes"

    id: Mapped[str] = mapped_column(ID, primary_key=True)
    region_id: Mapped[int] = mapped_column(ForeignKey("regions.id"), index=True)
    name: Mapped[str] = mapped_column(String(200))
    uitpas_number: Mapped[str] = mapped_column(String(13), unique=True)
    tickets_per_year: Mapped[int] = mapped_column(Integer)
    status: Mapped[MembershipStatus] = mapped_column(
        str_enum(MembershipStatus, "membership_status")
    )
    target_group_id: Mapped[int | None] = mapped_column(ForeignKey("target_groups.id"))

    __table_args__ = (CheckConstraint("tickets_per_year >= 0", name="tickets_not_negative"),)


# --- Configuration -------------------------------------------------------------------------------


class TariffConfigRow(Base):
    """A version of a region's tariff configuration (rules, keys, caps, budgets) as a document.

    Versions are never edited: a change adds a version, and every sale records the version it
    was priced with, so a past settlement never changes.
    """

    __tablename__ = "tariff_configs"

    id: Mapped[int] = mapped_column(Integer, primary_key=True)
    region_id: Mapped[int] = mapped_column(ForeignKey("regions.id"))
    version: Mapped[int] = mapped_column(Integer)
    document: Mapped[dict[str, Any]] = mapped_column(JSON)
    created_at: Mapped[datetime] = mapped_column(UTCDateTime, default=utcnow)
    created_by: Mapped[str | None] = mapped_column(String(200))

    __table_args__ = (
        UniqueConstraint("region_id", "version"),
        CheckConstraint("version >= 1", name="version_positive"),
    )


class CardPriceRow(Base):
    """One price of a region's card price list (``passengine.domain.card_prices``).

    The rows sharing a ``valid_from`` day form one list; the newest list that has started is in
    force. Lists that have started are never edited, so what a card cost stays known.
    """

    __tablename__ = "card_prices"

    id: Mapped[int] = mapped_column(Integer, primary_key=True)
    region_id: Mapped[int] = mapped_column(ForeignKey("regions.id"))
    valid_from: Mapped[date] = mapped_column(Date)
    reason: Mapped[CardPriceReason] = mapped_column(str_enum(CardPriceReason, "card_price_reason"))
    min_age: Mapped[int | None] = mapped_column(Integer)
    max_age: Mapped[int | None] = mapped_column(Integer)
    with_status: Mapped[bool | None] = mapped_column(Boolean)
    price_cents: Mapped[int] = mapped_column(Integer)

    __table_args__ = (
        CheckConstraint("price_cents >= 0", name="price_not_negative"),
        CheckConstraint("min_age IS NULL OR min_age >= 0", name="min_age_not_negative"),
        CheckConstraint(
            "min_age IS NULL OR max_age IS NULL OR max_age >= min_age", name="age_range"
        ),
        Index("ix_card_prices_region_id_valid_from", "region_id", "valid_from"),
    )


# --- Point of sale: sales, check-ins, points, rewards, idempotency --------------------------------


class TicketSale(Base):
    """A reduced-rate ticket as priced: every share, the municipality charged and the rule and
    configuration version, so that a settlement never changes afterwards. Cancelled, not deleted."""

    __tablename__ = "ticket_sales"

    id: Mapped[str] = mapped_column(String(36), primary_key=True)
    created_at: Mapped[datetime] = mapped_column(UTCDateTime, default=utcnow)
    event_id: Mapped[str] = mapped_column(ForeignKey("events.id"))
    organizer_id: Mapped[str] = mapped_column(ForeignKey("organizers.id"))
    region_id: Mapped[int] = mapped_column(ForeignKey("regions.id"))
    holder_id: Mapped[str | None] = mapped_column(ForeignKey("pass_holders.id"))
    group_pass_id: Mapped[str | None] = mapped_column(ForeignKey("group_passes.id"))
    uitpas_number: Mapped[str] = mapped_column(String(13))
    tariff_id: Mapped[str] = mapped_column(String(100))
    tariff_name: Mapped[str | None] = mapped_column(String(200))
    tariff_type: Mapped[str] = mapped_column(String(20))
    rule_id: Mapped[str] = mapped_column(String(64))
    config_version: Mapped[int] = mapped_column(Integer)
    key_id: Mapped[str] = mapped_column(String(64))
    regular_price_cents: Mapped[int] = mapped_column(Integer)
    regular_price_label: Mapped[str | None] = mapped_column(String(200))
    holder_cents: Mapped[int] = mapped_column(Integer)
    organizer_cents: Mapped[int] = mapped_column(Integer)
    municipality_cents: Mapped[int] = mapped_column(Integer)
    region_cents: Mapped[int] = mapped_column(Integer)
    municipality_nis_code: Mapped[str] = mapped_column(ForeignKey("municipalities.nis_code"))
    holder_is_local: Mapped[bool] = mapped_column(Boolean)
    reimbursement_kind: Mapped[str | None] = mapped_column(String(64))
    client_id: Mapped[str | None] = mapped_column(String(100))
    desk_id: Mapped[str | None] = mapped_column(String(64))
    cancelled_at: Mapped[datetime | None] = mapped_column(UTCDateTime)
    cancelled_by_client_id: Mapped[str | None] = mapped_column(String(100))
    cancelled_by_desk_id: Mapped[str | None] = mapped_column(String(64))

    __table_args__ = (
        CheckConstraint(
            "(holder_id IS NULL) <> (group_pass_id IS NULL)", name="holder_or_group_pass"
        ),
        CheckConstraint(
            "holder_cents + organizer_cents + municipality_cents + region_cents"
            " = regular_price_cents",
            name="shares_add_up",
        ),
        CheckConstraint(
            "holder_cents >= 0 AND organizer_cents >= 0 AND municipality_cents >= 0"
            " AND region_cents >= 0",
            name="shares_not_negative",
        ),
        Index("ix_ticket_sales_holder_id_event_id", "holder_id", "event_id"),
        Index("ix_ticket_sales_holder_id_created_at", "holder_id", "created_at"),
        Index("ix_ticket_sales_group_pass_id_created_at", "group_pass_id", "created_at"),
        Index("ix_ticket_sales_organizer_id_created_at", "organizer_id", "created_at"),
        Index("ix_ticket_sales_region_id_created_at", "region_id", "created_at"),
        Index("ix_ticket_sales_created_at", "created_at"),
        Index(
            "ix_ticket_sales_region_id_nis_created_at",
            "region_id",
            "municipality_nis_code",
            "created_at",
        ),
    )


class BudgetUsage(Base):
    """A municipality's reduced-rate spending per region and year: the row that is locked when a
    sale draws on a budget, so two desks cannot both spend its last euro."""

    __tablename__ = "budget_usage"

    region_id: Mapped[int] = mapped_column(ForeignKey("regions.id"), primary_key=True)
    nis_code: Mapped[str] = mapped_column(ForeignKey("municipalities.nis_code"), primary_key=True)
    year: Mapped[int] = mapped_column(Integer, primary_key=True)
    consumed_cents: Mapped[int] = mapped_column(BigInteger, default=0)


class Checkin(Base):
    __tablename__ = "checkins"

    id: Mapped[str] = mapped_column(String(36), primary_key=True)
    created_at: Mapped[datetime] = mapped_column(UTCDateTime, default=utcnow)
    event_id: Mapped[str] = mapped_column(ForeignKey("events.id"))
    organizer_id: Mapped[str] = mapped_column(ForeignKey("organizers.id"))
    holder_id: Mapped[str] = mapped_column(ForeignKey("pass_holders.id"))
    uitpas_number: Mapped[str] = mapped_column(String(13))
    points: Mapped[int] = mapped_column(Integer)
    client_id: Mapped[str | None] = mapped_column(String(100))
    desk_id: Mapped[str | None] = mapped_column(String(64))
    cancelled_at: Mapped[datetime | None] = mapped_column(UTCDateTime)
    cancelled_by_client_id: Mapped[str | None] = mapped_column(String(100))

    __table_args__ = (
        CheckConstraint("points >= 0", name="points_not_negative"),
        Index("ix_checkins_holder_id_event_id", "holder_id", "event_id"),
        Index("ix_checkins_organizer_id_created_at", "organizer_id", "created_at"),
        Index("ix_checkins_created_at", "created_at"),
        Index("ix_checkins_holder_id_created_at", "holder_id", "created_at"),
    )


class PointsTransaction(Base):
    """The points ledger: a holder's balance is the sum of its deltas (kept on the holder)."""

    __tablename__ = "points_transactions"

    id: Mapped[int] = mapped_column(
        BigInteger().with_variant(Integer, "sqlite"), primary_key=True, autoincrement=True
    )
    holder_id: Mapped[str] = mapped_column(ForeignKey("pass_holders.id"), index=True)
    created_at: Mapped[datetime] = mapped_column(UTCDateTime, default=utcnow)
    delta: Mapped[int] = mapped_column(Integer)
    reason: Mapped[str] = mapped_column(String(32))
    checkin_id: Mapped[str | None] = mapped_column(ForeignKey("checkins.id"))
    redemption_id: Mapped[str | None] = mapped_column(ForeignKey("reward_redemptions.id"))


class Reward(Base):
    __tablename__ = "rewards"

    id: Mapped[str] = mapped_column(ID, primary_key=True)
    title: Mapped[str] = mapped_column(String(300))
    type: Mapped[str] = mapped_column(String(16))
    points: Mapped[int] = mapped_column(Integer, default=0)
    owning_region_id: Mapped[int] = mapped_column(ForeignKey("regions.id"))
    all_regions: Mapped[bool] = mapped_column(Boolean, default=False)
    promotional_description: Mapped[str | None] = mapped_column(Text)
    categories: Mapped[list[str]] = mapped_column(JSON, default=list)
    publication_starts_at: Mapped[datetime | None] = mapped_column(UTCDateTime)
    publication_ends_at: Mapped[datetime | None] = mapped_column(UTCDateTime)
    redeem_starts_at: Mapped[datetime | None] = mapped_column(UTCDateTime)
    redeem_ends_at: Mapped[datetime | None] = mapped_column(UTCDateTime)
    max_available_units: Mapped[int | None] = mapped_column(Integer)
    redeemed_units: Mapped[int] = mapped_column(Integer, default=0)
    holder_limit_volume: Mapped[int | None] = mapped_column(Integer)
    holder_limit_period: Mapped[Period | None] = mapped_column(
        str_enum(Period, "holder_limit_period")
    )

    __table_args__ = (
        CheckConstraint("type IN ('POINTS', 'WELCOME')", name="reward_type"),
        CheckConstraint("points >= 0", name="points_not_negative"),
        CheckConstraint(
            "max_available_units IS NULL OR redeemed_units <= max_available_units",
            name="stock_not_exceeded",
        ),
    )


class RewardRegion(Base):
    __tablename__ = "reward_regions"

    reward_id: Mapped[str] = mapped_column(ForeignKey("rewards.id"), primary_key=True)
    region_id: Mapped[int] = mapped_column(ForeignKey("regions.id"), primary_key=True)


class RewardOrganizer(Base):
    """Organizers whose desks hand out the reward."""

    __tablename__ = "reward_organizers"

    reward_id: Mapped[str] = mapped_column(ForeignKey("rewards.id"), primary_key=True)
    organizer_id: Mapped[str] = mapped_column(ForeignKey("organizers.id"), primary_key=True)


class RewardRedemption(Base):
    __tablename__ = "reward_redemptions"

    id: Mapped[str] = mapped_column(String(36), primary_key=True)
    created_at: Mapped[datetime] = mapped_column(UTCDateTime, default=utcnow)
    reward_id: Mapped[str] = mapped_column(ForeignKey("rewards.id"))
    holder_id: Mapped[str] = mapped_column(ForeignKey("pass_holders.id"))
    membership_id: Mapped[int] = mapped_column(ForeignKey("memberships.id"))
    uitpas_number: Mapped[str] = mapped_column(String(13))
    points: Mapped[int] = mapped_column(Integer)
    organizer_id: Mapped[str | None] = mapped_column(ForeignKey("organizers.id"))
    client_id: Mapped[str | None] = mapped_column(String(100))
    desk_id: Mapped[str | None] = mapped_column(String(64))
    cancelled_at: Mapped[datetime | None] = mapped_column(UTCDateTime)
    cancelled_by_client_id: Mapped[str | None] = mapped_column(String(100))

    __table_args__ = (Index("ix_reward_redemptions_holder_id_reward_id", "holder_id", "reward_id"),)


class IdempotencyRecord(Base):
    """A retried POST returns the first answer. Written in the transaction of the write itself."""

    __tablename__ = "idempotency_keys"

    client_id: Mapped[str] = mapped_column(String(100), primary_key=True)
    key: Mapped[str] = mapped_column(String(200), primary_key=True)
    fingerprint: Mapped[str] = mapped_column(String(64))
    status_code: Mapped[int] = mapped_column(Integer)
    body: Mapped[Any] = mapped_column(JSON)
    created_at: Mapped[datetime] = mapped_column(UTCDateTime, default=utcnow, index=True)


# --- API clients and the audit log ---------------------------------------------------------------
class ApiClient(Base):
    """An OAuth2 client (client credentials). The secret is stored as a salted scrypt hash."""

    __tablename__ = "api_clients"

    client_id: Mapped[str] = mapped_column(String(100), primary_key=True)
    name: Mapped[str] = mapped_column(String(200))
    secret_hash: Mapped[str] = mapped_column(String(200))
    role: Mapped[ClientRole] = mapped_column(str_enum(ClientRole, "client_role"))
    organizer_id: Mapped[str | None] = mapped_column(ForeignKey("organizers.id"))
    desk_id: Mapped[str | None] = mapped_column(ForeignKey("desks.id"))
    referrer_id: Mapped[str | None] = mapped_column(ForeignKey("referrers.id"))
    is_demo: Mapped[bool] = mapped_column(Boolean, default=False)
    token_version: Mapped[int] = mapped_column(Integer, default=1)
    created_at: Mapped[datetime] = mapped_column(UTCDateTime, default=utcnow)
    disabled_at: Mapped[datetime | None] = mapped_column(UTCDateTime)


class ApiClientRegion(Base):
    __tablename__ = "api_client_regions"

    client_id: Mapped[str] = mapped_column(ForeignKey("api_clients.client_id"), primary_key=True)
    region_id: Mapped[int] = mapped_column(ForeignKey("regions.id"), primary_key=True)


class ApiClientPermission(Base):
    __tablename__ = "api_client_permissions"

    client_id: Mapped[str] = mapped_column(ForeignKey("api_clients.client_id"), primary_key=True)
    permission: Mapped[str] = mapped_column(String(64), primary_key=True)


class AuditEntry(Base):
    """Append-only: who did or read what about whom, and when. Never holds an INSZ in clear."""

    __tablename__ = "audit_log"

    id: Mapped[int] = mapped_column(
        BigInteger().with_variant(Integer, "sqlite"), primary_key=True, autoincrement=True
    )
    at: Mapped[datetime] = mapped_column(UTCDateTime, default=utcnow)
    actor_client_id: Mapped[str | None] = mapped_column(String(100))
    actor_desk_id: Mapped[str | None] = mapped_column(String(64))
    actor_label: Mapped[str | None] = mapped_column(String(200))
    action: Mapped[str] = mapped_column(String(64))
    holder_id: Mapped[str | None] = mapped_column(String(36), index=True)
    subject: Mapped[str | None] = mapped_column(String(200))
    details: Mapped[dict[str, Any]] = mapped_column(JSON, default=dict, server_default=text("'{}'"))

    __table_args__ = (Index("ix_audit_log_actor_client_id_at", "actor_client_id", "at"),)


# --- Reports -------------------------------------------------------------------------------------
class ReportJob(Base):
    """A report made in the background: a year of a large region takes longer than a request
    may. The file is kept in the database, so any worker can serve it, until ``expires_at``."""

    __tablename__ = "report_jobs"

    id: Mapped[int] = mapped_column(Integer, primary_key=True, autoincrement=True)
    region_id: Mapped[int] = mapped_column(ForeignKey("regions.id"))
    organizer_id: Mapped[str | None] = mapped_column(ForeignKey("organizers.id"))
    kind: Mapped[str] = mapped_column(String(32))
    format: Mapped[str] = mapped_column(String(8))
    params: Mapped[dict[str, Any]] = mapped_column(JSON, default=dict)
    status: Mapped[str] = mapped_column(String(16), default="STARTED")
    progress: Mapped[int] = mapped_column(Integer, default=0)
    """Percent done, for a progress bar."""
    message: Mapped[str | None] = mapped_column(Text)
    requested_by: Mapped[str | None] = mapped_column(String(100))
    created_at: Mapped[datetime] = mapped_column(UTCDateTime, default=utcnow)
    finished_at: Mapped[datetime | None] = mapped_column(UTCDateTime)
    expires_at: Mapped[datetime | None] = mapped_column(UTCDateTime)
    filename: Mapped[str | None] = mapped_column(String(200))
    media_type: Mapped[str | None] = mapped_column(String(100))
    size_bytes: Mapped[int | None] = mapped_column(BigInteger)
    content: Mapped[bytes | None] = mapped_column(LargeBinary, deferred=True)

    __table_args__ = (
        CheckConstraint("status IN ('STARTED', 'AVAILABLE', 'FAILED')", name="status"),
        CheckConstraint("progress >= 0 AND progress <= 100", name="progress_percent"),
        Index("ix_report_jobs_region_id_created_at", "region_id", "created_at"),
        Index("ix_report_jobs_organizer_id_created_at", "organizer_id", "created_at"),
    )

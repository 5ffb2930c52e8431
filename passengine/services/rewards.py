"""Rewards: the catalogue, the redeem check, redeeming for points and cancelling a redemption.

A redemption spends the holder's points through the ledger (``checkins._add_points``) and takes
one unit of the reward's stock. Both are decided again after locking the holder and then the
reward (always in that order, so two desks never wait on each other in a cycle): two desks
redeeming the holder's last points, or the last unit, at the same moment succeed once. The
CHECK constraints on the balance and the stock are the last line. Every redemption and
cancellation writes its audit row in the same transaction.
"""

from __future__ import annotations

import uuid
from collections.abc import Iterable, Sequence
from dataclasses import dataclass
from datetime import datetime
from zoneinfo import ZoneInfo

from sqlalchemy import ColumnElement, and_, exists, func, or_, select, true, update
from sqlalchemy.orm import InstrumentedAttribute, Session

from passengine.domain.errors import InvalidInput, NotFound
from passengine.domain.identifiers import validate_card_number
from passengine.domain.model import CardStatus, MembershipStatus, PeriodLimit
from passengine.domain.rewards import (
    REWARD_TYPES,
    HolderFacts,
    RewardDecision,
    RewardFacts,
    decide_redemption,
)
from passengine.services.audit import record
from passengine.services.auth import Forbidden, Principal
from passengine.services.checkins import _add_points
from passengine.storage import tables as t
from passengine.storage.locks import lock_holders, lock_rewards
from passengine.storage.repositories import PassRepository

SUBSETS = ("ALL", "ENDUSERS", "REDEEMABLE", "ENDUSER-FUTURE", "REDEEMABLE-FUTURE")


class RewardRefused(InvalidInput):
    """The holder cannot redeem this reward now; ``code`` says why (UiTPAS catalogue)."""

    code = "reward-not-redeemable"

    def __init__(self, decision: RewardDecision) -> None:
        message = decision.message()
        super().__init__(
            message.get("en", message["nl"]), code=decision.code, end_user_message=message
        )


@dataclass(frozen=True, slots=True)
class RegionRef:
    id: int
    name: str


@dataclass(frozen=True, slots=True)
class OrganizerRef:
    id: str
    name: str


@dataclass(frozen=True, slots=True)
class RewardView:
    id: str
    title: str
    type: str
    points: int
    promotional_description: str | None
    categories: tuple[str, ...]
    owning_region: RegionRef
    applicable_regions: tuple[RegionRef, ...]
    """Every region when ``all_regions``; else the owning region and the listed ones."""
    all_regions: bool
    organizers: tuple[OrganizerRef, ...]
    publication_starts_at: datetime | None
    publication_ends_at: datetime | None
    redeem_starts_at: datetime | None
    redeem_ends_at: datetime | None
    max_available_units: int | None
    units_taken: int
    holder_limit: PeriodLimit | None


@dataclass(frozen=True, slots=True)
class RedemptionView:
    id: str
    created_at: datetime
    reward: RewardView
    uitpas_number: str
    holder_id: str
    points: int
    cancelled: bool = False


@dataclass(frozen=True, slots=True)
class _Holder:
    holder_id: str | None
    membership_id: int | None
    facts: HolderFacts


# --- Facts ---------------------------------------------------------------------------------------


def _reward_row(session: Session, reward_id: str) -> t.Reward:
    # populate_existing: after a lock, the row must be read again, not taken from the session.
    reward = session.scalars(
        select(t.Reward).where(t.Reward.id == reward_id).execution_options(populate_existing=True)
    ).one_or_none()
    if reward is None:
        raise NotFound(f"No reward with id {reward_id}.", code="reward-not-found")
    return reward


def _listed_regions(session: Session, reward_ids: Iterable[str]) -> dict[str, set[int]]:
    found: dict[str, set[int]] = {}
    for reward_id, region_id in session.execute(
        select(t.RewardRegion.reward_id, t.RewardRegion.region_id).where(
            t.RewardRegion.reward_id.in_(list(reward_ids))
        )
    ):
        found.setdefault(reward_id, set()).add(region_id)
    return found


def _organizer_ids(session: Session, reward_id: str) -> frozenset[str]:
    return frozenset(
        session.scalars(
            select(t.RewardOrganizer.organizer_id).where(t.RewardOrganizer.reward_id == reward_id)
        )
    )


def _facts(reward: t.Reward, listed: Iterable[int]) -> RewardFacts:
    limit = (
        PeriodLimit(reward.holder_limit_volume, reward.holder_limit_period)
        if reward.holder_limit_volume is not None and reward.holder_limit_period is not None
        else None
    )
    return RewardFacts(
        id=reward.id,
        type=reward.type,
        points=reward.points,
        owning_region_id=reward.owning_region_id,
        region_ids=frozenset(listed),
        all_regions=reward.all_regions,
        redeem_starts_at=reward.redeem_starts_at,
        redeem_ends_at=reward.redeem_ends_at,
        max_available_units=reward.max_available_units,
        redeemed_units=reward.redeemed_units,
        holder_limit=limit,
    )


def _timezone(session: Session, region_id: int) -> ZoneInfo:
    name = session.scalar(select(t.Region.timezone).where(t.Region.id == region_id))
    return ZoneInfo(name or "Europe/Brussels")


def _holder_by_card(session: Session, number: str) -> _Holder:
    found = PassRepository(session).by_uitpas_number(number)
    if found is None:
        group = session.scalar(
            select(t.GroupPass.region_id).where(t.GroupPass.uitpas_number == number)
        )
        if group is None:
            raise NotFound(f"No pass with number {number}.", code="pass-not-found")
        return _Holder(None, None, HolderFacts(points=0, region_id=group, group_pass=True))
    return _Holder(
        found.holder_id,
        found.membership_id,
        HolderFacts(
            points=found.points,
            region_id=found.region_id,
            card_blocked=found.card_status is CardStatus.BLOCKED,
            membership_blocked=found.membership_status is MembershipStatus.BLOCKED,
        ),
    )


def _points(session: Session, holder: _Holder) -> _Holder:
    """The holder with the balance read again (after the lock, on PostgreSQL)."""
    if holder.holder_id is None:
        return holder
    balance = session.scalar(select(t.PassHolder.points).where(t.PassHolder.id == holder.holder_id))
    facts = HolderFacts(
        points=balance or 0,
        region_id=holder.facts.region_id,
        card_blocked=holder.facts.card_blocked,
        membership_blocked=holder.facts.membership_blocked,
    )
    return _Holder(holder.holder_id, holder.membership_id, facts)


def _earlier(session: Session, holder_id: str | None, reward_id: str) -> tuple[datetime, ...]:
    if holder_id is None:
        return ()
    return tuple(
        session.scalars(
            select(t.RewardRedemption.created_at).where(
                t.RewardRedemption.holder_id == holder_id,
                t.RewardRedemption.reward_id == reward_id,
                t.RewardRedemption.cancelled_at.is_(None),
            )
        )
    )


def _authorize(principal: Principal, reward: t.Reward, organizer_ids: frozenset[str]) -> None:
    """A desk hands out a reward only where the reward names its organizer (or names none);
    a client without an organizer, only rewards of its own regions."""
    if principal.organizer_id is not None:
        if organizer_ids and principal.organizer_id not in organizer_ids:
            raise Forbidden("This reward is not handed out by this client's organizer.")
    elif reward.owning_region_id not in principal.region_ids:
        raise Forbidden("This reward belongs to a region outside the client's regions.")


def _decide(session: Session, reward: t.Reward, holder: _Holder, *, at: datetime) -> RewardDecision:
    listed = _listed_regions(session, [reward.id]).get(reward.id, set())
    return decide_redemption(
        _facts(reward, listed),
        holder.facts,
        _earlier(session, holder.holder_id, reward.id),
        at=at,
        tz=_timezone(session, reward.owning_region_id),
    )


# --- Views ---------------------------------------------------------------------------------------


def _views(session: Session, rewards: Sequence[t.Reward]) -> list[RewardView]:
    """Views of several rewards in a fixed number of statements."""
    if not rewards:
        return []
    ids = [r.id for r in rewards]
    regions = {
        region_id: RegionRef(region_id, name)
        for region_id, name in session.execute(
            select(t.Region.id, t.Region.name).order_by(t.Region.id)
        )
    }
    listed = _listed_regions(session, ids)
    organizers: dict[str, list[OrganizerRef]] = {}
    for reward_id, organizer_id, name in session.execute(
        select(t.RewardOrganizer.reward_id, t.Organizer.id, t.Organizer.name)
        .join(t.Organizer, t.Organizer.id == t.RewardOrganizer.organizer_id)
        .where(t.RewardOrganizer.reward_id.in_(ids))
        .order_by(t.Organizer.name, t.Organizer.id)
    ):
        organizers.setdefault(reward_id, []).append(OrganizerRef(organizer_id, name))
    views = []
    for r in rewards:
        if r.all_regions:
            applicable = tuple(regions.values())
        else:
            wanted = {r.owning_region_id, *listed.get(r.id, set())}
            applicable = tuple(regions[i] for i in sorted(wanted) if i in regions)
        facts = _facts(r, ())
        views.append(
            RewardView(
                id=r.id,
                title=r.title,
                type=r.type,
                points=facts.cost,
                promotional_description=r.promotional_description,
                categories=tuple(r.categories or ()),
                owning_region=regions[r.owning_region_id],
                applicable_regions=applicable,
                all_regions=r.all_regions,
                organizers=tuple(organizers.get(r.id, ())),
                publication_starts_at=r.publication_starts_at,
                publication_ends_at=r.publication_ends_at,
                redeem_starts_at=r.redeem_starts_at,
                redeem_ends_at=r.redeem_ends_at,
                max_available_units=r.max_available_units,
                units_taken=r.redeemed_units,
                holder_limit=facts.holder_limit,
            )
        )
    return views


# --- Use cases -----------------------------------------------------------------------------------


def get_reward(session: Session, reward_id: str, *, principal: Principal) -> RewardView:
    principal.require("REWARDS_READ")
    with session.begin():
        [view] = _views(session, [_reward_row(session, reward_id)])
        return view


def _within(
    starts: InstrumentedAttribute[datetime | None],
    ends: InstrumentedAttribute[datetime | None],
    at: datetime,
) -> ColumnElement[bool]:
    return and_(or_(starts.is_(None), starts <= at), or_(ends.is_(None), ends >= at))


def _subset(subset: str, at: datetime) -> ColumnElement[bool]:
    """UiTPAS subsets. ``ENDUSERS``: published and redeemable now; ``REDEEMABLE``: redeemable
    now, published or not; the ``-FUTURE`` variants also keep rewards whose redeem period is
    still to come (ours: every reward whose redeem period has not ended)."""
    published = _within(t.Reward.publication_starts_at, t.Reward.publication_ends_at, at)
    redeemable = _within(t.Reward.redeem_starts_at, t.Reward.redeem_ends_at, at)
    not_over = or_(t.Reward.redeem_ends_at.is_(None), t.Reward.redeem_ends_at >= at)
    if subset == "ENDUSERS":
        return and_(published, redeemable)
    if subset == "REDEEMABLE":
        return redeemable
    if subset == "ENDUSER-FUTURE":
        return and_(published, not_over)
    if subset == "REDEEMABLE-FUTURE":
        return not_over
    return true()


def list_rewards(
    session: Session,
    *,
    principal: Principal,
    at: datetime,
    organizer_ids: Sequence[str] = (),
    owning_region_ids: Sequence[int] = (),
    applicable_region_ids: Sequence[int] = (),
    reward_type: str = "POINTS",
    subset: str = "ENDUSERS",
    redeemable_by_holder_id: str | None = None,
    start: int = 0,
    limit: int = 20,
) -> tuple[int, list[RewardView]]:
    """The catalogue with the UiTPAS filters. ``organizer_ids`` keeps the rewards that can be
    redeemed there: those that name one of them and those that name no organizer at all."""
    principal.require("REWARDS_READ")
    if redeemable_by_holder_id is not None and not (
        principal.has("REWARDS_PASSHOLDERS_READ") or principal.has("REWARDS_REDEEM")
    ):
        raise Forbidden(
            "isRedeemableByPassholderId needs REWARDS_PASSHOLDERS_READ or REWARDS_REDEEM.",
            permission="REWARDS_PASSHOLDERS_READ",
        )
    query = select(t.Reward).where(_subset(subset, at))
    if reward_type in REWARD_TYPES:
        query = query.where(t.Reward.type == reward_type)
    if owning_region_ids:
        query = query.where(t.Reward.owning_region_id.in_(owning_region_ids))
    if applicable_region_ids:
        listed = exists().where(
            t.RewardRegion.reward_id == t.Reward.id,
            t.RewardRegion.region_id.in_(applicable_region_ids),
        )
        query = query.where(
            or_(
                t.Reward.all_regions.is_(True),
                t.Reward.owning_region_id.in_(applicable_region_ids),
                listed,
            )
        )
    if organizer_ids:
        named = exists().where(
            t.RewardOrganizer.reward_id == t.Reward.id,
            t.RewardOrganizer.organizer_id.in_(organizer_ids),
        )
        unrestricted = ~exists().where(t.RewardOrganizer.reward_id == t.Reward.id)
        query = query.where(or_(named, unrestricted))
    query = query.order_by(t.Reward.title, t.Reward.id)
    with session.begin():
        if redeemable_by_holder_id is None:
            total = session.scalar(select(func.count()).select_from(query.subquery())) or 0
            rows = list(session.scalars(query.offset(start).limit(limit)))
            return total, _views(session, rows)
        # Decided per reward by the core, so it cannot be a WHERE clause: filter, then page.
        holder = _holder_by_id(session, redeemable_by_holder_id)
        if holder is None:
            return 0, []
        kept = [r for r in session.scalars(query) if _decide(session, r, holder, at=at).allowed]
        return len(kept), _views(session, kept[start : start + limit])


def _holder_by_id(session: Session, holder_id: str) -> _Holder | None:
    """The holder behind their active card (a replaced card is blocked, the new one counts)."""
    number = session.scalar(
        select(t.Card.uitpas_number)
        .where(t.Card.holder_id == holder_id, t.Card.status == CardStatus.ACTIVE)
        .order_by(t.Card.issued_at.desc(), t.Card.id.desc())
        .limit(1)
    )
    return _holder_by_card(session, number) if number is not None else None


def redeem_status(
    session: Session, *, reward_id: str, uitpas_number: str, principal: Principal, at: datetime
) -> RewardDecision:
    """What a redemption would answer now, without writing anything."""
    principal.require("REWARDS_REDEEM")
    number = validate_card_number(uitpas_number)
    with session.begin():
        reward = _reward_row(session, reward_id)
        _authorize(principal, reward, _organizer_ids(session, reward.id))
        return _decide(session, reward, _holder_by_card(session, number), at=at)


def redeem(
    session: Session, *, reward_id: str, uitpas_number: str, principal: Principal, at: datetime
) -> RedemptionView:
    """Inside the caller's transaction (see ``idempotency.run_once``)."""
    principal.require("REWARDS_REDEEM")
    number = validate_card_number(uitpas_number)
    reward = _reward_row(session, reward_id)
    _authorize(principal, reward, _organizer_ids(session, reward.id))
    holder = _holder_by_card(session, number)
    if holder.holder_id is not None:
        lock_holders(session, [holder.holder_id])
    lock_rewards(session, [reward.id])
    # Decide again on what the locks protect: the balance, the stock and earlier redemptions.
    reward = _reward_row(session, reward_id)
    holder = _points(session, holder)
    decision = _decide(session, reward, holder, at=at)
    if not decision.allowed or holder.holder_id is None or holder.membership_id is None:
        raise RewardRefused(decision)
    redemption_id = str(uuid.uuid4())
    session.add(
        t.RewardRedemption(
            id=redemption_id,
            created_at=at,
            reward_id=reward.id,
            holder_id=holder.holder_id,
            membership_id=holder.membership_id,
            uitpas_number=number,
            points=decision.points,
            organizer_id=principal.organizer_id,
            client_id=principal.client_id,
            desk_id=principal.desk_id,
        )
    )
    session.execute(
        update(t.Reward)
        .where(t.Reward.id == reward.id)
        .values(redeemed_units=t.Reward.redeemed_units + 1)
    )
    session.flush()
    _add_points(
        session,
        holder.holder_id,
        -decision.points,
        "REDEMPTION",
        at=at,
        redemption_id=redemption_id,
    )
    record(
        session,
        principal.actor,
        "reward.redeemed",
        holder_id=holder.holder_id,
        subject=f"reward_redemption:{redemption_id}",
        details={"reward_id": reward.id, "points": decision.points},
    )
    [view] = _views(session, [_reward_row(session, reward.id)])
    return RedemptionView(
        redemption_id, at, view, number, holder.holder_id, decision.points, cancelled=False
    )


def cancel_redemption(
    session: Session, redemption_id: str, *, principal: Principal, at: datetime
) -> None:
    """Give the points and the stock unit back. Cancelling twice is fine (a desk may retry)."""
    principal.require("REWARDS_REDEEM")
    redemption = session.get(t.RewardRedemption, redemption_id)
    if redemption is None:
        raise NotFound(f"No redeemed reward {redemption_id}.", code="redeemed-reward-not-found")
    reward = _reward_row(session, redemption.reward_id)
    if principal.organizer_id is not None:
        if redemption.organizer_id != principal.organizer_id:
            raise Forbidden("This client cannot cancel another organizer's redemptions.")
    elif reward.owning_region_id not in principal.region_ids:
        raise Forbidden("This reward belongs to a region outside the client's regions.")
    if redemption.cancelled_at is not None:
        return
    lock_holders(session, [redemption.holder_id])
    lock_rewards(session, [reward.id])
    session.refresh(redemption)  # a concurrent cancel may have committed while we waited
    if redemption.cancelled_at is not None:
        return
    redemption.cancelled_at = at
    redemption.cancelled_by_client_id = principal.client_id
    session.execute(
        update(t.Reward)
        .where(t.Reward.id == reward.id)
        .values(redeemed_units=t.Reward.redeemed_units - 1)
    )
    session.flush()
    _add_points(
        session,
        redemption.holder_id,
        redemption.points,
        "REDEMPTION_CANCELLED",
        at=at,
        redemption_id=redemption.id,
    )
    record(
        session,
        principal.actor,
        "reward.redemption_cancelled",
        holder_id=redemption.holder_id,
        subject=f"reward_redemption:{redemption.id}",
        details={"reward_id": reward.id, "points": redemption.points},
    )


def list_redemptions(
    session: Session,
    *,
    principal: Principal,
    uitpas_number: str | None = None,
    passholder_id: str | None = None,
    organizer_ids: Sequence[str] = (),
    reward_type: str | None = None,
    reward_title: str | None = None,
    start: int = 0,
    limit: int = 20,
) -> tuple[int, list[RedemptionView]]:
    """A holder's redemptions (not cancelled), newest first. With the card in hand a desk sees
    them all; by holder id, only those at its own organizer (as for check-ins). Other clients
    see the redemptions of members of their regions."""
    principal.require("REWARDS_READ")
    if (uitpas_number is None) == (passholder_id is None):
        raise InvalidInput(
            "Give exactly one of uitpasNumber and passholderId.", code="invalid-query-parameters"
        )
    query = select(t.RewardRedemption, t.Reward).join(
        t.Reward, t.Reward.id == t.RewardRedemption.reward_id
    )
    if uitpas_number is not None:
        number = validate_card_number(uitpas_number)
        holder = select(t.Card.holder_id).where(t.Card.uitpas_number == number).scalar_subquery()
        query = query.where(t.RewardRedemption.holder_id == holder)
    else:
        if not organizer_ids:
            raise InvalidInput("passholderId needs organizerId.", code="invalid-query-parameters")
        if principal.organizer_id is not None and set(organizer_ids) != {principal.organizer_id}:
            raise Forbidden("This client cannot read another organizer's redemptions.")
        query = query.where(t.RewardRedemption.holder_id == passholder_id)
    if organizer_ids:
        query = query.where(t.RewardRedemption.organizer_id.in_(organizer_ids))
    if principal.organizer_id is None:  # not a desk: the members of its own regions only
        members = select(t.Membership.id).where(t.Membership.region_id.in_(principal.region_ids))
        query = query.where(t.RewardRedemption.membership_id.in_(members))
    if reward_type:
        query = query.where(t.Reward.type == reward_type)
    if reward_title:
        query = query.where(func.lower(t.Reward.title).contains(reward_title.lower()))
    query = query.where(t.RewardRedemption.cancelled_at.is_(None))
    with session.begin():
        total = session.scalar(select(func.count()).select_from(query.subquery())) or 0
        rows = session.execute(
            query.order_by(t.RewardRedemption.created_at.desc(), t.RewardRedemption.id)
            .offset(start)
            .limit(limit)
        ).all()
        views = {v.id: v for v in _views(session, list({r.id: r for _, r in rows}.values()))}
        return total, [
            RedemptionView(
                id=x.id,
                created_at=x.created_at,
                reward=views[x.reward_id],
                uitpas_number=x.uitpas_number,
                holder_id=x.holder_id,
                points=x.points,
                cancelled=x.cancelled_at is not None,
            )
            for x, _ in rows
        ]

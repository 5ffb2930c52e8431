"""The redeem decision: may this holder exchange this reward now, and for how many points?

A ``POINTS`` reward costs its points; a ``WELCOME`` reward costs nothing and is given once per
membership (domain.md, "Points and rewards"). A reward is redeemable within its redeem period,
by members of its owning region, of the regions it lists or of every region, while its stock
lasts and within its per-holder limit (a PeriodLimit). The checks run in a fixed order so that a
desk always hears the same reason first: the card, the membership, the period, the region, the
stock, the holder's limit, and last the points (the one thing the holder can change).

Codes are those of the UiTPAS API 4.0 catalogue (``reward-passholder-points-constraint``…).
"""

from __future__ import annotations

from collections.abc import Mapping
from dataclasses import dataclass, field
from datetime import datetime
from zoneinfo import ZoneInfo

from passengine.domain.limits import check_limit
from passengine.domain.messages import ParamValue
from passengine.domain.model import Period, PeriodLimit

POINTS = "POINTS"
WELCOME = "WELCOME"
REWARD_TYPES = (POINTS, WELCOME)

WELCOME_LIMIT = PeriodLimit(1, Period.ABSOLUTE)
"""A welcome reward is given once per membership, on top of any limit the region sets."""

REDEEMABLE = "reward-redeemable"
INVALID_CARD = "invalid-card"
NO_ACTIVE_MEMBERSHIP = "passholder-no-active-cardsystems"
PERIOD = "reward-period-constraint"
REGION = "reward-passholder-no-applicable-cardsystems"
STOCK = "reward-volume-constraint"
HOLDER_LIMIT = "reward-passholder-volume-constraint"
NOT_ENOUGH_POINTS = "reward-passholder-points-constraint"


@dataclass(frozen=True, slots=True)
class RewardFacts:
    id: str
    type: str
    """``POINTS`` or ``WELCOME``."""
    points: int
    owning_region_id: int
    region_ids: frozenset[int] = frozenset()
    """Regions besides the owning one whose members may redeem."""
    all_regions: bool = False
    redeem_starts_at: datetime | None = None
    redeem_ends_at: datetime | None = None
    max_available_units: int | None = None
    redeemed_units: int = 0
    holder_limit: PeriodLimit | None = None

    @property
    def cost(self) -> int:
        return self.points if self.type == POINTS else 0

    def applies_to(self, region_id: int) -> bool:
        return (
            self.all_regions or region_id == self.owning_region_id or region_id in self.region_ids
        )


@dataclass(frozen=True, slots=True)
class HolderFacts:
    """The scanned card's holder, as the decision needs it."""

    points: int
    region_id: int
    """The region of the membership the card belongs to."""
    card_blocked: bool = False
    membership_blocked: bool = False
    group_pass: bool = False


@dataclass(frozen=True, slots=True)
class RewardDecision:
    allowed: bool
    code: str
    points: int
    """What the redemption costs (0 when refused)."""
    params: Mapping[str, ParamValue] = field(default_factory=dict)

    def message(self) -> dict[str, str]:
        return reward_message(self.code, self.params)


def decide_redemption(
    reward: RewardFacts,
    holder: HolderFacts,
    earlier: tuple[datetime, ...],
    *,
    at: datetime,
    tz: ZoneInfo,
) -> RewardDecision:
    """``earlier`` are this holder's not-cancelled redemptions of this reward."""
    if at.tzinfo is None:
        raise ValueError("at must be timezone-aware")
    if holder.group_pass:
        return RewardDecision(False, INVALID_CARD, 0, {"group_pass": 1})
    if holder.card_blocked:
        return RewardDecision(False, INVALID_CARD, 0)
    if holder.membership_blocked:
        return RewardDecision(False, NO_ACTIVE_MEMBERSHIP, 0)
    starts, ends = reward.redeem_starts_at, reward.redeem_ends_at
    if (starts is not None and at < starts) or (ends is not None and at > ends):
        return RewardDecision(
            False,
            PERIOD,
            0,
            {
                "starts_at": _local(starts, tz),
                "ends_at": _local(ends, tz),
                "ended": 1 if ends is not None and at > ends else 0,
            },
        )
    if not reward.applies_to(holder.region_id):
        return RewardDecision(False, REGION, 0)
    if (
        reward.max_available_units is not None
        and reward.redeemed_units >= reward.max_available_units
    ):
        return RewardDecision(False, STOCK, 0, {"volume": reward.max_available_units})
    limits = [WELCOME_LIMIT] if reward.type == WELCOME else []
    if reward.holder_limit is not None:
        limits.append(reward.holder_limit)
    for limit in limits:
        check = check_limit(limit, earlier, at=at, tz=tz)
        if check.reached:
            return RewardDecision(
                False,
                HOLDER_LIMIT,
                0,
                {"volume": limit.volume, "period": limit.period.value, "used": check.used},
            )
    if holder.points < reward.cost:
        return RewardDecision(
            False, NOT_ENOUGH_POINTS, 0, {"points": reward.cost, "balance": holder.points}
        )
    return RewardDecision(True, REDEEMABLE, reward.cost, {"points": reward.cost})


def _local(moment: datetime | None, tz: ZoneInfo) -> str | None:
    return f"{moment.astimezone(tz):%d/%m/%Y %H:%M}" if moment is not None else None


# --- What a desk can tell the holder (nl first) ------------------------------------------------

_PERIOD_WORDS = {
    "ABSOLUTE": ("", "", ""),
    "DAY": (" vandaag", " aujourd'hui", " today"),
    "WEEK": (" deze week", " cette semaine", " this week"),
    "MONTH": (" deze maand", " ce mois-ci", " this month"),
    "QUARTER": (" dit kwartaal", " ce trimestre", " this quarter"),
    "YEAR": (" dit jaar", " cette année", " this year"),
}


def reward_message(code: str, params: Mapping[str, ParamValue]) -> dict[str, str]:
    """The words for a redeem outcome in nl, fr and en; unknown codes fall back to the code."""
    p = dict(params)
    if code == REDEEMABLE:
        n = p.get("points", 0)
        return {
            "nl": f"Je kan dit voordeel omruilen voor {n} punt(en).",
            "fr": f"Tu peux échanger cet avantage contre {n} point(s).",
            "en": f"You can redeem this reward for {n} point(s).",
        }
    if code == NOT_ENOUGH_POINTS:
        n, balance = p.get("points", 0), p.get("balance", 0)
        return {
            "nl": f"Jammer, je hebt nog niet genoeg punten om dit voordeel om te ruilen: "
            f"het kost {n} punt(en), je hebt er {balance}.",
            "fr": f"Dommage, tu n'as pas encore assez de points pour cet avantage : "
            f"il coûte {n} point(s), tu en as {balance}.",
            "en": f"Sorry, you do not have enough points for this reward yet: "
            f"it costs {n} point(s), you have {balance}.",
        }
    if code == HOLDER_LIMIT:
        nl, fr, en = _PERIOD_WORDS.get(str(p.get("period")), ("", "", ""))
        volume = p.get("volume", 0)
        return {
            "nl": f"Je ruilde dit voordeel al om{nl}; het maximum is {volume} keer.",
            "fr": f"Tu as déjà échangé cet avantage{fr} ; le maximum est de {volume} fois.",
            "en": f"You already redeemed this reward{en}; the maximum is {volume} time(s).",
        }
    if code == STOCK:
        return {
            "nl": "Dit voordeel is op.",
            "fr": "Cet avantage est épuisé.",
            "en": "This reward is no longer available: all units are taken.",
        }
    if code == PERIOD:
        if p.get("ended"):
            until = p.get("ends_at")
            return {
                "nl": f"Dit voordeel kon je omruilen tot {until}.",
                "fr": f"Cet avantage pouvait être échangé jusqu'au {until}.",
                "en": f"This reward could be redeemed until {until}.",
            }
        since = p.get("starts_at")
        return {
            "nl": f"Dit voordeel kan je omruilen vanaf {since}.",
            "fr": f"Cet avantage peut être échangé à partir du {since}.",
            "en": f"This reward can be redeemed from {since}.",
        }
    if code == REGION:
        return {
            "nl": "Dit voordeel geldt niet voor pashouders van jouw UiTPAS-regio.",
            "fr": "Cet avantage n'est pas valable pour les membres de ta région UiTPAS.",
            "en": "This reward is not available to members of your UiTPAS region.",
        }
    if code == INVALID_CARD:
        if p.get("group_pass"):
            return {
                "nl": "Met een groepspas kan je geen voordelen omruilen.",
                "fr": "Un pass de groupe ne permet pas d'échanger des avantages.",
                "en": "A group pass cannot redeem rewards.",
            }
        return {
            "nl": "Deze kaart is geblokkeerd. Vraag aan de UiTPAS-balie een nieuwe kaart.",
            "fr": "Cette carte est bloquée. Demande une nouvelle carte au point UiTPAS.",
            "en": "This card is blocked. Ask the UiTPAS desk for a new card.",
        }
    if code == NO_ACTIVE_MEMBERSHIP:
        return {
            "nl": "Dit lidmaatschap is geblokkeerd. Contacteer je UiTPAS-balie.",
            "fr": "Cette affiliation est bloquée. Contacte ton point UiTPAS.",
            "en": "This membership is blocked. Contact your UiTPAS desk.",
        }
    return {"nl": code}

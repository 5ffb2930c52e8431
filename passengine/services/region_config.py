"""A region's own configuration: the region, its target groups and eligibility grounds, the
tariff document and the limit defaults. Municipalities are in ``municipalities``, card prices in
``card_prices``, the local network (organizers, desks, referrers, events, rewards) in ``network``
and API clients in ``api_clients``.

Every change runs in one transaction with its audit row (``config.<noun>.<verb>``, with the
values before and after). The tariff document and the card prices are versioned; for the rest
the audit log is the history. Ids in the path that do not exist answer 404 with a
``<noun>-not-found`` code; references in a body that do not exist answer 400 ``unknown-<noun>``.
"""

from __future__ import annotations

from datetime import datetime
from typing import Annotated, Any

from pydantic import Field, StringConstraints
from sqlalchemy import exists, or_, select
from sqlalchemy.orm import Session

from passengine.domain.checkins import (
    DEFAULT_DATED_CHECKIN_LIMIT,
    DEFAULT_PERMANENT_CHECKIN_LIMIT,
    CheckinEventFacts,
)
from passengine.domain.errors import Conflict, NotFound
from passengine.domain.model import Period, PeriodLimit
from passengine.domain.tariffs import DEFAULT_PERMANENT_TICKET_LIMIT, DEFAULT_TICKET_LIMIT
from passengine.services.administration import (
    AdminScope,
    Code,
    Colour,
    IssueRead,
    Name,
    Patch,
    Read,
    Shape,
    Url,
    apply_changes,
    flush_or_conflict,
    patch_fields,
    region_row,
    region_today,
    transaction,
)
from passengine.services.audit import record
from passengine.services.municipalities import MembershipRead, postal_codes_of
from passengine.services.tariff_config import save_tariff_config
from passengine.storage import tables as t

# --- Regions --------------------------------------------------------------------------------------


class RegionRead(Read):
    id: int
    name: str
    timezone: str
    primary_color: str | None
    secondary_color: str | None
    website: str | None
    contact_line: str | None
    conditions_text: str | None
    municipalities: list[MembershipRead]


class RegionUpdate(Patch):
    REQUIRED = ("name",)
    name: Name | None = None
    primary_color: Colour | None = None
    secondary_color: Colour | None = None
    website: Url | None = None
    contact_line: Annotated[str, StringConstraints(max_length=300)] | None = None
    conditions_text: Annotated[str, StringConstraints(max_length=10_000)] | None = None


def _region_view(session: Session, region: t.Region, *, at: datetime) -> RegionRead:
    today = region_today(region, at)
    periods = session.execute(
        select(t.RegionMunicipality, t.Municipality.name)
        .join(t.Municipality, t.Municipality.nis_code == t.RegionMunicipality.nis_code)
        .where(t.RegionMunicipality.region_id == region.id)
        .order_by(t.RegionMunicipality.joined_on, t.RegionMunicipality.nis_code)
    ).all()
    postal = postal_codes_of(session, {p.nis_code for p, _ in periods})
    return RegionRead(
        id=region.id,
        name=region.name,
        timezone=region.timezone,
        primary_color=region.primary_color,
        secondary_color=region.secondary_color,
        website=region.website,
        contact_line=region.contact_line,
        conditions_text=region.conditions_text,
        municipalities=[
            MembershipRead(
                nis_code=p.nis_code,
                name=name,
                joined_on=p.joined_on,
                left_on=p.left_on,
                current=p.joined_on <= today and (p.left_on is None or today < p.left_on),
                postal_codes=postal[p.nis_code],
            )
            for p, name in periods
        ],
    )


def list_regions(session: Session, *, scope: AdminScope, at: datetime) -> list[RegionRead]:
    """The regions the caller administers (every region for the operator)."""
    with transaction(session):
        query = select(t.Region).order_by(t.Region.id)
        if scope.region_ids is not None:
            query = query.where(t.Region.id.in_(sorted(scope.region_ids)))
        return [_region_view(session, r, at=at) for r in session.scalars(query)]


def get_region(session: Session, region_id: int, *, scope: AdminScope, at: datetime) -> RegionRead:
    with transaction(session):
        return _region_view(session, region_row(session, region_id, scope), at=at)


def update_region(
    session: Session, region_id: int, changes: RegionUpdate, *, scope: AdminScope, at: datetime
) -> RegionRead:
    """Name, colours, website, contact line and conditions: what cards and desks show."""
    with transaction(session):
        region = region_row(session, region_id, scope)
        diff = apply_changes(region, patch_fields(changes))
        if diff:
            session.flush()
            record(
                session,
                scope.actor,
                "config.region.updated",
                subject=f"region:{region_id}",
                details=diff,
            )
        return _region_view(session, region, at=at)


# --- Target groups and eligibility grounds --------------------------------------------------------


class TargetGroupCreate(Shape):
    code: Code
    name: Name
    default_grace_period_days: int = Field(default=0, ge=0, le=3650)


class TargetGroupUpdate(Patch):
    """The code can change only while nothing uses it (a status, a group pass, a tariff rule)."""

    REQUIRED = ("code", "name", "default_grace_period_days")
    code: Code | None = None
    name: Name | None = None
    default_grace_period_days: int | None = Field(default=None, ge=0, le=3650)


class TargetGroupRead(Read):
    id: int
    region_id: int
    code: str
    name: str
    default_grace_period_days: int
    in_use: bool


class GroundCreate(Shape):
    code: Code
    name: Name


class GroundUpdate(Patch):
    """The code can change only while no status was granted on this ground."""

    REQUIRED = ("code", "name")
    code: Code | None = None
    name: Name | None = None


class GroundRead(Read):
    id: int
    region_id: int
    code: str
    name: str
    in_use: bool


def _tariff_group_codes(session: Session, region_id: int) -> set[str]:
    """Target-group codes the region's tariff rules name, in any version (old versions still
    explain past sales)."""
    codes: set[str] = set()
    for document in session.scalars(
        select(t.TariffConfigRow.document).where(t.TariffConfigRow.region_id == region_id)
    ):
        for rule in document.get("rules", []) if isinstance(document, dict) else []:
            if isinstance(rule, dict):
                codes.update(str(c) for c in rule.get("target_groups", []))
    return codes


def _group_in_use(session: Session, group: t.TargetGroup) -> bool:
    used = session.scalar(
        select(
            or_(
                exists().where(t.SocialTariffStatusRow.target_group_id == group.id),
                exists().where(t.GroupPass.target_group_id == group.id),
            )
        )
    )
    return bool(used) or group.code in _tariff_group_codes(session, group.region_id)


def _ground_in_use(session: Session, ground: t.EligibilityGround) -> bool:
    return bool(
        session.scalar(select(exists().where(t.SocialTariffStatusRow.ground_id == ground.id)))
    )


def _group_view(session: Session, g: t.TargetGroup) -> TargetGroupRead:
    return TargetGroupRead(
        id=g.id,
        region_id=g.region_id,
        code=g.code,
        name=g.name,
        default_grace_period_days=g.default_grace_period_days,
        in_use=_group_in_use(session, g),
    )


def _ground_view(session: Session, g: t.EligibilityGround) -> GroundRead:
    return GroundRead(
        id=g.id, region_id=g.region_id, code=g.code, name=g.name, in_use=_ground_in_use(session, g)
    )


def list_target_groups(
    session: Session, region_id: int, *, scope: AdminScope
) -> list[TargetGroupRead]:
    with transaction(session):
        region_row(session, region_id, scope)
        groups = session.scalars(
            select(t.TargetGroup)
            .where(t.TargetGroup.region_id == region_id)
            .order_by(t.TargetGroup.code)
        )
        return [_group_view(session, g) for g in groups]


def _code_taken(
    session: Session,
    table: type[t.TargetGroup] | type[t.EligibilityGround],
    region_id: int,
    code: str,
) -> bool:
    return bool(
        session.scalar(select(exists().where(table.region_id == region_id, table.code == code)))
    )


def create_target_group(
    session: Session, region_id: int, data: TargetGroupCreate, *, scope: AdminScope
) -> TargetGroupRead:
    with transaction(session):
        region_row(session, region_id, scope)
        if _code_taken(session, t.TargetGroup, region_id, data.code):
            raise Conflict(
                f"Region {region_id} has a target group {data.code} already.",
                code="target-group-exists",
            )
        group = t.TargetGroup(region_id=region_id, **data.model_dump())
        session.add(group)
        flush_or_conflict(
            session,
            f"Region {region_id} has a target group {data.code} already.",
            code="target-group-exists",
        )
        record(
            session,
            scope.actor,
            "config.target_group.created",
            subject=f"region:{region_id}",
            details={"id": group.id, **data.model_dump()},
        )
        return _group_view(session, group)


def update_target_group(
    session: Session,
    region_id: int,
    code: str,
    changes: TargetGroupUpdate,
    *,
    scope: AdminScope,
) -> TargetGroupRead:
    with transaction(session):
        region_row(session, region_id, scope)
        group = session.scalars(
            select(t.TargetGroup).where(
                t.TargetGroup.region_id == region_id, t.TargetGroup.code == code
            )
        ).one_or_none()
        if group is None:
            raise NotFound(
                f"Region {region_id} has no target group {code}.", code="target-group-not-found"
            )
        wanted = patch_fields(changes)
        if wanted.get("code", group.code) != group.code:
            if _group_in_use(session, group):
                raise Conflict(
                    f"Target group {group.code} is used by a status, a group pass or a tariff "
                    "rule; its code cannot change.",
                    code="target-group-in-use",
                )
            if _code_taken(session, t.TargetGroup, region_id, wanted["code"]):
                raise Conflict(
                    f"Region {region_id} has a target group {wanted['code']} already.",
                    code="target-group-exists",
                )
        diff = apply_changes(group, wanted)
        session.flush()
        if diff:
            record(
                session,
                scope.actor,
                "config.target_group.updated",
                subject=f"region:{region_id}",
                details={"id": group.id, **diff},
            )
        return _group_view(session, group)


def list_grounds(session: Session, region_id: int, *, scope: AdminScope) -> list[GroundRead]:
    with transaction(session):
        region_row(session, region_id, scope)
        grounds = session.scalars(
            select(t.EligibilityGround)
            .where(t.EligibilityGround.region_id == region_id)
            .order_by(t.EligibilityGround.code)
        )
        return [_ground_view(session, g) for g in grounds]


def create_ground(
    session: Session, region_id: int, data: GroundCreate, *, scope: AdminScope
) -> GroundRead:
    with transaction(session):
        region_row(session, region_id, scope)
        if _code_taken(session, t.EligibilityGround, region_id, data.code):
            raise Conflict(
                f"Region {region_id} has a ground {data.code} already.", code="ground-exists"
            )
        ground = t.EligibilityGround(region_id=region_id, **data.model_dump())
        session.add(ground)
        flush_or_conflict(
            session, f"Region {region_id} has a ground {data.code} already.", code="ground-exists"
        )
        record(
            session,
            scope.actor,
            "config.ground.created",
            subject=f"region:{region_id}",
            details={"id": ground.id, **data.model_dump()},
        )
        return _ground_view(session, ground)


def update_ground(
    session: Session, region_id: int, code: str, changes: GroundUpdate, *, scope: AdminScope
) -> GroundRead:
    with transaction(session):
        region_row(session, region_id, scope)
        ground = session.scalars(
            select(t.EligibilityGround).where(
                t.EligibilityGround.region_id == region_id, t.EligibilityGround.code == code
            )
        ).one_or_none()
        if ground is None:
            raise NotFound(f"Region {region_id} has no ground {code}.", code="ground-not-found")
        wanted = patch_fields(changes)
        if wanted.get("code", ground.code) != ground.code:
            if _ground_in_use(session, ground):
                raise Conflict(
                    f"Ground {ground.code} was used to grant a status; its code cannot change.",
                    code="ground-in-use",
                )
            if _code_taken(session, t.EligibilityGround, region_id, wanted["code"]):
                raise Conflict(
                    f"Region {region_id} has a ground {wanted['code']} already.",
                    code="ground-exists",
                )
        diff = apply_changes(ground, wanted)
        session.flush()
        if diff:
            record(
                session,
                scope.actor,
                "config.ground.updated",
                subject=f"region:{region_id}",
                details={"id": ground.id, **diff},
            )
        return _ground_view(session, ground)


# --- Tariff configuration -------------------------------------------------------------------------


class TariffVersionRead(Read):
    version: int
    created_at: datetime
    created_by: str | None


class TariffConfigRead(TariffVersionRead):
    region_id: int
    document: dict[str, Any]


class TariffConfigSaved(Read):
    region_id: int
    version: int
    warnings: list[IssueRead]


def get_tariffs(
    session: Session, region_id: int, *, scope: AdminScope, version: int | None = None
) -> TariffConfigRead:
    """The current version (or the one asked for) with its document."""
    with transaction(session):
        region_row(session, region_id, scope)
        query = select(t.TariffConfigRow).where(t.TariffConfigRow.region_id == region_id)
        if version is not None:
            query = query.where(t.TariffConfigRow.version == version)
        row = session.scalars(query.order_by(t.TariffConfigRow.version.desc()).limit(1)).first()
        if row is None:
            which = f"version {version}" if version is not None else "a tariff configuration"
            raise NotFound(
                f"Region {region_id} has no {which}.",
                code="tariff-config-not-found",
            )
        return TariffConfigRead(
            region_id=region_id,
            version=row.version,
            created_at=row.created_at,
            created_by=row.created_by,
            document=row.document,
        )


def list_tariff_versions(
    session: Session, region_id: int, *, scope: AdminScope
) -> list[TariffVersionRead]:
    with transaction(session):
        region_row(session, region_id, scope)
        rows = session.execute(
            select(
                t.TariffConfigRow.version,
                t.TariffConfigRow.created_at,
                t.TariffConfigRow.created_by,
            )
            .where(t.TariffConfigRow.region_id == region_id)
            .order_by(t.TariffConfigRow.version.desc())
        ).all()
        return [TariffVersionRead(version=v, created_at=c, created_by=b) for v, c, b in rows]


def set_tariffs(
    session: Session, region_id: int, document: dict[str, Any], *, scope: AdminScope
) -> TariffConfigSaved:
    """Validate and store a new version with ``save_tariff_config`` (which writes the audit row
    ``tariff_config.changed``); ``TariffConfigError`` names every field that is wrong."""
    with transaction(session):
        region_row(session, region_id, scope)
    version, warnings = save_tariff_config(session, region_id, document, actor=scope.actor)
    return TariffConfigSaved(
        region_id=region_id, version=version, warnings=[IssueRead.of(w) for w in warnings]
    )


# --- Limit defaults -------------------------------------------------------------------------------


class LimitRead(Read):
    volume: int
    period: Period

    @classmethod
    def of(cls, limit: PeriodLimit) -> LimitRead:
        return cls(volume=limit.volume, period=limit.period)


class RuleLimitRead(Read):
    rule_id: str
    ticket_limit: LimitRead


class LimitDefaultsRead(Read):
    """What applies when an event's settings leave a limit empty (see docs/admin.md)."""

    region_id: int
    tariff_version: int | None
    ticket_limit_dated: LimitRead
    ticket_limit_permanent: LimitRead
    rule_ticket_limits: list[RuleLimitRead]
    """Tariff rules of the current version that set their own default ticket limit."""
    checkin_limit_dated: LimitRead
    checkin_limit_permanent: LimitRead
    checkin_points: int
    checkin_opens_minutes_before: int
    checkin_closes_minutes_after: int


def limit_defaults(session: Session, region_id: int, *, scope: AdminScope) -> LimitDefaultsRead:
    """One place of truth: the field's defaults are the core's constants (the same the tariff
    engine and the check-in decision fall back to), a tariff rule may set a default ticket limit
    in the versioned tariff document, and an event's settings override both."""
    checkin = CheckinEventFacts(id="", occurrences=())  # its defaults are the field's
    with transaction(session):
        region_row(session, region_id, scope)
        current = session.execute(
            select(t.TariffConfigRow.version, t.TariffConfigRow.document)
            .where(t.TariffConfigRow.region_id == region_id)
            .order_by(t.TariffConfigRow.version.desc())
            .limit(1)
        ).one_or_none()
    rule_limits: list[RuleLimitRead] = []
    if current is not None:
        for rule in current[1].get("rules", []):
            limit = rule.get("ticket_limit")
            if isinstance(limit, dict):
                rule_limits.append(
                    RuleLimitRead(
                        rule_id=str(rule.get("id")),
                        ticket_limit=LimitRead(volume=limit["volume"], period=limit["period"]),
                    )
                )
    return LimitDefaultsRead(
        region_id=region_id,
        tariff_version=current[0] if current else None,
        ticket_limit_dated=LimitRead.of(DEFAULT_TICKET_LIMIT),
        ticket_limit_permanent=LimitRead.of(DEFAULT_PERMANENT_TICKET_LIMIT),
        rule_ticket_limits=rule_limits,
        checkin_limit_dated=LimitRead.of(DEFAULT_DATED_CHECKIN_LIMIT),
        checkin_limit_permanent=LimitRead.of(DEFAULT_PERMANENT_CHECKIN_LIMIT),
        checkin_points=checkin.points,
        checkin_opens_minutes_before=checkin.opens_minutes_before,
        checkin_closes_minutes_after=checkin.closes_minutes_after,
    )

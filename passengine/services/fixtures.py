"""Loading demo regions (TOML) and holder files (CSV) into a database, all or nothing."""

from __future__ import annotations

import random
import tomllib
import uuid
from collections.abc import Callable
from dataclasses import dataclass, field
from datetime import date, datetime
from pathlib import Path
from zoneinfo import ZoneInfo, ZoneInfoNotFoundError

from pydantic import ValidationError
from sqlalchemy import insert, select, update
from sqlalchemy.exc import IntegrityError
from sqlalchemy.orm import Session

from passengine.domain.errors import Conflict, InvalidInput
from passengine.domain.identifiers import validate_card_number, validate_insz
from passengine.domain.model import CardType, MembershipStatus
from passengine.services.audit import Actor, record
from passengine.services.credentials import hash_secret
from passengine.services.fixture_files import RegionFile, resolve_date, resolve_instant
from passengine.services.holder_import import (
    HolderRow,
    HolderWriter,
    ImportRefused,
    ImportReport,
    RowError,
    import_csv_file,
)
from passengine.services.pii import InszVault
from passengine.services.synthetic import (
    FIXTURE_SERIALS,
    Place,
    generate_card_stock,
    generate_holders,
)
from passengine.services.tariff_config import TariffConfigError, add_tariff_config
from passengine.storage import tables as t
from passengine.storage.base import utcnow

REGION_FILE_NAME = "region.toml"
TARIFFS_FILE_NAME = "tariffs.toml"


class FixtureError(InvalidInput):
    code = "invalid-fixture"


@dataclass
class RegionLoadResult:
    region_id: int
    region_name: str
    holders: int
    demo_cards: dict[str, str] = field(default_factory=dict)
    """Demo holder key → card number, for the demo's welcome text."""
    clients: list[tuple[str, str]] = field(default_factory=list)
    """(client id, role) of the demo API clients."""


def read_region_file(path: Path) -> RegionFile:
    """Parse and validate a region fixture; errors name the file, the field and the reason."""
    file = path / REGION_FILE_NAME if path.is_dir() else path
    if not file.exists():
        raise FixtureError(f"No fixture file at {file}")
    try:
        data = tomllib.loads(file.read_text(encoding="utf-8"))
    except (tomllib.TOMLDecodeError, UnicodeDecodeError) as exc:
        raise FixtureError(f"{file}: not valid TOML: {exc}") from exc
    try:
        parsed = RegionFile.model_validate(data).model_copy(update={"source": file})
    except ValidationError as exc:
        first = exc.errors()[0]
        where = ".".join(str(p) for p in first["loc"]) or "(file)"
        raise FixtureError(f"{file}: {where}: {first['msg']}") from exc
    try:
        ZoneInfo(parsed.region.timezone)
    except (ZoneInfoNotFoundError, ValueError) as exc:
        raise FixtureError(
            f"{file}: region.timezone: unknown zone {parsed.region.timezone}"
        ) from exc
    return parsed


def places_of(spec: RegionFile) -> list[Place]:
    """Where synthetic holders live: every postal code, spread over its sub-municipalities."""
    places: list[Place] = []
    for m in spec.municipalities:
        for pc in m.postal_codes:
            subs: list[str | None] = [
                s.name for s in m.sub_municipalities if s.postal_code == pc.code
            ]
            for sub in subs or [None]:
                places.append(Place(pc.code, sub, tuple(m.streets)))
    return places


def load_region(
    session: Session,
    path: Path,
    *,
    vault: InszVault,
    today: date,
    actor: Actor,
) -> RegionLoadResult:
    """Create a region with everything in its fixture file, in one transaction."""
    spec = read_region_file(path)
    with session.begin():
        if session.get(t.Region, spec.region.id) is not None:
            raise Conflict(f"Region {spec.region.id} ({spec.region.name}) is already loaded.")
        try:
            result = _load(session, spec, vault=vault, today=today, actor=actor)
        except IntegrityError as exc:
            raise Conflict(
                f"{path}: clashes with data already in the database: {exc.orig}"
            ) from exc
        record(
            session,
            actor,
            "fixtures.region_loaded",
            subject=f"region:{spec.region.id}",
            details={"holders": result.holders},
        )
    return result


def _load(
    session: Session, spec: RegionFile, *, vault: InszVault, today: date, actor: Actor
) -> RegionLoadResult:
    r = spec.region
    tz = ZoneInfo(r.timezone)
    session.add(
        t.Region(
            id=r.id,
            name=r.name,
            timezone=r.timezone,
            primary_color=r.primary_color,
            secondary_color=r.secondary_color,
            website=r.website,
            contact_line=r.contact_line,
            conditions_text=r.conditions_text,
        )
    )
    session.flush()
    for m in spec.municipalities:
        if session.get(t.Municipality, m.nis_code) is None:
            session.add(t.Municipality(nis_code=m.nis_code, name=m.name))
            session.flush()
            session.add_all(
                t.PostalCode(postal_code=pc.code, nis_code=m.nis_code, place_name=pc.place)
                for pc in m.postal_codes
            )
            session.add_all(
                t.SubMunicipality(nis_code=m.nis_code, name=s.name, postal_code=s.postal_code)
                for s in m.sub_municipalities
            )
        session.add(
            t.RegionMunicipality(region_id=r.id, nis_code=m.nis_code, joined_on=m.joined_on)
        )
    groups = {}
    for g in spec.target_groups:
        group = t.TargetGroup(
            region_id=r.id,
            code=g.code,
            name=g.name,
            default_grace_period_days=g.default_grace_period_days,
        )
        session.add(group)
        groups[g.code] = group
    grounds = {}
    for gr in spec.grounds:
        ground = t.EligibilityGround(region_id=r.id, code=gr.code, name=gr.name)
        session.add(ground)
        grounds[gr.code] = ground
    session.flush()
    _require_municipalities(
        session,
        [o.nis_code for o in spec.organizers]
        + [e.location_nis_code for e in spec.events]
        + [x.nis_code for x in spec.referrers if x.nis_code],
    )
    for o in spec.organizers:
        session.add(
            t.Organizer(
                id=o.id,
                name=o.name,
                nis_code=o.nis_code,
                street=o.street,
                postal_code=o.postal_code,
            )
        )
    session.flush()
    for o in spec.organizers:
        for region_id in {r.id, *o.regions}:
            session.add(t.OrganizerRegion(organizer_id=o.id, region_id=region_id))
    session.add_all(
        t.Desk(
            id=d.id,
            organizer_id=d.organizer_id,
            name=d.name,
            kind=d.kind,
            may_register_other_municipalities=d.may_register_other_municipalities,
        )
        for d in spec.desks
    )
    session.add_all(
        t.Referrer(
            id=x.id,
            region_id=r.id,
            name=x.name,
            kind=x.kind,
            nis_code=x.nis_code,
            may_register=x.may_register,
            may_grant_status=x.may_grant_status,
        )
        for x in spec.referrers
    )
    for e in spec.events:
        session.add(
            t.Event(
                id=e.id,
                organizer_id=e.organizer_id,
                title=e.title,
                location_nis_code=e.location_nis_code,
                domain=e.domain,
                calendar_type=e.calendar_type,
                starts_at=_instant(e.starts_at, today, tz)
                or (_instant(e.occurrences[0].starts_at, today, tz) if e.occurrences else None),
                ends_at=_instant(e.ends_at, today, tz)
                or (_instant(e.occurrences[-1].ends_at, today, tz) if e.occurrences else None),
                checkin_points=e.checkin_points,
                checkin_limit_volume=e.checkin_limit.volume if e.checkin_limit else None,
                checkin_limit_period=e.checkin_limit.period if e.checkin_limit else None,
                ticket_limit_volume=e.ticket_limit.volume if e.ticket_limit else None,
                ticket_limit_period=e.ticket_limit.period if e.ticket_limit else None,
            )
        )
        session.add_all(
            t.EventOccurrence(
                event_id=e.id,
                starts_at=resolve_instant(o.starts_at, today=today, tz=tz),
                ends_at=resolve_instant(o.ends_at, today=today, tz=tz),
            )
            for o in e.occurrences
        )
    session.flush()
    for gp in spec.group_passes:
        session.add(
            t.GroupPass(
                id=gp.id,
                region_id=r.id,
                name=gp.name,
                uitpas_number=validate_card_number(gp.uitpas_number),
                tickets_per_year=gp.tickets_per_year,
                status=MembershipStatus.ACTIVE,
                target_group_id=groups[gp.target_group].id if gp.target_group else None,
            )
        )
    for c in spec.api_clients:
        session.add(
            t.ApiClient(
                client_id=c.client_id,
                name=c.name,
                secret_hash=hash_secret(c.secret),
                role=c.role,
                organizer_id=c.organizer_id,
                desk_id=c.desk_id,
                referrer_id=c.referrer_id,
                is_demo=True,
            )
        )
        session.flush()
        session.add_all(
            t.ApiClientRegion(client_id=c.client_id, region_id=region_id)
            for region_id in {r.id, *c.regions}
        )
        session.add_all(
            t.ApiClientPermission(client_id=c.client_id, permission=p) for p in set(c.permissions)
        )
    session.flush()
    _load_rewards(session, spec, today=today, tz=tz)

    result = RegionLoadResult(
        region_id=r.id,
        region_name=r.name,
        holders=0,
        clients=[(c.client_id, c.role.value) for c in spec.api_clients],
    )
    writer = HolderWriter(
        session, vault, actor=actor, today=today, id_factory=_seeded_ids(r.id * 7919)
    )
    _load_demo_holders(session, spec, writer, today=today, result=result, grounds=grounds)
    if spec.synthetic_holders:
        s = spec.synthetic_holders
        taken_cards = set(session.scalars(select(t.Card.uitpas_number)))
        taken_hashes = set(session.scalars(select(t.PassHolder.insz_hash)))
        for row in generate_holders(
            region_id=r.id,
            places=places_of(spec),
            count=s.count,
            seed=s.seed,
            today=today,
            target_group=s.target_group,
            with_status_share=s.with_status_share,
            first_line=10_000,
            taken_cards=taken_cards,
            is_taken_insz=lambda insz: vault.hash_valid(insz) in taken_hashes,
            serials=FIXTURE_SERIALS,
        ):
            _raise_on(writer.add(row))
        _raise_on(writer.finish())
    result.holders = writer.written
    _load_tariffs(session, spec, actor=actor)
    if spec.card_stock:
        taken = set(session.scalars(select(t.Card.uitpas_number)))
        stock = generate_card_stock(
            count=spec.card_stock.count, seed=spec.card_stock.seed, taken=taken
        )
        if stock:
            session.execute(
                insert(t.Card),
                [
                    {
                        "uitpas_number": number,
                        "card_type": CardType.NFC_CARD,
                        "status": spec.card_stock.status,
                        "region_id": r.id,
                    }
                    for number in stock
                ],
            )
    return result


def _load_demo_holders(
    session: Session,
    spec: RegionFile,
    writer: HolderWriter,
    *,
    today: date,
    result: RegionLoadResult,
    grounds: dict[str, t.EligibilityGround],
) -> None:
    if not spec.demo_holders:
        return
    for line, h in enumerate(spec.demo_holders, start=1):
        status = h.status
        try:
            row = HolderRow(
                line=line,
                region_id=spec.region.id,
                uitpas_number=validate_card_number(h.uitpas_number),
                name=h.name,
                first_name=h.first_name,
                birth_date=h.birth_date,
                postal_code=h.postal_code,
                insz=validate_insz(h.insz) if h.insz else None,
                street=h.street,
                sub_municipality=h.sub_municipality,
                email=h.email,
                chip_number=h.chip_number,
                target_group=status.target_group if status else None,
                status_end_date=resolve_date(status.end_date, today=today) if status else None,
                status_start_date=resolve_date(status.start_date, today=today) if status else None,
                grace_period_days=status.grace_period_days if status else None,
                card_status=h.card_status,
                points=h.points,
            )
        except InvalidInput as exc:
            raise FixtureError(f"demo holder {h.key}: {exc.message}") from exc
        _raise_on(writer.add(row), f"demo holder {h.key}")
        result.demo_cards[h.key] = h.uitpas_number
    _raise_on(writer.finish())
    keys = {h.key: writer.holder_ids[line] for line, h in enumerate(spec.demo_holders, start=1)}
    referrers = {x.id for x in spec.referrers}
    for h in spec.demo_holders:
        holder_id = keys[h.key]
        if h.membership_blocked:
            session.execute(
                update(t.Membership)
                .where(t.Membership.holder_id == holder_id)
                .values(status=MembershipStatus.BLOCKED, blocked_at=utcnow())
            )
        if h.status:
            if h.status.granted_by_referrer and h.status.granted_by_referrer not in referrers:
                raise FixtureError(f"demo holder {h.key}: unknown referrer")
            membership_id = session.scalar(
                select(t.Membership.id).where(t.Membership.holder_id == holder_id)
            )
            session.execute(
                update(t.SocialTariffStatusRow)
                .where(t.SocialTariffStatusRow.membership_id == membership_id)
                .values(
                    ground_id=grounds[h.status.ground].id if h.status.ground else None,
                    granted_by_referrer_id=h.status.granted_by_referrer,
                    suspended_until=(
                        resolve_date(h.status.suspended_until, today=today)
                        if h.status.suspended_until
                        else None
                    ),
                )
            )
            if h.status.granted_by_referrer:
                session.execute(
                    update(t.PassHolder)
                    .where(t.PassHolder.id == holder_id)
                    .values(registered_by_referrer_id=h.status.granted_by_referrer)
                )
        for other in h.household_with:
            a, b = sorted((holder_id, keys[other]))
            if session.get(t.HouseholdLink, (a, b)) is None:
                session.add(t.HouseholdLink(holder_a_id=a, holder_b_id=b))
    session.flush()


def _load_rewards(session: Session, spec: RegionFile, *, today: date, tz: ZoneInfo) -> None:
    """Rewards after the organizers; other regions they list must be loaded already."""
    wanted = {region_id for w in spec.rewards for region_id in w.regions} - {spec.region.id}
    known = set(session.scalars(select(t.Region.id).where(t.Region.id.in_(wanted))))
    if wanted - known:
        missing = ", ".join(str(i) for i in sorted(wanted - known))
        raise FixtureError(f"rewards: unknown regions {missing} (load those regions first)")
    for w in spec.rewards:
        session.add(
            t.Reward(
                id=w.id,
                title=w.title,
                type=w.type,
                points=w.points,
                owning_region_id=spec.region.id,
                all_regions=w.all_regions,
                promotional_description=w.promotional_description,
                categories=list(w.categories),
                publication_starts_at=_instant(w.publication_starts_at, today, tz),
                publication_ends_at=_instant(w.publication_ends_at, today, tz),
                redeem_starts_at=_instant(w.redeem_starts_at, today, tz),
                redeem_ends_at=_instant(w.redeem_ends_at, today, tz),
                max_available_units=w.max_available_units,
                redeemed_units=0,
                holder_limit_volume=w.holder_limit.volume if w.holder_limit else None,
                holder_limit_period=w.holder_limit.period if w.holder_limit else None,
            )
        )
    session.flush()
    for w in spec.rewards:
        session.add_all(
            t.RewardRegion(reward_id=w.id, region_id=region_id)
            for region_id in sorted(set(w.regions) - {spec.region.id})
        )
        session.add_all(
            t.RewardOrganizer(reward_id=w.id, organizer_id=organizer_id)
            for organizer_id in sorted(set(w.organizers))
        )
    session.flush()


def _load_tariffs(session: Session, spec: RegionFile, *, actor: Actor) -> None:
    if spec.source is None:
        return
    path = spec.source.parent / TARIFFS_FILE_NAME
    if not path.exists():
        return
    try:
        document = tomllib.loads(path.read_text(encoding="utf-8"))
    except (tomllib.TOMLDecodeError, UnicodeDecodeError) as exc:
        raise FixtureError(f"{path}: not valid TOML: {exc}") from exc
    try:
        add_tariff_config(session, spec.region.id, document, actor=actor)
    except TariffConfigError as exc:
        raise FixtureError(f"{path}: {exc.message}") from exc


def load_holders_csv(
    session: Session,
    path: Path,
    *,
    vault: InszVault,
    today: date,
    actor: Actor,
    valid_only: bool = False,
    progress: Callable[[int], None] | None = None,
) -> ImportReport:
    if not path.exists():
        raise FixtureError(f"No such file: {path}")
    return import_csv_file(
        session,
        path,
        vault=vault,
        actor=actor,
        today=today,
        valid_only=valid_only,
        progress=progress,
    )


def _instant(value: str | None, today: date, tz: ZoneInfo) -> datetime | None:
    return resolve_instant(value, today=today, tz=tz) if value else None


def _require_municipalities(session: Session, nis_codes: list[str]) -> None:
    wanted = set(nis_codes)
    if not wanted:
        return
    known = set(
        session.scalars(select(t.Municipality.nis_code).where(t.Municipality.nis_code.in_(wanted)))
    )
    missing = sorted(wanted - known)
    if missing:
        raise FixtureError(f"unknown municipalities (NIS codes) {', '.join(missing)}")


def _raise_on(error: RowError | None, where: str = "holders") -> None:
    if error is not None:
        raise ImportRefused(
            ImportReport(rejected=[RowError(error.line, f"{where}: {error.reason}")])
        )


def _seeded_ids(seed: int) -> Callable[[], str]:
    """Stable holder ids for fixtures, so the README's examples keep working across loads."""
    rng = random.Random(seed)
    return lambda: str(uuid.UUID(int=rng.getrandbits(128), version=4))

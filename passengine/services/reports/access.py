"""Who may read which report.

Reports hold no personal data (settlement lines name the sale, not the person; analytics are
suppressed counts), but they are a region's accounts: region administrators read their regions'
reports; an organizer's client with ``ORGANIZERS_REPORTS`` reads its own organizer's settlement
(the UiTPAS financial reports); a region administrator also reads the settlement of any
organizer of its regions. The command line is the installation's operator. Every report made is
written to the audit log.
"""

from __future__ import annotations

from sqlalchemy import select
from sqlalchemy.orm import Session

from passengine.domain.errors import NotFound
from passengine.services.audit import Actor, record
from passengine.services.auth import Forbidden, Principal
from passengine.storage import tables as t


def region_name(session: Session, region_id: int) -> str:
    region = session.get(t.Region, region_id)
    if region is None:
        raise NotFound(f"No region {region_id}.", code="region-not-found")
    return region.name


def organizer_regions(session: Session, organizer_id: str) -> frozenset[int]:
    if session.get(t.Organizer, organizer_id) is None:
        raise NotFound(f"No organizer {organizer_id}.", code="organizer-not-found")
    return frozenset(
        session.scalars(
            select(t.OrganizerRegion.region_id).where(
                t.OrganizerRegion.organizer_id == organizer_id
            )
        )
    )


def require_region_reports(session: Session, principal: Principal | None, region_id: int) -> None:
    """The region's own reports: its administrators (and the operator)."""
    region_name(session, region_id)
    if principal is None:
        return
    principal.require("REGION_ADMIN")
    if region_id not in principal.region_ids:
        raise Forbidden(f"This client does not administer region {region_id}.")


def require_organizer_reports(
    session: Session, principal: Principal | None, organizer_id: str, *, region_id: int | None
) -> int:
    """An organizer's settlement: its own client with ORGANIZERS_REPORTS, or an administrator
    of one of its regions. Returns the region whose settlement it is: the one asked for, or the
    organizer's only region (an organizer in several regions settles with each separately)."""
    regions = organizer_regions(session, organizer_id)
    if region_id is None:
        candidates = sorted(regions if principal is None else regions & principal.region_ids)
        if principal is not None and principal.organizer_id == organizer_id:
            candidates = sorted(regions)
        if not candidates:
            raise Forbidden("This organizer is outside the client's regions.")
        region_id = candidates[0]
    elif region_id not in regions:
        raise NotFound(
            f"Organizer {organizer_id} takes no part in region {region_id}.",
            code="organizer-not-found",
        )
    if principal is None:
        return region_id
    if principal.has("REGION_ADMIN") and region_id in principal.region_ids:
        return region_id
    principal.require("ORGANIZERS_REPORTS")
    if principal.organizer_id != organizer_id:
        raise Forbidden("This client cannot read another organizer's reports.")
    return region_id


def audit_report(
    session: Session, actor: Actor, kind: str, *, region_id: int, details: dict[str, object]
) -> None:
    record(
        session,
        actor,
        f"report.{kind}",
        subject=f"region:{region_id}",
        details={k: v for k, v in details.items() if v is not None},
    )


def require_job_access(
    session: Session, principal: Principal | None, *, region_id: int, organizer_id: str | None
) -> None:
    """A job is read by whoever may ask for it again."""
    if organizer_id is not None:
        require_organizer_reports(session, principal, organizer_id, region_id=region_id)
    else:
        require_region_reports(session, principal, region_id)

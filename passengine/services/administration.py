"""What every configuration service shares: who may change a region's configuration (the
``AdminScope``), the shapes of request bodies and answers, and how a change becomes an audit row.

A client with ``REGION_ADMIN`` administers its own regions; the operator on the command line
every region. Configuration services take an ``AdminScope`` rather than a ``Principal`` so that
the API and the CLI share one code path and one audit trail; only the scope differs.
"""

from __future__ import annotations

import enum
from collections.abc import Iterable, Iterator, Mapping
from contextlib import contextmanager
from dataclasses import dataclass
from datetime import UTC, date, datetime
from typing import Annotated, Any, ClassVar
from zoneinfo import ZoneInfo

from pydantic import BaseModel, ConfigDict, StringConstraints, model_validator
from sqlalchemy.exc import IntegrityError
from sqlalchemy.orm import Session

from passengine.domain.distribution import ConfigIssue
from passengine.domain.errors import Conflict, NotFound
from passengine.domain.model import BRUSSELS
from passengine.services.audit import CLI_OPERATOR, Actor
from passengine.services.auth import Forbidden, Principal
from passengine.storage import tables as t

REGION_ADMIN = "REGION_ADMIN"

Name = Annotated[str, StringConstraints(strip_whitespace=True, min_length=1, max_length=200)]
Code = Annotated[str, StringConstraints(pattern=r"^[A-Z0-9_]{1,64}$")]
"""Target-group and ground codes, as the fixtures and the tariff rules write them."""
Colour = Annotated[str, StringConstraints(pattern=r"^#(?:[0-9A-Fa-f]{3}){1,2}$")]
Url = Annotated[str, StringConstraints(max_length=300, pattern=r"^https?://\S+$")]


class Shape(BaseModel):
    """Bodies of configuration requests: unknown fields are refused, not ignored, so a typo
    in a field name is an error rather than a silent no-op."""

    model_config = ConfigDict(extra="forbid", frozen=True)


class Patch(Shape):
    """A partial update: only the fields sent change; ``REQUIRED`` fields may not be null."""

    REQUIRED: ClassVar[tuple[str, ...]] = ()

    @model_validator(mode="after")
    def _required_not_null(self) -> Patch:
        nulls = [
            n for n in self.REQUIRED if n in self.model_fields_set and getattr(self, n) is None
        ]
        if nulls:
            raise ValueError(f"{', '.join(nulls)} cannot be null")
        return self


class Read(BaseModel):
    model_config = ConfigDict(frozen=True)


class IssueRead(Read):
    level: str
    field: str
    code: str
    message: str

    @classmethod
    def of(cls, issue: ConfigIssue) -> IssueRead:
        return cls(
            level=issue.level.value, field=issue.field, code=issue.code, message=issue.message
        )


def utc(moment: datetime | None) -> datetime | None:
    """Answers give instants in UTC, whatever offset the request used."""
    return moment.astimezone(UTC) if moment is not None else None


def region_today(region: t.Region, at: datetime) -> date:
    return at.astimezone(ZoneInfo(region.timezone or BRUSSELS)).date()


@dataclass(frozen=True, slots=True)
class AdminScope:
    actor: Actor
    region_ids: frozenset[int] | None
    """The regions administered; ``None`` for the operator on the CLI (every region)."""

    @classmethod
    def of(cls, principal: Principal) -> AdminScope:
        """403 ``forbidden`` for a client without ``REGION_ADMIN``, before anything is read."""
        principal.require(REGION_ADMIN)
        return cls(principal.actor, principal.region_ids)

    def covers(self, region_id: int) -> bool:
        return self.region_ids is None or region_id in self.region_ids

    def require(self, region_id: int) -> None:
        if not self.covers(region_id):
            raise Forbidden(f"This client does not administer region {region_id}.")

    def require_all(self, region_ids: Iterable[int]) -> None:
        """Every region named: a change that reaches into a region needs its administrator."""
        outside = sorted(r for r in set(region_ids) if not self.covers(r))
        if outside:
            listed = ", ".join(str(r) for r in outside)
            raise Forbidden(f"This client does not administer region(s) {listed}.")

    def require_any(self, region_ids: Iterable[int], *, what: str) -> None:
        """At least one of the regions something takes part in (an organizer shared by two
        regions is configured by the administrators of both)."""
        if self.region_ids is None:
            return
        if not set(region_ids) & self.region_ids:
            raise Forbidden(f"{what} takes part in none of this client's regions.")


OPERATOR = AdminScope(CLI_OPERATOR, None)


def jsonable(value: Any) -> Any:
    """A value as the audit log's JSON keeps it (dates as ISO 8601, enums as their value)."""
    if isinstance(value, enum.Enum):
        return value.value
    if isinstance(value, date | datetime):
        return value.isoformat()
    if isinstance(value, list | tuple | set | frozenset):
        items = [jsonable(v) for v in value]
        return sorted(items) if isinstance(value, set | frozenset) else items
    if isinstance(value, dict):
        return {str(k): jsonable(v) for k, v in value.items()}
    return value


def apply_changes(row: Any, changes: Mapping[str, Any]) -> dict[str, Any]:
    """Set the changed columns on ``row`` and return ``{"before": …, "after": …}`` of the
    fields whose value actually changed, for the audit row (empty when nothing changed)."""
    before: dict[str, Any] = {}
    after: dict[str, Any] = {}
    for name, value in changes.items():
        old = getattr(row, name)
        if old != value:
            before[name], after[name] = jsonable(old), jsonable(value)
            setattr(row, name, value)
    return {"before": before, "after": after} if after else {}


def patch_fields(model: BaseModel) -> dict[str, Any]:
    """The fields a PATCH body actually sent (a field sent as null is a change to null)."""
    return {name: getattr(model, name) for name in model.model_fields_set}


def region_row(session: Session, region_id: int, scope: AdminScope) -> t.Region:
    """The region, 404 ``region-not-found`` first, then 403 when it is not the caller's."""
    region = session.get(t.Region, region_id)
    if region is None:
        raise NotFound(f"Region {region_id} does not exist.", code="region-not-found")
    scope.require(region_id)
    return region


def flush_or_conflict(session: Session, message: str, *, code: str) -> None:
    """Flush, turning a unique-constraint race (two administrators creating the same id at the
    same moment on PostgreSQL) into 409 rather than a 500."""
    try:
        session.flush()
    except IntegrityError as exc:
        raise Conflict(message, code=code) from exc


@contextmanager
def transaction(session: Session) -> Iterator[None]:
    """The service's own transaction, or the caller's when one is open already: a POST with an
    Idempotency-Key runs the service inside ``idempotency.run_once``, whose key row must commit
    or vanish with the change."""
    if session.in_transaction():
        yield
    else:
        with session.begin():
            yield

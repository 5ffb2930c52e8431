"""What a caller may do with people's data, beyond the permission names in its token.

A permission says what kind of act a client may perform; the region, the referrer's mandate and
the desk's kind say for whom. Region administrators act in their regions; referrers register
and grant statuses only where their region allows it (``may_register``, ``may_grant_status``);
registration desks register, authorised registration desks also grant statuses. The command line
acts as the operator of the installation.
"""

from __future__ import annotations

from dataclasses import dataclass

from sqlalchemy.orm import Session

from passengine.domain.model import ClientRole, DeskKind
from passengine.services.audit import CLI_OPERATOR, Actor
from passengine.services.auth import Forbidden, Principal
from passengine.storage import tables as t


@dataclass(frozen=True, slots=True)
class Authority:
    actor: Actor
    principal: Principal | None
    """None for the command line (the installation's operator)."""
    referrer: t.Referrer | None = None
    desk: t.Desk | None = None

    @classmethod
    def of(cls, session: Session, principal: Principal) -> Authority:
        referrer = session.get(t.Referrer, principal.referrer_id) if principal.referrer_id else None
        desk = session.get(t.Desk, principal.desk_id) if principal.desk_id else None
        return cls(principal.actor, principal, referrer, desk)

    @classmethod
    def operator(cls) -> Authority:
        return cls(CLI_OPERATOR, None)

    @property
    def referrer_id(self) -> str | None:
        return self.referrer.id if self.referrer else None

    @property
    def desk_id(self) -> str | None:
        return self.desk.id if self.desk else None

    def _in_region(self, region_id: int) -> bool:
        return self.principal is None or region_id in self.principal.region_ids

    def _admin(self, region_id: int) -> bool:
        p = self.principal
        return p is None or (p.has("REGION_ADMIN") and region_id in p.region_ids)

    def reads_people(self, region_id: int) -> bool:
        """Full personal data (address, birth date, contact) of the region's holders."""
        if self._admin(region_id):
            return True
        p = self.principal
        assert p is not None
        return (
            self._in_region(region_id)
            and p.has("PASSHOLDERS_SEARCH")
            and (p.role is ClientRole.REFERRER or self.desk is not None)
        )

    def sees_grounds(self, region_id: int) -> bool:
        """Why a status was granted: region administrators and those who may grant it."""
        return self._admin(region_id) or self.can_grant(region_id)

    def can_register(self, region_id: int) -> bool:
        if self._admin(region_id):
            return True
        p = self.principal
        assert p is not None
        if not (self._in_region(region_id) and p.has("PASSHOLDERS_WRITE")):
            return False
        if self.referrer is not None:
            return self.referrer.region_id == region_id and self.referrer.may_register
        return self.desk is not None and self.desk.kind in (
            DeskKind.REGISTRATION,
            DeskKind.AUTHORISED_REGISTRATION,
        )

    def can_grant(self, region_id: int) -> bool:
        if self._admin(region_id):
            return True
        p = self.principal
        assert p is not None
        if not (self._in_region(region_id) and p.has("PASSHOLDERS_WRITE_SOCIALTARIFF")):
            return False
        if self.referrer is not None:
            return self.referrer.region_id == region_id and self.referrer.may_grant_status
        return self.desk is not None and self.desk.kind is DeskKind.AUTHORISED_REGISTRATION

    def require(self, allowed: bool, what: str) -> None:
        if not allowed:
            raise Forbidden(f"This client may not {what}.")

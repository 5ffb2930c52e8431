"""Typed keyword-only factories that add and flush, never commit."""

from __future__ import annotations

from datetime import date

from sqlalchemy.orm import Session

from passengine.storage import tables as t


def make_region(
    session: Session,
    *,
    region_id: int = 90,
    name: str = "Testregio",
    nis_code: str = "44021",
    postal_codes: tuple[str, ...] = ("9000", "9030"),
    target_groups: tuple[str, ...] = ("KANSENSTATUUT",),
) -> t.Region:
    region = t.Region(id=region_id, name=name, timezone="Europe/Brussels")
    session.add(region)
    if session.get(t.Municipality, nis_code) is None:
        session.add(t.Municipality(nis_code=nis_code, name=f"Gemeente {nis_code}"))
        session.flush()
        for code in postal_codes:
            session.add(t.PostalCode(postal_code=code, nis_code=nis_code, place_name=code))
            session.add(t.SubMunicipality(nis_code=nis_code, name=f"Deel {code}", postal_code=code))
    session.flush()
    session.add(
        t.RegionMunicipality(region_id=region_id, nis_code=nis_code, joined_on=date(2020, 1, 1))
    )
    for code in target_groups:
        session.add(
            t.TargetGroup(
                region_id=region_id, code=code, name=code.title(), default_grace_period_days=30
            )
        )
    session.flush()
    return region

"""Row locks for writes that check a limit or a balance before they write.

PostgreSQL: ``SELECT … FOR UPDATE`` on the holder (or group pass) and budget rows, always in
sorted order so that two batches never wait on each other in a cycle. SQLite: the whole write
transaction already holds the database's write lock (``BEGIN IMMEDIATE``), so these are no-ops.
"""

from __future__ import annotations

from collections.abc import Iterable

from sqlalchemy import select
from sqlalchemy.dialects.postgresql import insert as pg_insert
from sqlalchemy.dialects.sqlite import insert as sqlite_insert
from sqlalchemy.orm import Session

from passengine.storage import tables as t


def _is_postgres(session: Session) -> bool:
    return session.get_bind().dialect.name == "postgresql"


def lock_holders(session: Session, holder_ids: Iterable[str]) -> None:
    ids = sorted(set(holder_ids))
    if ids and _is_postgres(session):
        session.execute(
            select(t.PassHolder.id)
            .where(t.PassHolder.id.in_(ids))
            .order_by(t.PassHolder.id)
            .with_for_update()
        ).all()


def lock_group_passes(session: Session, group_pass_ids: Iterable[str]) -> None:
    ids = sorted(set(group_pass_ids))
    if ids and _is_postgres(session):
        session.execute(
            select(t.GroupPass.id)
            .where(t.GroupPass.id.in_(ids))
            .order_by(t.GroupPass.id)
            .with_for_update()
        ).all()


def lock_rewards(session: Session, reward_ids: Iterable[str]) -> None:
    ids = sorted(set(reward_ids))
    if ids and _is_postgres(session):
        session.execute(
            select(t.Reward.id).where(t.Reward.id.in_(ids)).order_by(t.Reward.id).with_for_update()
        ).all()


def lock_budgets(session: Session, keys: Iterable[tuple[int, str, int]]) -> None:
    """Create the (region, municipality, year) counters if needed and lock them."""
    wanted = sorted(set(keys))
    if not wanted:
        return
    values = [{"region_id": r, "nis_code": n, "year": y, "consumed_cents": 0} for r, n, y in wanted]
    if _is_postgres(session):
        session.execute(pg_insert(t.BudgetUsage).values(values).on_conflict_do_nothing())
        for region_id, nis_code, year in wanted:
            session.execute(
                select(t.BudgetUsage.consumed_cents)
                .where(
                    t.BudgetUsage.region_id == region_id,
                    t.BudgetUsage.nis_code == nis_code,
                    t.BudgetUsage.year == year,
                )
                .with_for_update()
            ).all()
    else:
        session.execute(sqlite_insert(t.BudgetUsage).values(values).on_conflict_do_nothing())

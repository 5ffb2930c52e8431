"""``passengine admin``: what referrers and region administrators do, from the command line.

The command line acts as the installation's operator (every action is audited as ``cli``);
errors are one line and exit code 1, and nothing is written partially.
"""

from __future__ import annotations

import json
from collections.abc import Iterator
from contextlib import contextmanager
from datetime import UTC, date, datetime
from pathlib import Path
from typing import Annotated

import typer
from rich.table import Table
from sqlalchemy import select
from sqlalchemy.orm import Session, sessionmaker

from passengine.cli.main import DatabaseOption, _fail, _settings, _today, clean_errors, console
from passengine.config import Settings
from passengine.services import card_stock, gdpr, holders, referrer_view, status_changes
from passengine.services.audit import CLI_OPERATOR
from passengine.services.audit_log import query_audit
from passengine.services.authority import Authority
from passengine.services.pii import InszVault
from passengine.storage import tables as t
from passengine.storage.db import make_engine, make_sessionmaker, writer

admin_app = typer.Typer(no_args_is_help=True)

Region = Annotated[int, typer.Option("--region", help="Region (card system) id.")]


@contextmanager
def _database(database_url: str | None) -> Iterator[tuple[Settings, sessionmaker[Session]]]:
    """Settings and writer sessions; the engine is disposed however the command ends, so no
    connection is left for the garbage collector."""
    settings = _settings(database_url)
    engine = make_engine(settings.database_url)
    try:
        yield settings, make_sessionmaker(writer(engine))
    finally:
        engine.dispose()


@admin_app.command("register")
@clean_errors
def register(
    region: Region,
    name: Annotated[str, typer.Option()],
    first_name: Annotated[str, typer.Option("--first-name")],
    birth_date: Annotated[str, typer.Option("--birth-date", help="YYYY-MM-DD")],
    postal_code: Annotated[str, typer.Option("--postal-code")],
    street: Annotated[str | None, typer.Option()] = None,
    insz: Annotated[str | None, typer.Option()] = None,
    card: Annotated[str | None, typer.Option(help="A card from the region's stock.")] = None,
    status: Annotated[
        str | None, typer.Option(help="Target group to grant, e.g. KANSENSTATUUT.")
    ] = None,
    ground: Annotated[str | None, typer.Option()] = None,
    database_url: DatabaseOption = None,
) -> None:
    """Register a holder with a card, a membership and optionally a status."""
    with _database(database_url) as (settings, sessions):
        now = datetime.now(UTC)
        with sessions() as session, session.begin():
            holder_id = holders.register(
                session,
                holders.Registration(
                    region_id=region,
                    name=name,
                    first_name=first_name,
                    birth_date=date.fromisoformat(birth_date),
                    address=holders.Address(street, postal_code),
                    insz=insz,
                    uitpas_number=card,
                    status=status_changes.GrantRequest(status, ground) if status else None,
                ),
                authority=Authority.operator(),
                vault=InszVault.from_settings(settings),
                at=now,
                today=_today(settings),
            )
            number = session.scalar(
                select(t.Card.uitpas_number).where(t.Card.holder_id == holder_id)
            )
        console.print(f"Registered holder {holder_id} with card {number}.")


@admin_app.command("renew-bulk")
@clean_errors
def renew_bulk(
    file: Annotated[Path, typer.Argument(help="A list of INSZ numbers, one per line.")],
    region: Region,
    target_group: Annotated[str, typer.Option("--target-group")] = "KANSENSTATUUT",
    end_date: Annotated[
        str | None, typer.Option("--end-date", help="Default: 30 April next year.")
    ] = None,
    apply: Annotated[
        bool, typer.Option("--apply", help="Write the renewals (all or nothing).")
    ] = False,
    database_url: DatabaseOption = None,
) -> None:
    """Renew statuses from a list (e.g. the Crossroads Bank's). A dry run unless --apply."""
    if not file.exists():
        _fail(f"no such file: {file}")
    with _database(database_url) as (settings, sessions):
        today = _today(settings)
        with sessions() as session, session.begin():
            plan = status_changes.plan_bulk_renewal(
                session,
                region,
                file.read_text(encoding="utf-8-sig"),
                target_group=target_group,
                end_date=date.fromisoformat(end_date) if end_date else None,
                vault=InszVault.from_settings(settings),
                authority=Authority.operator(),
            )
            until = f"{plan.end_date:%d/%m/%Y}" if plan.end_date else "30 April after each start"
            table = Table(title=f"Renewal until {until}")
            for column in ("outcome", "lines"):
                table.add_column(column)
            for outcome in status_changes.OUTCOMES:
                table.add_row(outcome, str(plan.count(outcome)))
            console.print(table)
            for line in plan.refused:
                console.print(f"  line {line.line}: {line.outcome} {line.reason or ''}")
            if apply:
                changed = status_changes.apply_bulk_renewal(
                    session, plan, authority=Authority.operator(), at=datetime.now(UTC), today=today
                )
                console.print(f"Renewed {changed} statuses.")
            else:
                console.print("Dry run: nothing written. Add --apply to renew.")


@admin_app.command("import-cards")
@clean_errors
def import_cards(
    file: Annotated[Path, typer.Argument(help="The supplier's CSV: chip number;card number.")],
    region: Region,
    database_url: DatabaseOption = None,
) -> None:
    """Import card stock, all or nothing."""
    if not file.exists():
        _fail(f"no such file: {file}")
    with _database(database_url) as (_, sessions):
        try:
            with sessions() as session, session.begin():
                report = card_stock.import_stock(
                    session,
                    region,
                    file.read_text(encoding="utf-8-sig"),
                    authority=Authority.operator(),
                )
        except card_stock.StockRefused as exc:
            for line, reason in exc.report.rejected[:20]:
                console.print(f"  line {line}: {reason}", highlight=False)
            raise
        console.print(f"Imported {report.imported} cards into region {region}.")


@admin_app.command("block-card")
@clean_errors
def block_card(
    number: str,
    reason: Annotated[str, typer.Option()] = "LOST",
    database_url: DatabaseOption = None,
) -> None:
    with _database(database_url) as (_, sessions):
        with sessions() as session, session.begin():
            card_stock.block(
                session, number, reason=reason, authority=Authority.operator(), at=datetime.now(UTC)
            )
        console.print(f"Card {number} blocked ({reason}).")


@admin_app.command("replace-card")
@clean_errors
def replace_card(
    number: str,
    new: Annotated[
        str | None, typer.Option(help="A stock card; default: a new digital card.")
    ] = None,
    reason: Annotated[str, typer.Option()] = "LOST",
    database_url: DatabaseOption = None,
) -> None:
    """Block a card and give its holder a new one (points and history carry over)."""
    with _database(database_url) as (_, sessions):
        with sessions() as session, session.begin():
            replacement = card_stock.replace(
                session,
                number,
                new_number=new,
                reason=reason,
                authority=Authority.operator(),
                at=datetime.now(UTC),
            )
        console.print(f"Card {number} replaced by {replacement}.")


@admin_app.command("follow-up")
@clean_errors
def follow_up(
    referrer: Annotated[str, typer.Option(help="The referrer's id, e.g. ref-ocmw-maasmechelen.")],
    list_: Annotated[
        str, typer.Option("--list", help="registered, expiring or inactive")
    ] = "expiring",
    days: Annotated[int, typer.Option()] = 30,
    months: Annotated[int, typer.Option()] = 6,
    out: Annotated[Path | None, typer.Option(help="Write CSV here.")] = None,
    database_url: DatabaseOption = None,
) -> None:
    """A referrer's follow-up list (CSV with --out)."""
    with _database(database_url) as (settings, sessions):
        with sessions() as session, session.begin():
            found = session.get(t.Referrer, referrer)
            if found is None:
                _fail(f"no referrer {referrer}")
            authority = Authority(CLI_OPERATOR, None, referrer=found)
            if list_ == "registered":
                rows = referrer_view.registered(session, authority=authority)
            elif list_ == "expiring":
                rows = referrer_view.expiring(
                    session, days=days, authority=authority, today=_today(settings)
                )
            elif list_ == "inactive":
                rows = referrer_view.inactive(
                    session, months=months, authority=authority, today=_today(settings)
                )
            else:
                _fail("--list is registered, expiring or inactive")
        if out is not None:
            out.write_text(referrer_view.to_csv(rows), encoding="utf-8")
            console.print(f"Wrote {len(rows)} people to {out}.")
        else:
            for row in rows:
                end = row.status_end_date or ""
                console.print(f"{row.name}, {row.first_name}  {row.uitpas_number or ''}  {end}")


@admin_app.command("audit")
@clean_errors
def audit(
    holder: Annotated[str | None, typer.Option()] = None,
    actor: Annotated[str | None, typer.Option(help="An API client id.")] = None,
    limit: Annotated[int, typer.Option()] = 50,
    database_url: DatabaseOption = None,
) -> None:
    """The audit trail of a holder or of a client."""
    with _database(database_url) as (_, sessions):
        with sessions() as session, session.begin():
            total, entries = query_audit(
                session, principal=None, holder_id=holder, actor_client_id=actor, limit=limit
            )
        console.print(f"{total} entries")
        for e in entries:
            who = e.actor_label or ""
            console.print(
                f"{e.at:%Y-%m-%d %H:%M:%S}  {who:30} {e.action:28} {e.subject or ''}",
                highlight=False,
            )


@admin_app.command("export")
@clean_errors
def export(
    holder: str,
    out: Annotated[Path, typer.Option(help="JSON file to write.")],
    database_url: DatabaseOption = None,
) -> None:
    """Everything about a holder (GDPR access request)."""
    with _database(database_url) as (settings, sessions):
        with sessions() as session, session.begin():
            document = gdpr.export_holder(
                session,
                holder,
                principal=None,
                actor=CLI_OPERATOR,
                vault=InszVault.from_settings(settings),
            )
        out.write_text(
            json.dumps(document, indent=2, ensure_ascii=False, default=str), encoding="utf-8"
        )
        console.print(f"Wrote {out}.")


@admin_app.command("erase")
@clean_errors
def erase(
    holder: str,
    yes: Annotated[bool, typer.Option("--yes", help="Confirm: this cannot be undone.")] = False,
    database_url: DatabaseOption = None,
) -> None:
    """Erase a holder's personal data (sales and check-ins stay, anonymous)."""
    if not yes:
        _fail("erasing cannot be undone: add --yes")
    with _database(database_url) as (_, sessions):
        with sessions() as session, session.begin():
            gdpr.erase_holder(
                session, holder, principal=None, actor=CLI_OPERATOR, at=datetime.now(UTC)
            )
        console.print(f"Erased holder {holder}.")

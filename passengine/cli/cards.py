"""``passengine cards``: card stock and printing."""

from __future__ import annotations

import contextlib
from datetime import UTC, datetime
from pathlib import Path
from typing import Annotated, Literal

import typer
from rich.progress import Progress, TaskID

from passengine.cli.main import DatabaseOption, _progress, _settings, clean_errors, console
from passengine.services.audit import CLI_OPERATOR
from passengine.services.card_printing import (
    PrintRequest,
    parse_numbers,
    parse_status,
    print_cards,
)
from passengine.storage.db import make_engine, make_sessionmaker, writer

cards_app = typer.Typer(no_args_is_help=True)

SHEETS: dict[str, Literal["CR80", "A4"]] = {"CR80": "CR80", "A4": "A4"}


def _numbers(value: str) -> tuple[str, ...]:
    """A comma-separated list, or the path of a file with one number per line (or commas)."""
    path = Path(value)
    if path.is_file():
        return parse_numbers(path.read_text(encoding="utf-8"))
    return parse_numbers(value)


@cards_app.command("print")
@clean_errors
def cards_print(
    out: Annotated[Path, typer.Option("--out", help="The PDF to write.")],
    region: Annotated[int | None, typer.Option("--region", help="Region (card system) id.")] = None,
    status: Annotated[
        str | None,
        typer.Option(help="Print the region's cards in this status: PROVISIONED, LOCAL_STOCK, …"),
    ] = None,
    numbers: Annotated[
        str | None,
        typer.Option(help="Card numbers, comma-separated, or a file with one number per line."),
    ] = None,
    sheet: Annotated[
        str, typer.Option(help="CR80 (one card per page, card printers) or A4 (10 per sheet).")
    ] = "CR80",
    reprint: Annotated[
        bool, typer.Option("--reprint", help="With --status: also cards printed before.")
    ] = False,
    qr: Annotated[bool, typer.Option("--qr/--no-qr", help="A QR code next to the barcode.")] = True,
    logo: Annotated[Path | None, typer.Option(help="PNG or JPEG for the card's band.")] = None,
    database_url: DatabaseOption = None,
) -> None:
    """Print cards to a PDF, then mark them printed (only once the file is complete)."""
    kind = SHEETS.get(sheet.upper())
    if kind is None:
        raise ValueError(f"--sheet must be CR80 or A4, not {sheet!r}")
    request = PrintRequest(
        region_id=region,
        status=parse_status(status) if status is not None else None,
        numbers=_numbers(numbers) if numbers is not None else (),
        reprint=reprint,
    )
    if not out.parent.is_dir():
        raise FileNotFoundError(f"no such directory: {out.parent}")
    settings = _settings(database_url)
    engine = make_engine(settings.database_url)
    try:
        with contextlib.ExitStack() as stack:
            progress: Progress | None = None
            task: TaskID | None = None

            def advance(done: int, total: int) -> None:
                # Started with the first card: a refusal before it is one line on stderr.
                nonlocal progress, task
                if progress is None:
                    progress = stack.enter_context(_progress())
                    task = progress.add_task("Printing cards", total=total)
                if task is not None and (done == 1 or done % 50 == 0 or done == total):
                    progress.update(task, completed=done)

            report = print_cards(
                make_sessionmaker(engine),
                make_sessionmaker(writer(engine)),
                request,
                out=out,
                sheet=kind,
                actor=CLI_OPERATOR,
                at=datetime.now(UTC),
                logo=logo,
                show_qr=qr,
                progress=advance,
            )
    finally:
        engine.dispose()
    console.print(
        f"Printed {report.cards} card{'s' if report.cards != 1 else ''} of region "
        f"{report.region_id} "
        f"({report.pages} {kind} pages) to {report.path}; marked as printed.",
        soft_wrap=True,
    )

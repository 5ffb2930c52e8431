"""The ``passengine`` command: database, demo, server and fixtures.

Every failure a user can cause (a missing file, a bad row, a bad database URL) ends in one line
on stderr and a non-zero exit code, never a traceback, and writes nothing partial.
"""

from __future__ import annotations

import functools
import sys
from collections.abc import Callable, Iterator
from datetime import date, datetime
from pathlib import Path
from typing import Annotated, Any, TypeVar
from zoneinfo import ZoneInfo

import typer
from rich.console import Console
from rich.progress import BarColumn, MofNCompleteColumn, Progress, TextColumn, TimeElapsedColumn
from rich.table import Table
from sqlalchemy.exc import OperationalError, SQLAlchemyError
from sqlalchemy.orm import Session

from passengine.config import Settings, get_settings
from passengine.domain.errors import PassEngineError
from passengine.services.activity_history import generate_history, holder_ids_for_cards
from passengine.services.audit import CLI_OPERATOR
from passengine.services.fixtures import (
    RegionLoadResult,
    load_holders_csv,
    load_region,
    places_of,
    read_region_file,
)
from passengine.services.holder_import import HolderRow, ImportRefused, write_csv
from passengine.services.pii import InszVault
from passengine.services.synthetic import generate_holders
from passengine.storage import migrate
from passengine.storage.db import make_engine, make_sessionmaker, writer

app = typer.Typer(
    help="passengine: leisure passes with a kansentarief.",
    no_args_is_help=True,
    pretty_exceptions_enable=False,
)
db_app = typer.Typer(help="Database schema.", no_args_is_help=True)
fixtures_app = typer.Typer(help="Demo regions and holder files.", no_args_is_help=True)
app.add_typer(db_app, name="db")
app.add_typer(fixtures_app, name="fixtures")

console = Console()
err_console = Console(stderr=True)

F = TypeVar("F", bound=Callable[..., Any])

DEMO_SECRETS = {
    "DESK": "demo-desk-secret",
    "REFERRER": "demo-referrer-secret",
    "REGION_ADMIN": "demo-admin-secret",
}
DatabaseOption = Annotated[
    str | None, typer.Option("--database-url", help="Overrides PASSENGINE_DATABASE_URL.")
]


def _fail(message: str) -> None:
    err_console.print(f"[bold red]error:[/] {message}", highlight=False, soft_wrap=True)
    raise typer.Exit(code=1)


def clean_errors(func: F) -> F:
    """Turn the errors a user can cause into one line and exit code 1."""

    @functools.wraps(func)
    def wrapper(*args: Any, **kwargs: Any) -> Any:
        try:
            return func(*args, **kwargs)
        except ImportRefused as exc:
            for row in exc.report.rejected[:20]:
                err_console.print(f"  {row}", highlight=False, soft_wrap=True)
            if len(exc.report.rejected) > 20:
                err_console.print(f"  … {len(exc.report.rejected) - 20} more")
            _fail(exc.message)
        except PassEngineError as exc:
            _fail(exc.message)
        except OperationalError as exc:
            _fail(f"cannot use the database: {str(exc.orig).strip().splitlines()[0]}")
        except SQLAlchemyError as exc:
            _fail(f"database error: {str(exc).strip().splitlines()[0]}")
        except (OSError, ValueError) as exc:
            _fail(str(exc))

    return wrapper  # type: ignore[return-value]


def _settings(database_url: str | None) -> Settings:
    settings = get_settings()
    if database_url:
        settings = settings.model_copy(update={"database_url": database_url})
    return settings


def _today(settings: Settings) -> date:
    return datetime.now(ZoneInfo(settings.timezone)).date()


@db_app.command("upgrade")
@clean_errors
def db_upgrade(
    database_url: DatabaseOption = None,
    revision: Annotated[str, typer.Option(help="Target revision.")] = "head",
) -> None:
    """Bring the schema up to date (Alembic ``upgrade head``)."""
    settings = _settings(database_url)
    engine = make_engine(settings.database_url)
    try:
        migrate.upgrade(engine, revision)
    finally:
        engine.dispose()
    console.print(f"Schema at {revision} on {engine.url.render_as_string(hide_password=True)}")


@fixtures_app.command("load")
@clean_errors
def fixtures_load(
    path: Annotated[Path, typer.Argument(help="A region directory or region.toml, or a CSV.")],
    database_url: DatabaseOption = None,
    valid_only: Annotated[
        bool, typer.Option("--valid-only", help="CSV: import the valid rows, report the rest.")
    ] = False,
) -> None:
    """Load a region fixture or a CSV of holders, all or nothing."""
    settings = _settings(database_url)
    if not path.exists():
        _fail(f"no such file or directory: {path}")
    engine = make_engine(settings.database_url)
    sessions = make_sessionmaker(writer(engine))
    vault = InszVault.from_settings(settings)
    try:
        if path.suffix.lower() == ".csv":
            with _progress() as progress, sessions() as session:
                task = progress.add_task("Importing holders", total=_count_lines(path))
                report = load_holders_csv(
                    session,
                    path,
                    vault=vault,
                    today=_today(settings),
                    actor=CLI_OPERATOR,
                    valid_only=valid_only,
                    progress=lambda line: progress.update(task, completed=line),
                )
            console.print(f"Imported {report.imported} holders.")
            for row in report.rejected:
                err_console.print(f"  rejected {row}", highlight=False)
        else:
            with sessions() as session:
                result = load_region(
                    session, path, vault=vault, today=_today(settings), actor=CLI_OPERATOR
                )
            console.print(
                f"Loaded region {result.region_id} ({result.region_name}) "
                f"with {result.holders} holders."
            )
    finally:
        engine.dispose()


@fixtures_app.command("generate")
@clean_errors
def fixtures_generate(
    region: Annotated[Path, typer.Option(help="Region fixture whose places the holders use.")],
    count: Annotated[int, typer.Option(min=1, max=10_000_000)],
    out: Annotated[Path, typer.Option(help="CSV file to write.")],
    seed: Annotated[int, typer.Option()] = 1,
) -> None:
    """Write a CSV of synthetic holders (for benchmarks); load it with ``fixtures load``."""
    spec = read_region_file(region)
    today = _today(get_settings())
    tmp = out.with_suffix(out.suffix + ".part")
    with _progress() as progress, tmp.open("w", encoding="utf-8", newline="") as handle:
        task = progress.add_task("Generating holders", total=count)

        def rows() -> Iterator[HolderRow]:
            for i, row in enumerate(
                generate_holders(
                    region_id=spec.region.id,
                    places=places_of(spec),
                    count=count,
                    seed=seed,
                    today=today,
                    first_line=2,
                )
            ):
                if i % 10_000 == 0:
                    progress.update(task, completed=i)
                yield row

        written = write_csv(rows(), handle)
        progress.update(task, completed=count)
    tmp.replace(out)  # only a complete file gets the final name
    console.print(f"Wrote {written} holders to {out}")


@app.command()
@clean_errors
def serve(
    database_url: DatabaseOption = None,
    host: Annotated[str | None, typer.Option()] = None,
    port: Annotated[int | None, typer.Option()] = None,
    workers: Annotated[int, typer.Option(min=1, max=64)] = 1,
) -> None:
    """Serve the API (uvicorn)."""
    settings = _settings(database_url)
    _serve(settings, host or settings.host, port or settings.port, workers)


@app.command()
@clean_errors
def demo(
    database: Annotated[Path, typer.Option(help="SQLite file, recreated.")] = Path(
        "passengine-demo.db"
    ),
    host: Annotated[str, typer.Option()] = "127.0.0.1",
    port: Annotated[int, typer.Option()] = 8000,
    serve_api: Annotated[bool, typer.Option("--serve/--no-serve")] = True,
) -> None:
    """Create a fresh SQLite database with the demo regions and serve the API on it."""
    for suffix in ("", "-wal", "-shm"):
        Path(f"{database}{suffix}").unlink(missing_ok=True)
    settings = get_settings().model_copy(
        update={"database_url": f"sqlite:///{database.resolve()}", "environment": "development"}
    )
    engine = make_engine(settings.database_url)
    migrate.upgrade(engine)
    sessions = make_sessionmaker(writer(engine))
    vault = InszVault.from_settings(settings)
    region_dirs = sorted(p for p in (settings.fixtures_dir / "regions").iterdir() if p.is_dir())
    if not region_dirs:
        _fail(f"no demo regions under {settings.fixtures_dir / 'regions'}")
    results: list[RegionLoadResult] = []
    today = _today(settings)
    for region_dir in region_dirs:
        with sessions() as session:
            result = load_region(session, region_dir, vault=vault, today=today, actor=CLI_OPERATOR)
            results.append(result)
            _demo_history(session, region_dir, result, today=today)
    engine.dispose()
    _print_demo(sorted(results, key=lambda r: r.region_id), database)
    if serve_api:
        _serve(settings, host, port, 1)


def _demo_history(
    session: Session, region_dir: Path, result: RegionLoadResult, *, today: date
) -> None:
    """Give the region a past (its file's ``[activity_history]``), leaving the hand-written demo
    holders out so the desk scenarios of the README stay as documented."""
    section = read_region_file(region_dir).activity_history
    if section is None:
        return
    generated = generate_history(
        session,
        region_id=result.region_id,
        spec=section.to_spec(),
        today=today,
        exclude_holder_ids=holder_ids_for_cards(session, result.demo_cards.values()),
    )
    console.print(
        f"History of region {result.region_id} ({result.region_name}), {section.months} months: "
        f"{generated.events} events, {generated.sales} sales, {generated.checkins} check-ins."
    )


def _print_demo(results: list[RegionLoadResult], database: Path) -> None:
    console.print(f"[bold]Demo database[/] {database} with {len(results)} regions.")
    cards = Table(title="Demo cards (type these at the desk)")
    for column in ("region", "holder", "card number"):
        cards.add_column(column)
    for r in results:
        for key, number in r.demo_cards.items():
            cards.add_row(f"{r.region_id} {r.region_name}", key, number)
    console.print(cards)
    creds = Table(title="Demo API clients (OAuth2 client credentials; demo databases only)")
    for column in ("region", "role", "client_id", "client_secret"):
        creds.add_column(column)
    for r in results:
        for client_id, role in r.clients:
            creds.add_row(str(r.region_id), role, client_id, DEMO_SECRETS.get(role, "?"))
    console.print(creds)


def _serve(settings: Settings, host: str, port: int, workers: int) -> None:
    import uvicorn

    from api.app import create_app

    console.print(f"Serving on http://{host}:{port}: the desk page at /desk, API docs at /docs")
    if workers > 1:
        # Workers import the app themselves; the settings reach them through the environment.
        import os

        os.environ["PASSENGINE_DATABASE_URL"] = settings.database_url
        uvicorn.run(
            "api.app:create_app",
            factory=True,
            host=host,
            port=port,
            workers=workers,
            log_level="warning",
        )
    else:
        uvicorn.run(create_app(settings), host=host, port=port, log_level="info")


def _progress() -> Progress:
    return Progress(
        TextColumn("{task.description}"),
        BarColumn(),
        MofNCompleteColumn(),
        TimeElapsedColumn(),
        console=err_console,
        transient=not sys.stderr.isatty(),
    )


def _count_lines(path: Path) -> int:
    with path.open("rb") as handle:
        return sum(1 for _ in handle)


def _register_command_groups() -> None:
    """Command groups of other modules; imported here so ``passengine --help`` lists them."""
    from passengine.cli.admin import admin_app
    from passengine.cli.cards import cards_app
    from passengine.cli.config import config_app
    from passengine.cli.reports import report_app

    app.add_typer(cards_app, name="cards", help="Card stock and printing.")
    app.add_typer(admin_app, name="admin", help="Holders, statuses, cards, audit and GDPR.")
    app.add_typer(config_app, name="config", help="Region configuration.")
    app.add_typer(
        report_app, name="report", help="Settlements, budgets, participation, annual report."
    )


_register_command_groups()

if __name__ == "__main__":  # pragma: no cover
    app()

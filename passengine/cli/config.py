"""``passengine config``: region configuration from the command line: tariffs, card prices,
municipalities and API clients.

The command line acts as the installation's operator, for every region; every change is audited
as ``cli`` by the same services the native API uses. Errors are one line and exit code 1 (for a
refused tariff document or price list, the issues are listed first), and nothing is written
partially.
"""

from __future__ import annotations

import json
import tomllib
from collections.abc import Iterator
from contextlib import contextmanager
from datetime import UTC, date, datetime
from pathlib import Path
from typing import Annotated, Any, TypeVar

import typer
from pydantic import BaseModel, ValidationError
from rich.table import Table
from sqlalchemy.orm import Session

from passengine.cli.main import DatabaseOption, _fail, _settings, clean_errors, console, err_console
from passengine.domain.distribution import ConfigIssue
from passengine.domain.errors import InvalidInput
from passengine.domain.model import ClientRole
from passengine.services import api_clients, card_prices, municipalities, region_config
from passengine.services.administration import OPERATOR, IssueRead
from passengine.services.tariff_config import TariffConfigError
from passengine.storage.db import make_engine, make_sessionmaker, writer

config_app = typer.Typer(no_args_is_help=True)
tariffs_app = typer.Typer(help="The versioned tariff document of a region.", no_args_is_help=True)
prices_app = typer.Typer(help="Card prices by age, status and reason.", no_args_is_help=True)
clients_app = typer.Typer(help="API clients and their secrets.", no_args_is_help=True)
municipality_app = typer.Typer(
    help="Municipalities and their periods in a region.", no_args_is_help=True
)
config_app.add_typer(tariffs_app, name="tariffs")
config_app.add_typer(prices_app, name="card-prices")
config_app.add_typer(clients_app, name="clients")
config_app.add_typer(municipality_app, name="municipality")

Region = Annotated[int, typer.Option("--region", help="Region (card system) id.", min=1)]
M = TypeVar("M", bound=BaseModel)


@contextmanager
def _session(database_url: str | None) -> Iterator[Session]:
    engine = make_engine(_settings(database_url).database_url)
    try:
        with make_sessionmaker(writer(engine))() as session:
            yield session
    finally:
        engine.dispose()


def _parse(model: type[M], data: dict[str, Any]) -> M:
    """Options as the API's body; a refusal names the first bad field in one line."""
    try:
        return model.model_validate(data)
    except ValidationError as exc:
        first = exc.errors()[0]
        where = ".".join(str(p) for p in first["loc"]) or "(input)"
        raise InvalidInput(f"{where}: {first['msg']}") from exc


def _read_document(path: Path) -> Any:
    """JSON, or TOML for a ``.toml`` file (the fixtures' format)."""
    if not path.is_file():
        _fail(f"no such file: {path}")
    text = path.read_text(encoding="utf-8-sig")
    try:
        return tomllib.loads(text) if path.suffix.lower() == ".toml" else json.loads(text)
    except (tomllib.TOMLDecodeError, json.JSONDecodeError) as exc:
        raise InvalidInput(f"{path}: not valid {path.suffix.lstrip('.') or 'JSON'}: {exc}") from exc


def _print_issues(issues: list[ConfigIssue]) -> None:
    for issue in issues:
        err_console.print(f"  {issue.field}: {issue.message}", highlight=False, soft_wrap=True)


def _print_warnings(warnings: list[IssueRead]) -> None:
    for w in warnings:
        console.print(f"  warning: {w.field}: {w.message}", highlight=False, soft_wrap=True)


# --- Tariffs --------------------------------------------------------------------------------------


@tariffs_app.command("show")
@clean_errors
def tariffs_show(
    region: Region,
    version: Annotated[int | None, typer.Option(help="Default: the current version.")] = None,
    database_url: DatabaseOption = None,
) -> None:
    """Print the tariff document as JSON (the version goes to stderr), ready for ``set``."""
    with _session(database_url) as session:
        found = region_config.get_tariffs(session, region, scope=OPERATOR, version=version)
    err_console.print(
        f"Region {region}, version {found.version} ({found.created_at:%Y-%m-%d %H:%M} UTC, "
        f"{found.created_by or 'unknown'})",
        highlight=False,
    )
    typer.echo(json.dumps(found.document, indent=2, ensure_ascii=False))


@tariffs_app.command("set")
@clean_errors
def tariffs_set(
    file: Annotated[Path, typer.Argument(help="The tariff document (JSON, or TOML).")],
    region: Region,
    database_url: DatabaseOption = None,
) -> None:
    """Validate the document and store it as the region's next version."""
    document = _read_document(file)
    if not isinstance(document, dict):
        raise InvalidInput(f"{file}: a tariff document is an object")
    try:
        with _session(database_url) as session:
            saved = region_config.set_tariffs(session, region, document, scope=OPERATOR)
    except TariffConfigError as exc:
        _print_issues(exc.issues)
        raise
    console.print(f"Saved version {saved.version} of the tariffs of region {region}.")
    _print_warnings(saved.warnings)


# --- Card prices ----------------------------------------------------------------------------------


@prices_app.command("show")
@clean_errors
def card_prices_show(region: Region, database_url: DatabaseOption = None) -> None:
    """Every price list of the region, the one in force marked."""
    with _session(database_url) as session:
        found = card_prices.get_card_prices(session, region, scope=OPERATOR, at=datetime.now(UTC))
    table = Table(title=f"Card prices of region {region}")
    for column in ("valid from", "reason", "ages", "status", "price"):
        table.add_column(column)
    for listed in found.lists:
        label = f"{listed.valid_from}{' (in force)' if listed.in_force else ''}"
        for p in listed.prices:
            ages = f"{p.min_age if p.min_age is not None else 0}–{p.max_age or ''}"
            status = {None: "any", True: "with", False: "without"}[p.with_status]
            table.add_row(label, p.reason.value, ages, status, f"€ {p.price_cents / 100:.2f}")
    console.print(table)


@prices_app.command("set")
@clean_errors
def card_prices_set(
    file: Annotated[Path, typer.Argument(help='{"prices": [...]} as JSON, or TOML.')],
    region: Region,
    valid_from: Annotated[str, typer.Option("--valid-from", help="YYYY-MM-DD, today or later.")],
    database_url: DatabaseOption = None,
) -> None:
    """Create or replace the price list from a day (a list that has started never changes)."""
    body = _parse(card_prices.CardPriceListIn, _read_document(file))
    day = date.fromisoformat(valid_from)
    try:
        with _session(database_url) as session:
            saved = card_prices.set_card_prices(
                session, region, day, body, scope=OPERATOR, at=datetime.now(UTC)
            )
    except card_prices.CardPricesError as exc:
        _print_issues(exc.issues)
        raise
    console.print(f"Saved {len(saved.prices)} card prices from {day} for region {region}.")
    _print_warnings(saved.warnings)


# --- Municipalities -------------------------------------------------------------------------------


@municipality_app.command("create")
@clean_errors
def municipality_create(
    nis_code: Annotated[str, typer.Argument(help="NIS code (5 digits).")],
    name: Annotated[str, typer.Argument()],
    postal_code: Annotated[
        list[str], typer.Option("--postal-code", help="CODE=Place; repeat for each.")
    ],
    sub: Annotated[
        list[str] | None,
        typer.Option("--sub", help="A sub-municipality, Name or Name=CODE; repeat for each."),
    ] = None,
    database_url: DatabaseOption = None,
) -> None:
    """Add a municipality with its postal codes and sub-municipalities."""

    def pair(value: str) -> tuple[str, str | None]:
        left, _, right = value.partition("=")
        return left.strip(), right.strip() or None

    codes = [{"code": c, "place": p or name} for c, p in map(pair, postal_code)]
    subs = [{"name": n, "postal_code": c} for n, c in map(pair, sub or [])]
    body = _parse(
        municipalities.MunicipalityCreate,
        {"nis_code": nis_code, "name": name, "postal_codes": codes, "sub_municipalities": subs},
    )
    with _session(database_url) as session:
        created = municipalities.create_municipality(session, body, scope=OPERATOR)
    console.print(
        f"Created municipality {created.nis_code} {created.name} "
        f"({', '.join(p.code for p in created.postal_codes)})."
    )


@municipality_app.command("join")
@clean_errors
def municipality_join(
    nis_code: Annotated[str, typer.Argument(help="NIS code (5 digits).")],
    region: Region,
    on: Annotated[str, typer.Option("--on", help="First day in the region, YYYY-MM-DD.")],
    until: Annotated[
        str | None, typer.Option("--until", help="First day out of the region, YYYY-MM-DD.")
    ] = None,
    database_url: DatabaseOption = None,
) -> None:
    """Join a municipality to a region from a day; overlapping periods are refused."""
    body = _parse(
        municipalities.MembershipCreate,
        {"nis_code": nis_code, "joined_on": on, "left_on": until},
    )
    with _session(database_url) as session:
        joined = municipalities.join_municipality(
            session, region, body, scope=OPERATOR, at=datetime.now(UTC)
        )
    end = f" until {joined.left_on}" if joined.left_on else ""
    console.print(f"{joined.name} ({joined.nis_code}) is in region {region} from {on}{end}.")


@municipality_app.command("leave")
@clean_errors
def municipality_leave(
    nis_code: Annotated[str, typer.Argument(help="NIS code (5 digits).")],
    region: Region,
    on: Annotated[str, typer.Option("--on", help="First day out of the region, YYYY-MM-DD.")],
    database_url: DatabaseOption = None,
) -> None:
    """Set the day a municipality leaves a region (its latest period)."""
    body = _parse(municipalities.MembershipUpdate, {"left_on": on})
    with _session(database_url) as session:
        left = municipalities.set_municipality_left_on(
            session, region, nis_code, body, scope=OPERATOR, at=datetime.now(UTC)
        )
    console.print(f"{left.name} ({left.nis_code}) leaves region {region} on {left.left_on}.")


# --- API clients ----------------------------------------------------------------------------------


def _print_secret(created: api_clients.ClientWithSecret, verb: str) -> None:
    console.print(f"{verb} client {created.client.client_id}.")
    console.print("Client secret (shown once, store it now):", highlight=False)
    typer.echo(created.client_secret)


@clients_app.command("create")
@clean_errors
def clients_create(
    client_id: Annotated[str, typer.Argument(help="The client's id (3 to 100 characters).")],
    name: Annotated[str, typer.Option()],
    role: Annotated[ClientRole, typer.Option()],
    region: Annotated[list[int], typer.Option("--region", help="Region id; repeat for more.")],
    permission: Annotated[
        list[str], typer.Option("--permission", help="e.g. PASSES_READ; repeat for more.")
    ],
    organizer: Annotated[str | None, typer.Option(help="DESK: the organizer.")] = None,
    desk: Annotated[str | None, typer.Option(help="DESK: the desk (optional).")] = None,
    referrer: Annotated[str | None, typer.Option(help="REFERRER: the referrer.")] = None,
    database_url: DatabaseOption = None,
) -> None:
    """Create a client; its secret is printed once and stored only as a hash."""
    body = _parse(
        api_clients.ClientCreate,
        {
            "client_id": client_id,
            "name": name,
            "role": role,
            "regions": region,
            "permissions": permission,
            "organizer_id": organizer,
            "desk_id": desk,
            "referrer_id": referrer,
        },
    )
    with _session(database_url) as session:
        created = api_clients.create_client(session, body, scope=OPERATOR)
    _print_secret(created, "Created")


@clients_app.command("rotate")
@clean_errors
def clients_rotate(
    client_id: Annotated[str, typer.Argument()], database_url: DatabaseOption = None
) -> None:
    """Give a client a new secret (printed once); the old one gets no new tokens."""
    with _session(database_url) as session:
        rotated = api_clients.rotate_secret(session, client_id, scope=OPERATOR)
    _print_secret(rotated, "Rotated the secret of")


@clients_app.command("disable")
@clean_errors
def clients_disable(
    client_id: Annotated[str, typer.Argument()],
    enable: Annotated[bool, typer.Option("--enable", help="Enable it again instead.")] = False,
    database_url: DatabaseOption = None,
) -> None:
    """Stop a client from getting new tokens (tokens issued before expire within minutes)."""
    body = _parse(api_clients.ClientUpdate, {"disabled": not enable})
    with _session(database_url) as session:
        api_clients.update_client(session, client_id, body, scope=OPERATOR, at=datetime.now(UTC))
    console.print(f"{'Enabled' if enable else 'Disabled'} client {client_id}.")


@clients_app.command("list")
@clean_errors
def clients_list(
    region: Annotated[int | None, typer.Option("--region", help="Only this region.")] = None,
    database_url: DatabaseOption = None,
) -> None:
    """The clients (never their secrets)."""
    with _session(database_url) as session:
        found = api_clients.list_clients(session, scope=OPERATOR, region_id=region)
    table = Table(title="API clients")
    for column in ("client_id", "role", "acts for", "regions", "permissions", "state"):
        table.add_column(column)
    for c in found:
        acts_for = c.desk_id or c.organizer_id or c.referrer_id or ""
        state = "disabled" if c.disabled_at else "active"
        table.add_row(
            c.client_id,
            c.role.value,
            acts_for,
            ", ".join(str(r) for r in c.regions),
            ", ".join(c.permissions),
            f"{state}{' (demo)' if c.is_demo else ''}",
        )
    console.print(table)

"""Benchmark: the reports over a year of 1,000,000 reduced-rate sales, seconds and peak memory.

    .venv/bin/python -m bench.reports --sales 1000000 --holders 100000 \
        [--database-url postgresql+psycopg://postgres@127.0.0.1:5432/bench_reports] \
        [--xlsx-lines 100000] [--tracemalloc] [--keep | --reuse]

First the data set: a fresh database (a SQLite file in a temporary directory, or the PostgreSQL
database named in the URL, dropped and created again: its name must contain "bench"), migrated,
with the Maasland region, ``--holders`` synthetic holders (about 40 % with a status) and a
history of 12 months through the pure tariff core (``activity_history``; it skips a few sales, so
a million asked gives about 993,000). The history covers the last whole calendar year (it is
generated as of 1 January), so that "the year" of the budget view and the annual report holds
every sale, like the settlement and participation period. PostgreSQL then gets ``VACUUM ANALYZE``
(what autovacuum would have done by then) and a checkpoint, SQLite nothing (as in production),
and the build's writes are synced to disk so that their write-back does not slow the reports.
Each build step prints its time. ``--keep`` keeps the data set, ``--reuse`` measures a kept one.

Then each report runs in a fresh subprocess, so that its peak RSS is the report's and not the data
generation's (``VmHWM`` of /proc/self/status; ``getrusage`` would report the parent's peak, see
``_peak_rss_mb``): the settlement summary, the settlement CSV of every line streamed to
/dev/null, participation, budgets, the annual report PDF and the XLSX of the first days of the
year that hold ``--xlsx-lines`` lines (openpyxl needs about half a millisecond a line, so not a
million). Printed per step: wall and CPU seconds of that process (on PostgreSQL the server's
work is in the wall time only), its peak RSS, and its peak before the step (every module loaded,
a connection open). ``--tracemalloc`` repeats each step in another subprocess under
``tracemalloc`` for the peak of Python's own allocations (tracing slows Python down, so only that
figure is taken from the repetition). The PostgreSQL server's memory is in none of the figures.
"""

from __future__ import annotations

import argparse
import io
import json
import math
import os
import resource
import shutil
import subprocess
import sys
import tempfile
import time
import tracemalloc
from collections.abc import Callable
from dataclasses import dataclass, field
from datetime import UTC, date, datetime
from pathlib import Path
from typing import TYPE_CHECKING, BinaryIO, cast
from zoneinfo import ZoneInfo

from sqlalchemy import create_engine, select, text
from sqlalchemy.engine import make_url
from sqlalchemy.orm import Session

from passengine.config import REPO_ROOT, Settings
from passengine.domain.report_periods import LocalPeriod, local_date_of, utc_bounds, year_period
from passengine.services.activity_history import HistorySpec, generate_history
from passengine.services.audit import CLI_OPERATOR
from passengine.services.fixtures import load_holders_csv, load_region, places_of, read_region_file
from passengine.services.holder_import import write_csv
from passengine.services.pii import InszVault
from passengine.services.reports import analytics, budgets, settlement
from passengine.services.reports.catalogue import ReportRequest, produce
from passengine.services.synthetic import generate_holders
from passengine.storage import migrate, tables as t
from passengine.storage.db import make_engine, make_sessionmaker, writer

if TYPE_CHECKING:
    from _typeshed import ReadableBuffer

REGION = REPO_ROOT / "fixtures" / "regions" / "maasmechelen"
REGION_ID = 1
RESULT = "RESULT "
"""Prefix of the JSON line a measuring subprocess prints."""


# --- The data set --------------------------------------------------------------------------------


def build(url: str, *, holders: int, sales: int, year: int, workdir: Path) -> None:
    """Migrate, load the region, import the holders and generate the year's history."""
    today = date(year + 1, 1, 1)  # the history's window is then exactly ``year``
    engine = make_engine(url)
    sessions = make_sessionmaker(writer(engine))
    vault = InszVault.from_settings(Settings(environment="test"))
    with _step("migrate + load Maasland"):
        migrate.upgrade(engine)
        with sessions() as session:
            load_region(session, REGION, vault=vault, today=today, actor=CLI_OPERATOR)
    with _step(f"holders ({holders:,}, CSV + import)"):
        csv_path = workdir / "holders.csv"
        _write_holders(csv_path, count=holders, today=today)
        with sessions() as session:
            report = load_holders_csv(
                session, csv_path, vault=vault, today=today, actor=CLI_OPERATOR
            )
        csv_path.unlink()
    print(f"{'':40} {report.imported:,} holders imported")
    spec = HistorySpec(months=12, seed=1, sales_per_month=math.ceil(sales / 12))
    label = f"history ({year}, {spec.sales_per_month:,} sales a month)"
    with _step(label), sessions() as session:
        result = generate_history(
            session, region_id=REGION_ID, spec=spec, today=today, progress=_progress()
        )
    print(
        f"{'':40} {result.sales:,} sales, {result.checkins:,} check-ins, {result.events:,} events"
    )
    if engine.dialect.name == "postgresql":
        autocommit = engine.execution_options(isolation_level="AUTOCOMMIT")
        with _step("VACUUM ANALYZE + CHECKPOINT"), autocommit.connect() as conn:
            conn.execute(text("VACUUM ANALYZE"))
            conn.execute(text("CHECKPOINT"))
    engine.dispose()
    with _step("sync"):
        os.sync()  # else the kernel's write-back of the build slows the first measurements down


def _write_holders(path: Path, *, count: int, today: date) -> None:
    spec = read_region_file(REGION)
    with path.open("w", encoding="utf-8", newline="") as handle:
        write_csv(
            generate_holders(
                region_id=spec.region.id,
                places=places_of(spec),
                count=count,
                seed=1,
                today=today,
                first_line=2,
            ),
            handle,
        )


def _progress() -> Callable[[int, int], None]:
    """Print a line every 10 % of the expected sales (the history takes minutes at 1M)."""
    shown = [0]

    def report(done: int, expected: int) -> None:
        tenth = 10 * done // max(1, expected)
        if tenth > shown[0]:
            shown[0] = tenth
            print(f"{'':40} … {done:,} sales", flush=True)

    return report


class _step:
    """Times a build step and prints it when it ends."""

    def __init__(self, label: str) -> None:
        self.label = label
        self.started = 0.0

    def __enter__(self) -> None:
        self.started = time.perf_counter()

    def __exit__(self, *exc: object) -> None:
        if exc[0] is None:
            print(f"{self.label:40} {time.perf_counter() - self.started:8.1f} s", flush=True)


def create_pg_database(url: str) -> None:
    """Drop and create the database of ``url`` (trust auth), from the server's ``postgres``."""
    name = _pg_name(url)
    admin = create_engine(
        make_url(url).set(drivername="postgresql+psycopg", database="postgres"),
        isolation_level="AUTOCOMMIT",
    )
    with admin.connect() as conn:
        conn.execute(text(f'DROP DATABASE IF EXISTS "{name}" WITH (FORCE)'))
        conn.execute(text(f'CREATE DATABASE "{name}"'))
    admin.dispose()


def drop_pg_database(url: str) -> None:
    admin = create_engine(
        make_url(url).set(drivername="postgresql+psycopg", database="postgres"),
        isolation_level="AUTOCOMMIT",
    )
    with admin.connect() as conn:
        conn.execute(text(f'DROP DATABASE IF EXISTS "{_pg_name(url)}" WITH (FORCE)'))
    admin.dispose()


def _pg_name(url: str) -> str:
    """The database to recreate; a name without "bench" is refused, to spare a real one."""
    name = make_url(url).database or ""
    if "bench" not in name or '"' in name:
        raise SystemExit(f"refusing to drop database {name!r}: its name must contain 'bench'")
    return name


# --- One measured step, in its own process --------------------------------------------------------


@dataclass(slots=True)
class Context:
    session: Session
    year: int
    today: date
    workdir: Path
    xlsx_lines: int
    started: float = field(default_factory=time.perf_counter)

    def restart(self) -> None:
        """Start the clock (and the tracemalloc peak) again after a step's preparation."""
        self.started = time.perf_counter()
        if tracemalloc.is_tracing():
            tracemalloc.reset_peak()


class _Sink(io.RawIOBase):
    """/dev/null that counts the bytes written to it."""

    def __init__(self) -> None:
        self.size = 0

    def writable(self) -> bool:
        return True

    def write(self, data: ReadableBuffer) -> int:
        size = memoryview(data).nbytes
        self.size += size
        return size


def _generated_at(ctx: Context) -> datetime:
    return datetime.combine(ctx.today, datetime.min.time(), tzinfo=UTC)


def step_settle(ctx: Context) -> str:
    summary = settlement.settle(ctx.session, region_id=REGION_ID, period=year_period(ctx.year))
    return (
        f"{summary.totals.sales:,} sales, {len(summary.organizers)} organizers, "
        f"{len(summary.debts)} debts"
    )


def step_csv(ctx: Context) -> str:
    sink = _Sink()
    request = ReportRequest("settlement", "csv", REGION_ID, period=year_period(ctx.year))
    produce(
        ctx.session,
        request,
        cast(BinaryIO, sink),
        today=ctx.today,
        generated_at=_generated_at(ctx),
    )
    return f"{sink.size / 1e6:,.1f} MB to /dev/null"


def step_participation(ctx: Context) -> str:
    result = analytics.participation(
        ctx.session, region_id=REGION_ID, period=year_period(ctx.year), today=ctx.today
    )
    reach = result.figures["reach"]["total"]
    return f"{_count(reach['status_holders'])} status holders, {_count(reach['reached'])} reached"


def _count(value: int | None) -> str:
    return "hidden" if value is None else f"{value:,}"


def step_budgets(ctx: Context) -> str:
    report = budgets.budget_report(ctx.session, region_id=REGION_ID, year=ctx.year, today=ctx.today)
    sales = sum(line.sales for line in report.lines)
    return f"{len(report.lines)} municipalities, {sales:,} sales"


def step_annual(ctx: Context) -> str:
    sink = _Sink()
    request = ReportRequest("annual", "pdf", REGION_ID, year=ctx.year)
    produce(
        ctx.session,
        request,
        cast(BinaryIO, sink),
        today=ctx.today,
        generated_at=_generated_at(ctx),
    )
    return f"PDF {sink.size / 1e3:,.0f} KB"


def step_xlsx(ctx: Context) -> str:
    """The workbook of the year's first days up to the one of the ``xlsx_lines``-th line."""
    whole = year_period(ctx.year)
    region = ctx.session.get(t.Region, REGION_ID)
    assert region is not None
    tz = ZoneInfo(region.timezone)
    lo, hi = utc_bounds(whole, tz)
    sale = t.TicketSale
    nth = ctx.session.scalar(
        select(sale.created_at)
        .where(
            sale.region_id == REGION_ID,
            sale.created_at >= lo,
            sale.created_at < hi,
            sale.cancelled_at.is_(None),
        )
        .order_by(sale.created_at)
        .offset(max(0, ctx.xlsx_lines - 1))
        .limit(1)
    )
    last = local_date_of(nth, tz) if nth is not None else whole.end
    period = LocalPeriod(whole.start, last)
    lines = settlement.count_lines(ctx.session, region_id=REGION_ID, period=period)
    ctx.session.rollback()  # ``produce`` starts its own (REPEATABLE READ) transaction
    path = ctx.workdir / f"settlement-{os.getpid()}.xlsx"
    request = ReportRequest("settlement", "xlsx", REGION_ID, period=period)
    ctx.restart()  # choosing the period is not part of the figure
    with path.open("wb") as out:
        produce(ctx.session, request, out, today=ctx.today, generated_at=_generated_at(ctx))
    size = path.stat().st_size
    path.unlink()
    return f"{lines:,} lines ({period.days} days), {size / 1e6:,.1f} MB"


STEPS: dict[str, tuple[str, Callable[[Context], str]]] = {
    "settle": ("settlement summary (settle)", step_settle),
    "csv": ("settlement CSV, all lines", step_csv),
    "participation": ("participation", step_participation),
    "budgets": ("budgets", step_budgets),
    "annual": ("annual report PDF", step_annual),
    "xlsx": ("settlement XLSX", step_xlsx),
}


def measure(name: str, args: argparse.Namespace) -> dict[str, object]:
    """Run one step; the peak RSS before it is this process's with every module loaded."""
    engine = make_engine(args.database_url)
    sessions = make_sessionmaker(engine)
    with engine.connect() as conn:  # the driver's and the pool's memory belongs to the baseline
        conn.execute(text("SELECT 1"))
    before = _peak_rss_mb()
    cpu = _cpu_seconds()
    if args.tracemalloc:
        tracemalloc.start()
    with sessions() as session:
        ctx = Context(session, args.year, args.today, Path(args.workdir), args.xlsx_lines)
        detail = STEPS[name][1](ctx)
    seconds = time.perf_counter() - ctx.started
    cpu = _cpu_seconds() - cpu
    traced = tracemalloc.get_traced_memory()[1] / 2**20 if args.tracemalloc else None
    engine.dispose()
    return {
        "step": name,
        "seconds": seconds,
        "cpu_seconds": cpu,
        "rss_before_mb": before,
        "peak_rss_mb": _peak_rss_mb(),
        "traced_peak_mb": traced,
        "detail": detail,
    }


def _cpu_seconds() -> float:
    """User and system time of this process (the database server's, on PostgreSQL, not)."""
    usage = resource.getrusage(resource.RUSAGE_SELF)
    return usage.ru_utime + usage.ru_stime


def _peak_rss_mb() -> float:
    """This process image's peak RSS (``VmHWM``). ``getrusage``'s ``ru_maxrss`` would do but for
    one thing: Linux carries the parent's peak over through fork and exec, so a child of the
    process that generated the data would report at least the generator's peak."""
    try:
        with open("/proc/self/status", encoding="ascii") as status:
            for line in status:
                if line.startswith("VmHWM:"):
                    return int(line.split()[1]) / 1024
    except OSError:
        pass
    return resource.getrusage(resource.RUSAGE_SELF).ru_maxrss / 1024  # kB on Linux


def run_step(name: str, args: argparse.Namespace, url: str, *, traced: bool) -> dict[str, object]:
    command = [
        sys.executable,
        "-m",
        "bench.reports",
        "--measure",
        name,
        "--database-url",
        url,
        "--year",
        str(args.year),
        "--today",
        args.today.isoformat(),
        "--workdir",
        str(args.workdir),
        "--xlsx-lines",
        str(args.xlsx_lines),
    ]
    if traced:
        command.append("--tracemalloc")
    done = subprocess.run(command, cwd=REPO_ROOT, capture_output=True, text=True, check=False)
    if done.returncode != 0:
        sys.stderr.write(done.stderr)
        raise SystemExit(f"step {name} failed ({done.returncode})")
    line = next(x for x in done.stdout.splitlines() if x.startswith(RESULT))
    result: dict[str, object] = json.loads(line.removeprefix(RESULT))
    return result


# --- Main ----------------------------------------------------------------------------------------


def parse_args() -> argparse.Namespace:
    today = datetime.now(UTC).date()
    parser = argparse.ArgumentParser(description=__doc__.split("\n")[0] if __doc__ else None)
    parser.add_argument("--sales", type=int, default=100_000)
    parser.add_argument("--holders", type=int, default=10_000)
    parser.add_argument("--database-url")
    parser.add_argument(
        "--year", type=int, default=today.year - 1, help="the year of the history (last year)"
    )
    parser.add_argument("--today", type=date.fromisoformat, default=today)
    parser.add_argument("--xlsx-lines", type=int, default=100_000, help="0: no XLSX")
    parser.add_argument("--tracemalloc", action="store_true")
    parser.add_argument("--keep", action="store_true", help="keep the data set and print its URL")
    parser.add_argument("--reuse", action="store_true", help="measure a kept data set")
    parser.add_argument("--measure", choices=list(STEPS), help=argparse.SUPPRESS)
    parser.add_argument("--workdir", help=argparse.SUPPRESS)
    return parser.parse_args()


def main() -> None:
    args = parse_args()
    if args.measure:
        print(RESULT + json.dumps(measure(args.measure, args)), flush=True)
        return
    if args.reuse and not args.database_url:
        raise SystemExit("--reuse measures the data set at --database-url")
    workdir = Path(tempfile.mkdtemp(prefix="bench-reports-"))
    args.workdir = str(workdir)
    url = args.database_url or f"sqlite:///{workdir / 'bench.db'}"
    postgres = make_url(url).get_backend_name() == "postgresql"
    print(f"database {'PostgreSQL' if postgres else 'SQLite'}, year {args.year}", flush=True)
    try:
        if not args.reuse:
            if postgres:
                create_pg_database(url)
            build(url, holders=args.holders, sales=args.sales, year=args.year, workdir=workdir)
        results = _measure_all(args, url)
    finally:
        if args.keep or args.reuse:
            print(f"data set kept: --database-url {url} --reuse")
        elif postgres:
            drop_pg_database(url)
        if not args.keep or postgres or args.reuse:  # a kept SQLite file lives in ``workdir``
            shutil.rmtree(workdir, ignore_errors=True)
    _print_table(results, traced=args.tracemalloc)


def _measure_all(args: argparse.Namespace, url: str) -> list[dict[str, object]]:
    names = [n for n in STEPS if n != "xlsx" or args.xlsx_lines > 0]
    results = []
    for name in names:
        result = run_step(name, args, url, traced=False)
        if args.tracemalloc:
            result["traced_peak_mb"] = run_step(name, args, url, traced=True)["traced_peak_mb"]
        print(
            f"{STEPS[name][0]:40} {result['seconds']:8.1f} s  (CPU {result['cpu_seconds']:.1f} s)  "
            f"peak RSS {result['peak_rss_mb']:.0f} MB  ({result['detail']})",
            flush=True,
        )
        results.append(result)
    return results


def _print_table(results: list[dict[str, object]], *, traced: bool) -> None:
    print()
    print("| step | seconds | CPU | peak RSS | RSS before | tracemalloc peak | result |")
    print("|---|---|---|---|---|---|---|")
    for r in results:
        peak = f"{r['traced_peak_mb']:.1f} MB" if traced else "–"
        print(
            f"| {STEPS[str(r['step'])][0]} | {r['seconds']:.1f} s | {r['cpu_seconds']:.1f} s "
            f"| {r['peak_rss_mb']:.0f} MB "
            f"| {r['rss_before_mb']:.0f} MB | {peak} | {r['detail']} |"
        )


if __name__ == "__main__":
    main()

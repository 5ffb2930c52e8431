"""Benchmark: import N synthetic holders (card, membership, status, audit) from CSV.

    .venv/bin/python -m bench.bulk_import --count 1000000 [--database-url postgresql+psycopg://…]

Prints generation time, import time, rows per second and the peak RSS of this process. The
database is created fresh (SQLite file in a temporary directory unless a URL is given; a given
PostgreSQL database must be empty or disposable: all tables are dropped first).
"""

from __future__ import annotations

import argparse
import resource
import tempfile
import time
from datetime import UTC, datetime
from pathlib import Path

from sqlalchemy import text

from passengine.config import REPO_ROOT, Settings
from passengine.services.audit import CLI_OPERATOR
from passengine.services.fixtures import load_holders_csv, load_region, places_of, read_region_file
from passengine.services.holder_import import write_csv
from passengine.services.pii import InszVault
from passengine.services.synthetic import generate_holders
from passengine.storage import migrate
from passengine.storage.db import make_engine, make_sessionmaker, writer

REGION = REPO_ROOT / "fixtures" / "regions" / "maasmechelen"


def main() -> None:
    parser = argparse.ArgumentParser()
    parser.add_argument("--count", type=int, default=100_000)
    parser.add_argument("--database-url")
    args = parser.parse_args()
    today = datetime.now(UTC).date()
    with tempfile.TemporaryDirectory() as tmp:
        csv_path = Path(tmp) / "holders.csv"
        spec = read_region_file(REGION)
        started = time.perf_counter()
        with csv_path.open("w", encoding="utf-8", newline="") as handle:
            write_csv(
                generate_holders(
                    region_id=spec.region.id,
                    places=places_of(spec),
                    count=args.count,
                    seed=1,
                    today=today,
                    first_line=2,
                ),
                handle,
            )
        generated = time.perf_counter() - started
        url = args.database_url or f"sqlite:///{Path(tmp) / 'bench.db'}"
        engine = make_engine(url)
        if engine.dialect.name == "postgresql":
            with engine.begin() as conn:
                conn.execute(text("DROP SCHEMA public CASCADE; CREATE SCHEMA public"))
        migrate.upgrade(engine)
        sessions = make_sessionmaker(writer(engine))
        vault = InszVault.from_settings(Settings(environment="test"))
        with sessions() as session:
            load_region(session, REGION, vault=vault, today=today, actor=CLI_OPERATOR)
        started = time.perf_counter()
        with sessions() as session:
            report = load_holders_csv(
                session, csv_path, vault=vault, today=today, actor=CLI_OPERATOR
            )
        imported = time.perf_counter() - started
        engine.dispose()
    peak_mb = resource.getrusage(resource.RUSAGE_SELF).ru_maxrss / 1024
    print(f"database        {engine.dialect.name}")
    print(f"holders         {report.imported}")
    print(f"generate CSV    {generated:.1f} s")
    print(f"import          {imported:.1f} s")
    print(f"rows per second {report.imported / imported:,.0f}")
    print(f"peak RSS        {peak_mb:.0f} MB")


if __name__ == "__main__":
    main()

"""The benchmark scripts keep working (tiny sizes; the figures themselves are in
docs/benchmarks.md, never asserted here)."""

from __future__ import annotations

import os
import subprocess
import sys

from sqlalchemy.engine import make_url

from tests.conftest import REPO_ROOT, pg_base_url


def run(*args: str) -> str:
    result = subprocess.run(
        [sys.executable, "-m", *args],
        cwd=REPO_ROOT,
        capture_output=True,
        text=True,
        check=True,
        timeout=120,
    )
    return result.stdout


def test_quotes_benchmark_prints_its_rates() -> None:
    out = run("bench.quotes", "--seconds", "0.05")
    assert "quote (holder, 10 rules)" in out
    assert "per second" in out


def test_bulk_import_benchmark_prints_its_rate() -> None:
    out = run("bench.bulk_import", "--count", "300")
    assert "holders         300" in out
    assert "rows per second" in out


def test_cards_benchmark_prints_its_rate_in_memory_and_streamed() -> None:
    out = run("bench.cards", "--count", "12")
    assert "cards            12 (CR80" in out
    assert "cards per second" in out
    out = run("bench.cards", "--count", "25", "--stream", "--sheet", "A4")
    assert "streamed to a file" in out
    assert "pages            6" in out
    assert "peak RSS" in out


def test_reports_benchmark_builds_a_year_and_measures_every_report() -> None:
    """On PostgreSQL (when the tests run there) the bench creates and drops its own database."""
    database: list[str] = []
    if base := pg_base_url():
        name = f"pe_bench_reports_{os.getpid()}"
        database = ["--database-url", make_url(base).set(database=name).render_as_string(False)]
    out = run(
        "bench.reports", "--sales", "600", "--holders", "120", "--xlsx-lines", "50", *database
    )
    assert "history (" in out
    for step in ("settlement summary", "settlement CSV", "participation", "budgets", "annual"):
        assert f"| {step}" in out
    assert "lines (" in out  # the XLSX, over the first days that hold 50 lines
    assert "peak RSS" in out

"""Time the KPI engine on a large company: loading, the full scorecard, a single KPI.

Usage::

    .venv/bin/python bench/bench_kpis.py [--customers 100000] [--months 30] [--repeat 5] [--by region]

Draws the demo company (:func:`bsc.demo.generate_company`), maps and prepares each table as the
app does (:func:`bsc.detect.detect_mapping`, :func:`bsc.prepare.prepare_table`), writes the
canonical Parquet files to a temporary folder, then times on DuckDB:

- load: reading the Parquet files into memory and deriving the tables the KPI queries start
  from (:func:`bsc.kpis.load_tables`: orders, customers by period, customers);
- the full scorecard (every KPI) monthly split by one attribute, monthly for all customers,
  quarterly by the attribute;
- single KPIs (NPS, revenue) monthly, and the cohort retention frame.

Each figure is the median of ``--repeat`` runs after one warm-up run (min and max shown too).
"""

from __future__ import annotations

import argparse
import statistics
import sys
import tempfile
import time
from collections.abc import Callable
from pathlib import Path

import pandas as pd

sys.path.insert(0, str(Path(__file__).resolve().parents[1]))

from bsc.demo import generate_company
from bsc.detect import detect_mapping
from bsc.engine import Backend
from bsc.kpis import KPIS, cohort_retention, compute_kpis, load_tables
from bsc.prepare import prepare_table


def canonical_company(customers: int, months: int, seed: int, folder: Path) -> dict[str, list[Path]]:
    """The demo company's tables, mapped and prepared, written as canonical Parquet files."""
    tables: dict[str, list[Path]] = {}
    for name, frame in generate_company(customers=customers, months=months, seed=seed).items():
        mapping = detect_mapping(frame, name)
        canonical = prepare_table(frame, mapping).canonical
        path = folder / f"{name}.parquet"
        canonical.to_parquet(path, index=False)
        tables.setdefault(mapping.kind, []).append(path)
        print(
            f"  {name:<10} -> {mapping.kind:<12} {len(canonical):>10,} rows  {', '.join(canonical.columns)}"
        )
    return tables


def timed(action: Callable[[], object], repeat: int, warm_up: bool = True) -> list[float]:
    if warm_up:
        action()
    seconds = []
    for _ in range(repeat):
        start = time.perf_counter()
        action()
        seconds.append(time.perf_counter() - start)
    return seconds


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--customers", type=int, default=100_000)
    parser.add_argument("--months", type=int, default=30)
    parser.add_argument("--seed", type=int, default=7)
    parser.add_argument("--repeat", type=int, default=5)
    parser.add_argument("--by", default="region", help="segment attribute for the split scorecards")
    args = parser.parse_args()

    with tempfile.TemporaryDirectory(prefix="bsc-bench-") as folder:
        print(f"Demo company: {args.customers:,} customers, {args.months} months, seed {args.seed}")
        start = time.perf_counter()
        tables = canonical_company(args.customers, args.months, args.seed, Path(folder))
        print(f"  generated and prepared in {time.perf_counter() - start:.1f} s\n")

        def fresh_load() -> None:
            load_tables(tables, backend=Backend.duckdb())

        backend = Backend.duckdb()
        load_seconds = timed(fresh_load, args.repeat, warm_up=False)
        load_tables(tables, backend=backend)

        def scorecard(**options: object) -> Callable[[], object]:
            return lambda: compute_kpis(tables, backend=backend, **options)

        result = compute_kpis(tables, backend=backend, by=args.by)
        cases: list[tuple[str, list[float]]] = [
            ("load (read Parquet, derive order and customer tables)", load_seconds),
            (f"full scorecard, monthly, by {args.by}", timed(scorecard(by=args.by), args.repeat)),
            ("full scorecard, monthly, all customers", timed(scorecard(), args.repeat)),
            (
                f"full scorecard, quarterly, by {args.by}",
                timed(scorecard(period="quarter", by=args.by), args.repeat),
            ),
            ("single KPI: NPS, monthly", timed(scorecard(kpis=["nps"]), args.repeat)),
            ("single KPI: revenue, monthly", timed(scorecard(kpis=["revenue"]), args.repeat)),
            ("cohort retention", timed(lambda: cohort_retention(tables, backend=backend), args.repeat)),
        ]

    computed = len(KPIS) - len(result.unavailable)
    print(f"Scorecard by {args.by}: {computed} of {len(KPIS)} KPIs, {len(result.values):,} rows")
    if result.unavailable:
        print("  unavailable: " + "; ".join(f"{kpi} ({reason})" for kpi, reason in result.unavailable))
    print()
    table = pd.DataFrame(
        [
            {
                "case": name,
                "median s": statistics.median(seconds),
                "min s": min(seconds),
                "max s": max(seconds),
            }
            for name, seconds in cases
        ]
    )
    print(table.to_string(index=False, float_format=lambda seconds: f"{seconds:.3f}"))


if __name__ == "__main__":
    main()

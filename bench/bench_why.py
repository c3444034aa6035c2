"""Time the Why page's two analyses on 200,000 survey responses with comments.

Usage::

    .venv/bin/python bench/bench_why.py [--customers 100000] [--seed 7]

Draws the demo company (100,000 customers give about 200,000 survey responses, half with a
comment), prepares its tables as the app does (canonical Parquet), then times, once each:
reading the rows and candidate drivers of NPS (:func:`bsc.drivers.driver_data`), the key
drivers of NPS (:func:`bsc.drivers.key_drivers`: general dominance over every subset of the
features, 200 bootstrap resamples, at most 50,000 rows), the key drivers of churn (at most 3,000
customers), and the comment themes (:func:`bsc.themes.find_themes`: TF-IDF and NMF, learned on
at most 20,000 comments and applied to all). Targets from issue 15: drivers ≤ 5 s, themes ≤ 10 s.
"""

from __future__ import annotations

import argparse
import sys
import tempfile
import time
from pathlib import Path

sys.path.insert(0, str(Path(__file__).resolve().parents[1]))

from bench.bench_kpis import canonical_company
from bench.common import print_table
from bsc.drivers import driver_data, key_drivers
from bsc.themes import comments_frame, find_themes


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--customers", type=int, default=100_000)
    parser.add_argument("--months", type=int, default=30)
    parser.add_argument("--seed", type=int, default=7)
    args = parser.parse_args()
    with tempfile.TemporaryDirectory() as folder:
        tables = canonical_company(args.customers, args.months, args.seed, Path(folder))
        rows = []
        start = time.perf_counter()
        nps = driver_data(tables, "nps")
        rows.append(
            (f"read the NPS rows and drivers ({len(nps.frame):,} responses)", time.perf_counter() - start, "")
        )
        start = time.perf_counter()
        analysis = key_drivers(nps.frame, "nps", nps.features)
        rows.append(
            (
                f"key drivers of NPS ({len(analysis.drivers)} features, {analysis.rows_used:,} rows, "
                f"{analysis.resamples} resamples)",
                time.perf_counter() - start,
                "≤ 5 s",
            )
        )
        start = time.perf_counter()
        churn = driver_data(tables, "churn")
        churn_analysis = key_drivers(churn.frame, "churn", churn.features)
        rows.append(
            (
                f"key drivers of churn, with its rows ({len(churn_analysis.drivers)} features, "
                f"{churn_analysis.rows_used:,} of {churn_analysis.rows:,} customers)",
                time.perf_counter() - start,
                "≤ 5 s",
            )
        )
        start = time.perf_counter()
        comments = comments_frame(tables)
        themes = find_themes(comments)
        rows.append(
            (
                f"themes of {themes.comments:,} comments ({len(themes.themes)} themes), with reading them",
                time.perf_counter() - start,
                "≤ 10 s",
            )
        )
        print(f"top NPS driver: {analysis.drivers[0].label}; largest theme: {themes.themes[0].label}")
    print_table(f"Why page, {args.customers:,} customers", rows)


if __name__ == "__main__":
    main()

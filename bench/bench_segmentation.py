"""Segmentation speed on the generated company: 100k customers, about 1M orders.

Run: ``.venv/bin/python bench/bench_segmentation.py [--customers 100000] [--repeats 3]``

Prints one row per step with the median of the repeats (the first read of the Parquet files
into DuckDB's memory is timed on its own, once) and the target from the product's goals.
"""

from __future__ import annotations

import argparse
import statistics
import sys
import tempfile
import time
from collections.abc import Callable
from pathlib import Path

sys.path.insert(0, str(Path(__file__).resolve().parents[1]))

import pandas as pd
import pyarrow.parquet as pq

from bsc.demo import generate_company
from bsc.detect import detect_mapping
from bsc.engine import Backend
from bsc.features import customer_features, rfm_features
from bsc.segmentation import (
    DEFAULT_FEATURES,
    CustomerSegmentation,
    default_rfm_segments,
    name_rfm_segments,
    rfm_breaks,
    rfm_scores,
    segment_kpis,
)


def canonical_tables(customers: int, folder: Path) -> dict[str, list[Path]]:
    """The generated company mapped to canonical Parquet tables, as a workspace would store them."""
    from bsc.prepare import prepare_table

    tables: dict[str, list[Path]] = {}
    for name, frame in generate_company(customers=customers).items():
        mapping = detect_mapping(frame, name)
        path = folder / f"{name}.parquet"
        prepare_table(frame, mapping).canonical.to_parquet(path, index=False)
        tables.setdefault(mapping.kind, []).append(path)
    return tables


def timed(step: Callable[[], object], repeats: int) -> tuple[float, object]:
    durations = []
    result = None
    for _ in range(repeats):
        start = time.perf_counter()
        result = step()
        durations.append(time.perf_counter() - start)
    return statistics.median(durations), result


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--customers", type=int, default=100_000)
    parser.add_argument("--repeats", type=int, default=3)
    args = parser.parse_args()

    rows: list[tuple[str, float, str]] = []
    with tempfile.TemporaryDirectory(prefix="bench-segmentation-") as folder:
        start = time.perf_counter()
        tables = canonical_tables(args.customers, Path(folder))
        setup = time.perf_counter() - start
        lines = sum(pq.ParquetFile(path).metadata.num_rows for path in tables["transactions"])
        backend = Backend.duckdb()

        start = time.perf_counter()
        rfm = rfm_features(tables, backend=backend)
        rows.append(
            ("RFM features, first call (reads 1M order lines into memory)", time.perf_counter() - start, "")
        )
        seconds, rfm = timed(lambda: rfm_features(tables, backend=backend), args.repeats)
        rows.append(("RFM features (recency, frequency, monetary, AOV)", seconds, "≤ 0.3 s"))
        seconds, features = timed(lambda: customer_features(tables, backend=backend), args.repeats)
        rows.append((f"All {len(features.frame.columns)} per-customer features", seconds, ""))
        cutoff = features.data_end - pd.Timedelta(days=180)
        seconds, _ = timed(lambda: customer_features(tables, cutoff=cutoff, backend=backend), args.repeats)
        rows.append(("All features with a cutoff 180 days before the end", seconds, ""))

        chosen = features.select(list(DEFAULT_FEATURES))
        seconds, auto = timed(lambda: CustomerSegmentation("auto").fit(chosen), args.repeats)
        rows.append(
            (f"k-means, automatic k (2–10) → k = {auto.k_}, with 4 stability refits", seconds, "≤ 5 s")
        )
        seconds, fixed = timed(lambda: CustomerSegmentation(auto.k_).fit(chosen), args.repeats)
        rows.append((f"k-means, fixed k = {auto.k_}, with 4 stability refits", seconds, "≤ 2 s"))
        seconds, _ = timed(lambda: fixed.project(chosen, max_points=3000), args.repeats)
        rows.append(("PCA map (3,000 points)", seconds, ""))
        seconds, _ = timed(
            lambda: name_rfm_segments(rfm_scores(rfm, rfm_breaks(rfm)), default_rfm_segments()), args.repeats
        )
        rows.append(("RFM quintile scores and segment names", seconds, ""))
        segments = pd.Series([fixed.names_[s] for s in fixed.labels_], index=chosen.index)
        seconds, _ = timed(lambda: segment_kpis(tables, segments, backend=backend), args.repeats)
        rows.append(("KPIs per segment (NPS, churn, revenue/customer, CLV)", seconds, ""))

    width = max(len(step) for step, _, _ in rows)
    print(
        f"Generated company: {args.customers:,} customers ({len(rfm):,} with orders), {lines:,} order lines; "
        f"generated and mapped in {setup:.1f} s"
    )
    print(
        f"Median of {args.repeats} runs; k-means on {len(chosen.columns)} features: {', '.join(chosen.columns)}"
    )
    print()
    print(f"{'step':<{width}}  {'seconds':>8}  {'target':>8}")
    print(f"{'-' * width}  {'-' * 8}  {'-' * 8}")
    for step, seconds, target in rows:
        print(f"{step:<{width}}  {seconds:>8.3f}  {target:>8}")


if __name__ == "__main__":
    main()

"""Time the lifetime models on the generated 100,000-customer company.

Usage::

    .venv/bin/python bench/bench_clv.py [--customers 100000] [--months 30] [--seed 7]

Draws the demo company, prepares its tables as the app does (canonical Parquet), then times:
reading the transactions, the per-customer summary (:func:`bsc.clv.rfm_summary`, calibration to
the data's last day minus 26 weeks), the BG/NBD and Gamma-Gamma fits, the per-customer forecast
and lifetime value, and the Kaplan–Meier curves of all customers and per region with the
log-rank test, and the shifted beta-geometric on the customers' months (life table, fit,
held-out check). Targets from issue 16: both fits ≤ 5 s on 100k customers / ~1M orders; the
survival curves of 100k customers ≤ 1 s.
"""

from __future__ import annotations

import argparse
import sys
import tempfile
import time
from pathlib import Path

import pandas as pd

sys.path.insert(0, str(Path(__file__).resolve().parents[1]))

from bench.bench_kpis import canonical_company
from bench.common import print_table
from bsc.clv import (
    BetaGeoModel,
    GammaGammaModel,
    ShiftedBetaGeoModel,
    SurvivalData,
    customer_forecast,
    held_out_check,
    life_table_from_survival,
    rfm_summary,
    survival_curves,
    survival_from_tables,
    transactions_from_tables,
)


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--customers", type=int, default=100_000)
    parser.add_argument("--months", type=int, default=30)
    parser.add_argument("--seed", type=int, default=7)
    args = parser.parse_args()
    with tempfile.TemporaryDirectory(prefix="bench-clv-") as folder:
        print(f"Drawing the demo company: {args.customers:,} customers, {args.months} months")
        tables = canonical_company(args.customers, args.months, args.seed, Path(folder))
        rows: list[tuple[str, float, str]] = []

        start = time.perf_counter()
        transactions = transactions_from_tables(tables)
        rows.append((f"read {len(transactions):,} transaction lines", time.perf_counter() - start, ""))

        calibration_end = pd.to_datetime(transactions["date"]).max() - pd.Timedelta(weeks=26)
        start = time.perf_counter()
        summary = rfm_summary(transactions, calibration_end)
        rows.append((f"summary of {len(summary):,} customers", time.perf_counter() - start, ""))

        start = time.perf_counter()
        purchases = BetaGeoModel().fit(summary["frequency"], summary["recency"], summary["T"])
        bg_seconds = time.perf_counter() - start
        rows.append(("BG/NBD fit", bg_seconds, ""))
        buyers = summary[(summary["frequency"] > 0) & (summary["monetary_value"] > 0)]
        start = time.perf_counter()
        spend = GammaGammaModel().fit(buyers["frequency"], buyers["monetary_value"])
        gg_seconds = time.perf_counter() - start
        rows.append((f"Gamma-Gamma fit ({len(buyers):,} repeat buyers)", gg_seconds, ""))
        rows.append(("both fits", bg_seconds + gg_seconds, "≤ 5 s"))

        start = time.perf_counter()
        forecast = customer_forecast(purchases, spend, summary, horizon=26, margin=0.3)
        rows.append(("forecast and 12-month CLV per customer", time.perf_counter() - start, ""))

        start = time.perf_counter()
        data = survival_from_tables(tables)
        read_seconds = time.perf_counter() - start
        rows.append((f"read {len(data.frame):,} customers' durations", read_seconds, ""))
        start = time.perf_counter()
        curves, _ = survival_curves(data)
        km_seconds = time.perf_counter() - start
        rows.append(("Kaplan–Meier, all customers", km_seconds, "≤ 1 s"))
        by_region = survival_from_tables(tables, "region")
        start = time.perf_counter()
        region_curves, p_value = survival_curves(by_region)
        rows.append(
            (
                f"Kaplan–Meier per region ({len(region_curves)}) + log-rank",
                time.perf_counter() - start,
                "≤ 1 s",
            )
        )
        rows += time_subscriptions(data)

    print_table(f"Lifetime models, {args.customers:,} customers", rows)
    p, b = purchases.params_, spend.params_
    print(
        f"\nBG/NBD r {p.r:.3f} alpha {p.alpha:.3f} a {p.a:.3f} b {p.b:.3f}; Gamma-Gamma p {b.p:.3f} q {b.q:.3f} "
        f"v {b.v:.3f}; mean CLV {forecast['clv'].mean():.2f}; median lifetime {curves[0].median} days; "
        f"log-rank p between regions {p_value}"
    )


def time_subscriptions(data: SurvivalData) -> list[tuple[str, float, str]]:
    """The sBG on the customers' durations: the monthly life table, the fit, the held-out check."""
    rows: list[tuple[str, float, str]] = []
    start = time.perf_counter()
    table = life_table_from_survival(data)
    rows.append(
        (
            f"life table of {len(data.frame):,} customers ({len(table)} months)",
            time.perf_counter() - start,
            "",
        )
    )
    start = time.perf_counter()
    model = ShiftedBetaGeoModel().fit(table)
    rows.append(("sBG fit", time.perf_counter() - start, ""))
    start = time.perf_counter()
    check = held_out_check(table, max(2, round(2 * len(table) / 3)), "month")
    rows.append(("sBG held-out check (fit on two thirds)", time.perf_counter() - start, ""))
    p = model.params_
    print(f"sBG alpha {p.alpha:.3f} beta {p.beta:.3f}; {check.verdict}")
    return rows


if __name__ == "__main__":
    main()

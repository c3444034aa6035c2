"""Time the churn lab on 100,000 customers: a raw 30-column table, and the demo company's workspace.

Usage::

    .venv/bin/python bench/bench_churn.py [--customers 100000] [--features 30] [--n-jobs 1 2] [--skip-demo]

Part 1 draws a customers table of ``--customers`` rows and ``--features`` columns (numbers, some
stored as text with blank cells, categories and yes/no flags; churn depends on a few of them) and
times the steps of :func:`bsc.churn.analyse_churn`: typing the columns and checking for leaks,
5-fold cross-validation of logistic regression and gradient boosting with permutation importance
and the final fit (progress printed as it goes), and the at-risk list with reasons.

Part 2 draws the demo company with as many customers, prepares its tables as the app does, and
times the workspace path: per-customer features before the cutoff and at the end of the data,
the analysis, and the predicted churn per segment for the Scorecard from that analysis (the app
keeps analyses between pages): :func:`bsc.churn.forecast_data` and
:func:`bsc.churn.predicted_churn`.
"""

from __future__ import annotations

import argparse
import sys
import tempfile
import time
from pathlib import Path

import numpy as np
import pandas as pd

sys.path.insert(0, str(Path(__file__).resolve().parents[1]))

from bench.bench_kpis import canonical_company
from bench.common import print_table
from bsc.churn import (
    analyse_churn,
    at_risk_customers,
    churn_data_from_table,
    churn_data_from_workspace,
    forecast_data,
    predicted_churn,
)

TARGET = "≤ 60 s for the 5-fold CV of both models"


def synthetic_customers(rows: int, features: int, seed: int = 3) -> pd.DataFrame:
    """A raw customers table: ``features`` columns plus an id and a Yes/No churn column.

    Churn follows a logistic model on four numbers and one category; the rest is noise.
    Three numbers are written as text with blank cells, the way spreadsheets export them.
    """
    rng = np.random.default_rng(seed)
    categories = max(1, features // 4)
    flags = max(1, features // 10)
    numbers = features - categories - flags
    frame: dict[str, object] = {"customer_id": [f"K{i:07d}" for i in range(rows)]}
    values = rng.standard_normal((rows, numbers))
    for i in range(numbers):
        column = values[:, i] * 10 + 50
        if i < 3:
            text = pd.Series(np.round(column, 2)).astype(str)
            text[rng.random(rows) < 0.02] = " "
            frame[f"number_{i}"] = text
        else:
            frame[f"number_{i}"] = column
    levels = [f"level_{j}" for j in range(8)]
    category_codes = rng.integers(0, len(levels), (rows, categories))
    for i in range(categories):
        frame[f"category_{i}"] = np.asarray(levels)[category_codes[:, i]]
    for i in range(flags):
        frame[f"flag_{i}"] = np.where(rng.random(rows) < 0.3, "Yes", "No")
    logit = (
        -1.6
        + 0.9 * values[:, 0]
        - 0.7 * values[:, 3]
        + 0.5 * values[:, 4]
        + 0.3 * (category_codes[:, 0] == 2)
    )
    frame["Churn"] = np.where(rng.random(rows) < 1 / (1 + np.exp(-logit)), "Yes", "No")
    return pd.DataFrame(frame)


def bench_table(rows: int, features: int, threads: list[int]) -> list[tuple[str, float, str]]:
    table = synthetic_customers(rows, features)
    print(f"Raw table: {len(table):,} rows × {table.shape[1] - 2} feature columns")
    started = time.perf_counter()
    data = churn_data_from_table(table)
    label_seconds = time.perf_counter() - started

    def progress(fraction: float, message: str) -> None:
        print(f"  {time.perf_counter() - started:6.1f} s  {fraction:4.0%}  {message}")

    timings: list[tuple[str, float, str]] = [("find and read the churn column", label_seconds, "")]
    for n_jobs in threads:
        print(f"  with {n_jobs} thread(s):")
        started = time.perf_counter()
        analysis = analyse_churn(data, n_jobs=n_jobs, progress=progress)
        timings.append(
            (
                f"type columns, leak checks, 5-fold CV of both models, importance, final fit ({n_jobs} thread(s))",
                time.perf_counter() - started,
                TARGET,
            )
        )
    started = time.perf_counter()
    at_risk = at_risk_customers(analysis, top=500)
    timings.append(("at-risk list: 500 customers with 3 reasons each", time.perf_counter() - started, ""))
    scores = analysis.model.scores_
    print(
        f"  features used {len(analysis.plan.used)}, excluded {len(analysis.plan.excluded)}; "
        f"logreg AUC {scores['logreg'].roc_auc:.3f} ± {scores['logreg'].roc_auc_std:.3f}, "
        f"gbm AUC {scores['gbm'].roc_auc:.3f} ± {scores['gbm'].roc_auc_std:.3f}; chosen {analysis.model.chosen_}; "
        f"top columns {', '.join(analysis.model.importance_['column'].head(4))}; at-risk rows {len(at_risk)}"
    )
    return timings


def bench_workspace(customers: int, n_jobs: int | None) -> list[tuple[str, float, str]]:
    with tempfile.TemporaryDirectory() as folder:
        print(f"Demo company with {customers:,} customers:")
        tables = canonical_company(customers, 30, 7, Path(folder))
        started = time.perf_counter()
        data = churn_data_from_workspace(tables)
        data_seconds = time.perf_counter() - started
        print(f"  {data.definition.text}")
        print(
            f"  {len(data.customers):,} labelled, {int(data.churned.sum()):,} churners, {len(data.current):,} to score"
        )
        started = time.perf_counter()
        analysis = analyse_churn(data, n_jobs=n_jobs)
        analyse_seconds = time.perf_counter() - started
        started = time.perf_counter()
        forecast = forecast_data(tables, period="month")
        # The app keeps analyses by the data's fingerprint: the forecast finds this analysis.
        assert forecast.fingerprint() == data.fingerprint()
        predicted = predicted_churn(analysis, by="plan", period="month")
        predicted_seconds = time.perf_counter() - started
        scores = analysis.scores
        groups = analysis.model.group_importance_
        print(
            f"  chosen {analysis.model.chosen_}, AUC {scores.roc_auc:.3f} ± {scores.roc_auc_std:.3f}; drivers: "
            + ", ".join(f"{g} {v:.3f}" for g, v in zip(groups["group"], groups["importance"], strict=True))
        )
        print(predicted.to_string(index=False))
    return [
        ("workspace features before the cutoff and at the end (Ibis on DuckDB) and labels", data_seconds, ""),
        (
            "analysis of the workspace (5-fold CV of both models, importance, final fit)",
            analyse_seconds,
            TARGET,
        ),
        (
            "predicted churn per plan for the next month (features again, the analysis above kept)",
            predicted_seconds,
            "",
        ),
    ]


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--customers", type=int, default=100_000)
    parser.add_argument("--features", type=int, default=30)
    parser.add_argument(
        "--n-jobs",
        type=int,
        nargs="+",
        default=[1, 2],
        help="threads for the models, one timed run per value (default: 1 2)",
    )
    parser.add_argument("--skip-demo", action="store_true", help="time the raw table only")
    args = parser.parse_args()
    rows = bench_table(args.customers, args.features, args.n_jobs)
    print_table(f"Churn lab: raw table, {args.customers:,} customers × {args.features} columns", rows)
    if not args.skip_demo:
        rows = bench_workspace(args.customers, args.n_jobs[0])
        print_table(f"Churn lab: demo company workspace, {args.customers:,} customers", rows)


if __name__ == "__main__":
    main()

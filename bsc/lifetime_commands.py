"""The command line's lifetime commands: ``clv`` (BG/NBD and Gamma-Gamma back-tested on a holdout,
the shifted beta-geometric on subscription data) and ``survival`` (Kaplan–Meier curves and the
log-rank test), registered by :func:`add_lifetime_commands` in :mod:`bsc.cli`."""

from __future__ import annotations

import argparse
import sys
from pathlib import Path
from typing import TYPE_CHECKING

from bsc.errors import InputError
from bsc.json_output import strict_json

if TYPE_CHECKING:
    from bsc.clv import BackTest, SubscriptionRetention

__all__ = ["add_lifetime_commands", "clv_command", "survival_command"]


def clv_command(args: argparse.Namespace) -> int:
    """Fit BG/NBD and Gamma-Gamma on the calibration period and back-test them on the holdout;
    fit the shifted beta-geometric (sBG) on subscription data.

    ``holdout``: ``actual`` and ``predicted`` are the calibration customers' total repeat
    purchases (purchase days) in the holdout, ``rmse`` the model's root mean square error per
    customer and ``naive_rmse`` that of each customer's past rate × the holdout length.
    ``gamma_gamma`` is null when no spend model can be fitted. Times are in weeks.

    ``sbg`` (when a customers table holds signup and churn dates, or a tenure and a churn flag):
    the retention model's ``alpha`` and ``beta``, its projected share still here per month, and
    ``held_out``: fitted on the first ``calibration_periods`` months only, its projection of the
    share still here against the actual (Kaplan–Meier) share, with the mean absolute ``error``
    and that of one constant retention rate. ``--model`` picks one model; ``auto`` fits both
    where the data allow.
    """
    from bsc.workspace import files_workspace

    with files_workspace(args.files) as (tables, refused):
        for message in refused:
            print(f"warning: {message}", file=sys.stderr)
        report, back = _purchase_models(tables, args)
        retention = _subscription_model(tables, args)
    if retention is not None:
        report["sbg"] = retention.as_json()
    if args.json:
        print(strict_json(report))
        return 0
    if back is not None:
        _print_back_test(back)
    if retention is not None:
        _print_retention(retention)
    return 0


def _purchase_models(tables: dict, args: argparse.Namespace) -> tuple[dict, BackTest | None]:
    """The BG/NBD back-test's JSON report and result; an empty report when ``auto`` finds no log."""
    from bsc.clv.backtest import back_test_of_tables
    from bsc.clv.stored_log import require_transactions

    if args.model == "sbg":
        return {}, None
    try:
        require_transactions(tables)
        if args.calibration_end is None:
            raise InputError("BG/NBD needs --calibration-end DATE (the last day of the calibration period).")
    except InputError as error:
        if args.model == "bg_nbd" or "customers" not in tables:
            raise
        print(f"note: BG/NBD not fitted: {error}", file=sys.stderr)
        return {}, None
    result = back_test_of_tables(tables, args.calibration_end, args.holdout_end)
    purchases = result.purchases.params_
    spend = result.spend.params_ if result.spend is not None else None
    report = {
        "bg_nbd": {"r": purchases.r, "alpha": purchases.alpha, "a": purchases.a, "b": purchases.b},
        "gamma_gamma": None if spend is None else {"p": spend.p, "q": spend.q, "v": spend.v},
        "holdout": {
            "actual": result.actual,
            "predicted": result.predicted,
            "rmse": result.rmse,
            "naive_rmse": result.naive_rmse,
        },
        "customers": result.purchases.customers_,
    }
    return report, result


def _subscription_model(tables: dict, args: argparse.Namespace) -> SubscriptionRetention | None:
    """The sBG fitted on the customers table; None when ``auto`` finds no subscription data."""
    from bsc.clv import life_table_from_survival, subscription_retention, survival_from_tables

    if args.model == "bg_nbd":
        return None
    try:
        data = survival_from_tables(tables)
        return subscription_retention(
            life_table_from_survival(data), calibration_periods=args.calibration_periods
        )
    except InputError:
        if args.model == "sbg":
            raise
        return None


def _print_back_test(result: BackTest) -> None:
    purchases = result.purchases.params_
    spend = result.spend.params_ if result.spend is not None else None
    print(f"{result.purchases.customers_:,} customers bought by the calibration end; times in weeks.")
    print(
        f"BG/NBD (purchases): r {purchases.r:.3f}, alpha {purchases.alpha:.3f}, a {purchases.a:.3f}, "
        f"b {purchases.b:.3f}  (rate ~ Gamma(r, alpha), dropout ~ Beta(a, b))"
    )
    if spend is None:
        print(f"Gamma-Gamma (spend): not fitted: {result.spend_note}")
    else:
        print(f"Gamma-Gamma (spend per purchase): p {spend.p:.3f}, q {spend.q:.3f}, v {spend.v:.3f}")
        if result.spend_note:
            print(f"  {result.spend_note}")
    print(
        f"Holdout of {result.holdout_length:.1f} weeks: {result.actual:,.0f} repeat purchases happened, "
        f"the model predicted {result.predicted:,.1f}, the past rates {result.naive_predicted:,.1f}."
    )
    print(result.verdict)
    print(
        f"{'repeat purchases in calibration':<32} {'customers':>9} {'actual':>8} {'model':>8} {'past rate':>9}"
    )
    for group, row in result.by_frequency.iterrows():
        print(
            f"{group:<32} {row['customers']:>9,.0f} {row['actual']:>8.2f} {row['predicted']:>8.2f} {row['naive']:>9.2f}"
        )
    print("(mean repeat purchases per customer in the holdout)")


def _print_retention(retention: SubscriptionRetention) -> None:
    p = retention.params
    print(
        f"Shifted beta-geometric (subscriptions): alpha {p.alpha:.3f}, beta {p.beta:.3f} over "
        f"{retention.customers:,} customers and {retention.periods} {retention.period_name}s "
        "(churn at each renewal ~ Beta(alpha, beta))."
    )
    projection = retention.projection
    if retention.alike_note:
        print(retention.alike_note)
    marks = [t for t in (1, 3, 6, 12, 24, 36) if t in projection.index]
    print(
        "Projected share still here: "
        + ", ".join(f"{projection.loc[t, 'survival']:.1%} after {t}" for t in marks)
    )
    print(
        retention.held_out.verdict
        if retention.held_out is not None
        else f"Held-out check: {retention.held_out_note}"
    )


def survival_command(args: argparse.Namespace) -> int:
    """Kaplan–Meier retention curves, per segment with ``--by``, and the log-rank p between them.

    ``times`` are in the data's own unit (days from signup for dates, the tenure column's unit);
    ``survival`` is the share of customers still here just after each time, ``ci_low`` and
    ``ci_high`` its 95 % interval; ``median`` the median lifetime (null while more than half
    are still here); ``logrank_p`` tests that all segments share one curve (null with one).
    """
    from bsc.clv import survival_curves, survival_from_tables
    from bsc.workspace import files_workspace

    with files_workspace(args.files) as (tables, refused):
        for message in refused:
            print(f"warning: {message}", file=sys.stderr)
        from bsc.cli import _segment_attribute

        data = survival_from_tables(tables, _segment_attribute(tables, args.by))
    curves, p_value = survival_curves(data)
    if data.dropped:
        print(
            f"warning: {data.dropped} customer(s) without a usable duration were left out.", file=sys.stderr
        )
    if args.json:
        report = {
            "curves": [
                {
                    "segment": curve.segment,
                    "times": curve.times,
                    "survival": curve.survival,
                    "ci_low": curve.ci_low,
                    "ci_high": curve.ci_high,
                    "median": curve.median,
                }
                for curve in curves
            ],
            "logrank_p": p_value,
        }
        print(strict_json(report))
        return 0
    print(f"Kaplan–Meier retention; times in {data.unit}.")
    print(
        f"{'segment':<24} {'customers':>9} {'churned':>8} {'median lifetime':>16}  retention at the last time (95% interval)"
    )
    for curve in curves:
        median = "not reached" if curve.median is None else f"{curve.median:g}"
        last = f"{curve.survival[-1]:.1%} at {curve.times[-1]:g} ({curve.ci_low[-1]:.1%} to {curve.ci_high[-1]:.1%})"
        print(f"{curve.segment:<24} {curve.customers:>9,} {curve.churned:>8,} {median:>16}  {last}")
    if p_value is not None:
        verdict = "differ" if p_value < 0.05 else "do not differ detectably"
        print(f"Log-rank test: p = {p_value:.3g}; the segments' survival curves {verdict} (at the 5% level).")
    return 0


def add_lifetime_commands(commands: argparse._SubParsersAction) -> None:
    """Register ``clv`` and ``survival`` on the command line's sub-commands."""
    from bsc.cli import _positive_int

    clv = commands.add_parser(
        "clv", help="fit BG/NBD and Gamma-Gamma on a calibration period and back-test them on the holdout"
    )
    clv.add_argument("files", nargs="+", type=Path)
    clv.add_argument(
        "--calibration-end", metavar="DATE", help="last day of the calibration period (needed for BG/NBD)"
    )
    clv.add_argument(
        "--holdout-end",
        metavar="DATE",
        help="last day of the holdout (default: the last purchase in the data)",
    )
    clv.add_argument(
        "--model",
        choices=("auto", "bg_nbd", "sbg"),
        default="auto",
        help="bg_nbd: purchases from a transaction log; sbg: subscriptions from a customers table; "
        "auto (default): each one the files allow",
    )
    clv.add_argument(
        "--calibration-periods",
        type=_positive_int,
        metavar="K",
        help="sBG held-out check: fit on the first K months (default: two thirds of them)",
    )
    clv.add_argument("--json", action="store_true", help="print JSON")
    clv.set_defaults(run=clv_command)

    survival = commands.add_parser("survival", help="Kaplan–Meier retention curves and the log-rank test")
    survival.add_argument("files", nargs="+", type=Path)
    survival.add_argument("--by", metavar="ATTR", help="one curve per value of a segment attribute")
    survival.add_argument("--json", action="store_true", help="print JSON")
    survival.set_defaults(run=survival_command)

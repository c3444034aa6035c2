"""What the Lifetime value page and the Scorecard's CLV tile show, as results that can be kept.

The fitted model objects are not kept (:mod:`bsc.result_files` keeps data, not code); these
frozen records hold their parameters and the tables drawn from them, registered with
:func:`bsc.result_files.keep_type`:

- :class:`PurchaseBackTest`: the BG/NBD back-test as the user sees it, with predicted against
  actual repeat purchases per holdout week (:func:`purchase_back_test`);
- :class:`FittedLifetimes`: BG/NBD and Gamma-Gamma fitted on every purchase to the data's end,
  with each customer's summary, from which :func:`customer_values` computes the CLV for any
  margin and discount rate in a fraction of a second (:func:`fit_lifetimes`);
- :class:`SurvivalReport`: Kaplan–Meier curves by segment and the log-rank p (:func:`survival_report`).

The app and the command line call the ``*_of_tables`` forms (:func:`calibration_window_of_tables`,
:func:`purchase_back_test_of_tables`, :func:`fit_lifetimes_of_tables`): DuckDB summarises the
stored transaction files (:mod:`bsc.clv.stored_log`), so the order log is never read into pandas
(at ten million order lines the pandas forms take gigabytes). The forms taking a transaction frame
compute the same figures in pandas.
"""

from __future__ import annotations

from collections.abc import Callable, Mapping, Sequence
from dataclasses import dataclass
from pathlib import Path

import numpy as np
import pandas as pd

from bsc.clv._fitting import weighted_rows
from bsc.clv.backtest import BackTest, back_test, back_test_of_tables, fit_spend_model
from bsc.clv.bg_nbd import BetaGeoModel, BetaGeoParams
from bsc.clv.gamma_gamma import GammaGammaModel, GammaGammaParams
from bsc.clv.stored_log import holdout_purchases_by_week, purchase_span, rfm_summary_of_tables
from bsc.clv.summary import WEEK, as_day, rfm_summary
from bsc.clv.survival import SurvivalCurve, survival_curves, survival_from_tables
from bsc.clv.value import customer_forecast
from bsc.errors import InputError
from bsc.result_files import keep_type

__all__ = [
    "FittedLifetimes",
    "PurchaseBackTest",
    "SurvivalReport",
    "calibration_window",
    "calibration_window_of_tables",
    "customer_values",
    "fit_lifetimes",
    "fit_lifetimes_of_summary",
    "fit_lifetimes_of_tables",
    "logrank_words",
    "monthly_discount",
    "purchase_back_test",
    "purchase_back_test_of_tables",
    "survival_report",
    "window_between",
]

for _kept in (BetaGeoParams, GammaGammaParams, SurvivalCurve):
    keep_type(_kept)

Tables = Mapping[str, Sequence[Path | str]]

# FHL (2005) held out half of 78 weeks; a holdout longer than a year adds little to the check.
_LONGEST_HOLDOUT_DAYS = 364
_SHORTEST_CALIBRATION_DAYS = 28


def monthly_discount(yearly: float) -> float:
    """The monthly rate equivalent to ``yearly``: (1 + yearly)^(1/12) − 1 (10 %/yr → 0.797 %/month)."""
    if yearly < 0:
        raise InputError("The discount rate must not be negative.")
    return (1 + yearly) ** (1 / 12) - 1


def calibration_window(transactions: pd.DataFrame) -> tuple[pd.Timestamp, pd.Timestamp, pd.Timestamp]:
    """The first and last purchase days and the default calibration end between them.

    The default leaves half the span for the holdout, at most 52 weeks (the CDNOW sample's 78
    weeks give FHL's split: calibration to 1997-09-30).

    Raises
    ------
    InputError
        When the log spans fewer than five weeks: too short to hold anything out.
    """
    days = pd.to_datetime(transactions["date"], errors="coerce").dropna()
    if days.empty:
        raise InputError("The transactions hold no readable date.")
    if days.dt.tz is not None:
        days = days.dt.tz_localize(None)
    return window_between(days.min().normalize(), days.max().normalize())


def calibration_window_of_tables(tables: Tables) -> tuple[pd.Timestamp, pd.Timestamp, pd.Timestamp]:
    """:func:`calibration_window` of a workspace's transaction files, by one DuckDB min/max query."""
    return window_between(*purchase_span(tables))


def window_between(
    first: pd.Timestamp, last: pd.Timestamp
) -> tuple[pd.Timestamp, pd.Timestamp, pd.Timestamp]:
    """``first``, ``last`` and the default calibration end between these purchase days (see
    :func:`calibration_window`)."""
    span = (last - first).days
    if span < _SHORTEST_CALIBRATION_DAYS + 7:
        raise InputError(
            f"The orders span {span} days: too short to fit on a calibration period and test on a later one."
        )
    holdout = min(_LONGEST_HOLDOUT_DAYS, (span + 1) // 2)
    return first, last, last - pd.Timedelta(days=holdout)


@keep_type
@dataclass(frozen=True)
class PurchaseBackTest:
    """The back-test's figures (see :class:`bsc.clv.BackTest`) without the fitted models.

    ``weekly``: per holdout week (``week`` 1, 2, …, ``week_start``), the calibration customers'
    ``actual`` repeat purchases and the BG/NBD's ``predicted`` ones. ``by_frequency``: mean
    holdout purchases per customer by calibration repeat purchases (0 … 7+), actual, model and
    past rate.
    """

    calibration_end: pd.Timestamp
    holdout_end: pd.Timestamp
    customers: int
    purchases: BetaGeoParams
    spend: GammaGammaParams | None
    spend_note: str | None
    holdout_weeks: float
    actual: float
    predicted: float
    naive_predicted: float
    rmse: float
    naive_rmse: float
    model_is_better: bool
    verdict: str
    weekly: pd.DataFrame
    by_frequency: pd.DataFrame


def purchase_back_test(
    transactions: pd.DataFrame,
    calibration_end: pd.Timestamp | str,
    holdout_end: pd.Timestamp | str | None = None,
) -> PurchaseBackTest:
    """:func:`bsc.clv.back_test` in weeks, with the holdout's repeat purchases week by week.

    A week's prediction is the sum over customers of E[Y(w)] − E[Y(w − 1)], the BG/NBD expected
    purchases in the first w weeks after the calibration end less those in the first w − 1
    (the last week may be shorter). Its actual count is the calibration customers' purchase days
    in it.
    """
    result = back_test(transactions, calibration_end, holdout_end)
    cal_end = as_day(calibration_end, "calibration end")

    def by_week(holdout_end_day: pd.Timestamp, weeks: int) -> pd.Series:
        log = pd.DataFrame(
            {
                "customer_id": transactions["customer_id"],
                "day": pd.to_datetime(transactions["date"], errors="coerce").dt.normalize(),
            }
        ).dropna()
        if log["day"].dt.tz is not None:
            log["day"] = log["day"].dt.tz_localize(None)
        later = log[
            (log["day"] > cal_end)
            & (log["day"] <= holdout_end_day)
            & log["customer_id"].isin(result.summary.index)
        ]
        later = later.drop_duplicates()
        week = ((later["day"] - cal_end).dt.days - 1) // 7 + 1
        return week.value_counts().reindex(range(1, weeks + 1), fill_value=0)

    return _by_week(result, cal_end, by_week)


def purchase_back_test_of_tables(
    tables: Tables,
    calibration_end: pd.Timestamp | str,
    holdout_end: pd.Timestamp | str | None = None,
) -> PurchaseBackTest:
    """:func:`purchase_back_test` of a workspace's transaction files: the summary and the weekly
    actual counts computed by DuckDB over the files (:mod:`bsc.clv.stored_log`), the log never
    read into pandas."""
    result = back_test_of_tables(tables, calibration_end, holdout_end)
    cal_end = as_day(calibration_end, "calibration end")
    return _by_week(
        result,
        cal_end,
        lambda holdout_end_day, weeks: holdout_purchases_by_week(tables, cal_end, holdout_end_day, weeks),
    )


def _by_week(
    result: BackTest, cal_end: pd.Timestamp, actual_by_week: Callable[[pd.Timestamp, int], pd.Series]
) -> PurchaseBackTest:
    """The back-test's figures with the predicted and (``actual_by_week(holdout end, weeks)``)
    actual purchases per holdout week."""
    summary = result.summary
    length = result.holdout_length
    edges = np.r_[np.arange(0.0, length, 1.0), length]
    rows, weights = weighted_rows(
        summary["frequency"].to_numpy(float), summary["recency"].to_numpy(float), summary["T"].to_numpy(float)
    )
    cumulative = np.array(
        [weights @ result.purchases.expected_purchases(edge, *rows.T) if edge > 0 else 0.0 for edge in edges]
    )
    predicted = np.diff(cumulative)
    holdout_end_day = cal_end + pd.Timedelta(days=round(length * WEEK))
    actual = actual_by_week(holdout_end_day, len(predicted))
    weekly = pd.DataFrame(
        {
            "week": np.arange(1, len(predicted) + 1),
            "week_start": [cal_end + pd.Timedelta(days=7 * w + 1) for w in range(len(predicted))],
            "actual": actual.to_numpy(dtype=float),
            "predicted": predicted,
        }
    )
    spend = result.spend.params_ if result.spend is not None else None
    return PurchaseBackTest(
        calibration_end=cal_end,
        holdout_end=holdout_end_day,
        customers=result.purchases.customers_,
        purchases=result.purchases.params_,
        spend=spend,
        spend_note=result.spend_note,
        holdout_weeks=length,
        actual=result.actual,
        predicted=result.predicted,
        naive_predicted=result.naive_predicted,
        rmse=result.rmse,
        naive_rmse=result.naive_rmse,
        model_is_better=result.model_is_better,
        verdict=result.verdict,
        weekly=weekly,
        by_frequency=result.by_frequency.reset_index(),
    )


@keep_type
@dataclass(frozen=True)
class FittedLifetimes:
    """BG/NBD and Gamma-Gamma fitted on every purchase to ``data_end``; ``summary`` per customer
    (``frequency``, ``recency``, ``T`` in weeks, ``monetary_value``). ``spend`` is None, with
    ``spend_note`` saying why, when no spend model could be fitted."""

    data_end: pd.Timestamp
    purchases: BetaGeoParams
    spend: GammaGammaParams | None
    spend_note: str | None
    summary: pd.DataFrame


def fit_lifetimes(transactions: pd.DataFrame) -> FittedLifetimes:
    """Fit both models on the whole log, up to its last purchase day (for today's forecasts)."""
    _, last, _ = calibration_window(transactions)
    return fit_lifetimes_of_summary(rfm_summary(transactions, last), last)


def fit_lifetimes_of_tables(tables: Tables) -> FittedLifetimes:
    """:func:`fit_lifetimes` of a workspace's transaction files, summarised by DuckDB
    (:func:`bsc.clv.stored_log.rfm_summary_of_tables`): the log is never read into pandas."""
    _, last, _ = calibration_window_of_tables(tables)
    return fit_lifetimes_of_summary(rfm_summary_of_tables(tables, last), last)


def fit_lifetimes_of_summary(summary: pd.DataFrame, data_end: pd.Timestamp) -> FittedLifetimes:
    """Fit both models on a summary calibrated to the data's last purchase day ``data_end``."""
    purchases = BetaGeoModel().fit(summary["frequency"], summary["recency"], summary["T"])
    spend, note = fit_spend_model(summary)
    if spend is not None and spend.params_.q <= 1:
        spend, note = (
            None,
            f"The fitted spend model has q = {spend.params_.q:.3g} ≤ 1 (an infinite mean spend).",
        )
    return FittedLifetimes(
        data_end=data_end,
        purchases=purchases.params_,
        spend=None if spend is None else spend.params_,
        spend_note=note,
        summary=summary,
    )


def customer_values(
    fitted: FittedLifetimes,
    *,
    margin: float,
    yearly_discount: float,
    months: int = 12,
    horizon_weeks: float = 52.0,
) -> pd.DataFrame:
    """Per customer, best first: purchases expected in ``horizon_weeks``, P(alive), expected spend
    per purchase and the CLV over ``months`` months (:func:`bsc.clv.customer_forecast`).

    Raises
    ------
    InputError
        When no spend model could be fitted (the CLV needs one).
    """
    if fitted.spend is None:
        raise InputError(f"No lifetime value without a spend model: {fitted.spend_note}")
    purchases = BetaGeoModel()
    purchases.params_ = fitted.purchases
    spend = GammaGammaModel()
    spend.params_ = fitted.spend
    forecast = customer_forecast(
        purchases,
        spend,
        fitted.summary,
        horizon=horizon_weeks,
        months=months,
        margin=margin,
        monthly_discount=monthly_discount(yearly_discount),
    )
    forecast.insert(0, "past_purchases", fitted.summary["frequency"] + 1)
    return forecast.sort_values("clv", ascending=False)


@keep_type
@dataclass(frozen=True)
class SurvivalReport:
    """Kaplan–Meier curves (one per segment of ``by``, or one) in ``unit``, the log-rank p between
    them (None with one curve) and the customers ``dropped`` for want of a duration."""

    curves: list[SurvivalCurve]
    logrank_p: float | None
    unit: str
    by: str | None
    dropped: int


def survival_report(tables: Mapping[str, Sequence[Path | str]], by: str | None = None) -> SurvivalReport:
    """:func:`bsc.clv.survival_curves` of a workspace's customers table."""
    data = survival_from_tables(tables, by)
    curves, p_value = survival_curves(data)
    return SurvivalReport(curves=curves, logrank_p=p_value, unit=data.unit, by=by, dropped=data.dropped)


def logrank_words(p_value: float | None, segments: int) -> str:
    """The log-rank test in one plain sentence."""
    if p_value is None:
        return (
            "One curve only: nothing to compare."
            if segments < 2
            else "No customer left yet, so the curves cannot be compared."
        )
    if p_value < 0.05:
        return (
            f"The segments' retention differs beyond chance (log-rank test, p = {p_value:.2g}: a difference this "
            "large would turn up by chance less than 1 time in 20)."
        )
    return (
        f"The segments' retention does not differ detectably (log-rank test, p = {p_value:.2g}): the gaps between "
        "the curves are within what chance alone gives."
    )

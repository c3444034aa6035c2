"""The back-test: fit on a calibration period, predict the holdout's repeat purchases, score both.

The models are fitted on the purchases up to the calibration end; each calibration customer's
repeat purchases (purchase days) in the holdout are predicted with
:meth:`BetaGeoModel.expected_purchases` and compared with what happened. The naive baseline
predicts each customer's past rate over the holdout: x / T × holdout length (0 for a customer
whose age T is 0). Both are scored by the root mean square error per customer:

.. math:: \\mathrm{RMSE} = \\sqrt{\\tfrac{1}{n}\\sum_i (\\hat y_i - y_i)^2}

The model earns its keep only when its RMSE is below the baseline's; :attr:`BackTest.verdict`
says so in words either way.
"""

from __future__ import annotations

from collections.abc import Mapping, Sequence
from dataclasses import dataclass
from pathlib import Path

import numpy as np
import pandas as pd

from bsc.clv.bg_nbd import BetaGeoModel
from bsc.clv.gamma_gamma import GammaGammaModel
from bsc.clv.stored_log import purchase_span, rfm_summary_of_tables
from bsc.clv.summary import WEEK, as_day, rfm_summary
from bsc.errors import InputError

__all__ = [
    "BackTest",
    "back_test",
    "back_test_of_summary",
    "back_test_of_tables",
    "fit_spend_model",
    "holdout_end_by_default",
]

# Customers are grouped by calibration repeat purchases 0, 1, …, 6 and "7+", as in FHL (2005), Fig. 4.
_TOP_GROUP = 7


@dataclass(frozen=True)
class BackTest:
    """What the back-test found.

    ``summary`` holds, per calibration customer, the calibration summary, ``holdout_frequency``
    (actual), ``predicted`` (BG/NBD) and ``naive`` (past rate). ``spend`` is None when no
    spend model could be fitted (``spend_note`` says why). ``by_frequency`` is the mean actual,
    predicted and naive holdout purchases per group of calibration repeat purchases.
    """

    purchases: BetaGeoModel
    spend: GammaGammaModel | None
    spend_note: str | None
    summary: pd.DataFrame
    holdout_length: float
    actual: float
    predicted: float
    naive_predicted: float
    rmse: float
    naive_rmse: float
    by_frequency: pd.DataFrame

    @property
    def model_is_better(self) -> bool:
        return self.rmse < self.naive_rmse

    @property
    def verdict(self) -> str:
        """One plain sentence on whether the model beats the naive baseline."""
        if self.model_is_better:
            gain = 1 - self.rmse / self.naive_rmse if self.naive_rmse > 0 else 0.0
            return (
                f"The model predicts each customer's holdout purchases better than their past rate: "
                f"RMSE {self.rmse:.3f} against {self.naive_rmse:.3f} ({gain:.0%} lower)."
            )
        return (
            f"The model does no better than each customer's past rate on this holdout: RMSE "
            f"{self.rmse:.3f} against {self.naive_rmse:.3f}. Trust its forecasts no more than the simple rate."
        )


def back_test(
    transactions: pd.DataFrame,
    calibration_end: pd.Timestamp | str,
    holdout_end: pd.Timestamp | str | None = None,
    *,
    time_unit: float = WEEK,
) -> BackTest:
    """Fit BG/NBD and Gamma-Gamma on the calibration period and score the holdout's predictions.

    Parameters
    ----------
    transactions
        ``customer_id``, ``date``, ``amount``.
    calibration_end
        Last day of the calibration period.
    holdout_end
        Last day of the holdout; by default the last purchase day in the data.
    time_unit
        Days per time unit (7: weeks).

    Raises
    ------
    InputError
        When the data end on or before the calibration end, or the models cannot be fitted.
    """
    if holdout_end is None:
        last = pd.to_datetime(transactions["date"], errors="coerce").max()
        if pd.isna(last):
            raise InputError("The transactions hold no readable date.")
        holdout_end = holdout_end_by_default(last, calibration_end)
    summary = rfm_summary(transactions, calibration_end, holdout_end, time_unit=time_unit)
    return back_test_of_summary(summary)


def back_test_of_tables(
    tables: Mapping[str, Sequence[Path | str]],
    calibration_end: pd.Timestamp | str,
    holdout_end: pd.Timestamp | str | None = None,
    *,
    time_unit: float = WEEK,
) -> BackTest:
    """:func:`back_test` of a workspace's transaction files, summarised by DuckDB
    (:func:`bsc.clv.stored_log.rfm_summary_of_tables`): the log is never read into pandas."""
    if holdout_end is None:
        _, last = purchase_span(tables)
        holdout_end = holdout_end_by_default(last, calibration_end)
    return back_test_of_summary(
        rfm_summary_of_tables(tables, calibration_end, holdout_end, time_unit=time_unit)
    )


def holdout_end_by_default(last: pd.Timestamp, calibration_end: pd.Timestamp | str) -> pd.Timestamp:
    """The data's last purchase (``last``) as the holdout end.

    Raises
    ------
    InputError
        When the data end on or before the calibration end.
    """
    if last.normalize() <= as_day(calibration_end, "calibration end"):
        raise InputError(
            f"The data end on {last.date()}, by the calibration end: no later purchases are left to "
            "test the predictions on. Choose an earlier calibration end."
        )
    return last


def back_test_of_summary(summary: pd.DataFrame) -> BackTest:
    """The back-test of a calibration summary with its holdout columns (:func:`bsc.clv.rfm_summary`
    with a holdout end): fit both models, predict each customer's holdout purchases, score them."""
    history = (summary["frequency"], summary["recency"], summary["T"])
    purchases = BetaGeoModel().fit(*history)
    spend, spend_note = fit_spend_model(summary)
    length = float(summary["holdout_length"].iloc[0])
    actual = summary["holdout_frequency"].to_numpy(dtype=float)
    predicted = purchases.expected_purchases(length, *history)
    age = summary["T"].to_numpy(dtype=float)
    naive = np.divide(
        summary["frequency"].to_numpy(dtype=float) * length, age, out=np.zeros_like(age), where=age > 0
    )
    scored = summary.assign(predicted=predicted, naive=naive)
    group = summary["frequency"].clip(upper=_TOP_GROUP)
    by_frequency = (
        scored.assign(group=group)
        .groupby("group")
        .agg(
            customers=("holdout_frequency", "size"),
            actual=("holdout_frequency", "mean"),
            predicted=("predicted", "mean"),
            naive=("naive", "mean"),
        )
    )
    by_frequency.index = [f"{g}+" if g == _TOP_GROUP else str(g) for g in by_frequency.index]
    by_frequency.index.name = "calibration_repeat_purchases"
    return BackTest(
        purchases=purchases,
        spend=spend,
        spend_note=spend_note,
        summary=scored,
        holdout_length=length,
        actual=float(actual.sum()),
        predicted=float(predicted.sum()),
        naive_predicted=float(naive.sum()),
        rmse=_rmse(predicted, actual),
        naive_rmse=_rmse(naive, actual),
        by_frequency=by_frequency,
    )


def fit_spend_model(summary: pd.DataFrame) -> tuple[GammaGammaModel | None, str | None]:
    """Gamma-Gamma on repeat buyers with a positive mean spend; None and the reason when it cannot fit."""
    buyers = summary[(summary["frequency"] > 0) & (summary["monetary_value"] > 0)]
    left_out = int(((summary["frequency"] > 0) & ~(summary["monetary_value"] > 0)).sum())
    try:
        spend = GammaGammaModel().fit(buyers["frequency"], buyers["monetary_value"])
    except InputError as error:
        return None, str(error)
    note = (
        f"{left_out} repeat buyer(s) with a mean repeat spend of 0 or less were left out of the spend model."
        if left_out
        else None
    )
    return spend, note


def _rmse(predicted: np.ndarray, actual: np.ndarray) -> float:
    return float(np.sqrt(np.mean((predicted - actual) ** 2)))

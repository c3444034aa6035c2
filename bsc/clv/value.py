"""Per-customer forecasts and lifetime value from a fitted BG/NBD and Gamma-Gamma pair.

The customer lifetime value over ``months`` months, with a margin share ``margin`` and a
monthly discount rate ``d``, is the discounted expected purchases of each month times the
expected spend per purchase times the margin:

.. math:: \\mathrm{CLV}_i = \\text{margin} \\times E[Z_i \\mid x, \\bar z]
          \\times \\sum_{m=1}^{M} \\frac{E[Y_i(m w)] - E[Y_i((m-1) w)]}{(1+d)^m}

where E[Y_i(t)] is the BG/NBD expected number of purchases in the next t time units given the
customer's history (:meth:`BetaGeoModel.expected_purchases`), w the length of a month in time
units (365.25/12 days) and E[Z_i] the Gamma-Gamma conditional mean spend
(:meth:`GammaGammaModel.expected_spend`). Each month's purchases are discounted as if paid at
the month's end. The margin is a share of revenue (0.3 for 30 %).
"""

from __future__ import annotations

import numpy as np
import pandas as pd

from bsc.clv.bg_nbd import BetaGeoModel
from bsc.clv.gamma_gamma import GammaGammaModel
from bsc.clv.summary import WEEK
from bsc.errors import InputError

__all__ = ["DAYS_PER_MONTH", "customer_forecast", "customer_lifetime_value"]

DAYS_PER_MONTH = 365.25 / 12


def customer_lifetime_value(
    purchases: BetaGeoModel,
    spend: GammaGammaModel,
    summary: pd.DataFrame,
    *,
    months: int = 12,
    margin: float = 1.0,
    monthly_discount: float = 0.01,
    time_unit: float = WEEK,
) -> pd.Series:
    """Each customer's discounted margin over the next ``months`` months (formula in the module docstring).

    Parameters
    ----------
    purchases, spend
        The fitted BG/NBD and Gamma-Gamma models.
    summary
        :func:`bsc.clv.rfm_summary`'s frame: ``frequency``, ``recency``, ``T``, ``monetary_value``.
    months
        The horizon, in whole months (≥ 1).
    margin
        The share of revenue kept as margin, between 0 and 1.
    monthly_discount
        The discount rate per month (0.01 for 1 %), ≥ 0.
    time_unit
        Days per time unit of ``summary`` (7: weeks).
    """
    if int(months) != months or months < 1:
        raise InputError("The lifetime value horizon must be a whole number of months, at least 1.")
    if not 0 <= margin <= 1:
        raise InputError(f"The margin must be a share between 0 and 1 (0.3 for 30 %), not {margin}.")
    if monthly_discount < 0:
        raise InputError("The monthly discount rate must not be negative.")
    month = DAYS_PER_MONTH / time_unit
    history = (summary["frequency"], summary["recency"], summary["T"])
    cumulative_before = np.zeros(len(summary))
    discounted = np.zeros(len(summary))
    for m in range(1, int(months) + 1):
        cumulative = purchases.expected_purchases(m * month, *history)
        discounted += (cumulative - cumulative_before) / (1 + monthly_discount) ** m
        cumulative_before = cumulative
    value = margin * spend.expected_spend(summary["frequency"], summary["monetary_value"]) * discounted
    return pd.Series(value, index=summary.index, name="clv")


def customer_forecast(
    purchases: BetaGeoModel,
    spend: GammaGammaModel,
    summary: pd.DataFrame,
    *,
    horizon: float = 52.0,
    months: int = 12,
    margin: float = 1.0,
    monthly_discount: float = 0.01,
    time_unit: float = WEEK,
) -> pd.DataFrame:
    """Per customer: expected purchases in ``horizon`` time units, P(alive), expected spend, CLV.

    Returns
    -------
    pandas.DataFrame
        Indexed as ``summary``: ``expected_purchases`` (in the next ``horizon`` time units),
        ``probability_alive`` (now), ``expected_spend`` (per purchase) and ``clv`` (over
        ``months`` months, see :func:`customer_lifetime_value`).
    """
    history = (summary["frequency"], summary["recency"], summary["T"])
    return pd.DataFrame(
        {
            "expected_purchases": purchases.expected_purchases(horizon, *history),
            "probability_alive": purchases.probability_alive(*history),
            "expected_spend": spend.expected_spend(summary["frequency"], summary["monetary_value"]),
            "clv": customer_lifetime_value(
                purchases,
                spend,
                summary,
                months=months,
                margin=margin,
                monthly_discount=monthly_discount,
                time_unit=time_unit,
            ).to_numpy(),
        },
        index=summary.index,
    )

"""The per-customer purchase summary the lifetime models read: frequency, recency, age, spend.

From a transaction log (``customer_id``, ``date``, ``amount``, as in the canonical
transactions table of :mod:`bsc.schema`) and a calibration end date, each customer who bought
by that date gets, in the conventions of Fader, Hardie & Lee (2005):

- ``frequency`` *x*: repeat purchases, the number of distinct purchase days after the first
  (purchases on the same day count as one, as in the CDNOW analyses);
- ``recency`` *t_x*: time from the first to the last purchase day;
- ``T``: time from the first purchase day to the calibration end (the customer's age);
- ``monetary_value`` *z̄*: the mean value of the repeat purchase days (the first purchase is
  left out, as the Gamma-Gamma model asks); 0 when *x* = 0.

Times are in weeks by default (``time_unit`` days per unit: 7). With a holdout end date,
``holdout_frequency`` counts each customer's purchase days after the calibration end up to and
including the holdout end.
"""

from __future__ import annotations

from collections.abc import Mapping, Sequence
from pathlib import Path

import pandas as pd

from bsc.errors import InputError

__all__ = ["WEEK", "as_day", "rfm_summary", "transactions_from_tables"]

WEEK = 7.0  # days per time unit: the models work in weeks unless told otherwise

_COLUMNS = ("customer_id", "date", "amount")


def transactions_from_tables(tables: Mapping[str, Sequence[Path | str]]) -> pd.DataFrame:
    """The ``customer_id``, ``date`` and ``amount`` columns of a workspace's transaction files.

    Raises
    ------
    InputError
        When no transaction table holds customer ids, dates and amounts.
    """
    from bsc.engine import read_columns

    frame = read_columns(tables, "transactions", list(_COLUMNS))
    missing = [column for column in _COLUMNS if column not in frame.columns]
    if frame.empty or missing:
        raise InputError(
            "Lifetime value needs a transactions table with a customer id, an order date and an amount"
            + (f" (missing: {', '.join(missing)})." if missing else "; none was found.")
        )
    return frame


def rfm_summary(
    transactions: pd.DataFrame,
    calibration_end: pd.Timestamp | str,
    holdout_end: pd.Timestamp | str | None = None,
    *,
    time_unit: float = WEEK,
) -> pd.DataFrame:
    """One row per customer who bought by ``calibration_end``: frequency, recency, T, spend.

    Parameters
    ----------
    transactions
        Columns ``customer_id``, ``date`` and ``amount``. Rows without a customer or a date
        are dropped; a blank amount counts as a purchase of unknown value (left out of the mean).
    calibration_end
        Last day of the calibration period (included).
    holdout_end
        Last day of the holdout period (included); adds ``holdout_frequency`` and
        ``holdout_length`` (in time units).
    time_unit
        Days per time unit (7: weeks).

    Returns
    -------
    pandas.DataFrame
        Indexed by ``customer_id``, columns ``frequency``, ``recency``, ``T``,
        ``monetary_value`` (and ``holdout_frequency``, ``holdout_length``).

    Raises
    ------
    InputError
        When a column is missing, a date cannot be read, the holdout ends before the
        calibration, or no customer bought by the calibration end.
    """
    missing = [column for column in _COLUMNS if column not in transactions.columns]
    if missing:
        raise InputError(f"The transactions lack the column(s) {', '.join(missing)}.")
    calibration_end = as_day(calibration_end, "calibration end")
    holdout = None if holdout_end is None else as_day(holdout_end, "holdout end")
    if holdout is not None and holdout <= calibration_end:
        raise InputError(
            f"The holdout end ({holdout.date()}) must come after the calibration end ({calibration_end.date()})."
        )
    if time_unit <= 0:
        raise InputError("The time unit must be a positive number of days.")
    frame = pd.DataFrame(
        {
            "customer_id": transactions["customer_id"],
            "day": pd.to_datetime(transactions["date"], errors="coerce").dt.normalize(),
            "amount": pd.to_numeric(transactions["amount"], errors="coerce"),
        }
    ).dropna(subset=["customer_id", "day"])
    if frame["day"].dt.tz is not None:
        frame["day"] = frame["day"].dt.tz_localize(None)
    # Purchases on the same day are one purchase of their summed value (as in the CDNOW data).
    days = frame.groupby(["customer_id", "day"], sort=True, observed=True)["amount"].sum(min_count=1)
    days = days.reset_index()
    calibration = days[days["day"] <= calibration_end]
    if calibration.empty:
        raise InputError(f"No customer bought on or before the calibration end ({calibration_end.date()}).")
    grouped = calibration.groupby("customer_id", sort=True, observed=True)
    first = grouped["day"].min()
    last = grouped["day"].max()
    count = grouped["day"].size()
    # Mean of the repeat purchases: every purchase day but the first (days are sorted).
    is_repeat = grouped.cumcount() > 0
    repeat = calibration[is_repeat.to_numpy()].groupby("customer_id", observed=True)["amount"].mean()
    summary = pd.DataFrame(
        {
            "frequency": (count - 1).astype("int64"),
            "recency": (last - first).dt.days / time_unit,
            "T": (calibration_end - first).dt.days / time_unit,
            "monetary_value": repeat.reindex(first.index).fillna(0.0),
        }
    )
    summary.index.name = "customer_id"
    if holdout is not None:
        later = days[(days["day"] > calibration_end) & (days["day"] <= holdout)]
        counts = later.groupby("customer_id", observed=True).size()
        summary["holdout_frequency"] = counts.reindex(summary.index, fill_value=0).astype("int64")
        summary["holdout_length"] = (holdout - calibration_end).days / time_unit
    return summary


def as_day(value: pd.Timestamp | str, what: str) -> pd.Timestamp:
    """``value`` as a day without time of day or time zone; ``what`` names it in the error message."""
    try:
        day = pd.Timestamp(value)
    except (ValueError, TypeError):
        raise InputError(f"The {what} {value!r} is not a date (write it as YYYY-MM-DD).") from None
    if pd.isna(day):
        raise InputError(f"The {what} is blank.")
    return day.tz_localize(None).normalize() if day.tzinfo is not None else day.normalize()

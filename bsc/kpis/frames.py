"""Per-period frames shared by the sources and the KPI functions.

A source's frame and a KPI's rows are keyed by ``period`` (the period's start, or ``ALL_TIME``)
and ``segment`` (:data:`TOTAL` on the all-customers rows). Here: completing a frame to every
period and segment, joining two frames, adding the all-customers rows, and writing a KPI's
result rows. Every KPI function turns the shared
sources into rows of ``period, segment, value, numerator, denominator, n, ci_low, ci_high,
std_error, complete, reason`` (:func:`kpi_rows`); the two row makers at the end serve the
order-based KPIs of several components (retention, loyalty and value).

Two honesty columns travel from the sources to the KPI rows:

- ``complete``: whether the data covers the whole period (see :mod:`bsc.kpis.coverage`). A
  period cut short by the end (or the start) of the data still has a value, "to date".
- ``reason``: why the data cannot know the value (e.g. churn in the first months of a
  transaction log); such a row has no value, numerator, denominator nor n.
"""

from __future__ import annotations

from collections.abc import Callable
from typing import TYPE_CHECKING, Literal

import numpy as np
import pandas as pd

from bsc.periods import ALL_TIME, period_starts

if TYPE_CHECKING:
    from bsc.kpis.sources import Scorecard

UNKNOWN_SEGMENT = "(unknown)"
# Internal marker of the all-customers rows, replaced before results leave the package.
TOTAL = "\x00all customers"


def _floats(column: pd.Series | np.ndarray | float) -> np.ndarray:
    if isinstance(column, pd.Series):
        return column.to_numpy(dtype="float64", na_value=np.nan)
    return np.asarray(column, dtype="float64")


def ratio(numerator: pd.Series | float, denominator: pd.Series | float) -> pd.Series:
    """numerator ÷ denominator, NaN where the denominator is 0 or missing."""
    index = next((column.index for column in (numerator, denominator) if isinstance(column, pd.Series)), None)
    top, bottom = _floats(numerator), _floats(denominator)
    with np.errstate(divide="ignore", invalid="ignore"):
        return pd.Series(np.where(bottom != 0, top / bottom, np.nan), index=index)


def kpi_rows(
    frame: pd.DataFrame,
    value: pd.Series | float,
    numerator: pd.Series | float,
    denominator: pd.Series | float,
    n: pd.Series | float,
    interval: tuple[np.ndarray | pd.Series, np.ndarray | pd.Series] | None = None,
    std_error: np.ndarray | pd.Series | float = np.nan,
) -> pd.DataFrame:
    """The result rows of one KPI, one per row of ``frame`` (its period and segment).

    ``std_error`` is the standard error of the value, in its unit, where a two-sample test of
    the KPI needs it (NPS and means, see :mod:`bsc.change_tests`); NaN elsewhere.

    ``complete`` and ``reason`` come from ``frame`` (all complete and known when it has no such
    column). Where a reason says the value cannot be known, every number of the row is blanked:
    a value the data cannot know is not a number, whatever the arithmetic gave.
    """
    size = len(frame)
    low, high = interval if interval is not None else (np.nan, np.nan)
    columns = {"value": value, "numerator": numerator, "denominator": denominator, "n": n}
    columns |= {"ci_low": low, "ci_high": high, "std_error": std_error}
    reason = (
        frame["reason"].astype(object).where(frame["reason"].notna(), None).to_numpy()
        if "reason" in frame
        else np.full(size, None, dtype=object)
    )
    unknown = pd.notna(reason).astype(bool)
    numbers = {
        name: np.where(unknown, np.nan, np.broadcast_to(_floats(column), (size,)))
        for name, column in columns.items()
    }
    complete = frame["complete"].fillna(True).to_numpy(dtype=bool) if "complete" in frame else True
    return pd.DataFrame(
        {
            "period": frame["period"].to_numpy(),
            "segment": frame["segment"].to_numpy(),
            **numbers,
            "complete": np.broadcast_to(np.asarray(complete, dtype=bool), (size,)),
            "reason": reason,
        }
    )


def complete_periods(
    frame: pd.DataFrame, unit: str, fill_zero: list[str], *, until: pd.Timestamp | None = None
) -> pd.DataFrame:
    """Every period from the first to the last (or ``until``), for every segment; missing counts are 0."""
    frame = frame.copy()
    frame["period"] = pd.to_datetime(frame["period"])
    if frame.empty:
        return frame
    if unit == "all" or (frame["period"] == ALL_TIME).all():
        periods = pd.DatetimeIndex([ALL_TIME])
    else:
        last = frame["period"].max() if until is None else max(frame["period"].max(), until)
        periods = period_starts(frame["period"].min(), last, unit)
    segments = sorted(frame["segment"].astype(str).unique())
    grid = pd.MultiIndex.from_product([periods, segments], names=["period", "segment"])
    frame["segment"] = frame["segment"].astype(str)
    frame = frame.set_index(["period", "segment"]).reindex(grid).reset_index()
    for column in fill_zero:
        if column in frame:
            frame[column] = frame[column].astype("float64").fillna(0.0)
    return frame


def join_periods(left: pd.DataFrame, right: pd.DataFrame, *, how: Literal["left", "inner"]) -> pd.DataFrame:
    """Join two per-period tables on period and segment (either may be empty and untyped).

    A joined row is complete when both sides are, and unknown when either side is (the left
    side's reason first); a row the right side lacks takes the left side's verdicts.
    """

    def keyed(frame: pd.DataFrame) -> pd.DataFrame:
        return frame.astype({"period": "datetime64[us]", "segment": "object"})

    joined = keyed(left).merge(keyed(right), on=["period", "segment"], how=how)
    if "complete_x" in joined:
        joined["complete"] = joined["complete_x"].fillna(True).astype(bool) & joined["complete_y"].fillna(
            True
        ).astype(bool)
        joined = joined.drop(columns=["complete_x", "complete_y"])
    if "reason_x" in joined:
        joined["reason"] = joined["reason_x"].where(joined["reason_x"].notna(), joined["reason_y"])
        joined = joined.drop(columns=["reason_x", "reason_y"])
    return joined


def with_totals(frame: pd.DataFrame) -> pd.DataFrame:
    """Add the all-customers rows as sums over segments (segments partition the customers)."""
    measures = [
        column for column in frame.columns if column not in ("period", "segment", "complete", "reason")
    ]
    totals = frame.groupby("period", as_index=False)[measures].sum(min_count=1).assign(segment=TOTAL)
    return pd.concat([frame, totals], ignore_index=True)


def order_count(measure: str) -> Callable[[Scorecard], pd.DataFrame]:
    def compute(card: Scorecard) -> pd.DataFrame:
        frame = card.orders.frame
        return kpi_rows(frame, frame[measure], frame[measure], np.nan, frame[measure])

    return compute


def order_ratio(numerator: str, denominator: str, scale: float = 1.0) -> Callable[[Scorecard], pd.DataFrame]:
    def compute(card: Scorecard) -> pd.DataFrame:
        frame = card.orders.frame
        value = scale * ratio(frame[numerator], frame[denominator])
        return kpi_rows(frame, value, frame[numerator], frame[denominator], frame[denominator])

    return compute

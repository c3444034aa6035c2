"""What the data covers: whole periods, periods "to date", and periods a log is too young to judge.

A period is *complete* when the data of a KPI's source runs from (at least) its first day to
(at least) its last day (:meth:`bsc.periods.Period.is_complete`); a period cut short by the end
of the data (a log ending on 10 June makes June partial) or by its start still has a value, "to
date", but must not be compared with whole ones. A period whose value depends on what happened
before the data began (who is active at its start by a 90-day inactivity window) cannot be
known until the data run that long before it (:func:`without_history`).

The sources (:mod:`bsc.kpis.sources`) mark their frames with :func:`with_coverage`; where each
source's first and last date come from is said there.
"""

from __future__ import annotations

import ibis.expr.types as ir
import numpy as np
import pandas as pd

from bsc.engine import Backend
from bsc.periods import ALL_TIME, period_of

__all__ = ["Bounds", "period_coverage", "whole_period_bounds", "with_coverage", "without_history"]

# The first and last date a source's data covers (both included), or None without dates.
Bounds = tuple[pd.Timestamp, pd.Timestamp] | None


def period_coverage(periods: pd.Series, unit: str, bounds: Bounds) -> np.ndarray:
    """Whether the data, running over ``bounds``, covers each period (given by its start) in full.

    :meth:`bsc.periods.Period.is_complete`: the data's first date is on or before the period's
    first day and its last date on or after the period's last day. "All time" is complete by
    definition (it is whatever the data covers), and so is every period of a source without dates.
    """
    starts = pd.to_datetime(pd.Series(periods))
    if bounds is None or unit == "all":
        return np.ones(len(starts), dtype=bool)
    first, last = bounds
    verdicts = {
        start: True if start == ALL_TIME else period_of(start, unit).is_complete(last, first)  # type: ignore[arg-type]
        for start in starts.dropna().unique()
    }
    return starts.map(verdicts).fillna(True).to_numpy(dtype=bool)


def with_coverage(frame: pd.DataFrame, unit: str, bounds: Bounds) -> pd.DataFrame:
    """``frame`` with its ``complete`` column (see :func:`period_coverage`)."""
    return frame.assign(complete=period_coverage(frame["period"], unit, bounds))


def without_history(periods: pd.Series, first: pd.Timestamp | None, days: int) -> np.ndarray:
    """Periods (by start) that begin less than ``days`` days after the data's first day.

    What an inactivity window says at a period's start (who is active, who is new) needs the
    ``days`` days before it; a log that begins later cannot tell.
    """
    starts = pd.to_datetime(pd.Series(periods))
    if first is None:
        return np.zeros(len(starts), dtype=bool)
    needed_from = starts - pd.Timedelta(days=days)
    return ((starts != ALL_TIME) & (needed_from < pd.Timestamp(first).normalize())).to_numpy(dtype=bool)


def whole_period_bounds(backend: Backend, table: ir.Table, column: str) -> Bounds:
    """The first and last date of ``column``, reading dated periods as whole periods.

    Figures given per period (marketing spend per month) are dated by the period's first day:
    a row dated 1 October stands for October, so such data run to 31 October. When every date is
    the first day of a month, the data hold months; of a quarter or a year (and there are at
    least two dates, one date alone says nothing of the period's length), quarters or years.
    Otherwise the dates are days and the last one is the last day covered. None without dates.
    """
    table = table.filter(table[column].notnull())
    date = table[column]
    day_one = date.day() == 1
    quarter_start = day_one & date.month().isin([1, 4, 7, 10])
    row = backend.execute(
        table.aggregate(
            first=date.min(),
            last=date.max(),
            dates=date.nunique(),
            not_month=(~day_one).cast("int64").sum(),
            not_quarter=(~quarter_start).cast("int64").sum(),
            not_year=(~(day_one & (date.month() == 1))).cast("int64").sum(),
        )
    ).iloc[0]
    if pd.isna(row["last"]):
        return None
    first, last = pd.Timestamp(row["first"]), pd.Timestamp(row["last"])
    if row["not_month"] == 0:
        unit = "month"
        if row["dates"] >= 2 and row["not_quarter"] == 0:
            unit = "year" if row["not_year"] == 0 else "quarter"
        last = pd.Timestamp(period_of(last, unit).end_date)
    return first, last

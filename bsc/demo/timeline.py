"""The demo company's history in days and months, and drawing days by intensity.

Days are numbered from 0, the first day of the first month; :class:`Calendar` maps them to
dates, months and weekdays, and :func:`sample_days` draws a day in a window with probability
proportional to a day intensity (seasons, weekdays).
"""

from __future__ import annotations

from dataclasses import dataclass
from datetime import date, datetime

import numpy as np

from bsc.errors import InputError

__all__ = ["DAYS_PER_MONTH", "DEMO_END", "Calendar", "as_date", "sample_days", "to_date"]

DEMO_END = date(2026, 10, 31)
DAYS_PER_MONTH = 365.25 / 12


def as_date(value: date) -> date:
    if isinstance(value, datetime):
        return value.date()
    if isinstance(value, date):
        return value
    raise InputError(f"The end of the demo history must be a date, not {value!r}.")


def to_date(value: np.datetime64) -> date:
    return value.astype("datetime64[D]").item()


def sample_days(
    rng: np.random.Generator, cumulative: np.ndarray, first: np.ndarray, last: np.ndarray
) -> np.ndarray:
    """Draw one day per row in [first, last] with probability proportional to a day intensity.

    ``cumulative[d]`` is the intensity summed over days before day ``d`` (``cumulative[0] == 0``).
    A uniform draw over the window's share of the cumulative intensity is mapped back to a day
    (inverse transform sampling).
    """
    low, high = cumulative[first], cumulative[last + 1]
    target = low + rng.random(len(first)) * (high - low)
    day = np.searchsorted(cumulative, target, side="right") - 1
    return np.clip(day, first, last)


@dataclass(frozen=True)
class Calendar:
    """Days and months of the history, days numbered from 0 (first day of the first month)."""

    start: np.datetime64
    days: int
    month_starts: np.ndarray
    month_first_day: np.ndarray
    month_days: np.ndarray
    month_of_day: np.ndarray
    weekday: np.ndarray
    calendar_month: np.ndarray

    @classmethod
    def build(cls, end: date, months: int) -> Calendar:
        last_month = np.datetime64(end, "M")
        month_starts = np.arange(last_month - (months - 1), last_month + 1)
        start = month_starts[0].astype("datetime64[D]")
        day_dates = np.arange(start, np.datetime64(end, "D") + 1)
        month_first_day = (month_starts.astype("datetime64[D]") - start).astype(np.int64)
        days = len(day_dates)
        return cls(
            start=start,
            days=days,
            month_starts=month_starts,
            month_first_day=month_first_day,
            month_days=np.diff(np.append(month_first_day, days)),
            month_of_day=(day_dates.astype("datetime64[M]") - month_starts[0]).astype(np.int64),
            # 1970-01-01 was a Thursday: shift so that Monday is 0.
            weekday=(day_dates.astype(np.int64) + 3) % 7,
            calendar_month=month_starts.astype(np.int64) % 12,
        )

    def cumulative(self, intensity: np.ndarray) -> np.ndarray:
        return np.concatenate(([0.0], np.cumsum(intensity)))

    def dates(self, day: np.ndarray) -> np.ndarray:
        return (self.start + day).astype("datetime64[us]")

"""The calendar: months, quarters and years, as the scorecard counts them.

Every period in the product — a KPI frame's rows, a target's due period, the next period of a
churn forecast, the x axis of a trend chart — is read, labelled and shifted here, on top of
:class:`pandas.Period`.

A period has a *unit* (month, quarter or year) and an *index* counting periods of that unit
from year 0: ``year * 12 + month - 1`` for months, ``year * 4 + quarter - 1`` for quarters,
the year for years. Its *label* is what users see and what KPI frames carry: "2026-12",
"2026-Q4", "2026". Periods of different units meet on a common time line through their last
month (:attr:`Period.end_month`), so that a quarterly target can be read in months.

A period is *complete* when the data covers all of it: the data starts on or before its first
day and runs to (at least) its last day. A period cut short by the end of the data (a log
ending on 10 June makes June incomplete) or by its start must not be compared with whole ones.
"""

from __future__ import annotations

import math
import re
from collections.abc import Iterable
from dataclasses import dataclass
from datetime import date, datetime
from typing import Literal

import numpy as np
import pandas as pd

from bsc.errors import InputError

__all__ = [
    "ALL_TIME",
    "GRANULARITIES",
    "PANDAS_FREQ",
    "PERIOD_UNITS",
    "TRUNCATE_UNIT",
    "TYPICAL_DAYS",
    "Granularity",
    "Period",
    "PeriodUnit",
    "frame_unit",
    "label_starts",
    "next_period",
    "parse_period",
    "period_label",
    "period_of",
    "period_start",
    "period_starts",
    "position",
    "upcoming_periods",
]

PeriodUnit = Literal["month", "quarter", "year"]
PERIOD_UNITS: tuple[PeriodUnit, ...] = ("month", "quarter", "year")
# What a scorecard is computed per: a calendar unit, or "all" for the whole history at once.
Granularity = Literal["month", "quarter", "year", "all"]
GRANULARITIES: tuple[Granularity, ...] = ("month", "quarter", "year", "all")

# The start of "all time" in KPI frames computed over the whole history (period "all").
ALL_TIME = pd.Timestamp("1678-01-01")
# pandas' period codes, and the frequencies of period starts for date ranges.
PANDAS_PERIOD = {"month": "M", "quarter": "Q", "year": "Y"}
PANDAS_FREQ = {"month": "MS", "quarter": "QS", "year": "YS"}
# Ibis' truncation units, which happen to be pandas' period codes.
TRUNCATE_UNIT = PANDAS_PERIOD

# A period's usual length in days, for windows that need a length before the period is known.
TYPICAL_DAYS = {"month": 30, "quarter": 91, "year": 365}
_PER_YEAR = {"month": 12, "quarter": 4, "year": 1}
_MONTHS_PER = {"month": 1, "quarter": 3, "year": 12}
_EPOCH_YEAR = 1970  # pandas counts period ordinals from 1970

_MONTH = re.compile(r"^(\d{4})-(\d{1,2})$")
_QUARTER = re.compile(r"^(\d{4})\s*-?\s*Q([1-4])$|^Q([1-4])\s*[-/ ]?\s*(\d{4})$", re.IGNORECASE)
_YEAR = re.compile(r"^(\d{4})(?:\.0+)?$")
_DAY = re.compile(r"^(\d{4})-(\d{1,2})-(\d{1,2})(?:[ T].*)?$")


@dataclass(frozen=True)
class Period:
    """A calendar month, quarter or year.

    ``index`` counts periods of the unit: ``year * 12 + month - 1`` for months,
    ``year * 4 + quarter - 1`` for quarters, the year for years.
    """

    unit: PeriodUnit
    index: int

    @classmethod
    def from_pandas(cls, period: pd.Period) -> Period:
        unit = _unit_of_freq(period.freqstr)
        return cls(unit, int(period.ordinal) + _EPOCH_YEAR * _PER_YEAR[unit])

    @property
    def pandas(self) -> pd.Period:
        """The same period as a :class:`pandas.Period`."""
        ordinal = self.index - _EPOCH_YEAR * _PER_YEAR[self.unit]
        return pd.Period(ordinal=ordinal, freq=PANDAS_PERIOD[self.unit])

    @property
    def label(self) -> str:
        """ "2026-12", "2026-Q4" or "2026", as in the KPI frames."""
        if self.unit == "month":
            return f"{self.index // 12}-{self.index % 12 + 1:02d}"
        if self.unit == "quarter":
            return f"{self.index // 4}-Q{self.index % 4 + 1}"
        return str(self.index)

    @property
    def title(self) -> str:
        """The period as a reader names it: "June 2026", "Q2 2026", "2026"."""
        if self.unit == "month":
            return self.pandas.start_time.strftime("%B %Y")
        if self.unit == "quarter":
            return f"Q{self.index % 4 + 1} {self.index // 4}"
        return str(self.index)

    @property
    def end_month(self) -> int:
        """The period's last month as ``year * 12 + month``: its place on a common time line."""
        return (self.index + 1) * self.months

    @property
    def months(self) -> int:
        """The number of months in the period: 1, 3 or 12."""
        return _MONTHS_PER[self.unit]

    @property
    def start_date(self) -> date:
        """The first day of the period."""
        return self.pandas.start_time.date()

    @property
    def end_date(self) -> date:
        """The last day of the period."""
        return self.pandas.end_time.date()

    @property
    def days(self) -> int:
        """The number of days in the period."""
        return (self.end_date - self.start_date).days + 1

    def shift(self, periods: int) -> Period:
        """The period ``periods`` later (earlier when negative)."""
        return Period(self.unit, self.index + periods)

    def is_complete(self, last_date: object, first_date: object = None) -> bool:
        """Whether data running from ``first_date`` to ``last_date`` (both included) covers it all.

        The period is complete when the data's last day is on or after the period's last day
        and, when ``first_date`` is given, its first day is on or before the period's first day.
        """
        if pd.Timestamp(last_date).date() < self.end_date:
            return False
        return first_date is None or pd.Timestamp(first_date).date() <= self.start_date

    def __str__(self) -> str:
        return self.label


def _unit_of_freq(freqstr: str) -> PeriodUnit:
    code = freqstr.upper()
    if code.startswith("M"):
        return "month"
    if code.startswith("Q"):
        return "quarter"
    if code.startswith(("Y", "A")):
        return "year"
    raise ValueError(f"Not a month, quarter or year: {freqstr!r}")


def parse_period(value: object) -> Period:
    """Read a period from a label, a date or a year number.

    Accepts "2026-12" (month), "2026-Q4", "Q4 2026" (quarter), "2026" or 2026 (year); a date
    (or "2026-12-31") stands for its month; a :class:`pandas.Period` for itself.

    Raises
    ------
    InputError
        For anything else.
    """
    if isinstance(value, Period):
        return value
    if isinstance(value, pd.Period):
        return Period.from_pandas(value)
    if isinstance(value, datetime | date | pd.Timestamp):
        return period_of(value, "month")
    is_number = isinstance(value, int | float | np.integer | np.floating) and not isinstance(value, bool)
    if is_number and float(value).is_integer() and 1900 <= value <= 2999:
        return Period("year", int(value))
    text = str(value).strip() if value is not None else ""
    if match := _MONTH.match(text):
        year, month = int(match[1]), int(match[2])
        if 1 <= month <= 12:
            return Period("month", year * 12 + month - 1)
    elif match := _QUARTER.match(text):
        year = int(match[1] or match[4])
        quarter = int(match[2] or match[3])
        return Period("quarter", year * 4 + quarter - 1)
    elif match := _YEAR.match(text):
        return Period("year", int(match[1]))
    elif match := _DAY.match(text):
        year, month = int(match[1]), int(match[2])
        if 1 <= month <= 12:
            return Period("month", year * 12 + month - 1)
    shown = text or "(empty)"
    raise InputError(
        f"“{shown}” is not a period: write a month as 2026-12, a quarter as 2026-Q4 or a year as 2026."
    )


def period_of(moment: object, unit: PeriodUnit) -> Period:
    """The month, quarter or year holding the date ``moment``."""
    stamp = pd.Timestamp(moment)
    return Period(
        unit,
        {
            "month": stamp.year * 12 + stamp.month - 1,
            "quarter": stamp.year * 4 + stamp.quarter - 1,
            "year": stamp.year,
        }[unit],
    )


def period_start(moment: object, unit: PeriodUnit) -> pd.Timestamp:
    """The first day (midnight) of the month, quarter or year holding ``moment``."""
    return pd.Timestamp(period_of(moment, unit).start_date)


def period_starts(first: object, last: object, unit: PeriodUnit) -> pd.DatetimeIndex:
    """The first day of every period from the one holding ``first`` to the one holding ``last``.

    The span is cut to the dates taken as real (:class:`bsc.ingest.checks.DateBounds`: 1900 to a
    year after today): a table saved before dates were checked may still hold a 9999-12-31, and
    one such date must not stretch a grid to 95,000 months. New tables never hold one, since
    :mod:`bsc.prepare` leaves such dates empty.
    """
    from bsc.ingest.checks import DateBounds  # the ingest package is heavier than the calendar

    bounds = DateBounds()
    start, end = max(pd.Timestamp(first), bounds.first), min(pd.Timestamp(last), bounds.last)
    if start > end:
        return pd.DatetimeIndex([])
    return pd.date_range(period_start(start, unit), period_start(end, unit), freq=PANDAS_FREQ[unit])


def period_label(start: object, unit: str) -> str:
    """The label of the period starting at ``start``; "all" for the whole history."""
    stamp = pd.Timestamp(start)
    if unit == "all" or stamp == ALL_TIME:
        return "all"
    return period_of(stamp, unit).label  # type: ignore[arg-type]


def position(label: object) -> float:
    """Place of a period label on the month time line (its last month); NaN for "all" or no period."""
    try:
        return float(parse_period(label).end_month)
    except InputError:
        return math.nan


def frame_unit(labels: Iterable[object]) -> PeriodUnit | None:
    """The unit of the first label that is a period (KPI frames use one unit), None if none is."""
    for label in labels:
        try:
            return parse_period(label).unit
        except InputError:
            continue
    return None


def label_starts(labels: pd.Series) -> pd.Series:
    """'2024-01', '2024-Q1', '2024' -> the first day of the period; NaT for anything else."""
    starts = {}
    for label in pd.unique(labels.astype(str)):
        try:
            starts[label] = pd.Timestamp(parse_period(label).start_date)
        except InputError:
            starts[label] = pd.NaT
    return pd.to_datetime(labels.astype(str).map(starts))


def next_period(end: object, unit: str) -> Period:
    """The calendar period that holds ``end``, the exclusive end of the data (its first day without data).

    Raises
    ------
    InputError
        When ``unit`` is not month, quarter or year.
    """
    if unit not in _PER_YEAR:
        raise InputError(f"Unknown period {unit!r}; choose month, quarter or year.")
    return period_of(end, unit)  # type: ignore[arg-type]


def upcoming_periods(
    unit: PeriodUnit, count: int, *, today: object, after: Period | None = None
) -> list[str]:
    """Labels of ``count`` periods from the one holding ``today``, or from the one after ``after``
    when that is later: the due periods a new target can be set for."""
    first = period_of(today, unit)
    if after is not None and after.unit == unit and after.index >= first.index:
        first = after.shift(1)
    return [first.shift(step).label for step in range(count)]

"""The calendar: parsing, labelling, shifting periods and telling whether the data covers one."""

from __future__ import annotations

from datetime import date

import pandas as pd
import pytest

from bsc.errors import InputError
from bsc.periods import (
    ALL_TIME,
    Period,
    frame_unit,
    label_starts,
    next_period,
    parse_period,
    period_label,
    period_of,
    period_start,
    period_starts,
    position,
    upcoming_periods,
)


class TestPeriods:
    @pytest.mark.parametrize(
        ("text", "unit", "label", "end"),
        [
            ("2026-12", "month", "2026-12", date(2026, 12, 31)),
            ("2026-2", "month", "2026-02", date(2026, 2, 28)),
            ("2026-Q1", "quarter", "2026-Q1", date(2026, 3, 31)),
            ("Q4 2026", "quarter", "2026-Q4", date(2026, 12, 31)),
            ("2026q3", "quarter", "2026-Q3", date(2026, 9, 30)),
            ("2028", "year", "2028", date(2028, 12, 31)),
            (2027, "year", "2027", date(2027, 12, 31)),
            ("2026-11-15", "month", "2026-11", date(2026, 11, 30)),
            (pd.Timestamp("2024-02-10"), "month", "2024-02", date(2024, 2, 29)),
        ],
        ids=[
            "month",
            "month-one-digit",
            "quarter",
            "quarter-first",
            "quarter-lower",
            "year",
            "year-number",
            "day",
            "timestamp",
        ],
    )
    def test_parse(self, text, unit, label, end):
        period = parse_period(text)
        assert (period.unit, period.label, period.end_date) == (unit, label, end)

    @pytest.mark.parametrize(
        "text", ["", "2026-13", "soon", "2026-Q5", None], ids=["empty", "month-13", "word", "q5", "none"]
    )
    def test_bad_periods_are_refused(self, text):
        with pytest.raises(InputError, match="is not a period"):
            parse_period(text)

    def test_time_line_places_periods_by_their_last_month(self):
        # Dec 2026, 2026-Q4 and 2026 all end in month 2026 * 12 + 12 = 24324.
        assert {parse_period(p).end_month for p in ("2026-12", "2026-Q4", "2026")} == {24324}
        assert parse_period("2026-Q4").start_date == date(2026, 10, 1)
        assert Period("month", 24323).shift(1).label == "2027-01"


class TestPandas:
    @pytest.mark.parametrize("label", ["2026-12", "2026-Q4", "2026", "1999-01", "2000-Q1"])
    def test_round_trip_through_pandas_period(self, label):
        period = parse_period(label)
        assert Period.from_pandas(period.pandas) == period
        assert parse_period(period.pandas) == period
        # pandas' own label of the same span: "2026-12", "2026Q4", "2026".
        assert str(period.pandas).replace("Q", "-Q") == label

    def test_months_in_a_period(self):
        assert [parse_period(p).months for p in ("2026-12", "2026-Q4", "2026")] == [1, 3, 12]

    @pytest.mark.parametrize(
        ("moment", "unit", "label"),
        [
            ("2026-12-31 23:59", "month", "2026-12"),
            ("2026-11-15", "quarter", "2026-Q4"),
            ("2026-01-01", "year", "2026"),
            ("2024-02-29", "month", "2024-02"),
        ],
    )
    def test_period_of_a_date(self, moment, unit, label):
        assert period_of(moment, unit).label == label

    def test_period_start_is_midnight_of_the_first_day(self):
        assert period_start(pd.Timestamp("2026-11-15 13:45"), "quarter") == pd.Timestamp("2026-10-01")
        assert period_start(pd.Timestamp("2026-11-15"), "year") == pd.Timestamp("2026-01-01")

    def test_labels_of_period_starts(self):
        assert period_label(pd.Timestamp("2026-10-01"), "quarter") == "2026-Q4"
        assert period_label(pd.Timestamp("2026-10-01"), "month") == "2026-10"
        assert period_label(ALL_TIME, "month") == "all"
        assert period_label(pd.Timestamp("2026-10-01"), "all") == "all"

    def test_positions_and_frame_units(self):
        assert position("2026-Q4") == position("2026-12") == 24324.0
        assert pd.isna(position("all"))
        assert frame_unit(["all", "2026-Q1", "2026-Q2"]) == "quarter"
        assert frame_unit(["all"]) is None

    def test_label_starts(self):
        starts = label_starts(pd.Series(["2024-01", "2024-Q2", "2024", "all"]))
        assert list(starts[:3]) == [
            pd.Timestamp("2024-01-01"),
            pd.Timestamp("2024-04-01"),
            pd.Timestamp("2024-01-01"),
        ]
        assert pd.isna(starts[3])


class TestComplete:
    # June 2026 runs from 1 to 30 June.
    def test_a_month_is_complete_when_the_data_reaches_its_last_day(self):
        june = parse_period("2026-06")
        assert june.is_complete(date(2026, 6, 30))
        assert june.is_complete(pd.Timestamp("2026-07-04"))
        assert not june.is_complete(date(2026, 6, 10))

    def test_a_period_the_data_starts_inside_is_not_complete(self):
        june = parse_period("2026-06")
        assert not june.is_complete(date(2026, 12, 31), first_date=date(2026, 6, 2))
        assert june.is_complete(date(2026, 12, 31), first_date=date(2026, 6, 1))

    def test_a_quarter_needs_all_three_months(self):
        # 2026-Q2 ends on 30 June.
        assert not parse_period("2026-Q2").is_complete(date(2026, 6, 29))
        assert parse_period("2026-Q2").is_complete(date(2026, 6, 30))


class TestNextPeriod:
    @pytest.mark.parametrize(
        ("end", "period", "expected"),
        [
            ("2026-11-01", "month", ("2026-11", 30)),
            ("2026-10-01", "quarter", ("2026-Q4", 92)),
            ("2027-01-01", "year", ("2027", 365)),
            ("2024-02-01", "month", ("2024-02", 29)),
        ],
        ids=["november", "fourth-quarter", "a-year", "leap-february"],
    )
    def test_label_and_length(self, end, period, expected):
        upcoming = next_period(pd.Timestamp(end), period)
        assert (upcoming.label, upcoming.days) == expected

    def test_unknown_unit_is_refused(self):
        with pytest.raises(InputError, match="Unknown period"):
            next_period(pd.Timestamp("2026-11-01"), "week")


@pytest.mark.parametrize(
    ("label", "title"),
    [("2026-06", "June 2026"), ("2026-Q2", "Q2 2026"), ("2026", "2026")],
    ids=["month", "quarter", "year"],
)
def test_title_names_a_period_as_a_reader_does(label: str, title: str):
    assert parse_period(label).title == title


class TestUpcoming:
    def test_from_today(self):
        assert upcoming_periods("quarter", 3, today=date(2026, 12, 7)) == ["2026-Q4", "2027-Q1", "2027-Q2"]

    def test_after_the_data_when_that_is_later(self):
        after = parse_period("2027-02")
        assert upcoming_periods("month", 2, today=date(2026, 12, 7), after=after) == ["2027-03", "2027-04"]
        assert upcoming_periods("month", 2, today=date(2026, 12, 7), after=parse_period("2025-01")) == [
            "2026-12",
            "2027-01",
        ]


class TestPeriodStarts:
    def test_months_from_first_to_last(self):
        starts = period_starts("2024-01-15", "2024-03-02", "month")
        assert [s.strftime("%Y-%m-%d") for s in starts] == ["2024-01-01", "2024-02-01", "2024-03-01"]

    def test_a_placeholder_date_cannot_stretch_the_grid(self):
        # 9999-12-31 would give 95,712 months from 2024-01; cut at a year after today, the grid
        # ends within 13 months of the month holding today.
        starts = period_starts("2024-01-15", "9999-12-31", "month")
        today = pd.Timestamp.now()
        assert starts[0] == pd.Timestamp("2024-01-01")
        assert (starts[-1].year * 12 + starts[-1].month) - (today.year * 12 + today.month) <= 13

"""The Arrow shortcuts of :mod:`bsc.detect.dates` (clean ISO dates) and :mod:`bsc.detect.values`
(plain numbers): each gives what the general path gives, and takes only the columns it reads
exactly."""

from __future__ import annotations

import numpy as np
import pandas as pd
import pytest

from bsc.detect import dates as dates_module
from bsc.detect import parse_dates, parse_numbers
from bsc.detect import values as values_module
from bsc.mapping import TableMapping
from bsc.prepare import prepare_table


def text(*values: object) -> pd.Series:
    return pd.Series(values, dtype="str")


class TestArrowShortcuts:
    """Clean columns (ISO dates, plain numbers) are read in Arrow at once; any other column takes
    the general path. The reference in each test is the general path itself (the shortcut
    switched off) and, where simple, values written by hand."""

    @staticmethod
    def general_dates(values: pd.Series, monkeypatch: pytest.MonkeyPatch):
        with monkeypatch.context() as patch:
            patch.setattr(dates_module, "_iso_dates", lambda _values: None)
            return parse_dates(values, excel_serials=True)

    @staticmethod
    def general_numbers(values: pd.Series, monkeypatch: pytest.MonkeyPatch):
        with monkeypatch.context() as patch:
            patch.setattr(values_module, "_plain_numbers", lambda _values: None)
            return parse_numbers(values)

    @pytest.mark.parametrize(
        ("cells", "shortcut", "fmt"),
        [
            (["2024-05-01", None, "2023-12-31", "2024-02-29"], True, "%Y-%m-%d"),
            (["2024-05-01 00:05", "2024-05-01 23:59", None], True, "%Y-%m-%d %H:%M"),
            (["2024-05-01 00:05:59", "1999-01-01 12:00:00"], True, "%Y-%m-%d %H:%M:%S"),
            (["2024-05-01", "2023-02-29"], False, "%Y-%m-%d"),  # no such day
            (["2024-05-01", " 2024-05-02"], False, "%Y-%m-%d"),  # a space to strip
            (["2024-05-01", "   "], False, "%Y-%m-%d"),  # a cell of spaces
            (["2024-05-01", "2024-05-01 10:00"], False, "ISO8601"),  # two shapes
            (["01/05/2024", "13/05/2024"], False, "%d/%m/%Y"),  # day first
            (["0999-01-01", "2024-01-01"], False, "%Y-%m-%d"),  # a year before 1000
            (["2024-05-01 24:00", "2024-05-01 10:00"], False, "%Y-%m-%d %H:%M"),  # no such hour
        ],
        ids=["days", "minutes", "seconds", "feb-29-2023", "space", "blank", "mixed", "day-first",
             "year-999", "hour-24"],
    )  # fmt: skip
    def test_iso_dates_read_as_the_general_path_reads_them(self, cells, shortcut, fmt, monkeypatch):
        values = text(*cells)
        assert (dates_module._iso_dates(values) is not None) is shortcut
        dates, formats = parse_dates(values, excel_serials=True)
        expected, expected_formats = self.general_dates(values, monkeypatch)
        pd.testing.assert_series_equal(dates, expected)
        assert formats == expected_formats and formats[0] == fmt

    def test_iso_days_are_the_days_written(self):
        # By hand: the cells are the dates.
        dates, formats = parse_dates(text("2024-05-01", None, "1900-01-01 00:00:00"[:10]))
        assert formats == ["%Y-%m-%d"]
        assert dates.tolist()[0] == pd.Timestamp("2024-05-01") and pd.isna(dates.iloc[1])
        assert dates.iloc[2] == pd.Timestamp("1900-01-01") and dates.dtype == "datetime64[us]"

    def test_a_bad_date_on_the_last_line_of_a_long_column(self, monkeypatch):
        # 200,000 clean days and one that does not exist, last: the general path reads the
        # column, so that day is left empty (and prepare reports it), none is lost or moved.
        days = pd.date_range("2020-01-01", periods=1000).strftime("%Y-%m-%d").tolist()
        values = text(*(days * 200), "2023-02-30")
        assert dates_module._iso_dates(values) is None
        dates, formats = parse_dates(values, excel_serials=True)
        assert formats == ["%Y-%m-%d"] and pd.isna(dates.iloc[-1]) and dates.iloc[:-1].notna().all()
        assert dates.iloc[-2] == pd.Timestamp(days[-1])
        pd.testing.assert_series_equal(dates, self.general_dates(values, monkeypatch)[0])

    @pytest.mark.parametrize(
        ("cells", "shortcut", "expected"),
        [
            (["1", "2.5", None, "-3"], True, [1.0, 2.5, None, -3.0]),
            (["1e5", "inf", "-inf", "+4", ".5", "5."], True, [1e5, None, None, 4.0, 0.5, 5.0]),
            (["1.234", "2.345"], True, [1.234, 2.345]),  # dot and comma conventions tie: dot
            (["12,50", "3,25"], False, [12.5, 3.25]),  # decimal comma
            (["€5", "$1,200.50", "(12.50)"], False, [5.0, 1200.5, -12.5]),  # currency signs
            ([" 5", "6 "], False, [5.0, 6.0]),  # spaces to strip
            (["  ", "3"], False, [None, 3.0]),  # a cell of spaces is blank
            (["0012", "7"], True, [12.0, 7.0]),  # zero padded numbers are numbers here
            (["12", "twelve"], False, [12.0, None]),
        ],
        ids=["plain", "forms", "tie", "decimal-comma", "currency", "spaces", "blank", "zeros", "word"],
    )
    def test_plain_numbers_read_as_the_general_path_reads_them(self, cells, shortcut, expected, monkeypatch):
        values = text(*cells)
        assert (values_module._plain_numbers(values) is not None) is shortcut
        numbers = parse_numbers(values)
        pd.testing.assert_series_equal(numbers, self.general_numbers(values, monkeypatch))
        assert [None if np.isnan(x) else x for x in numbers] == expected

    def test_a_bad_number_on_the_last_line_of_a_long_column(self, monkeypatch):
        # A currency sign on the last of 200,001 cells: the general path reads the column.
        values = text(*([f"{i}.25" for i in range(200_000)] + ["12.5 €"]))
        assert values_module._plain_numbers(values) is None
        numbers = parse_numbers(values)
        assert numbers.iloc[-1] == 12.5 and numbers.iloc[-2] == 199_999.25  # by hand
        pd.testing.assert_series_equal(numbers, self.general_numbers(values, monkeypatch))

    @pytest.mark.parametrize(
        ("cells", "shortcut"),
        [
            (["C000123", "C000124", None], True),  # ids with a letter
            (["East", "West", " North "], True),  # categories: no digit
            (["Support never answered", "", "   "], True),  # words, a blank, spaces
            (["inf", "-Infinity", "nan", "NaN", "C1"], True),  # read as inf/nan: no finite number
            (["12EUR", "0x10", "5L"], True),  # no word boundary before EUR; hex; a suffix
            (["2024-05-01", "2024-05-01 10:30", "01/05/2024", "12 -3"], False),  # "12 -3": 12-3?
            (["2024-05-01", "2024-05-01 10:30", "01/05/2024", "10:30", None], True),  # dates, times
            (["-5", "1e-5", "2024-05-01"], False),  # a leading minus, the exponent's minus
            (["12 EUR", "EUR 5", "C1"], False),  # the codes come off: 12 and 5 are numbers
            (["1e5", "2E-3", "C1"], False),  # the exponent's e is no sign of text
            (["(12.50)", "$1,234.5", "x"], False),
            (["East", "12"], False),  # one number is enough to read the column
            (["3٣", "East"], False),  # not ASCII: Python reads other scripts' digits
        ],
        ids=["ids", "categories", "words", "inf-nan", "glued", "spaced-minus", "dates", "minus", "codes",
             "exponent", "money", "mixed", "unicode"],
    )  # fmt: skip
    def test_columns_without_numbers_read_as_the_general_path_reads_them(self, cells, shortcut, monkeypatch):
        values = text(*cells)
        assert values_module._surely_no_numbers(values) is shortcut
        numbers = parse_numbers(values)
        with monkeypatch.context() as patch:
            patch.setattr(values_module, "_surely_no_numbers", lambda _values: False)
            general = parse_numbers(values)
        pd.testing.assert_series_equal(numbers, general)
        if shortcut:
            assert numbers.isna().all()

    def test_a_number_on_the_last_line_of_a_long_column_of_words(self):
        values = text(*["East"] * 99_999, "12")
        assert not values_module._surely_no_numbers(values)
        assert parse_numbers(values).iloc[-1] == 12.0  # written by hand: the last cell

    def test_a_decimal_comma_said_by_the_caller_is_never_cut_short(self):
        # "1.5" under a decimal comma is fifteen (the dot separates thousands): no shortcut.
        assert parse_numbers(text("1.5", "2"), decimal_comma=True).tolist() == [15.0, 2.0]

    def test_prepared_tables_are_those_of_the_general_path(self, monkeypatch):
        # A crafted order log with clean and dirty columns: zero-padded ids, blanks, a day-first
        # date column, a decimal comma, and a bad cell on its last line.
        n = 5000
        frame = pd.DataFrame(
            {
                "order_id": text(*[f"{i:06d}" for i in range(n)]),
                "customer_id": text(*[f"00{i % 97}" if i % 13 else None for i in range(n)]),
                "order_date": text(
                    *[f"2024-{1 + i % 12:02d}-{1 + i % 28:02d}" for i in range(n - 1)], "2024-13-01"
                ),
                "ship_date": text(*[f"{1 + i % 28:02d}/{1 + i % 12:02d}/2024" for i in range(n)]),
                "amount": text(*[f"{i % 500}.{i % 100:02d}" if i % 7 else None for i in range(n)]),
                "quantity": text(*[f"{i % 5},5" for i in range(n)]),
            }
        )
        mapping = TableMapping(
            kind="transactions",
            roles={"order_id": "order_id", "customer_id": "customer_id", "date": "order_date", "amount": "amount",
                   "quantity": "quantity"},
            attributes=[],
        )  # fmt: skip
        prepared = prepare_table(frame, mapping)
        with monkeypatch.context() as patch:
            patch.setattr(dates_module, "_iso_dates", lambda _values: None)
            patch.setattr(values_module, "_plain_numbers", lambda _values: None)
            general = prepare_table(frame, mapping)
        pd.testing.assert_frame_equal(prepared.canonical, general.canonical)
        assert prepared.problems == general.problems
        assert prepared.canonical["customer_id"].iloc[1] == "001"  # zero padding kept
        assert prepared.canonical["amount"].iloc[1] == 1.01 and pd.isna(prepared.canonical["amount"].iloc[7])
        assert prepared.canonical["quantity"].iloc[3] == 3.5  # decimal comma
        assert pd.isna(prepared.canonical["date"].iloc[-1])  # month 13: left empty, reported
        assert any(
            "not a readable date" in problem.message and problem.rows == 1 for problem in prepared.problems
        )

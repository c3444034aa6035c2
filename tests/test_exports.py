"""Formula-injection neutralising for every export (OWASP "CSV Injection")."""

from __future__ import annotations

import csv
import io
from datetime import datetime

import numpy as np
import pandas as pd
import pytest

from bsc.exports import neutralise_cell, safe_csv_bytes, safe_frame


class TestNeutraliseCell:
    @pytest.mark.parametrize(
        ("value", "expected"),
        [
            ("=1+1", "'=1+1"),
            ("+491701234567", "'+491701234567"),
            ("-2+3", "'-2+3"),
            ("@SUM(A1:A9)", "'@SUM(A1:A9)"),
            ("\t=cmd", "'\t=cmd"),
            ("\r=cmd", "'\r=cmd"),
            ('=HYPERLINK("http://x","y")', '\'=HYPERLINK("http://x","y")'),
        ],
        ids=["equals", "plus", "minus", "at", "tab", "carriage-return", "hyperlink"],
    )
    def test_text_that_a_spreadsheet_would_run_gets_a_quote(self, value, expected):
        assert neutralise_cell(value) == expected

    @pytest.mark.parametrize(
        "value",
        ["North", "", "a=b", " =x", "'=already", "10%", "2026-Q4"],
        ids=["word", "empty", "equals-inside", "leading-space", "quoted", "percent", "period"],
    )
    def test_other_text_is_unchanged(self, value):
        assert neutralise_cell(value) == value

    @pytest.mark.parametrize(
        "value",
        [-5, -2.5, 0, True, None, datetime(2026, 1, 1), np.float64(-1.0)],
        ids=["negative-int", "negative-float", "zero", "bool", "none", "datetime", "numpy"],
    )
    def test_non_text_is_unchanged(self, value):
        assert neutralise_cell(value) is value


class TestSafeFrame:
    def test_text_columns_and_names_are_neutralised_numbers_are_not(self):
        frame = pd.DataFrame(
            {
                "name": pd.array(["=evil()", "Ann", None], dtype="string"),
                "comment": ["@x", "-ok-", "fine"],
                "amount": [-3.0, 2.0, np.nan],
                "=header": [1, 2, 3],
                "segment": pd.Categorical(["+a", "b", "+a"]),
            }
        )
        safe = safe_frame(frame)
        assert list(safe.columns) == ["name", "comment", "amount", "'=header", "segment"]
        assert safe["name"].tolist()[:2] == ["'=evil()", "Ann"]
        assert pd.isna(safe["name"].iloc[2])
        assert safe["comment"].tolist() == ["'@x", "'-ok-", "fine"]
        assert safe["amount"].tolist()[:2] == [-3.0, 2.0]
        assert safe["segment"].tolist() == ["'+a", "b", "'+a"]
        # The original is untouched.
        assert frame["comment"].iloc[0] == "@x"

    def test_csv_bytes_read_back_cell_by_cell(self):
        frame = pd.DataFrame({"who": ["=2*3", "Bo"], "value": [-1.5, 4.0]})
        data = safe_csv_bytes(frame)
        assert data.startswith(b"\xef\xbb\xbf")  # BOM so that Excel reads UTF-8
        rows = list(csv.reader(io.StringIO(data.decode("utf-8-sig"))))
        assert rows == [["who", "value"], ["'=2*3", "-1.5"], ["Bo", "4.0"]]

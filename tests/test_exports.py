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
            ("\r=cmd", "'\r'=cmd"),  # the line after the CR is neutralised too
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


# Cells a hostile file may hold: a formula after a bare CR, LF or CR LF inside a quoted cell,
# the delimiter, quotes, and a trigger at the start. Each must read back as one cell.
HOSTILE_CELLS = [
    "North\r=1+2",
    "North\n+SUM(A1)",
    "a\r\n@cmd",
    'say "hi", then =2',
    '=HYPERLINK("http://x")\r-3',
    "plain",
]
TRIGGERS = ("=", "+", "-", "@", "\t", "\r")


def _no_line_starts_a_formula(cell: str) -> bool:
    return not any(
        line.startswith(TRIGGERS) for line in cell.replace("\r\n", "\n").replace("\r", "\n").split("\n")
    )


def _read_back_both_ways(data: bytes) -> tuple[list[list[str]], pd.DataFrame]:
    text = data.decode("utf-8-sig")
    rows = list(csv.reader(io.StringIO(text, newline="")))
    frame = pd.read_csv(io.BytesIO(data), encoding="utf-8-sig", dtype=str, keep_default_na=False)
    return rows, frame


class TestLineBreaksInsideCells:
    @pytest.mark.parametrize(
        ("value", "expected"),
        [
            ("North\r=1+2", "North\r'=1+2"),
            ("North\n+1", "North\n'+1"),
            ("a\r\n@x", "a\r\n'@x"),
            ("=a\r-b", "'=a\r'-b"),
            ("a\nb", "a\nb"),
        ],
    )
    def test_every_line_of_a_cell_is_neutralised(self, value, expected):
        assert neutralise_cell(value) == expected

    def test_a_bare_carriage_return_stays_inside_its_quoted_cell(self):
        frame = pd.DataFrame({"segment": HOSTILE_CELLS, "n": range(len(HOSTILE_CELLS))})
        rows, back = _read_back_both_ways(safe_csv_bytes(frame))
        # One header and one row per cell: no line break started a row of its own.
        assert len(rows) == len(HOSTILE_CELLS) + 1
        assert len(back) == len(HOSTILE_CELLS)
        assert back["n"].astype(int).tolist() == list(range(len(HOSTILE_CELLS)))
        for cell in [c for row in rows for c in row] + back["segment"].tolist():
            assert _no_line_starts_a_formula(cell), repr(cell)
        # What a person typed is still there, behind the quotes.
        assert [cell.replace("'", "") for cell in back["segment"]] == [
            cell.replace("'", "") for cell in HOSTILE_CELLS
        ]


class TestEveryCsvTheProductWrites:
    """Each download is built by safe_csv_bytes from frames of these shapes."""

    def _check(self, data: bytes, rows_expected: int) -> None:
        rows, back = _read_back_both_ways(data)
        assert len(rows) == rows_expected + 1
        assert len(back) == rows_expected
        for row in rows:
            for cell in row:
                assert _no_line_starts_a_formula(cell), repr(cell)

    def test_targets(self):
        from bsc.targets import Target, targets_to_csv

        targets = [
            Target(kpi="nps", goal=40.0, due_period="2027-06", segment_by="region", segment=cell)
            for cell in HOSTILE_CELLS
        ]
        self._check(targets_to_csv(targets), len(targets))

    def test_segment_assignments(self):
        # The frame of ui/saved_segmentations.py: customer id and segment name as text.
        frame = pd.DataFrame({"customer_id": [f"=c{i}\r-1" for i in range(6)], "segment": HOSTILE_CELLS})
        self._check(safe_csv_bytes(frame), 6)

    def test_at_risk_list(self):
        # The frame of the churn lab's list: id, probability, reasons (text with line breaks).
        frame = pd.DataFrame(
            {
                "customer_id": ["1", "2", "3", "4", "5", "6"],
                "Churn probability": [0.9, 0.8, 0.7, 0.6, 0.5, 0.4],
                "Reasons": HOSTILE_CELLS,
            }
        )
        self._check(safe_csv_bytes(frame), 6)

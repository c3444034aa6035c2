"""Targets files: reading, the import/export layout, CSV and Excel (bsc.targets.files).

Storing imported targets in a workspace is tested with the book (``test_targets_book.py``).
"""

from __future__ import annotations

import io
import re

import pandas as pd
import pytest

from bsc.errors import InputError
from bsc.targets import Target, read_targets_file, targets_from_frame, targets_to_csv, targets_to_xlsx
from tests.target_examples import CSV


class TestImportExport:
    def test_rows_make_targets(self):
        targets = targets_from_frame(read_targets_file("targets.csv", CSV.encode()))
        assert [(t.kpi, t.segment_by, t.segment, t.due_period, t.goal) for t in targets] == [
            ("nps", None, None, "2027-03", 30.0),
            ("nps", "region", "North", "2027-03", 40.0),
            ("churn_rate", None, None, "2027-Q1", 1.5),
        ]
        nps, north, _ = targets
        assert nps.trajectory == (("2026-12", 26.0),) and nps.weight == 2.0 and nps.band_mode == "relative"
        assert (north.band_mode, north.green, north.amber, north.weight) == ("absolute", 1.0, 3.0, 1.0)

    def test_bad_rows_are_listed(self):
        bad = "kpi,segment,period,target\nnps,,2027-03,lots\nspeed,,2027-03,1\nnps,North,2027-03,3\nnps,,soon,3\n"
        with pytest.raises(InputError) as caught:
            targets_from_frame(read_targets_file("t.csv", bad.encode()))
        message = str(caught.value)
        for expected in (
            "row 2: The target must be a number",
            "row 3: “speed” is not a KPI",
            "row 4: Segment “North”",
            "row 5: “soon”",
        ):
            assert expected in message

    def test_numbers_as_people_type_them(self):
        # A lone comma is a decimal comma; beside a point it separates thousands; "%" is relative.
        text = "kpi;segment;period;target;green;amber;weight\nrevenue;;2027-03;1,234.5;1;2,5;\nnps;;2027-03;32,5;5%;10%;\n"
        revenue, nps = targets_from_frame(read_targets_file("t.csv", text.encode()))
        assert (revenue.goal, revenue.band_mode, revenue.amber) == (1234.5, "absolute", 2.5)
        assert (nps.goal, nps.band_mode, nps.green) == (32.5, "relative", 5.0)

    @pytest.mark.parametrize(
        ("cell", "message"),
        [("", "must be a number, not “(empty)”"), ("inf", "must be a finite number, not “inf”")],
        ids=["empty", "infinite"],
    )
    def test_unreadable_numbers_are_named(self, cell, message):
        text = f"kpi,segment,period,target\nnps,,2027-03,{cell}\n"
        with pytest.raises(InputError, match=re.escape(f"row 2: The target {message}")):
            targets_from_frame(read_targets_file("t.csv", text.encode()))

    def test_a_windows_file_is_read(self):
        # Read by bsc.ingest like any data file: Windows-1252 text, semicolons.
        text = "kpi;segment;period;target\nnps;région=Nord;2027-03;30\n"
        [target] = targets_from_frame(read_targets_file("t.csv", text.encode("cp1252")))
        assert (target.segment_by, target.segment) == ("région", "Nord")

    def test_a_line_that_would_be_left_out_is_refused(self):
        text = "kpi,segment,period,target\nnps,,2027-03,30\nnps,,2027-04,1,234,5\n"
        with pytest.raises(InputError, match=r"could not be read as a targets file.*more fields"):
            read_targets_file("t.csv", text.encode())

    def test_only_csv_and_excel_files(self):
        with pytest.raises(InputError, match=r"targets can be read from \.csv or \.xlsx files"):
            read_targets_file("t.tsv", b"kpi\tsegment\tperiod\ttarget\nnps\t\t2027-03\t30\n")

    def test_missing_columns(self):
        with pytest.raises(InputError, match="missing: target"):
            targets_from_frame(pd.DataFrame({"kpi": ["nps"], "segment": [""], "period": ["2027-01"]}))

    def test_exports_are_neutralised(self):
        target = Target("nps", 30.0, "2027-03", segment_by="=cmd", segment="x")
        text = targets_to_csv([target]).decode("utf-8-sig")
        assert "'=cmd=x" in text
        workbook = pd.read_excel(io.BytesIO(targets_to_xlsx([target])), dtype=object)
        assert workbook.loc[0, "segment"] == "'=cmd=x"

"""The scorecard workbook, opened back with openpyxl and checked cell by cell, and ``python -m bsc report``."""

from __future__ import annotations

import math
from datetime import datetime

import openpyxl
import pandas as pd
import pytest

from bsc.cli import main
from bsc.kpis import KpiParams, KpiResult
from bsc.report import STATUS_FILLS, write_scorecard
from bsc.targets import Target
from tests.conftest import FIXTURES

EVIL = '=HYPERLINK("http://evil","click")'


def scorecard() -> KpiResult:
    rows = [
        ("nps", "2026-09", None, 20.0, 18.0, 22.0, 400),
        ("nps", "2026-10", None, 24.0, 22.0, 26.0, 410),
        ("nps", "2026-09", EVIL, 10.0, 0.0, 20.0, 40),
        ("nps", "2026-10", EVIL, 12.0, 2.0, 22.0, 41),
        ("churn_rate", "2026-09", None, 2.0, math.nan, math.nan, 1000),
        ("churn_rate", "2026-10", None, 2.5, math.nan, math.nan, 1000),
        ("churn_rate", "2026-09", EVIL, 3.0, math.nan, math.nan, 100),
        ("churn_rate", "2026-10", EVIL, 3.5, math.nan, math.nan, 100),
    ]
    values = pd.DataFrame(rows, columns=["kpi", "period", "segment", "value", "ci_low", "ci_high", "n"])
    values = values.assign(numerator=math.nan, denominator=math.nan).astype(
        {"kpi": "string", "period": "string", "segment": "string", "n": "Int64"}
    )
    unavailable = [("rating", "needs Rating (Feedback / surveys)")]
    return KpiResult(
        values, unavailable, [], {"churn_rate": "From churn dates."}, "month", "region", KpiParams()
    )


TARGETS = [
    # 20 in 2026-09 → 30 in 2027-03: +10/6 a month, 21.67 in 2026-10; 24 beats it, interval 22–26
    # does not hold it → on track.
    Target("nps", 30.0, "2027-03", baseline=20.0, baseline_period="2026-09", id="a", version=1),
    # Churn 2.0 flat, absolute bands 0.1 / 0.3: 2.5 misses by 0.5 → off track.
    Target(
        "churn_rate",
        2.0,
        "2027-03",
        band_mode="absolute",
        green=0.1,
        amber=0.3,
        weight=3.0,
        id="b",
        version=1,
    ),
]


@pytest.fixture
def workbook(tmp_path):
    path = write_scorecard(
        tmp_path / "out" / "scorecard.xlsx",
        scorecard(),
        TARGETS,
        workspace="+Acme",
        generated_at=datetime(2026, 11, 27, 9, 30),
    )
    return openpyxl.load_workbook(path)


def cells(sheet, row: int, columns: int) -> list:
    return [sheet.cell(row, column).value for column in range(1, columns + 1)]


def fill(sheet, row: int, column: int) -> str:
    return sheet.cell(row, column).fill.fgColor.rgb[-6:]


class TestWorkbook:
    def test_sheets(self, workbook):
        assert workbook.sheetnames == ["Summary", "Satisfaction", "Retention", "Targets", "Definitions"]

    def test_summary_roll_up_with_status_fills(self, workbook):
        sheet = workbook["Summary"]
        assert sheet["A1"].value == "Customer scorecard"
        # The workspace name starts with "+": neutralised.
        assert sheet["A2"].value == "'+Acme · per month · split by region · generated 2026-11-27 09:30 UTC"
        assert cells(sheet, 5, 8) == [
            "Component",
            "Score (0–100)",
            "Status",
            "Targets",
            "On track",
            "At risk",
            "Off track",
            "Within noise",
        ]
        assert cells(sheet, 6, 8) == ["Satisfaction", 100, "On track", 1, 1, 0, 0, 0]
        assert cells(sheet, 7, 8) == ["Retention", 0, "Off track", 1, 0, 0, 1, 0]
        assert cells(sheet, 8, 3) == ["Acquisition", None, "No target"]
        # Overall: (1 × 100 + 3 × 0) ÷ 4 = 25 → off track.
        assert cells(sheet, 11, 8) == ["Customer perspective", 25, "Off track", 2, 1, 0, 1, 0]
        assert fill(sheet, 6, 3) == STATUS_FILLS["green"]
        assert fill(sheet, 7, 3) == STATUS_FILLS["red"]
        assert fill(sheet, 8, 3) == STATUS_FILLS["no_target"]

    def test_summary_kpi_rows(self, workbook):
        sheet = workbook["Summary"]
        header = 15
        assert cells(sheet, header, 12) == [
            "Component",
            "KPI",
            "Segment (region)",
            "Period",
            "Value",
            "Target",
            "Goal",
            "Due",
            "Status",
            "Score",
            "Weight",
            "Note",
        ]
        nps = cells(sheet, header + 1, 11)
        assert nps[:5] == ["Satisfaction", "Net Promoter Score", "All customers", "2026-10", 24]
        assert nps[5] == pytest.approx(20 + 10 / 6)
        assert nps[6:] == [30, "2027-03", "On track", 100, 1]
        assert fill(sheet, header + 1, 9) == STATUS_FILLS["green"]
        # The segment value is data: its leading "=" is neutralised.
        assert cells(sheet, header + 2, 5)[2:] == ["'" + EVIL, "2026-10", 12]
        assert sheet.cell(header + 2, 9).value == "No target"
        churn = cells(sheet, header + 3, 11)
        assert churn == [
            "Retention",
            "Churn rate",
            "All customers",
            "2026-10",
            2.5,
            2,
            2,
            "2027-03",
            "Off track",
            0,
            3,
        ]
        assert sheet.cell(header + 3, 5).number_format == '0.0"%"'

    def test_component_sheet_trend_rows_and_chart(self, workbook):
        sheet = workbook["Satisfaction"]
        assert cells(sheet, 1, 11) == [
            "KPI",
            "Segment (region)",
            "Period",
            "Value",
            "95% low",
            "95% high",
            "n",
            "Target",
            "Green from",
            "Amber from",
            "Status",
        ]
        # 2026-09 is the baseline month: target 20, value 20 but its interval 18–22 holds it.
        assert cells(sheet, 2, 11) == [
            "Net Promoter Score",
            "All customers",
            "2026-09",
            20,
            18,
            22,
            400,
            20,
            20,
            18,
            "Within noise",
        ]
        october = cells(sheet, 3, 11)
        assert october[:7] == ["Net Promoter Score", "All customers", "2026-10", 24, 22, 26, 410]
        assert october[7:10] == pytest.approx([20 + 10 / 6, 20 + 10 / 6, 0.9 * (20 + 10 / 6)])
        assert october[10] == "On track"
        assert fill(sheet, 3, 11) == STATUS_FILLS["green"]
        assert cells(sheet, 4, 4)[1:] == ["'" + EVIL, "2026-09", 10]
        assert cells(sheet, 4, 11)[7:] == [None, None, None, None]
        assert len(sheet._charts) == 1

    def test_targets_sheet_reads_back_as_a_targets_file(self, workbook):
        sheet = workbook["Targets"]
        assert cells(sheet, 1, 7) == ["kpi", "segment", "period", "target", "green", "amber", "weight"]
        assert cells(sheet, 2, 7) == ["nps", None, "2027-03", 30, "0%", "10%", 1]
        assert cells(sheet, 3, 7) == ["churn_rate", None, "2027-03", 2, "0.1", "0.3", 3]

    def test_definitions(self, workbook):
        sheet = workbook["Definitions"]
        assert cells(sheet, 1, 3) == ["KPI", "Id", "Component"]
        rows = {sheet.cell(r, 2).value: r for r in range(2, sheet.max_row + 1)}
        assert sheet.cell(rows["rating"], 9).value == "needs Rating (Feedback / surveys)"
        assert sheet.cell(rows["churn_rate"], 8).value == "From churn dates."
        assert sheet.cell(rows["churn_rate"], 6).value == "lower is better"
        legend = [sheet.cell(r, 1).value for r in range(1, sheet.max_row + 1)]
        assert "Within noise" in legend


class TestReportCommand:
    def test_report_from_files_with_targets(self, tmp_path, capsys):
        # Revenue of 1998-Q2 from the raw CDNOW log, summed independently with pandas.
        log = pd.read_csv(
            FIXTURES / "cdnow_sample.txt",
            sep=r"\s+",
            header=None,
            names=["id", "sample", "date", "cds", "amount"],
        )
        log["date"] = pd.to_datetime(log["date"].astype(str), format="%Y%m%d")
        revenue = float(log.loc[log["date"].dt.to_period("Q") == pd.Period("1998Q2"), "amount"].sum())
        targets = tmp_path / "targets.csv"
        # 5 % above the actual revenue, amber within 10 %: at risk.
        targets.write_text(
            f"kpi,segment,period,target,green,amber\nrevenue,,1998-Q2,{revenue * 1.05},0%,10%\n"
        )
        out = tmp_path / "scorecard.xlsx"
        code = main(
            [
                "report",
                str(FIXTURES / "cdnow_sample.txt"),
                "--targets",
                str(targets),
                "--period",
                "quarter",
                "--out",
                str(out),
            ]
        )
        assert code == 0 and capsys.readouterr().out.strip() == str(out)
        sheet = openpyxl.load_workbook(out)["Summary"]
        rows = {sheet.cell(r, 2).value: r for r in range(1, sheet.max_row + 1)}
        row = cells(sheet, rows["Revenue"], 9)
        assert row[3] == "1998-Q2"
        assert row[4] == pytest.approx(revenue)
        assert row[5] == pytest.approx(revenue * 1.05)
        assert row[8] == "At risk"

    def test_bad_targets_file_exits_2(self, tmp_path, capsys):
        targets = tmp_path / "targets.csv"
        targets.write_text("kpi,segment,period,target\nnps,,2027-01,high\n")
        code = main(
            [
                "report",
                str(FIXTURES / "cdnow_sample.txt"),
                "--targets",
                str(targets),
                "--out",
                str(tmp_path / "x.xlsx"),
            ]
        )
        assert code == 2
        assert "row 2: The target must be a number, not “high”" in capsys.readouterr().err
        assert not (tmp_path / "x.xlsx").exists()


class TestNotesSheet:
    def test_notes_are_written_and_read_back(self, tmp_path):
        from bsc.notes import Note

        saved = datetime(2026, 11, 2, 8, 15)
        notes = [
            Note(
                "churn_rate",
                "2026-10",
                "Churn up: a competitor's offer. Win-back calls.",
                id="n1",
                updated_by="Ana",
                updated_at=saved,
                created_at=saved,
            ),
            Note(
                "nps",
                "2026-10",
                EVIL,
                segment_by="region",
                segment="North",
                id="n2",
                updated_by="Bruno",
                updated_at=saved,
                created_at=saved,
            ),
        ]
        path = write_scorecard(tmp_path / "notes.xlsx", scorecard(), TARGETS, notes=notes)
        sheet = openpyxl.load_workbook(path)["Notes"]
        rows = [[cell.value for cell in row] for row in sheet.iter_rows(min_row=1, max_row=sheet.max_row)]
        assert rows[0] == ["KPI", "Period", "Segment", "Note", "By", "Saved (UTC)"]
        # NPS comes before churn in the KPI registry; a formula-like note is written as text.
        assert rows[1][:5] == ["Net Promoter Score", "2026-10", "region: North", "'" + EVIL, "Bruno"]
        assert rows[2][:5] == [
            "Churn rate",
            "2026-10",
            "All customers",
            "Churn up: a competitor's offer. Win-back calls.",
            "Ana",
        ]
        assert rows[2][5] == saved

    def test_no_notes_no_sheet(self, workbook):
        assert "Notes" not in workbook.sheetnames

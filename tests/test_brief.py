"""The briefing pack (bsc.brief): its sentences claim only tested changes; the PDF of the demo.

The demo company's PDF is made once per module by ``python -m bsc brief`` and read back with
pypdf: its pages, its images and its text.
"""

from __future__ import annotations

import io
import math
from datetime import datetime
from pathlib import Path

import pandas as pd
import pypdf
import pytest

from bsc.brief.content import component_paragraphs, kpi_lines, scorecard_rows
from bsc.brief.pdf import brief_pdf
from bsc.change_tests import judge_change
from bsc.cli import main
from bsc.kpis import KPIS, KpiParams, KpiResult
from bsc.notes import Note
from bsc.targets import Target

DEMO = sorted((Path(__file__).resolve().parents[1] / "data" / "demo").glob("*.csv"))


def _result(rows: list[tuple]) -> KpiResult:
    values = pd.DataFrame(
        rows,
        columns=["kpi", "period", "segment", "value", "ci_low", "ci_high", "n", "numerator", "denominator"],
    ).astype({"kpi": "string", "period": "string", "segment": "string", "n": "Int64"})
    return KpiResult(values, [], [], {}, "month", None, KpiParams())


# CSAT as satisfied / answers. 300/500 = 60% → 360/500 = 72%: pooled p = 0.66,
# z = 0.12 / sqrt(0.66·0.34·(2/500)) = 4.01, p ≈ 6e-5: a real change.
# CES 5.0 → 5.05 with tiny samples: Welch's test cannot reject.
# Revenue has no test at all.
ROWS = [
    ("csat", "2026-04", None, 60.0, math.nan, math.nan, 500, 300.0, 500.0),
    ("csat", "2026-05", None, 72.0, math.nan, math.nan, 500, 360.0, 500.0),
    ("revenue", "2026-04", None, 1000.0, math.nan, math.nan, 40, 1000.0, math.nan),
    ("revenue", "2026-05", None, 1500.0, math.nan, math.nan, 44, 1500.0, math.nan),
]


class TestSentences:
    def test_a_real_change_is_called_real_and_an_untested_one_is_not(self):
        lines = {line.kpi: line for line in kpi_lines(_result(ROWS), "EUR")}
        assert lines["csat"].real
        assert lines["csat"].sentence.startswith("Customer satisfaction (CSAT) rose from 60% to 72%")
        assert "a real change (not noise" in lines["csat"].sentence
        assert not lines["revenue"].real
        assert "no test applies, so no change is claimed" in lines["revenue"].sentence
        assert "rose" not in lines["revenue"].sentence

    def test_paragraphs_put_real_changes_first_and_name_targets_off_track(self):
        # Revenue target 2,000 flat with 10% bands: 1,500 is 25% short → off track.
        target = Target(
            "revenue", 2000.0, "2026-12", baseline=2000.0, baseline_period="2026-04", id="t", version=1
        )
        paragraphs = component_paragraphs(
            _result(ROWS), [target], [Note("revenue", "2026-05", "x", id="n")], "EUR"
        )
        assert paragraphs["satisfaction"].startswith("Customer satisfaction (CSAT) rose")
        assert "Revenue is off track against its target (behind by €500)" in paragraphs["loyalty"]
        assert "1 note on these KPIs" in paragraphs["loyalty"]

    def test_scorecard_rows_say_the_test_and_the_status(self):
        rows = {row.kpi: row for row in scorecard_rows(_result(ROWS), currency="EUR")}
        assert (rows["Customer satisfaction (CSAT)"].test, rows["Revenue"].test) == ("real change", "no test")
        assert rows["Revenue"].value == "€1,500"
        assert rows["Revenue"].status == "No target"


@pytest.fixture(scope="module")
def demo_pdf(tmp_path_factory) -> tuple[pypdf.PdfReader, Path]:
    out = tmp_path_factory.mktemp("brief") / "brief.pdf"
    assert main(["brief", *map(str, DEMO), "--out", str(out)]) == 0
    return pypdf.PdfReader(out), out


class TestDemoPdf:
    def test_landscape_pages_with_chart_images(self, demo_pdf):
        reader, _ = demo_pdf
        assert len(reader.pages) >= 2
        first = reader.pages[0].mediabox
        assert first.width > first.height  # landscape
        images = sum(len(page.images) for page in reader.pages)
        assert images >= 2

    def test_text_is_extractable_and_carries_the_scorecard(self, demo_pdf):
        reader, _ = demo_pdf
        first = reader.pages[0].extract_text()
        assert "Customer scorecard" in first and "NPS" in first and "within noise" in first
        text = "\n".join(page.extract_text() for page in reader.pages)
        for section in ("What changed", "What the tests say, by component", "Trends", "Notes", "How to read"):
            assert section in text
        assert reader.metadata.title.startswith("Customer scorecard briefing")

    def test_the_paragraphs_claim_only_changes_the_tests_support(self, demo_pdf):
        from bsc.kpis import compute_kpis
        from bsc.workspace import files_workspace

        reader, _ = demo_pdf
        text = " ".join(" ".join(page.extract_text() for page in reader.pages).split())
        with files_workspace(DEMO) as (tables, _):
            values = compute_kpis(tables, period="month").values
        for kpi, definition in KPIS.items():
            series = values[(values["kpi"] == kpi) & values["segment"].isna() & values["value"].notna()]
            series = series[series["complete"].astype(bool)]
            if len(series) < 2 or (
                f"{definition.name} rose" not in text and f"{definition.name} fell" not in text
            ):
                continue
            # Recomputed here from the engine's rows: a KPI said to rise or fall passed its test.
            verdict = judge_change(definition.change_test, series.iloc[-2], series.iloc[-1])
            assert verdict.real, kpi
        assert "a real change (not noise" in text  # the demo has some: active customers and orders

    def test_the_command_tests_the_strategy_map_links(self, demo_pdf):
        from bsc.links import tested_links
        from bsc.workspace import files_workspace

        reader, _ = demo_pdf
        text = " ".join(" ".join(page.extract_text() for page in reader.pages).split())
        assert "Strategy map: the links tested on the data" in text
        with files_workspace(DEMO) as (tables, _):
            nps_churn = next(r for r in tested_links(tables) if (r.cause, r.effect) == ("nps", "churn_rate"))
        # The pack's row is the link as bsc.links tests it: its estimate in points and its verdict.
        assert f"Net Promoter Score → Churn rate {nps_churn.estimate:,.2f} pts" in text
        assert nps_churn.verdict in text

    def test_a_strategy_map_section_only_when_links_are_given(self):
        without = brief_pdf(_result(ROWS), generated_at=datetime(2026, 6, 1))
        assert "Strategy map" not in " ".join(
            p.extract_text() for p in pypdf.PdfReader(io.BytesIO(without)).pages
        )
        link = {
            "cause": "nps",
            "effect": "churn_rate",
            "estimate": -0.8,
            "ci_low": -1.2,
            "ci_high": -0.4,
            "n": 900,
            "verdict": "supported",
            "method": "logistic",
        }
        pdf = brief_pdf(_result(ROWS), links=[link], generated_at=datetime(2026, 6, 1))
        text = " ".join(page.extract_text() for page in pypdf.PdfReader(io.BytesIO(pdf)).pages)
        assert "Strategy map" in text and "supported" in text


class TestCommand:
    def test_a_non_pdf_output_is_refused(self, tmp_path, capsys):
        assert main(["brief", str(DEMO[0]), "--out", str(tmp_path / "brief.docx")]) == 2
        assert "name the output file" in capsys.readouterr().err

    def test_notes_appear_numbered_in_the_pack(self):
        at = datetime(2026, 6, 1, 9, 0)
        note = Note(
            "csat",
            "2026-05",
            "New survey wording in May",
            id="a",
            updated_by="Ana",
            updated_at=at,
            created_at=at,
        )
        pdf = brief_pdf(_result(ROWS), notes=[note], generated_at=at)
        text = " ".join(page.extract_text() for page in pypdf.PdfReader(io.BytesIO(pdf)).pages)
        assert "New survey wording in May" in text and "Ana, 2026-06-01" in text
        assert "notes 1 marked" in text  # the CSAT chart's alternative text names the note

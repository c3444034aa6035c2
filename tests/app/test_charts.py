"""Chart parts of ui/charts.py not covered by a page test: notes on the trend chart."""

from __future__ import annotations

from datetime import datetime

import pandas as pd

from bsc.kpis import KPIS
from bsc.notes import Note, notes_frame
from ui.charts import note_marks, trend_chart


def _nps_rows() -> pd.DataFrame:
    return pd.DataFrame(
        {
            "kpi": "nps",
            "period": ["2026-03", "2026-04", "2026-05"],
            "segment": [None, None, None],
            "value": [20.0, 22.0, 27.0],
            "ci_low": [15.0, 17.0, 22.0],
            "ci_high": [25.0, 27.0, 32.0],
            "n": [400, 410, 420],
            "complete": [True, True, True],
        }
    )


def _note(period: str, text: str, minute: int, **segment) -> Note:
    at = datetime(2026, 6, 1, 9, minute)
    return Note(
        "nps", period, text, id=f"n{minute}", updated_by="Ana", created_at=at, updated_at=at, **segment
    )


def test_note_marks_keep_the_latest_note_per_period_and_count_them():
    notes = notes_frame(
        [
            _note("2026-05", "Older note", 1),
            _note("2026-05", "Service desk moved in-house in May; promoters up in every region since", 2),
            _note("2026-04", "North only", 3, segment_by="region", segment="North"),
        ]
    )
    marks = note_marks(notes).sort_values("period")
    assert marks["period"].tolist() == ["2026-04", "2026-05"]
    may = marks.iloc[1]
    # The first ten words, then an ellipsis; two notes in May.
    assert may["words"] == "Service desk moved in-house in May; promoters up in every…"
    assert may["count"] == 2 and pd.isna(may["segment"])
    assert marks.iloc[0]["segment"] == "North"


def test_trend_chart_draws_a_rule_and_a_marker_with_the_note_in_its_tooltip():
    marks = note_marks(notes_frame([_note("2026-05", "Price rise hit promoters", 1)]))
    spec = trend_chart(KPIS["nps"], _nps_rows(), notes=marks).to_dict()
    rules = [layer for layer in spec["layer"] if layer["mark"]["type"] == "rule"]
    markers = [layer for layer in spec["layer"] if layer["mark"].get("shape") == "triangle-down"]
    assert len(rules) == 1 and len(markers) == 1
    [row] = spec["datasets"][markers[0]["data"]["name"]]
    assert (row["period"], row["words"], row["by"]) == ("2026-05", "Price rise hit promoters", "Ana")
    assert {t["field"] for t in markers[0]["encoding"]["tooltip"]} >= {"words", "period", "by"}


def test_a_segment_not_shown_has_no_note_mark():
    marks = note_marks(notes_frame([_note("2026-05", "North only", 1, segment_by="region", segment="North")]))
    spec = trend_chart(KPIS["nps"], _nps_rows(), notes=marks).to_dict()
    assert not [layer for layer in spec["layer"] if layer["mark"]["type"] == "rule"]

"""Tile and What-changed lines as pure functions (no page run)."""

from __future__ import annotations

import pandas as pd

from bsc.insights import Shift
from bsc.kpis import KPIS
from ui.tiles import shift_line, tile_facts


def _shift(attribute: str | None, segment: str | None) -> Shift:
    return Shift("churn_rate", attribute, segment, 30.0, 42.0, "2025-05 to 2026-01", "2026-02 to 2026-10",
                 3.1, 0.002, 0.25, False)  # fmt: skip


def test_a_shift_names_its_segment_as_the_users_file_does():
    line = shift_line(_shift("contract", "Month-to-month"), {"contract": "Contract"})
    assert "Contract Month\\-to\\-month" in line  # the segment value is escaped for Markdown
    assert "30% → 42%" in line and "(worse)" in line


def test_without_labels_the_attribute_is_written_in_words():
    assert "Acquisition channel Social" in shift_line(_shift("acquisition_channel", "Social"))
    assert "all customers" in shift_line(_shift(None, None))


def test_an_undated_value_is_all_time_with_no_sparkline():
    # A customers table without dates: one "all" period (1,869 of 7,043 churned: 26.5%).
    series = pd.DataFrame(
        {"period": ["all"], "segment": [None], "value": [100 * 1869 / 7043], "n": [7043],
         "ci_low": [float("nan")], "ci_high": [float("nan")], "complete": [True], "reason": [None]}
    )  # fmt: skip
    facts = tile_facts(KPIS["churn_rate"], series)
    assert facts.value == "26.5%"
    # No single-point sparkline (it would draw an empty chart) and no change: the tile says why.
    assert facts.sparkline == []
    assert (facts.delta, facts.delta_arrow, facts.delta_color) == ("all time", "off", "off")
    assert "the data have no dates" in facts.help


def test_the_change_and_sparkline_read_only_whole_periods_with_a_value():
    # Fourteen months of NPS; 2025-12 has no value and 2026-01 is marked partial (a gap in the
    # data): both are skipped, so the change is 2026-02 (30) against 2025-11 (16), and the
    # sparkline is the last twelve of the fourteen whole known months: 2025-01 .. 2025-11 (values
    # 7 .. 17) and 2026-02 (30).
    periods = (
        [f"2024-{m:02d}" for m in (11, 12)] + [f"2025-{m:02d}" for m in range(1, 13)] + ["2026-01", "2026-02"]
    )
    values = [float(v) for v in range(5, 5 + len(periods))]
    values[periods.index("2025-12")] = float("nan")
    values[-1] = 30.0
    complete = [p != "2026-01" for p in periods]
    series = pd.DataFrame(
        {"period": periods, "segment": None, "value": values, "n": 400, "ci_low": float("nan"),
         "ci_high": float("nan"), "std_error": 4.0, "complete": complete, "reason": None}
    )  # fmt: skip
    facts = tile_facts(KPIS["nps"], series)
    assert facts.value == "30 pts"
    assert "Change since 2025-11" in facts.help
    assert facts.sparkline == [*(float(v) for v in range(7, 18)), 30.0]

"""A KPI's standing against its target in words (bsc.targets.words).

Every expected string is worked out by hand in its comment from the hand-made values of
``tests.target_examples.MONTHLY`` or the numbers given in the test.
"""

from __future__ import annotations

import math

import pandas as pd
import pytest

from bsc.kpis import KPIS
from bsc.targets import Target, evaluate, gap_words, status_words, target_words, tile_words
from tests.target_examples import MONTHLY


class TestGapWords:
    @pytest.mark.parametrize(
        ("kpi", "value", "target", "words"),
        [
            # NPS 39 against 45, higher is better: 6 points short.
            ("nps", 39.0, 45.0, "behind by 6 pts"),
            # NPS 47 against 45: 2 points over.
            ("nps", 47.0, 45.0, "ahead by 2 pts"),
            # NPS 46 against 45: one point, singular.
            ("nps", 46.0, 45.0, "ahead by 1 pt"),
            # Churn 1.8 % against 1.5 %, lower is better: 0.3 points too high.
            ("churn_rate", 1.8, 1.5, "behind by 0.3 pts"),
            # Churn 1.2 % against 1.5 %: 0.3 points under, which is good.
            ("churn_rate", 1.2, 1.5, "ahead by 0.3 pts"),
            # First response 3.5 h against 2 h, lower is better: 1.5 h too slow.
            ("first_response_time", 3.5, 2.0, "behind by 1.5 h"),
            # Revenue 1,000 against 1,250: 250 short, in an unknown currency (¤).
            ("revenue", 1000.0, 1250.0, "behind by 250 ¤"),
            # 45.0004 against 45 rounds to 0 at one decimal: on target, never "-0".
            ("nps", 44.9996, 45.0, "on target"),
            ("nps", math.nan, 45.0, ""),
        ],
        ids=["behind", "ahead", "one-point", "churn-behind", "churn-ahead", "hours", "money", "zero", "nan"],
    )
    def test_sign_follows_direction(self, kpi, value, target, words):
        assert gap_words(KPIS[kpi], value, target) == words

    def test_money_gap_in_the_workspace_currency(self):
        assert gap_words(KPIS["revenue"], 1000.0, 1250.0, "EUR") == "behind by €250"


class TestFromEvaluate:
    TARGETS = (
        # NPS ramp 16 (2026-09) → 19 (2026-12): 17 in 2026-10, value 24 → 7 ahead, green.
        Target("nps", 19.0, "2026-12", baseline=16.0, baseline_period="2026-09", id="t1"),
        # North NPS flat 40; value 36 with interval 26–46 holding 40: 4 behind, within noise.
        Target("nps", 40.0, "2027-01", segment_by="region", segment="North", id="t2"),
        # Churn 1.5 flat, absolute bands 0.1/0.2: 1.8 misses by 0.3 → off track.
        Target("churn_rate", 1.5, "2027-03", band_mode="absolute", green=0.1, amber=0.2, id="t3"),
        # CSAT has no values: no value yet.
        Target("csat", 80.0, "2027-03", id="t4"),
        # Revenue per quarter cannot be read in months: not compared.
        Target("revenue", 3000.0, "2027-Q1", id="t5"),
    )

    @pytest.fixture
    def rows(self):
        statuses = evaluate(self.TARGETS, MONTHLY, by="region")
        return {
            (r["kpi"], None if pd.isna(r["segment"]) else r["segment"]): r
            for r in statuses.to_dict("records")
        }

    def test_on_track_ramp(self, rows):
        row = rows["nps", None]
        assert target_words(row) == "target 17 pts in 2026-10 (19 pts by 2026-12)"
        assert status_words(row) == "On track · ahead by 7 pts"
        assert tile_words(row) == "target 17 pts in 2026-10 (19 pts by 2026-12) · ahead by 7 pts"

    def test_segment_within_noise(self, rows):
        row = rows["nps", "North"]
        # Flat target: the period's value equals the goal, so the goal alone is said.
        assert target_words(row) == "target 40 pts by 2027-01"
        assert status_words(row) == "Within noise · behind by 4 pts (the data cannot tell)"
        assert tile_words(row) == "target 40 pts by 2027-01 · behind by 4 pts, within noise"

    def test_off_track_lower_is_better(self, rows):
        row = rows["churn_rate", None]
        assert status_words(row) == "Off track · behind by 0.3 pts"
        assert tile_words(row) == "target 1.5% by 2027-03 · behind by 0.3 pts"

    def test_no_data_and_not_compared(self, rows):
        assert status_words(rows["csat", None]) == "No value yet for this target"
        assert tile_words(rows["csat", None]) == "target 80% by 2027-03 · no value yet"
        revenue = rows["revenue", None]
        assert status_words(revenue) == "Set per quarter; choose the quarter period to compare."
        assert tile_words(revenue) == "target 3,000 ¤ by 2027-Q1 · not compared here"
        assert tile_words(revenue, "EUR") == "target €3,000 by 2027-Q1 · not compared here"

    def test_without_a_target(self):
        statuses = evaluate((), MONTHLY)
        row = statuses[statuses["kpi"] == "revenue"].iloc[0]
        assert status_words(row) == "No target"
        assert tile_words(row) == target_words(row) == ""

    def test_named_tuple_rows_read_the_same(self):
        statuses = evaluate(self.TARGETS[:1], MONTHLY)
        row = next(r for r in statuses.itertuples() if r.kpi == "nps" and pd.isna(r.segment))
        assert status_words(row) == "On track · ahead by 7 pts"

    @pytest.mark.parametrize(
        ("kpi", "goal", "words"),
        # NPS 24 in 2026-10 against a flat 24 (its interval 19–29 holds it, yet the gap is nil);
        # churn 1.8 % against a flat 1.8 %.
        [("nps", 24.0, "target 24 pts by 2026-12"), ("churn_rate", 1.8, "target 1.8% by 2026-12")],
        ids=["nps-within-noise", "churn-green"],
    )
    def test_on_target_exactly(self, kpi, goal, words):
        statuses = evaluate((Target(kpi, goal, "2026-12", id="t"),), MONTHLY)
        row = statuses[(statuses["kpi"] == kpi) & statuses["segment"].isna()].iloc[0]
        assert status_words(row) == "On target"
        assert tile_words(row) == f"{words} · on target"

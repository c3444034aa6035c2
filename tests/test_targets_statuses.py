"""Statuses, trajectories and the roll-up (bsc.targets.statuses).

Golden values are worked out by hand in the comments; the KPI values are hand-made
(``tests.target_examples.MONTHLY``).
"""

from __future__ import annotations

import math

import pandas as pd
import pytest

from bsc.targets import Target, band_limits, evaluate, judge, rollup, trajectories
from tests.target_examples import MONTHLY, kpi_values


class TestJudge:
    @pytest.mark.parametrize(
        ("value", "status"),
        [(30.0, "green"), (31.0, "green"), (28.0, "amber"), (27.0, "amber"), (26.9, "red")],
        ids=["on-target", "above", "amber", "amber-edge", "red"],
    )
    def test_higher_is_better_relative_bands(self, value, status):
        # Target 30, amber tolerance 10% of 30 = 3: amber down to 27, red below.
        assert judge(value, 30.0, direction="higher", band_mode="relative", green=0, amber=10) == status

    @pytest.mark.parametrize(
        ("value", "status"),
        [(1.5, "green"), (2.1, "green"), (2.25, "amber"), (2.3, "amber"), (2.31, "red")],
        ids=["below", "green-edge", "amber", "amber-edge", "red"],
    )
    def test_lower_is_better_absolute_bands(self, value, status):
        # Churn target 2.0 %, green up to 2.1, amber up to 2.3.
        assert judge(value, 2.0, direction="lower", band_mode="absolute", green=0.1, amber=0.3) == status

    def test_band_limits(self):
        assert band_limits(30.0, "higher", "relative", 5.0, 10.0) == pytest.approx((28.5, 27.0))
        assert band_limits(2.0, "lower", "absolute", 0.1, 0.3) == pytest.approx((2.1, 2.3))

    def test_target_inside_the_interval_is_within_noise(self):
        assert judge(24.0, 30.0, direction="higher", ci_low=18.0, ci_high=30.5) == "noise"
        assert judge(24.0, 30.0, direction="higher", ci_low=18.0, ci_high=29.0) == "red"

    def test_missing_target_or_value(self):
        assert judge(24.0, math.nan, direction="higher") == "no_target"
        assert judge(math.nan, 30.0, direction="higher") == "no_data"


class TestEvaluate:
    TARGETS = (
        # NPS all customers: ramp 16 (2026-09) → 19 (2026-12), +1 a month: 17 in 2026-10, where the
        # value 24 (interval 19–29) beats it.
        Target("nps", 19.0, "2026-12", baseline=16.0, baseline_period="2026-09", id="t1", version=3),
        # North: 40 flat (no baseline); latest 36 with interval 26–46 holds 40: within noise.
        Target("nps", 40.0, "2027-01", segment_by="region", segment="North", id="t2", version=1),
        # Churn: 1.5 flat, absolute bands 0.1 / 0.2: 1.8 misses by 0.3 → red.
        Target("churn_rate", 1.5, "2027-03", band_mode="absolute", green=0.1, amber=0.2, id="t3", version=1),
        # CSAT has no values at all: no data.
        Target("csat", 80.0, "2027-03", id="t4", version=1),
        # Set for another split: left out.
        Target("nps", 50.0, "2027-01", segment_by="plan", segment="Basic", id="t5", version=1),
    )

    def test_one_row_per_kpi_and_segment_with_status(self):
        statuses = evaluate(self.TARGETS, MONTHLY, by="region")
        table = {(r.kpi, None if pd.isna(r.segment) else r.segment): r for r in statuses.itertuples()}
        assert set(table) == {
            ("nps", None),
            ("nps", "North"),
            ("churn_rate", None),
            ("revenue", None),
            ("csat", None),
        }
        nps = table["nps", None]
        assert (nps.period, nps.value, nps.target, nps.status, nps.score) == (
            "2026-10",
            24.0,
            17.0,
            "green",
            100.0,
        )
        assert (nps.target_id, nps.version, nps.goal, nps.due_period) == ("t1", 3, 19.0, "2026-12")
        assert table["nps", "North"].status == "noise"
        assert table["nps", "North"].segment_by == "region"
        churn = table["churn_rate", None]
        assert (churn.status, churn.gap) == ("red", pytest.approx(0.3))
        assert churn.green_limit == pytest.approx(1.6) and churn.amber_limit == pytest.approx(1.7)
        assert table["revenue", None].status == "no_target"
        assert table["csat", None].status == "no_data"

    def test_a_period_to_date_is_not_judged_against_its_target(self):
        # Churn 1.8 in October (whole) misses 1.5 by 0.3: red. November to date reads 0.4, which
        # would look green; it is left out, and the status stays October's.
        to_date = kpi_values([("churn_rate", "2026-11", None, 0.4, math.nan, math.nan)]).assign(
            complete=False
        )
        values = pd.concat([MONTHLY.assign(complete=True), to_date], ignore_index=True)
        statuses = evaluate(self.TARGETS[2:3], values)
        churn = statuses[statuses["kpi"] == "churn_rate"].iloc[0]
        assert (churn["period"], churn["value"], churn["status"]) == ("2026-10", 1.8, "red")

    def test_each_kpi_and_segment_reads_its_latest_whole_known_period(self):
        # Rows out of order on purpose. NPS of all customers: October has no value, so September
        # (whole, known) is read. North: only a month to date (November) has a value, so it is
        # read. CSAT: undated ("all") and 2026-09: the dated one is later. Churn: only "all".
        rows = kpi_values(
            [
                ("nps", "2026-10", "North", math.nan, math.nan, math.nan),
                ("csat", "2026-09", None, 81.0, math.nan, math.nan),
                ("nps", "2026-10", None, math.nan, math.nan, math.nan),
                ("nps", "2026-09", None, 22.0, 17.0, 27.0),
                ("nps", "2026-11", "North", 35.0, 25.0, 45.0),
                ("csat", "all", None, 79.0, math.nan, math.nan),
                ("nps", "2026-08", None, 20.0, 15.0, 25.0),
                ("churn_rate", "all", None, 2.0, math.nan, math.nan),
            ]
        ).assign(complete=[True, True, True, True, False, True, True, True])
        statuses = evaluate([], rows, by="region")
        read = [
            (r.kpi, None if pd.isna(r.segment) else r.segment, r.period, r.value)
            for r in statuses.itertuples()
        ]
        # Registry order (NPS, CSAT, churn), all customers before the segments.
        assert read == [
            ("nps", None, "2026-09", 22.0),
            ("nps", "North", "2026-11", 35.0),
            ("csat", None, "2026-09", 81.0),
            ("churn_rate", None, "all", 2.0),
        ]

    def test_without_a_split_segment_targets_are_left_out(self):
        statuses = evaluate(self.TARGETS, MONTHLY[MONTHLY["segment"].isna()])
        assert "North" not in set(statuses["segment"].dropna())
        assert statuses["target_id"].dropna().tolist() == ["t1", "t3", "t4"]

    def test_a_period_length_target_is_not_read_in_other_periods(self):
        revenue = Target("revenue", 3000.0, "2027-Q1", id="r", version=1)
        row = evaluate([revenue], MONTHLY).set_index("kpi").loc["revenue"]
        assert row["status"] == "no_target" and "per quarter" in row["note"]

    def test_trajectories_per_period_including_future_periods(self):
        paths = trajectories(self.TARGETS[:1], MONTHLY)
        # The ramp starts at the baseline (2026-09): 16, 17, then 18 and 19 in the future months.
        assert paths["period"].tolist() == ["2026-09", "2026-10", "2026-11", "2026-12"]
        assert paths["target"].tolist() == pytest.approx([16.0, 17.0, 18.0, 19.0])
        assert paths["future"].tolist() == [False, False, True, True]
        # 22 (interval 17–27) against 16: green; the future has no status.
        assert paths["status"].tolist()[:2] == ["green", "green"]
        assert paths["status"].iloc[2:].isna().all()
        # Relative amber band 10%: 18 − 1.8 = 16.2 in November.
        assert paths["amber_limit"].iloc[2] == pytest.approx(16.2)


class TestRollup:
    def test_weighted_scores_per_component_and_overall(self):
        statuses = pd.DataFrame(
            {
                "component": ["satisfaction", "satisfaction", "retention", "acquisition", "loyalty"],
                "status": ["green", "red", "amber", "noise", "no_target"],
                "score": [100.0, 0.0, 50.0, math.nan, math.nan],
                "weight": [2.0, 1.0, 1.0, 1.0, math.nan],
            }
        )
        table = rollup(statuses).set_index("component")
        # Satisfaction (2 × 100 + 1 × 0) ÷ 3 = 66.7 → amber (50 ≤ score < 80).
        assert table.loc["satisfaction", "score"] == pytest.approx(200 / 3)
        assert table.loc["satisfaction", "status"] == "amber"
        assert table.loc["retention", ["score", "status"]].tolist() == [50.0, "amber"]
        assert table.loc["acquisition", "status"] == "noise"
        assert table.loc["loyalty", "status"] == "no_target"
        assert table.loc["service", "targets"] == 0
        # Overall (2 × 100 + 1 × 0 + 1 × 50) ÷ 4 = 62.5.
        assert table.loc["overall", "score"] == pytest.approx(62.5)
        assert table.loc[
            "overall", ["targets", "on_track", "at_risk", "off_track", "within_noise"]
        ].tolist() == [
            4,
            1,
            1,
            1,
            1,
        ]

    def test_green_from_eighty(self):
        statuses = pd.DataFrame(
            {
                "component": ["service"] * 5,
                "status": ["green"] * 4 + ["red"],
                "score": [100.0] * 4 + [0.0],
                "weight": 1.0,
            }
        )
        assert rollup(statuses).set_index("component").loc["service", ["score", "status"]].tolist() == [
            80.0,
            "green",
        ]

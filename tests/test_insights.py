"""What changed: the significance tests, the false-discovery control and the demo's stories."""

from __future__ import annotations

import math

import pandas as pd
import pytest

from bsc.insights import TESTS, benjamini_hochberg, effect_size, find_shifts, shift_z, usable_periods
from bsc.kpis import KPIS, compute_kpis
from bsc.store import Store
from bsc.workspace import ensure_demo_workspace
from tests import stationary
from tests.conftest import write_tables


class TestShiftZ:
    def test_two_proportions(self):
        # p1 = 0.5, p2 = 0.7, n = 100 each: se = sqrt(.25/100 + .21/100) = 0.0678233 (by hand),
        # z = 0.2 / 0.0678233 = 2.94884.
        assert shift_z("proportion", (50, 100), (70, 100)) == pytest.approx(2.94884, abs=1e-4)

    def test_nps_uses_the_cautious_variance_bound(self):
        # NPS 0.2 -> 0.4 on 100 responses each: var = (1 - .04)/100 + (1 - .16)/100 = 0.018,
        # z = 0.2 / sqrt(0.018) = 1.49071 (by hand).
        assert shift_z("nps", (20, 100), (40, 100)) == pytest.approx(1.49071, abs=1e-4)

    def test_cost_per_count_compares_log_ratios(self):
        # CPA 50 -> 100 on 20 new customers each: log 2 / sqrt(1/20 + 1/20) = 0.693147 / 0.316228
        # = 2.19193 (by hand).
        assert shift_z("cost_per_count", (1000, 20), (2000, 20)) == pytest.approx(2.19193, abs=1e-4)

    @pytest.mark.parametrize(
        ("kind", "before", "after"),
        [
            ("proportion", (0, 0), (5, 10)),
            ("cost_per_count", (0, 10), (100, 10)),
            ("proportion", (0, 10), (0, 10)),
        ],
        ids=["empty window", "zero spend", "no variance"],
    )
    def test_undefined_tests_give_nan(self, kind, before, after):
        assert math.isnan(shift_z(kind, before, after))


class TestKinds:
    def test_what_changed_tests_the_same_kpis_read_from_their_records(self):
        # The KPIs and kinds What changed tested before the kinds moved onto the KPI records.
        assert TESTS == {
            "nps": "nps",
            "csat": "proportion",
            "churn_rate": "proportion",
            "repeat_purchase_rate": "proportion",
            "conversion_rate": "proportion",
            "loyalty_engagement": "proportion",
            "cpa": "cost_per_count",
        }
        assert all(KPIS[kpi].change_test == kind for kpi, kind in TESTS.items())

    def test_retention_is_left_to_churn(self):
        # Same test kind as churn, but 100 − churn on the same customers: one story, not two.
        assert KPIS["retention_rate"].change_test == "proportion"
        assert "retention_rate" not in TESTS


class TestFalseDiscovery:
    def test_step_up_rejects_up_to_the_last_passing_rank(self):
        # Sorted p: .005 .01 .03 .04 against thresholds .0125 .025 .0375 .05: all pass.
        assert benjamini_hochberg([0.01, 0.04, 0.03, 0.005]).tolist() == [True, True, True, True]
        # .01 <= .0167 and .02 <= .0333 pass; .5 > .05 does not.
        assert benjamini_hochberg([0.01, 0.02, 0.5]).tolist() == [True, True, False]
        # .03 > .0167 alone; .04 > .0333; .045 <= .05 passes at rank 3, so all three are rejected.
        assert benjamini_hochberg([0.03, 0.04, 0.045]).tolist() == [True, True, True]
        assert benjamini_hochberg([0.2, 0.9]).tolist() == [False, False]

    def test_a_comparison_without_a_p_value_counts_but_is_never_rejected(self):
        # m = 2: .02 <= .025 passes at rank 1; NaN counts as a test and fails.
        assert benjamini_hochberg([0.02, float("nan")]).tolist() == [True, False]
        # With m = 2, .03 > .025 at rank 1 and NaN at rank 2: nothing passes (alone, .03 would).
        assert benjamini_hochberg([0.03, float("nan")]).tolist() == [False, False]
        assert benjamini_hochberg([]).tolist() == []

    def test_cohens_h(self):
        # 2 asin(sqrt .7) - 2 asin(sqrt .5) = 1.982313 - 1.570796 = 0.411517 (by hand).
        assert effect_size("proportion", 0.5, 0.7) == pytest.approx(0.411517, abs=1e-5)
        assert effect_size("cost_per_count", 50, 100) == pytest.approx(math.log(2))


@pytest.fixture(scope="module")
def demo_tables(tmp_path_factory: pytest.TempPathFactory) -> dict:
    store = Store(tmp_path_factory.mktemp("insights") / "data")
    workspace = ensure_demo_workspace(store)
    return store.workspace_tables(workspace.id)


def test_the_demo_company_stories_are_found(demo_tables: dict):
    # data/README.md: Social's CPA worsens from November 2025 and North's NPS improves from
    # January 2026; the last nine months (2026-02 to 2026-10) hold both changes.
    shifts, comparisons = find_shifts(demo_tables)
    found = {(s.kpi, s.segment, s.better) for s in shifts}
    assert ("cpa", "Social", False) in found
    assert ("nps", "North", True) in found
    assert comparisons > 50
    north = next(s for s in shifts if s.kpi == "nps" and s.segment == "North")
    assert north.after - north.before > 10
    assert north.after_periods == "2026-02 to 2026-10"


def test_nothing_is_found_without_enough_history(demo_tables: dict):
    # 2 × 40 months is more than the demo's whole history (signups go back to 2021-05).
    shifts, comparisons = find_shifts(demo_tables, window=40)
    assert shifts == [] and comparisons == 0


# --------------------------------------------------------------------------------------------
# A company in which nothing changes (tests/stationary.py), its log ending on 10 June 2026
# --------------------------------------------------------------------------------------------


def test_usable_periods_leave_out_partial_and_unknown_months():
    values = pd.DataFrame(
        {
            "kpi": ["churn_rate"] * 4 + ["nps"] * 4,
            "period": ["2026-03", "2026-04", "2026-05", "2026-06"] * 2,
            "segment": [None] * 8,
            "complete": [True, True, True, False, False, True, True, False],
            "reason": ["not enough history", None, None, None, None, None, None, None],
        }
    )
    # Churn: March unknown, June partial; NPS: March and June partial.
    assert usable_periods(values) == {"churn_rate": ["2026-04", "2026-05"], "nps": ["2026-04", "2026-05"]}


@pytest.mark.parametrize("seed", [1, 2, 3, 4])
def test_eighteen_stationary_months_show_no_change(tmp_path, seed: int):
    # 1 December 2024 to 10 June 2026: 18 whole months and 10 days of June. Before partial months
    # and unknown churn were left out, each of these companies showed 2 to 5 "changes" (churn
    # worsened from the 0 % of the first months; repeat purchases fell in the ten days of June).
    # With no change at all, the false-discovery control keeps the chance of any item at about
    # 5 % per company; these four seeds show none.
    frames = stationary.stationary_company(seed, start=pd.Timestamp("2024-12-01"))
    shifts, comparisons = find_shifts(write_tables(tmp_path, frames))
    assert shifts == []
    # NPS, CSAT and repeat purchases for all customers and three stores; churn has only 15
    # months it can know (from March 2025), fewer than the 18 two windows need.
    assert comparisons == 12


def test_a_longer_stationary_log_compares_churn_and_shows_no_change(tmp_path):
    # 1 July 2024 to 10 June 2026: churn is known from October 2024, so it is compared too, over
    # the last 18 whole months it can know (2024-12 to 2026-05), never June's ten days.
    shifts, comparisons = find_shifts(write_tables(tmp_path, stationary.stationary_company(7)))
    assert shifts == [] and comparisons == 16
    values = compute_kpis(
        write_tables(tmp_path / "again", stationary.stationary_company(7)), kpis=["churn_rate"]
    ).values
    usable = usable_periods(values)["churn_rate"]
    assert usable[0] == "2024-10" and usable[-1] == "2026-05"

"""The shifted beta-geometric retention model (:mod:`bsc.clv.sbg`)."""

from __future__ import annotations

import numpy as np
import pandas as pd
import pytest

from bsc.clv.sbg import (
    ShiftedBetaGeoModel,
    _log_likelihood_and_gradient,
    held_out_check,
    life_table,
    life_table_from_survival,
    life_table_from_survivors,
    lifetime_periods,
)
from bsc.clv.survival import SurvivalData
from bsc.errors import InputError

# Fader & Hardie (2007), "How to project customer retention", J. Interactive Marketing 21(1), Table 1:
# survivors of 1,000 customers at years 0–12, "regular" and "high end" segments.
REGULAR = [1000, 631, 468, 382, 326, 289, 262, 241, 223, 207, 194, 183, 173]
HIGH_END = [1000, 869, 743, 653, 593, 551, 517, 491, 468, 445, 427, 409, 394]


class TestPublishedCohorts:
    @pytest.mark.parametrize(
        ("survivors", "alpha", "beta"),
        [
            # The estimates Fader & Hardie (2007) report from years 0–7 (their §"Model estimation").
            pytest.param(REGULAR[:8], 0.704, 1.182, id="regular"),
            pytest.param(HIGH_END[:8], 0.668, 3.806, id="high-end"),
        ],
    )
    def test_fit_reproduces_the_published_parameters(self, survivors, alpha, beta):
        model = ShiftedBetaGeoModel().fit(life_table_from_survivors(survivors))
        assert model.params_.alpha == pytest.approx(alpha, abs=5e-4)
        assert model.params_.beta == pytest.approx(beta, abs=5e-4)
        assert model.customers_ == 1000
        assert model.periods_ == 7

    def test_held_out_years_8_to_12_are_projected_within_two_points(self):
        # The paper's point: fitted on years 1–7, the sBG tracks years 8–12 closely (its Fig. 4),
        # while one constant retention rate falls far below. Measured here: 0.3 and 1.2 points
        # against 11.4 and 8.9 for the constant rate.
        for survivors in (REGULAR, HIGH_END):
            check = held_out_check(life_table_from_survivors(survivors), 7)
            assert check.sbg_error < 0.02
            assert check.constant_rate_error > 0.08
            assert check.table["held_out"].sum() == 5
            assert check.table.loc[12, "actual"] == pytest.approx(survivors[12] / 1000)
            assert "one constant retention rate was off by" in check.verdict

    def test_survival_and_retention_rates_from_their_formulas(self):
        model = ShiftedBetaGeoModel().fit(life_table_from_survivors(REGULAR[:8]))
        a, b = model.params_.alpha, model.params_.beta
        # S(1) = β/(α+β); each later step multiplies by (β+t−1)/(α+β+t−1) (Fader & Hardie 2007, eq. 5).
        expected = [1.0]
        for t in range(1, 6):
            expected.append(expected[-1] * (b + t - 1) / (a + b + t - 1))
        assert model.survival(np.arange(6)) == pytest.approx(expected)
        assert model.churn_probability(1) == pytest.approx(a / (a + b))
        assert model.churn_probability(np.arange(1, 6)).sum() == pytest.approx(1 - expected[5])
        projection = model.projection(3, start=500)
        assert projection["survivors"].tolist() == pytest.approx([500 * s for s in expected[:4]])
        assert np.isnan(projection.loc[0, "retention_rate"])
        assert (np.diff(projection["retention_rate"].iloc[1:]) > 0).all()  # retention rises with tenure


class TestLifeTable:
    def test_customers_give_the_same_table_as_the_cohort(self):
        # One customer per member of the regular cohort: 369 gone at year 1, …, 241 still here at 7.
        counts = np.asarray(REGULAR[:8])
        periods = np.repeat(np.arange(1, 8), counts[:-1] - counts[1:])
        periods = np.r_[periods, np.full(241, 7)]
        churned = np.r_[np.ones(1000 - 241, bool), np.zeros(241, bool)]
        table = life_table(periods, churned)
        assert table.equals(life_table_from_survivors(counts).astype("int64"))
        assert table.loc[1, "at_risk"] == 1000 and table.loc[7, "at_risk"] == 262

    def test_censored_customers_count_at_risk_until_their_data_end(self):
        # Hand count: lifetimes 1 (left), 2 (left), 2 (still here), 3 (still here), 0 (just joined).
        table = life_table([1, 2, 2, 3, 0], [True, True, False, False, False])
        assert table["at_risk"].tolist() == [4, 3, 1]
        assert table["lost"].tolist() == [1, 1, 0]
        assert table["censored"].tolist() == [0, 1, 1]

    @pytest.mark.parametrize(
        ("durations", "churned", "period", "expected"),
        [
            pytest.param([0, 3, 3, 2.5], [True, True, False, False], 1.0, [1, 3, 3, 2], id="tenure-months"),
            pytest.param([10, 45, 60, 61], [True, True, True, False], 30.0, [1, 2, 2, 2], id="days"),
        ],
    )
    def test_whole_periods(self, durations, churned, period, expected):
        periods, left = lifetime_periods(durations, churned, period)
        assert periods.tolist() == expected
        assert left.tolist() == churned

    def test_from_survival_data_in_days_uses_months(self):
        frame = pd.DataFrame({"duration": [15.0, 100.0, 365.0], "churned": [True, True, False]})
        table = life_table_from_survival(SurvivalData(frame=frame, unit="days"))
        assert table.loc[1, "lost"] == 1 and table.loc[4, "lost"] == 1  # 100 days: gone in month 4
        assert table.loc[11, "censored"] == 1  # 365 days = 11.99 months survived

    @pytest.mark.parametrize(
        ("periods", "churned", "match"),
        [
            pytest.param([], [], "no customer", id="empty"),
            pytest.param([1.5], [True], "whole numbers", id="fractional"),
            pytest.param([0], [True], "at least one period", id="left-at-zero"),
            pytest.param([1, 2], [True], "one value per customer", id="lengths"),
        ],
    )
    def test_bad_lifetimes_are_refused(self, periods, churned, match):
        with pytest.raises(InputError, match=match):
            life_table(periods, churned)

    def test_bad_survivor_counts_are_refused(self):
        with pytest.raises(InputError, match="never rise"):
            life_table_from_survivors([100, 80, 90])
        with pytest.raises(InputError, match="at least one later"):
            life_table_from_survivors([100])


class TestFitting:
    def test_gradient_matches_finite_differences(self):
        table = life_table_from_survivors(REGULAR)
        t = table.index.to_numpy(dtype=float)
        args = (t, table["lost"].to_numpy(float), table["censored"].to_numpy(float))
        _, d_alpha, d_beta = _log_likelihood_and_gradient(0.9, 1.7, *args)
        h = 1e-6
        numeric_alpha = (
            _log_likelihood_and_gradient(0.9 + h, 1.7, *args)[0]
            - _log_likelihood_and_gradient(0.9 - h, 1.7, *args)[0]
        ) / (2 * h)
        numeric_beta = (
            _log_likelihood_and_gradient(0.9, 1.7 + h, *args)[0]
            - _log_likelihood_and_gradient(0.9, 1.7 - h, *args)[0]
        ) / (2 * h)
        assert d_alpha == pytest.approx(numeric_alpha, rel=1e-5)
        assert d_beta == pytest.approx(numeric_beta, rel=1e-5)

    def test_simulated_customers_give_back_their_parameters(self):
        # 20,000 customers, θ ~ Beta(1.5, 4), joining over 24 months and observed to month 24 (so
        # censored at 0–24 months): the fit lands within 15 % of α and β (seed 3; measured: 3 % and 5 % off).
        rng = np.random.default_rng(3)
        n = 20_000
        theta = rng.beta(1.5, 4.0, n)
        lifetime = rng.geometric(theta)
        observed = rng.integers(0, 25, n)
        churned = lifetime <= observed
        periods = np.where(churned, lifetime, observed)
        model = ShiftedBetaGeoModel().fit(life_table(periods, churned))
        assert model.params_.alpha == pytest.approx(1.5, rel=0.15)
        assert model.params_.beta == pytest.approx(4.0, rel=0.15)

    def test_a_constant_rate_world_is_not_beaten_by_much(self):
        # Everyone churns with θ = 0.2 (no heterogeneity): the constant rate is the true model, so
        # the sBG cannot do clearly better on held-out periods; over 10,000 customers (seed 8) both
        # land within 1.5 points of the actual shares.
        rng = np.random.default_rng(8)
        lifetime = rng.geometric(0.2, 10_000)
        churned = lifetime <= 15
        table = life_table(np.minimum(lifetime, 15), churned)
        check = held_out_check(table, 6)
        assert check.constant_rate_error < 0.015
        assert check.sbg_error < 0.015
        assert check.params.beta > 20  # a Beta piled on one θ: α and β both large

    @pytest.mark.parametrize(
        ("survivors", "match"),
        [
            pytest.param([100, 100, 100], "Nobody has left", id="no-churn"),
            pytest.param([100, 0], "Every customer left in the first period", id="all-gone"),
        ],
    )
    def test_unfittable_tables_are_refused(self, survivors, match):
        with pytest.raises(InputError, match=match):
            ShiftedBetaGeoModel().fit(life_table_from_survivors(survivors))

    def test_held_out_check_needs_room(self):
        with pytest.raises(InputError, match="at least 2 calibration periods"):
            held_out_check(life_table_from_survivors(REGULAR[:4]), 3)

    def test_unfitted_model_says_so(self):
        with pytest.raises(InputError, match="not been fitted"):
            ShiftedBetaGeoModel().survival(1)

"""The BG/NBD purchase model (:mod:`bsc.clv.bg_nbd`)."""

from __future__ import annotations

import numpy as np
import pandas as pd
import pytest

from bsc.clv import BetaGeoModel, BetaGeoParams
from bsc.errors import InputError
from tests.conftest import FIXTURES

# Fader, Hardie & Lee (2005), "Counting your customers the easy way", section 5: the 2,357-customer
# CDNOW sample, calibration weeks 1–39: r 0.243, α 4.414, a 0.793, b 2.426, LL −9582.4.
PUBLISHED = BetaGeoParams(r=0.243, alpha=4.414, a=0.793, b=2.426)


def cdnow_summary() -> pd.DataFrame:
    return pd.read_csv(FIXTURES / "cdnow_summary.csv")


def significant(value: float, digits: int = 3) -> float:
    return float(f"{value:.{digits - 1}e}")


def fitted_model(params: BetaGeoParams = PUBLISHED) -> BetaGeoModel:
    model = BetaGeoModel()
    model.params_ = params
    return model


@pytest.fixture(scope="module")
def model() -> BetaGeoModel:
    summary = cdnow_summary()
    return BetaGeoModel().fit(summary["x"], summary["t_x"], summary["T"])


class TestCdnow:
    def test_published_parameters_to_three_significant_digits(self, model):
        for name in ("r", "alpha", "a", "b"):
            assert significant(getattr(model.params_, name)) == significant(getattr(PUBLISHED, name)), name

    def test_published_log_likelihood(self, model):
        assert model.log_likelihood_ == pytest.approx(-9582.4, abs=0.05)
        assert model.customers_ == 2357

    def test_the_fit_is_the_maximum(self, model):
        summary = cdnow_summary()
        best = model.log_likelihood(summary["x"], summary["t_x"], summary["T"]).sum()
        for name in ("r", "alpha", "a", "b"):
            for factor in (0.99, 1.01):
                moved = BetaGeoParams(
                    **{**model.params_.__dict__, name: getattr(model.params_, name) * factor}
                )
                other = fitted_model(moved).log_likelihood(summary["x"], summary["t_x"], summary["T"]).sum()
                assert other < best, (name, factor)


class TestPredictions:
    def test_no_repeat_purchase_means_alive(self):
        # Under BG/NBD a customer can only drop out just after a purchase.
        assert fitted_model().probability_alive([0, 0], [0, 0], [10, 39]).tolist() == [1.0, 1.0]

    def test_probability_alive_by_hand(self):
        # Customer 1 of the sample: x 2, t_x 30.43, T 38.86, published parameters.
        # a/(b+x−1) = 0.793/3.426 = 0.231465; ((4.414+38.86)/(4.414+30.43))^(2.243) = 1.241935^2.243 = 1.625789;
        # P = 1/(1 + 0.231465 × 1.625789) = 0.726579.
        assert fitted_model().probability_alive(2, 30.43, 38.86)[0] == pytest.approx(0.726579, abs=1e-6)

    def test_a_new_customer_gets_the_unconditional_expectation(self):
        # With x = t_x = T = 0, eq. 10 reduces to eq. 9: two formulas agree.
        model = fitted_model()
        assert model.expected_purchases(39, 0, 0, 0)[0] == pytest.approx(
            model.expected_purchases_new_customer(39)
        )

    def test_expectations_match_a_simulation(self):
        # 200,000 customers drawn from the BG/NBD with the published parameters (seed 16), watched for
        # 78 weeks. Mean purchases in weeks 0–39 must match E[X(39)], and, for those who did not buy in
        # weeks 0–39 (x = 0, T = 39), mean purchases in weeks 39–78 must match E[Y(39) | 0, 0, 39];
        # both within 3 % (the simulation's standard error is under 1 %).
        first, second = simulate(PUBLISHED, customers=200_000, weeks=78.0, split=39.0, seed=16)
        model = fitted_model()
        assert first.mean() == pytest.approx(model.expected_purchases_new_customer(39), rel=0.03)
        quiet = first == 0
        assert second[quiet].mean() == pytest.approx(model.expected_purchases(39, 0, 0, 39)[0], rel=0.03)

    def test_zero_horizon(self):
        assert fitted_model().expected_purchases(0, [3], [20], [30])[0] == pytest.approx(0.0)


def simulate(params: BetaGeoParams, customers: int, weeks: float, split: float, seed: int):
    """Purchase counts before and after ``split`` for customers drawn from the BG/NBD story."""
    rng = np.random.default_rng(seed)
    rate = rng.gamma(params.r, 1 / params.alpha, customers)
    dropout = rng.beta(params.a, params.b, customers)
    now = np.zeros(customers)
    alive = np.ones(customers, dtype=bool)
    before = np.zeros(customers, dtype=int)
    after = np.zeros(customers, dtype=int)
    while alive.any():
        now[alive] += rng.exponential(1 / rate[alive])
        alive &= now <= weeks
        before += alive & (now <= split)
        after += alive & (now > split)
        alive &= rng.random(customers) >= dropout
    return before, after


class TestBadInput:
    @pytest.mark.parametrize(
        ("frequency", "recency", "T", "message"),
        [
            ([0, 0], [0, 0], [5, 6], "No customer bought twice"),
            ([1], [7], [5], "between 0 and the customer's age"),
            ([1.5], [1], [5], "whole number"),
            ([1, 2], [1], [5], "one value per customer"),
            ([], [], [], "no customer"),
        ],
        ids=["no-repeat-buyers", "recency-after-age", "fractional-frequency", "ragged", "empty"],
    )
    def test_clear_messages(self, frequency, recency, T, message):
        with pytest.raises(InputError, match=message):
            BetaGeoModel().fit(frequency, recency, T)

    def test_predicting_before_fitting(self):
        with pytest.raises(InputError, match="not been fitted"):
            BetaGeoModel().probability_alive([1], [1], [2])


class TestGradient:
    def test_analytic_gradient_matches_central_differences(self):
        # The fit follows the analytic gradient; check it against the log-likelihood itself.
        from bsc.clv.bg_nbd import _log_likelihood, _log_likelihood_and_gradient

        summary = cdnow_summary()
        history = (summary["x"].to_numpy(float), summary["t_x"].to_numpy(float), summary["T"].to_numpy(float))
        params = np.array([0.243, 4.414, 0.793, 2.426])
        _, gradient = _log_likelihood_and_gradient(params, *history)
        for i in range(4):
            step = np.zeros(4)
            step[i] = 1e-6 * params[i]
            numeric = (
                _log_likelihood(params + step, *history) - _log_likelihood(params - step, *history)
            ) / (2 * step[i])
            assert gradient[i].sum() == pytest.approx(numeric.sum(), rel=1e-5, abs=1e-3), i

"""General dominance (Shapley) of R² and of McFadden's pseudo-R², against independent computations.

The fits carry a ridge of 1e-9 (see bsc.drivers.dominance), hence tolerances of 1e-7.
Golden values: each subset's fit is computed here independently (numpy least squares, or
scikit-learn's unpenalised logistic regression), and the Shapley values worked out by hand from
them with the weights |S|!(k − |S| − 1)!/k! written out in the comments.
"""

from __future__ import annotations

import numpy as np
import pytest
from sklearn.linear_model import LogisticRegression

from bsc.drivers.dominance import (
    bootstrap_weights,
    linear_subset_fits,
    logistic_subset_fits,
    null_importance,
    shapley_values,
)


def _r2(X: np.ndarray, y: np.ndarray, columns: list[int]) -> float:
    """R² of ordinary least squares with an intercept, by numpy's lstsq."""
    if not columns:
        return 0.0
    design = np.column_stack([np.ones(len(y)), X[:, columns]])
    beta, *_ = np.linalg.lstsq(design, y, rcond=None)
    residual = y - design @ beta
    return 1.0 - residual @ residual / ((y - y.mean()) @ (y - y.mean()))


def _mcfadden(X: np.ndarray, y: np.ndarray, columns: list[int]) -> float:
    """1 − ℓ(model)/ℓ(intercept only), the model fitted by scikit-learn without penalty."""
    share = y.mean()
    null = len(y) * (share * np.log(share) + (1 - share) * np.log(1 - share))
    if not columns:
        return 0.0
    model = LogisticRegression(C=np.inf, tol=1e-10, max_iter=1000).fit(X[:, columns], y)
    p = model.predict_proba(X[:, columns])[:, 1]
    return 1.0 - np.sum(y * np.log(p) + (1 - y) * np.log(1 - p)) / null


@pytest.fixture
def three_predictors() -> tuple[np.ndarray, np.ndarray]:
    rng = np.random.default_rng(3)
    X = rng.standard_normal((400, 3))
    X[:, 1] += 0.5 * X[:, 0]  # correlated predictors: where Shapley differs from squared correlations
    y = 1.0 * X[:, 0] + 0.5 * X[:, 1] + 0.2 * X[:, 2] + rng.standard_normal(400)
    return X, y


class TestLinear:
    def test_two_predictors_by_hand(self, three_predictors) -> None:
        X, y = three_predictors
        X = X[:, :2]
        r1, r2, r12 = _r2(X, y, [0]), _r2(X, y, [1]), _r2(X, y, [0, 1])
        # k = 2: each order (1 then 2, 2 then 1) has weight 1/2.
        # φ1 = ½ (R²(1) − 0) + ½ (R²(12) − R²(2)); φ2 = ½ (R²(2) − 0) + ½ (R²(12) − R²(1)).
        expected = [0.5 * r1 + 0.5 * (r12 - r2), 0.5 * r2 + 0.5 * (r12 - r1)]
        fits = linear_subset_fits(X, y, [[0], [1]], np.ones((1, len(y))))
        assert fits[0] == pytest.approx([0.0, r1, r2, r12], abs=1e-7)
        assert shapley_values(fits)[0] == pytest.approx(expected, abs=1e-7)

    def test_three_predictors_by_hand(self, three_predictors) -> None:
        X, y = three_predictors
        r = {s: _r2(X, y, list(s)) for s in [(), (0,), (1,), (2,), (0, 1), (0, 2), (1, 2), (0, 1, 2)]}
        # k = 3: weights |S|!(2 − |S|)!/3! = 1/3 for |S| = 0, 1/6 for |S| = 1, 1/3 for |S| = 2.
        # φ1 = 1/3 (R²(1)) + 1/6 (R²(12) − R²(2)) + 1/6 (R²(13) − R²(3)) + 1/3 (R²(123) − R²(23)).
        phi_1 = (
            r[(0,)] / 3
            + (r[(0, 1)] - r[(1,)]) / 6
            + (r[(0, 2)] - r[(2,)]) / 6
            + (r[(0, 1, 2)] - r[(1, 2)]) / 3
        )
        phi_3 = (
            r[(2,)] / 3
            + (r[(0, 2)] - r[(0,)]) / 6
            + (r[(1, 2)] - r[(1,)]) / 6
            + (r[(0, 1, 2)] - r[(0, 1)]) / 3
        )
        values = shapley_values(linear_subset_fits(X, y, [[0], [1], [2]], np.ones((1, len(y)))))[0]
        assert values[0] == pytest.approx(phi_1, abs=1e-7)
        assert values[2] == pytest.approx(phi_3, abs=1e-7)
        assert values.sum() == pytest.approx(r[(0, 1, 2)], abs=1e-7)
        assert (values >= 0).all()

    def test_a_group_enters_whole(self, three_predictors) -> None:
        X, y = three_predictors
        values = shapley_values(linear_subset_fits(X, y, [[0, 1], [2]], np.ones((1, len(y)))))[0]
        # Two players: φ(group) = ½ R²(01) + ½ (R²(012) − R²(2)).
        expected = 0.5 * _r2(X, y, [0, 1]) + 0.5 * (_r2(X, y, [0, 1, 2]) - _r2(X, y, [2]))
        assert values[0] == pytest.approx(expected, abs=1e-7)

    def test_weights_are_resamples(self, three_predictors) -> None:
        X, y = three_predictors
        weights = bootstrap_weights(len(y), 3, np.random.default_rng(0))
        assert (weights.sum(axis=1) == len(y)).all()
        fits = linear_subset_fits(X, y, [[0], [1], [2]], weights)
        rows = np.repeat(np.arange(len(y)), weights[1].astype(int))
        assert fits[1, -1] == pytest.approx(_r2(X[rows], y[rows], [0, 1, 2]), abs=1e-7)
        assert shapley_values(fits).sum(axis=1) == pytest.approx(fits[:, -1], abs=1e-12)


class TestLogistic:
    @pytest.fixture
    def churn(self) -> tuple[np.ndarray, np.ndarray]:
        rng = np.random.default_rng(5)
        X = rng.standard_normal((600, 2))
        y = (rng.random(600) < 1 / (1 + np.exp(-(-1.0 + 1.2 * X[:, 0] + 0.4 * X[:, 1])))).astype(float)
        return X, y

    def test_two_predictors_by_hand(self, churn) -> None:
        X, y = churn
        m1, m2, m12 = _mcfadden(X, y, [0]), _mcfadden(X, y, [1]), _mcfadden(X, y, [0, 1])
        fits = logistic_subset_fits(X, y, [[0], [1]], np.ones((1, len(y))))
        assert fits[0] == pytest.approx([0.0, m1, m2, m12], abs=1e-6)
        values = shapley_values(fits)[0]
        # φ1 = ½ (m(1) − 0) + ½ (m(12) − m(2)).
        assert values[0] == pytest.approx(0.5 * m1 + 0.5 * (m12 - m2), abs=1e-6)
        assert values.sum() == pytest.approx(m12, abs=1e-7)

    def test_one_step_resample_is_close_to_a_refit(self, churn) -> None:
        X, y = churn
        weights = bootstrap_weights(len(y), 40, np.random.default_rng(1))
        fits = logistic_subset_fits(X, y, [[0], [1]], weights)
        spread = fits[:, -1].std()
        for b in range(3):
            rows = np.repeat(np.arange(len(y)), weights[b].astype(int))
            refit = _mcfadden(X[rows], y[rows], [0, 1])
            # The one-step shortcut must be small against the resampling spread it measures
            # (measured: errors up to 3e-4 against a spread of about 0.025 on these 600 rows).
            assert abs(fits[b, -1] - refit) < 0.05 * spread


class TestNullLevel:
    def test_f_and_chi_square_percentiles(self) -> None:
        # F(1, 996) 95th percentile 3.851 (tables): 3.851 × 1 × 0.5 / 996.
        assert null_importance(1, 1000, 3, logistic=False, scale=0.5) == pytest.approx(
            3.851 * 0.5 / 996, rel=1e-3
        )
        # χ²(2) 95th percentile 5.991: 5.991 / (2 × 400).
        assert null_importance(2, 1000, 3, logistic=True, scale=400.0) == pytest.approx(5.991 / 800, rel=1e-3)
        assert np.isnan(null_importance(1, 3, 3, logistic=False, scale=0.5))

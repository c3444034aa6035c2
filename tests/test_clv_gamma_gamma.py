"""The Gamma-Gamma spend model (:mod:`bsc.clv.gamma_gamma`)."""

from __future__ import annotations

import numpy as np
import pandas as pd
import pytest

from bsc.clv import GammaGammaModel, GammaGammaParams
from bsc.errors import InputError
from tests.conftest import FIXTURES

# Fader, Hardie & Lee (2005), "RFM and CLV: using iso-value curves", and Fader & Hardie's note
# "The Gamma-Gamma model of monetary value" (2013): on the 946 repeat buyers of the CDNOW sample,
# p 6.25, q 3.74, v 15.44.
PUBLISHED = GammaGammaParams(p=6.25, q=3.74, v=15.44)


def significant(value: float, digits: int = 3) -> float:
    return float(f"{value:.{digits - 1}e}")


def model_with(params: GammaGammaParams) -> GammaGammaModel:
    model = GammaGammaModel()
    model.params_ = params
    return model


class TestCdnow:
    def test_published_parameters(self):
        summary = pd.read_csv(FIXTURES / "cdnow_summary.csv")
        model = GammaGammaModel().fit(summary["x"], summary["zbar"])
        assert model.customers_ == 946
        for name in ("p", "q", "v"):
            assert significant(getattr(model.params_, name)) == significant(getattr(PUBLISHED, name)), name
        # The note prints v = 15.44; the fit gives 15.448, within its rounding of the other two.
        assert model.params_.v == pytest.approx(15.44, abs=0.01)


class TestExpectedSpend:
    def test_by_hand(self):
        # Customer 1 of the sample (x 2, z̄ 22.35): p(v + x z̄)/(px + q − 1)
        # = 6.25 × (15.44 + 44.70) / (12.5 + 2.74) = 375.875 / 15.24 = 24.6637.
        # No repeat purchase: the population mean p v/(q − 1) = 96.5 / 2.74 = 35.2190.
        spend = model_with(PUBLISHED).expected_spend([2, 0], [22.35, 0.0])
        assert spend.tolist() == pytest.approx([24.6637, 35.2190], abs=1e-4)

    def test_infinite_mean_is_refused(self):
        with pytest.raises(InputError, match="infinite"):
            model_with(GammaGammaParams(p=2, q=0.9, v=3)).expected_spend([1], [10])


class TestBadInput:
    @pytest.mark.parametrize(
        ("frequency", "spend", "message"),
        [
            ([0, 0, 1], [0, 0, 5], "at least two customers"),
            ([1, 2, 3], [5, -1, 7], "0 or less"),
            ([1, 2], [5], "one value per customer"),
        ],
        ids=["one-repeat-buyer", "negative-spend", "ragged"],
    )
    def test_clear_messages(self, frequency, spend, message):
        with pytest.raises(InputError, match=message):
            GammaGammaModel().fit(frequency, spend)


class TestGradient:
    def test_analytic_gradient_matches_central_differences(self):
        # The fit follows the analytic gradient; check it against the log-likelihood itself.
        from bsc.clv.gamma_gamma import _gradient, _log_likelihood

        summary = pd.read_csv(FIXTURES / "cdnow_summary.csv").query("x > 0")
        x, zbar = summary["x"].to_numpy(float), summary["zbar"].to_numpy(float)
        params = np.array([6.25, 3.74, 15.44])
        gradient = _gradient(params, x, zbar)
        for i in range(3):
            step = np.zeros(3)
            step[i] = 1e-6 * params[i]
            numeric = (_log_likelihood(params + step, x, zbar) - _log_likelihood(params - step, x, zbar)) / (
                2 * step[i]
            )
            assert gradient[i].sum() == pytest.approx(numeric.sum(), rel=1e-5, abs=1e-3), i

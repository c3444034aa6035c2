"""Customer lifetime value and forecasts (:mod:`bsc.clv.value`)."""

from __future__ import annotations

import pandas as pd
import pytest

from bsc.clv import (
    DAYS_PER_MONTH,
    BetaGeoModel,
    BetaGeoParams,
    GammaGammaModel,
    GammaGammaParams,
    customer_forecast,
    customer_lifetime_value,
)
from bsc.errors import InputError


def models() -> tuple[BetaGeoModel, GammaGammaModel]:
    # The published CDNOW parameters (Fader, Hardie & Lee 2005).
    purchases, spend = BetaGeoModel(), GammaGammaModel()
    purchases.params_ = BetaGeoParams(r=0.243, alpha=4.414, a=0.793, b=2.426)
    spend.params_ = GammaGammaParams(p=6.25, q=3.74, v=15.44)
    return purchases, spend


SUMMARY = pd.DataFrame(
    {
        "frequency": [2, 0, 7],
        "recency": [30.43, 0.0, 37.0],
        "T": [38.86, 38.86, 38.0],
        "monetary_value": [22.35, 0.0, 40.0],
    },
    index=pd.Index(["first", "quiet", "loyal"], name="customer_id"),
)
MONTH = DAYS_PER_MONTH / 7  # weeks


class TestLifetimeValue:
    def test_one_month_is_margin_spend_and_purchases_discounted_once(self):
        purchases, spend = models()
        clv = customer_lifetime_value(purchases, spend, SUMMARY, months=1, margin=0.3, monthly_discount=0.01)
        history = (SUMMARY["frequency"], SUMMARY["recency"], SUMMARY["T"])
        expected = (
            0.3
            * spend.expected_spend(SUMMARY["frequency"], SUMMARY["monetary_value"])
            * purchases.expected_purchases(MONTH, *history)
            / 1.01
        )
        assert clv.to_numpy() == pytest.approx(expected)

    def test_without_discounting_the_months_add_up_to_the_whole_horizon(self):
        # With d = 0 the monthly increments telescope to E[Y(12 months)].
        purchases, spend = models()
        clv = customer_lifetime_value(purchases, spend, SUMMARY, months=12, margin=1.0, monthly_discount=0.0)
        history = (SUMMARY["frequency"], SUMMARY["recency"], SUMMARY["T"])
        whole = spend.expected_spend(
            SUMMARY["frequency"], SUMMARY["monetary_value"]
        ) * purchases.expected_purchases(12 * MONTH, *history)
        assert clv.to_numpy() == pytest.approx(whole)

    def test_discounting_lowers_the_value_and_loyal_customers_are_worth_more(self):
        purchases, spend = models()
        plain = customer_lifetime_value(purchases, spend, SUMMARY, monthly_discount=0.0)
        discounted = customer_lifetime_value(purchases, spend, SUMMARY, monthly_discount=0.02)
        assert (discounted < plain).all()
        assert discounted["loyal"] > discounted["first"] > 0

    @pytest.mark.parametrize(
        ("options", "message"),
        [
            ({"margin": 30}, "share between 0 and 1"),
            ({"months": 0}, "whole number of months"),
            ({"monthly_discount": -0.1}, "negative"),
        ],
        ids=["margin-as-percent", "no-months", "negative-discount"],
    )
    def test_bad_options(self, options, message):
        purchases, spend = models()
        with pytest.raises(InputError, match=message):
            customer_lifetime_value(purchases, spend, SUMMARY, **options)


class TestForecast:
    def test_columns_agree_with_the_models(self):
        purchases, spend = models()
        forecast = customer_forecast(purchases, spend, SUMMARY, horizon=39, margin=0.3)
        history = (SUMMARY["frequency"], SUMMARY["recency"], SUMMARY["T"])
        assert list(forecast.columns) == ["expected_purchases", "probability_alive", "expected_spend", "clv"]
        assert forecast["expected_purchases"].to_numpy() == pytest.approx(
            purchases.expected_purchases(39, *history)
        )
        assert forecast.loc["quiet", "probability_alive"] == 1.0
        assert forecast["clv"].to_numpy() == pytest.approx(
            customer_lifetime_value(purchases, spend, SUMMARY, margin=0.3).to_numpy()
        )

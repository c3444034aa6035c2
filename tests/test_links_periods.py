"""Tests of bsc.links.periods: a user's arrow tested on two KPIs' monthly series."""

import numpy as np
import pandas as pd
import pytest

from bsc.kpis import KpiParams, KpiResult
from bsc.links.periods import MIN_PERIODS, period_link
from bsc.links.result import NO_DATA, SUPPORTED, TOO_LITTLE


def _monthly(series: dict[str, list[float]]) -> KpiResult:
    rows = [
        {"kpi": kpi, "period": str(period), "segment": pd.NA, "value": value, "complete": True}
        for kpi, values in series.items()
        for period, value in zip(
            pd.period_range("2023-01", periods=len(values), freq="M"), values, strict=True
        )
    ]
    return KpiResult(pd.DataFrame(rows), [], [], {}, "month", None, KpiParams())


def test_effect_following_the_cause_a_month_later_is_supported():
    rng = np.random.default_rng(4)
    csat = np.cumsum(rng.normal(size=24))
    # Revenue per customer moves one month after CSAT, by the same steps.
    revenue = np.concatenate([[0.0], csat[:-1]]) + rng.normal(scale=0.1, size=24)
    link = period_link(
        _monthly({"csat": list(csat), "revenue_per_customer": list(revenue)}), "csat", "revenue_per_customer"
    )
    assert link.verdict == SUPPORTED
    assert link.n == 22  # 24 months give 23 changes, the last without a next month
    # The same number by hand: changes of CSAT against next month's changes of revenue.
    expected = pd.Series(np.diff(csat)[:-1]).corr(pd.Series(np.diff(revenue)[1:]))
    assert link.estimate == pytest.approx(expected)


def test_a_cause_better_lower_expects_a_negative_correlation():
    churn = list(np.cumsum(np.random.default_rng(5).normal(size=20)))
    revenue = [0.0] + [-value for value in churn[:-1]]
    assert (
        period_link(_monthly({"churn_rate": churn, "revenue": revenue}), "churn_rate", "revenue").verdict
        == SUPPORTED
    )


def test_few_months_are_too_little_data():
    months = MIN_PERIODS - 1
    link = period_link(
        _monthly({"nps": list(range(months)), "revenue": list(range(months))}), "nps", "revenue"
    )
    assert link.verdict == TOO_LITTLE


def test_a_kpi_without_values_has_no_data():
    link = period_link(_monthly({"nps": list(range(20))}), "nps", "revenue")
    assert link.verdict == NO_DATA
    assert link.user

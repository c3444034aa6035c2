"""Is a KPI's change between two periods real? The two-sample test of each kind of KPI.

A tile compares a KPI's latest period with the one before. Both values are estimates with their
own uncertainty, so the change is coloured only when a two-sample test rejects "no change" at
5 %; otherwise it is within noise. Which test fits is a fact about the KPI, kept on its record
(:attr:`bsc.kpis.KpiDef.change_test`); :func:`judge_change` applies it to two rows of the
KPI frames (columns ``value, numerator, denominator, n, std_error``):

- ``"proportion"`` (CSAT, churn, retention, repeat purchases, conversion, loyalty engagement):
  ``numerator`` successes of ``denominator`` trials, :func:`bsc.stats.two_proportion_test`.
- ``"nps"``: ``value`` and ``std_error`` in NPS points, the difference with both variances,
  :func:`bsc.stats.difference_test` (as :func:`bsc.stats.nps_difference_test` on counts).
- ``"mean"`` (CES, rating, mean response and resolution times): ``value``, ``std_error`` and
  ``n``, :func:`bsc.stats.welch_test`.
- ``"count"`` (new customers, orders, active customers, responses): ``numerator`` events in
  each period, :func:`bsc.stats.poisson_rate_test` with equal exposures.
- ``"cost_per_count"`` (CPA): ``numerator`` spend and ``denominator`` new customers,
  :func:`bsc.stats.poisson_rate_test` with the spend as exposure.
- ``None``: no honest test from the frames (money totals without their spread, ratios of
  ratios, medians, the composite index, growth rates); the change is shown without colour.
"""

from __future__ import annotations

import math
from collections.abc import Callable, Mapping
from dataclasses import dataclass
from typing import Any, Literal

import pandas as pd

from bsc import stats

__all__ = ["CHANGE_TEST_NAMES", "SIGNIFICANCE", "ChangeTest", "ChangeVerdict", "judge_change"]

ChangeTest = Literal["proportion", "nps", "mean", "count", "cost_per_count"]
CHANGE_TEST_NAMES: dict[ChangeTest, str] = {
    "proportion": "two-proportion z-test",
    "nps": "z-test of the NPS difference",
    "mean": "Welch's t-test",
    "count": "conditional test of two Poisson counts",
    "cost_per_count": "conditional Poisson test of new customers per unit of spend",
}
# The false-alarm rate of one tile: a change is coloured when p ≤ this.
SIGNIFICANCE = 0.05

Row = Mapping[str, Any] | pd.Series


@dataclass(frozen=True)
class ChangeVerdict:
    """The outcome of testing one change: the test used, its statistic and two-sided p-value.

    ``test`` is None when no test applies to the KPI; ``p_value`` is NaN when the test could not
    be made (too few answers, an empty period, no spread in either period).
    """

    test: ChangeTest | None
    statistic: float
    p_value: float
    alpha: float = SIGNIFICANCE

    @property
    def tested(self) -> bool:
        """Whether a test was made at all."""
        return self.test is not None and not math.isnan(self.p_value)

    @property
    def real(self) -> bool:
        """Whether the test rejects "no change" at :attr:`alpha`: the tile colours the change."""
        return self.tested and self.p_value <= self.alpha

    @property
    def explanation(self) -> str:
        """One sentence for a reader: which test, its p-value and what it means."""
        if self.test is None:
            return "No two-sample test applies to this KPI, so its change is shown without colour."
        name = CHANGE_TEST_NAMES[self.test]
        if not self.tested:
            return (
                f"Not tested ({name}): too few answers, or no spread in either period; shown without colour."
            )
        p_text = "p < 0.001" if self.p_value < 0.001 else f"p = {self.p_value:.3f}"
        if self.real:
            return (
                f"A real change ({name}, {p_text}): unlikely by chance alone, at the {self.alpha:.0%} level."
            )
        return f"Within noise ({name}, {p_text}): a change this size often happens by chance alone."


def judge_change(
    test: ChangeTest | None, before: Row, after: Row, alpha: float = SIGNIFICANCE
) -> ChangeVerdict:
    """Test the change of one KPI from the ``before`` row to the ``after`` row.

    Parameters
    ----------
    test
        The KPI's :attr:`~bsc.kpis.KpiDef.change_test`; None gives an untested verdict.
    before, after
        Rows of the KPI frames (a ``pandas.Series`` or a mapping) for two periods of one
        segment, with the columns the test reads (see the module docstring); a missing column
        or NA counts as unknown and gives an untested verdict.
    alpha
        Significance level of :attr:`ChangeVerdict.real` (default 5 %).
    """
    if test is None:
        return ChangeVerdict(None, math.nan, math.nan, alpha)
    statistic, p_value = _TESTS[test](before, after)
    return ChangeVerdict(test, float(statistic), float(p_value), alpha)


def _field(row: Row, name: str) -> float:
    value = row.get(name) if hasattr(row, "get") else None
    return math.nan if value is None or pd.isna(value) else float(value)


def _proportions(before: Row, after: Row) -> stats.Comparison:
    return stats.two_proportion_test(
        _field(before, "numerator"),
        _field(before, "denominator"),
        _field(after, "numerator"),
        _field(after, "denominator"),
    )


def _nps(before: Row, after: Row) -> stats.Comparison:
    return stats.difference_test(
        _field(before, "value"),
        _field(before, "std_error"),
        _field(after, "value"),
        _field(after, "std_error"),
    )


def _means(before: Row, after: Row) -> stats.Comparison:
    return stats.welch_test(
        _field(before, "value"),
        _field(before, "std_error"),
        _field(before, "n"),
        _field(after, "value"),
        _field(after, "std_error"),
        _field(after, "n"),
    )


def _counts(before: Row, after: Row) -> stats.Comparison:
    return stats.poisson_rate_test(_field(before, "numerator"), _field(after, "numerator"))


def _cost_per_count(before: Row, after: Row) -> stats.Comparison:
    # The spend is the exposure: under "no change" new customers arrive at one rate per unit spent.
    return stats.poisson_rate_test(
        _field(before, "denominator"),
        _field(after, "denominator"),
        exposure_1=_field(before, "numerator"),
        exposure_2=_field(after, "numerator"),
    )


_TESTS: dict[ChangeTest, Callable[[Row, Row], stats.Comparison]] = {
    "proportion": _proportions,
    "nps": _nps,
    "mean": _means,
    "count": _counts,
    "cost_per_count": _cost_per_count,
}

"""What a tested link is: :class:`LinkResult`, its verdict, and the intervals behind it.

Every arrow of the strategy map is judged the same way: an estimate of the effect with a 95 %
interval, the number of customers (or periods) behind it, and a verdict:

- **supported**: the interval excludes 0 on the side the arrow expects (better cause, better
  effect);
- **not supported by this data**: it does not (0 is inside, or the effect goes the other way);
- **too little data**: fewer customers or periods than the stated minimum;
- **no data**: a table or role the test needs is missing.

References
----------
.. [1] R. G. Newcombe, "Interval estimation for the difference between independent
   proportions", Statistics in Medicine 17 (8), 1998 (the Wald interval, method 1).
.. [2] B. L. Welch, "The generalization of 'Student's' problem when several different
   population variances are involved", Biometrika 34, 1947.
.. [3] E. C. Fieller, H. O. Hartley and E. S. Pearson, "Tests for rank correlation
   coefficients. I", Biometrika 44, 1957 (standard error √(1.06 ÷ (n − 3)) of Fisher's z of
   Spearman's rho).
.. [4] R. A. Fisher, "On the probable error of a coefficient of correlation deduced from a
   small sample", Metron 1, 1921 (z = atanh r, standard error 1 ÷ √(n − 3)).
"""

from __future__ import annotations

import math
from dataclasses import dataclass
from typing import Literal

import numpy as np
import pandas as pd

from bsc.result_files import keep_type
from bsc.stats import z_value

__all__ = [
    "NOT_SUPPORTED",
    "NO_DATA",
    "SUPPORTED",
    "TOO_LITTLE",
    "VERDICTS",
    "Estimate",
    "LinkResult",
    "correlation",
    "difference_of_means",
    "difference_of_proportions",
    "judged",
    "no_data",
    "rank_correlation",
]

SUPPORTED = "supported"
NOT_SUPPORTED = "not supported by this data"
TOO_LITTLE = "too little data"
NO_DATA = "no data"
VERDICTS: tuple[str, ...] = (SUPPORTED, NOT_SUPPORTED, TOO_LITTLE, NO_DATA)
Verdict = Literal["supported", "not supported by this data", "too little data", "no data"]

CONFIDENCE = 0.95


@keep_type
@dataclass(frozen=True)
class LinkResult:
    """One arrow of the strategy map, tested on the data.

    Attributes
    ----------
    cause, effect
        KPI ids of :data:`bsc.kpis.KPIS`.
    estimate, ci_low, ci_high
        The effect and its 95 % interval, in the unit ``method`` names (NaN without one).
    n
        Customers, answers or periods behind the estimate (0 with no data).
    verdict
        One of :data:`VERDICTS`.
    method
        How it was tested, in plain words, with the minimum n.
    meaning
        One sentence saying what the result means.
    user
        True for an arrow a user drew (tested on the KPI series by period).
    unit
        The unit of the estimate: "points", "money", "rho" or "r".
    """

    cause: str
    effect: str
    estimate: float
    ci_low: float
    ci_high: float
    n: int
    verdict: str
    method: str
    meaning: str
    user: bool = False
    unit: str = ""


@dataclass(frozen=True)
class Estimate:
    """An estimate with its interval and the smallest group (or pair count) behind it."""

    value: float
    low: float
    high: float
    n: int
    smallest: int


def difference_of_proportions(first: pd.Series, second: pd.Series) -> Estimate:
    """Share of ``first`` minus share of ``second`` (booleans), in percentage points, Wald interval [1]_.

    .. math:: (p_1 - p_2) \\pm z \\sqrt{p_1 (1 - p_1) / n_1 + p_2 (1 - p_2) / n_2}

    An empty group gives NaN.
    """
    n1, n2 = len(first), len(second)
    if n1 == 0 or n2 == 0:
        return Estimate(math.nan, math.nan, math.nan, n1 + n2, min(n1, n2))
    p1, p2 = float(first.mean()), float(second.mean())
    error = math.sqrt(p1 * (1 - p1) / n1 + p2 * (1 - p2) / n2)
    margin = z_value(CONFIDENCE) * error
    return Estimate(100 * (p1 - p2), 100 * (p1 - p2 - margin), 100 * (p1 - p2 + margin), n1 + n2, min(n1, n2))


def difference_of_means(first: pd.Series, second: pd.Series) -> Estimate:
    """Mean of ``first`` minus mean of ``second``, with Welch's unequal-variance standard error [2]_.

    .. math:: (\\bar x_1 - \\bar x_2) \\pm z \\sqrt{s_1^2 / n_1 + s_2^2 / n_2}

    The normal quantile stands for Student's: the test asks for 30 or more in each group, where
    they differ by less than 4 %. A group of fewer than 2 gives NaN.
    """
    n1, n2 = len(first), len(second)
    if n1 < 2 or n2 < 2:
        return Estimate(math.nan, math.nan, math.nan, n1 + n2, min(n1, n2))
    difference = float(first.mean() - second.mean())
    error = math.sqrt(float(first.var(ddof=1)) / n1 + float(second.var(ddof=1)) / n2)
    margin = z_value(CONFIDENCE) * error
    return Estimate(difference, difference - margin, difference + margin, n1 + n2, min(n1, n2))


def rank_correlation(x: pd.Series, y: pd.Series) -> Estimate:
    """Spearman's rho of paired values, with the Fisher-z interval of Fieller et al. [3]_.

    rho is Pearson's r of the ranks (ties share their mean rank); the interval is
    :math:`\\tanh(\\operatorname{atanh}\\rho \\pm z \\sqrt{1.06 / (n - 3)})`.
    """
    return _fisher(x.rank(), y.rank(), 1.06)


def correlation(x: pd.Series, y: pd.Series) -> Estimate:
    """Pearson's r of paired values with Fisher's z interval [4]_: :math:`\\tanh(\\operatorname{atanh} r \\pm z / \\sqrt{n - 3})`."""
    return _fisher(x, y, 1.0)


def _fisher(x: pd.Series, y: pd.Series, variance: float) -> Estimate:
    n = len(x)
    if n < 4:
        return Estimate(math.nan, math.nan, math.nan, n, n)
    a, b = np.asarray(x, dtype=float), np.asarray(y, dtype=float)
    if a.std() == 0 or b.std() == 0:
        return Estimate(math.nan, math.nan, math.nan, n, n)
    r = float(np.corrcoef(a, b)[0, 1])
    z = math.atanh(min(max(r, -0.999999), 0.999999))
    margin = z_value(CONFIDENCE) * math.sqrt(variance / (n - 3))
    return Estimate(r, math.tanh(z - margin), math.tanh(z + margin), n, n)


def judged(
    cause: str,
    effect: str,
    found: Estimate,
    *,
    expected: int,
    minimum: int,
    method: str,
    meaning: str,
    unit: str,
    user: bool = False,
) -> LinkResult:
    """The result of a test: its verdict from the interval, the expected sign and the minimum n.

    ``expected`` is +1 when a better cause should raise the estimate, −1 when it should lower it.
    ``found.smallest`` below ``minimum`` (or no estimate at all) is "too little data".
    """
    if found.smallest < minimum or not math.isfinite(found.value):
        verdict = TOO_LITTLE
    elif (expected > 0 and found.low > 0) or (expected < 0 and found.high < 0):
        verdict = SUPPORTED
    else:
        verdict = NOT_SUPPORTED
    return LinkResult(
        cause, effect, found.value, found.low, found.high, found.n, verdict, method, meaning, user, unit
    )


def no_data(cause: str, effect: str, method: str, missing: str, *, user: bool = False) -> LinkResult:
    """The result of a test the workspace cannot run: ``missing`` says what it lacks."""
    return LinkResult(
        cause,
        effect,
        math.nan,
        math.nan,
        math.nan,
        0,
        NO_DATA,
        method,
        f"Not tested: the workspace has no {missing}.",
        user,
    )

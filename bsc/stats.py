"""Confidence intervals for the sample statistics of the scorecard.

Survey KPIs (NPS, CSAT, CES, ratings) are measured on the customers who answered, a sample of
all customers, so each comes with a 95 % confidence interval by default. Every function here
works on scalars or numpy arrays alike (one value per period and segment) and returns NaN
bounds where the interval is undefined (no responses, or a single one for a mean).

References
----------
.. [1] E. B. Wilson, "Probable inference, the law of succession, and statistical inference",
   Journal of the American Statistical Association 22 (158), 209–212, 1927.
.. [2] A. Agresti and B. A. Coull, "Approximate is better than 'exact' for interval
   estimation of binomial proportions", The American Statistician 52 (2), 119–126, 1998.
.. [3] B. Rocks, "Interval estimation for the 'net promoter score'", The American
   Statistician 70 (4), 365–372, 2016.
.. [4] J. Sauro and J. R. Lewis, *Quantifying the User Experience*, 2nd ed., Morgan
   Kaufmann, 2016, ch. 3 (confidence intervals for means and for the NPS).
"""

from __future__ import annotations

import numpy as np
from numpy.typing import ArrayLike, NDArray
from scipy import stats as _scipy_stats

from bsc.errors import InputError

__all__ = [
    "mean_interval",
    "nps_interval",
    "nps_margin_of_error",
    "wilson_interval",
    "z_value",
]

Interval = tuple[NDArray[np.float64], NDArray[np.float64]]


def z_value(confidence: float = 0.95) -> float:
    """Two-sided standard normal quantile for a confidence level.

    .. math:: z = \\Phi^{-1}\\left(1 - \\frac{1 - c}{2}\\right)

    ``z_value(0.95)`` is 1.959964.

    Raises
    ------
    InputError
        If ``confidence`` is not strictly between 0 and 1.
    """
    _check_confidence(confidence)
    return float(_scipy_stats.norm.ppf(1.0 - (1.0 - confidence) / 2.0))


def wilson_interval(successes: ArrayLike, n: ArrayLike, confidence: float = 0.95) -> Interval:
    """Wilson score interval for a proportion [1]_, on the 0–1 scale.

    With :math:`\\hat p = x / n` and :math:`z` from :func:`z_value`:

    .. math::

        \\frac{\\hat p + \\frac{z^2}{2n} \\pm z \\sqrt{\\frac{\\hat p (1 - \\hat p)}{n}
        + \\frac{z^2}{4n^2}}}{1 + \\frac{z^2}{n}}

    Unlike the textbook Wald interval it stays inside [0, 1] and keeps a sensible width when
    the proportion is 0 or 1 (all customers satisfied) or the sample is small [2]_.

    Parameters
    ----------
    successes
        Count of successes, e.g. responses of 4 or 5 on a 1–5 CSAT scale.
    n
        Number of trials (responses).
    confidence
        Confidence level, 0.95 for a 95 % interval.

    Returns
    -------
    (low, high)
        Arrays of bounds; NaN where ``n`` is 0.
    """
    z = z_value(confidence)
    x = np.asarray(successes, dtype=float)
    trials = np.asarray(n, dtype=float)
    with np.errstate(divide="ignore", invalid="ignore"):
        p = x / trials
        denominator = 1.0 + z**2 / trials
        centre = (p + z**2 / (2.0 * trials)) / denominator
        half_width = z * np.sqrt(p * (1.0 - p) / trials + z**2 / (4.0 * trials**2)) / denominator
    empty = trials <= 0
    low = np.where(empty, np.nan, np.clip(centre - half_width, 0.0, 1.0))
    high = np.where(empty, np.nan, np.clip(centre + half_width, 0.0, 1.0))
    return low, high


def nps_margin_of_error(
    promoters: ArrayLike, detractors: ArrayLike, n: ArrayLike, confidence: float = 0.95
) -> NDArray[np.float64]:
    """Margin of error of the Net Promoter Score, in NPS points (−100 to 100).

    Each response scores +1 (promoter, 9–10), 0 (passive, 7–8) or −1 (detractor, 0–6); the NPS
    is 100 times the mean score. With promoter and detractor shares :math:`p_P, p_D`, the
    variance of one score is

    .. math:: \\sigma^2 = p_P + p_D - (p_P - p_D)^2

    and the margin of error is :math:`100 \\, z \\sqrt{\\sigma^2 / n}` (the Wald interval of
    [3]_, as taught in [4]_).

    Edge cases: NaN when ``n`` is 0; 0 when every response is a promoter (or every one a
    detractor), since the sample then shows no variation.
    """
    z = z_value(confidence)
    count = np.asarray(n, dtype=float)
    with np.errstate(divide="ignore", invalid="ignore"):
        share_promoters = np.asarray(promoters, dtype=float) / count
        share_detractors = np.asarray(detractors, dtype=float) / count
        variance = share_promoters + share_detractors - (share_promoters - share_detractors) ** 2
        margin = 100.0 * z * np.sqrt(np.maximum(variance, 0.0) / count)
    return np.where(count > 0, margin, np.nan)


def nps_interval(
    promoters: ArrayLike, detractors: ArrayLike, n: ArrayLike, confidence: float = 0.95
) -> Interval:
    """Confidence interval of the NPS: NPS ± :func:`nps_margin_of_error`, clipped to [−100, 100].

    .. math:: \\mathrm{NPS} = 100 \\, \\frac{\\mathrm{promoters} - \\mathrm{detractors}}{n}

    Returns NaN bounds where ``n`` is 0.
    """
    count = np.asarray(n, dtype=float)
    with np.errstate(divide="ignore", invalid="ignore"):
        nps = 100.0 * (np.asarray(promoters, dtype=float) - np.asarray(detractors, dtype=float)) / count
    margin = nps_margin_of_error(promoters, detractors, n, confidence)
    low = np.where(count > 0, np.clip(nps - margin, -100.0, 100.0), np.nan)
    high = np.where(count > 0, np.clip(nps + margin, -100.0, 100.0), np.nan)
    return low, high


def mean_interval(
    total: ArrayLike,
    sum_of_squares: ArrayLike,
    n: ArrayLike,
    confidence: float = 0.95,
    *,
    distribution: str = "t",
) -> Interval:
    """Confidence interval of a mean from its sufficient statistics.

    The data engine returns, per period and segment, :math:`\\sum x`, :math:`\\sum x^2` and
    :math:`n`, from which

    .. math::

        \\bar x = \\frac{\\sum x}{n}, \\qquad
        s^2 = \\frac{\\sum x^2 - n \\bar x^2}{n - 1}, \\qquad
        \\bar x \\pm q \\, \\frac{s}{\\sqrt n}

    where :math:`q` is the Student t quantile with :math:`n - 1` degrees of freedom
    (``distribution="t"``, the default) or the normal quantile (``"normal"``) [4]_.

    Edge cases: NaN bounds when ``n`` is below 2 (no spread can be estimated); a zero-width
    interval when every value is the same.
    """
    if distribution not in ("t", "normal"):
        raise InputError(f"Unknown distribution {distribution!r} for a mean interval; use 't' or 'normal'.")
    _check_confidence(confidence)
    count = np.asarray(n, dtype=float)
    sums = np.asarray(total, dtype=float)
    squares = np.asarray(sum_of_squares, dtype=float)
    tail = 1.0 - (1.0 - confidence) / 2.0
    with np.errstate(divide="ignore", invalid="ignore"):
        mean = sums / count
        variance = np.maximum((squares - count * mean**2) / (count - 1.0), 0.0)
        if distribution == "t":
            quantile = _scipy_stats.t.ppf(tail, np.where(count >= 2, count - 1.0, np.nan))
        else:
            quantile = _scipy_stats.norm.ppf(tail)
        half_width = quantile * np.sqrt(variance / count)
    defined = count >= 2
    return np.where(defined, mean - half_width, np.nan), np.where(defined, mean + half_width, np.nan)


def _check_confidence(confidence: float) -> None:
    if not 0.0 < confidence < 1.0:
        raise InputError(f"A confidence level must lie between 0 and 1 (e.g. 0.95), not {confidence}.")

"""Confidence intervals and two-sample tests for the sample statistics of the scorecard.

Survey KPIs (NPS, CSAT, CES, ratings) are measured on the customers who answered, a sample of
all customers, so each comes with a 95 % confidence interval by default. Whether a KPI really
moved between two periods is a two-sample test of the kind that fits the KPI: two proportions,
the NPS difference, Welch's t for means, the conditional test for Poisson counts. Every function
here works on scalars or numpy arrays alike (one value per period and segment) and returns NaN
where the interval or test is undefined (no responses, or a single one for a mean).

References
----------
.. [1] E. B. Wilson, "Probable inference, the law of succession, and statistical inference",
   Journal of the American Statistical Association 22 (158), 209–212, 1927.
.. [2] A. Agresti and B. A. Coull, "Approximate is better than 'exact' for interval
   estimation of binomial proportions", The American Statistician 52 (2), 119–126, 1998.
.. [3] B. Rocks, "Interval estimation for the 'net promoter score'", The American
   Statistician 70 (4), 365–372, 2016.
.. [4] J. Sauro and J. R. Lewis, *Quantifying the User Experience*, 2nd ed., Morgan
   Kaufmann, 2016, ch. 3 (confidence intervals for means and for the NPS) and ch. 5
   (comparing two proportions, two means and two NPS).
.. [5] A. Agresti, *Categorical Data Analysis*, 3rd ed., Wiley, 2013, sec. 3.1.1 (the score
   test of two independent proportions, equivalent to Pearson's chi-squared on the 2 × 2 table).
.. [6] B. L. Welch, "The generalization of 'Student's' problem when several different
   population variances are involved", Biometrika 34 (1/2), 28–35, 1947.
.. [7] J. Przyborowski and H. Wilenski, "Homogeneity of results in testing samples from
   Poisson series", Biometrika 31 (3/4), 313–323, 1940 (the conditional binomial test).
.. [8] H. O. Lancaster, "Significance tests in discrete distributions", Journal of the
   American Statistical Association 56 (294), 223–234, 1961 (the mid-p value).
.. [9] Y. Benjamini and Y. Hochberg, "Controlling the false discovery rate: a practical and
   powerful approach to multiple testing", Journal of the Royal Statistical Society B 57 (1),
   289–300, 1995; adjusted p-values as in R's ``p.adjust(method = "BH")``.
"""

from __future__ import annotations

from types import ModuleType

import numpy as np
from numpy.typing import ArrayLike, NDArray
from scipy import special as _special

from bsc.errors import InputError


class _ImportedOnFirstUse:
    """``scipy.stats``, imported when a function here first needs it.

    Importing SciPy's stats costs about a CPU second, more than the command line's KPIs of a
    small company; the intervals need only the quantiles of ``scipy.special`` (``ndtri`` and
    ``stdtrit``: what ``scipy.stats.norm.ppf`` and ``t.ppf`` compute, to the last bit), and the
    two-sample tests that need more may never run.
    """

    def __getattr__(self, name: str) -> object:
        from scipy import stats

        module: ModuleType = stats
        return getattr(module, name)


# Also used by the modules whose tests need more of SciPy's stats than these tests do. The normal
# and t tails here come from ``scipy.special`` (``ndtr(-x)``, ``stdtr(df, -x)``: what
# ``norm.sf`` and ``t.sf`` compute, bit for bit), so a tile's test does not load the module.
lazy_scipy_stats = _ImportedOnFirstUse()

try:
    # The binomial functions ``scipy.stats.binom`` calls (Boost's), without loading the module:
    # a count tile's test is on the Scorecard's first view. They differ from ``binom`` only
    # outside its support (no count, no exposure), where the tests below set their own answer.
    from scipy.special._ufuncs import _binom_cdf, _binom_pmf, _binom_sf
except ImportError:  # another SciPy: the module's public functions

    def _binom_pmf(k: ArrayLike, n: ArrayLike, p: ArrayLike) -> NDArray[np.float64]:
        return lazy_scipy_stats.binom.pmf(k, n, p)

    def _binom_cdf(k: ArrayLike, n: ArrayLike, p: ArrayLike) -> NDArray[np.float64]:
        return lazy_scipy_stats.binom.cdf(k, n, p)

    def _binom_sf(k: ArrayLike, n: ArrayLike, p: ArrayLike) -> NDArray[np.float64]:
        return lazy_scipy_stats.binom.sf(k, n, p)


__all__ = [
    "bh_adjusted",
    "difference_test",
    "mean_interval",
    "mean_standard_error",
    "nps_difference_test",
    "nps_interval",
    "nps_margin_of_error",
    "nps_standard_error",
    "nps_variance",
    "poisson_rate_test",
    "two_proportion_test",
    "welch_test",
    "wilson_interval",
    "z_value",
]

Interval = tuple[NDArray[np.float64], NDArray[np.float64]]
# A two-sample test's result: its statistic (z or t, positive when the second sample is higher)
# and its two-sided p-value.
Comparison = tuple[NDArray[np.float64], NDArray[np.float64]]

# Rocks' adjustment [3]_: pseudo-answers added before the Wald interval, 3/4 promoter,
# 3/4 detractor and 3/2 passive (3 answers in all).
NPS_ADDED_PROMOTERS = 0.75
NPS_ADDED_DETRACTORS = 0.75
NPS_ADDED_ANSWERS = 3.0


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
    return float(_special.ndtri(1.0 - (1.0 - confidence) / 2.0))


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


def nps_variance(promoters: ArrayLike, detractors: ArrayLike, n: ArrayLike) -> NDArray[np.float64]:
    """Variance of one answer's score on the −1..+1 scale (promoter +1, passive 0, detractor −1).

    With promoter and detractor shares :math:`p_P = P / n, p_D = D / n`:

    .. math:: \\sigma^2 = p_P + p_D - (p_P - p_D)^2

    (the population variance of the +1/0/−1 scores [4]_). NaN when ``n`` is 0; 0 when every
    answer falls in one group (all promoters, all passives or all detractors).
    """
    count = np.asarray(n, dtype=float)
    with np.errstate(divide="ignore", invalid="ignore"):
        share_promoters = np.asarray(promoters, dtype=float) / count
        share_detractors = np.asarray(detractors, dtype=float) / count
        variance = share_promoters + share_detractors - (share_promoters - share_detractors) ** 2
    return np.where(count > 0, np.maximum(variance, 0.0), np.nan)


def nps_standard_error(promoters: ArrayLike, detractors: ArrayLike, n: ArrayLike) -> NDArray[np.float64]:
    """Standard error of the NPS, in NPS points: :math:`100 \\sqrt{\\sigma^2 / n}` (:func:`nps_variance`).

    The plain (unadjusted) error of the observed NPS, as the two-sample test of
    :func:`nps_difference_test` uses it. NaN when ``n`` is 0; 0 when every answer falls in one group.
    """
    count = np.asarray(n, dtype=float)
    with np.errstate(divide="ignore", invalid="ignore"):
        return 100.0 * np.sqrt(nps_variance(promoters, detractors, n) / count)


def nps_margin_of_error(
    promoters: ArrayLike, detractors: ArrayLike, n: ArrayLike, confidence: float = 0.95
) -> NDArray[np.float64]:
    """Margin of error of the NPS by the adjusted Wald method [3]_, in NPS points (−100 to 100).

    Rocks adds 3/4 of a promoter, 3/4 of a detractor and 3/2 of a passive to the answers before
    the Wald formula, as Agresti and Coull do for one proportion [2]_:

    .. math::

        \\tilde n = n + 3, \\quad \\tilde p_P = \\frac{P + 3/4}{\\tilde n}, \\quad
        \\tilde p_D = \\frac{D + 3/4}{\\tilde n}, \\quad
        \\tilde\\sigma^2 = \\tilde p_P + \\tilde p_D - (\\tilde p_P - \\tilde p_D)^2, \\quad
        \\mathrm{margin} = 100 \\, z \\sqrt{\\tilde\\sigma^2 / \\tilde n}

    Rocks found its coverage close to the nominal level from n = 30 up, where the plain Wald
    interval falls to about 90 % near NPS ±85 and has zero width when every answer is a promoter
    (see also [4]_). Edge cases: NaN when ``n`` is 0; never 0, since the added answers give every
    sample some spread.
    """
    z = z_value(confidence)
    count = np.asarray(n, dtype=float)
    share_promoters, share_detractors, adjusted_n = _adjusted_nps_shares(promoters, detractors, count)
    variance = share_promoters + share_detractors - (share_promoters - share_detractors) ** 2
    margin = 100.0 * z * np.sqrt(np.maximum(variance, 0.0) / adjusted_n)
    return np.where(count > 0, margin, np.nan)


def nps_interval(
    promoters: ArrayLike, detractors: ArrayLike, n: ArrayLike, confidence: float = 0.95
) -> Interval:
    """Adjusted Wald confidence interval of the NPS [3]_, clipped to [−100, 100].

    .. math:: 100 \\, (\\tilde p_P - \\tilde p_D) \\pm \\mathrm{margin}

    with the adjusted shares and margin of :func:`nps_margin_of_error`. The interval is centred
    on the adjusted NPS, pulled slightly towards 0 from the observed
    :math:`\\mathrm{NPS} = 100 \\, (P - D) / n`, which always lies inside it. Returns NaN bounds
    where ``n`` is 0.
    """
    count = np.asarray(n, dtype=float)
    share_promoters, share_detractors, _ = _adjusted_nps_shares(promoters, detractors, count)
    centre = 100.0 * (share_promoters - share_detractors)
    margin = nps_margin_of_error(promoters, detractors, n, confidence)
    low = np.where(count > 0, np.clip(centre - margin, -100.0, 100.0), np.nan)
    high = np.where(count > 0, np.clip(centre + margin, -100.0, 100.0), np.nan)
    return low, high


def _adjusted_nps_shares(
    promoters: ArrayLike, detractors: ArrayLike, count: NDArray[np.float64]
) -> tuple[NDArray[np.float64], NDArray[np.float64], NDArray[np.float64]]:
    adjusted_n = count + NPS_ADDED_ANSWERS
    share_promoters = (np.asarray(promoters, dtype=float) + NPS_ADDED_PROMOTERS) / adjusted_n
    share_detractors = (np.asarray(detractors, dtype=float) + NPS_ADDED_DETRACTORS) / adjusted_n
    return share_promoters, share_detractors, adjusted_n


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
            quantile = _special.stdtrit(np.where(count >= 2, count - 1.0, np.nan), tail)
        else:
            quantile = _special.ndtri(tail)
        half_width = quantile * np.sqrt(variance / count)
    defined = count >= 2
    return np.where(defined, mean - half_width, np.nan), np.where(defined, mean + half_width, np.nan)


def mean_standard_error(total: ArrayLike, sum_of_squares: ArrayLike, n: ArrayLike) -> NDArray[np.float64]:
    """Standard error of a mean from its sufficient statistics: :math:`s / \\sqrt n`.

    With :math:`\\bar x = \\sum x / n` and :math:`s^2 = (\\sum x^2 - n \\bar x^2) / (n - 1)`
    as in :func:`mean_interval`. NaN when ``n`` is below 2; 0 when every value is the same.
    """
    count = np.asarray(n, dtype=float)
    sums = np.asarray(total, dtype=float)
    squares = np.asarray(sum_of_squares, dtype=float)
    with np.errstate(divide="ignore", invalid="ignore"):
        mean = sums / count
        variance = np.maximum((squares - count * mean**2) / (count - 1.0), 0.0)
        error = np.sqrt(variance / count)
    return np.where(count >= 2, error, np.nan)


def two_proportion_test(
    successes_1: ArrayLike, n_1: ArrayLike, successes_2: ArrayLike, n_2: ArrayLike
) -> Comparison:
    """Pooled two-proportion z-test of :math:`H_0: p_1 = p_2` [5]_.

    .. math::

        \\bar p = \\frac{x_1 + x_2}{n_1 + n_2}, \\qquad
        z = \\frac{x_2 / n_2 - x_1 / n_1}{\\sqrt{\\bar p (1 - \\bar p) (1 / n_1 + 1 / n_2)}}

    with a two-sided normal p-value; :math:`z^2` equals Pearson's chi-squared statistic of the
    2 × 2 table without continuity correction. The variance is pooled because under the null
    hypothesis both samples share one proportion, which keeps the false-alarm rate near its
    nominal level for proportions near 0 or 1.

    Edge cases: NaN where either sample is empty; z = 0 and p = 1 when both samples are all
    successes (or all failures), since they then show no difference at all.
    """
    x_1, x_2 = np.asarray(successes_1, dtype=float), np.asarray(successes_2, dtype=float)
    size_1, size_2 = np.asarray(n_1, dtype=float), np.asarray(n_2, dtype=float)
    with np.errstate(divide="ignore", invalid="ignore"):
        pooled = (x_1 + x_2) / (size_1 + size_2)
        error = np.sqrt(pooled * (1.0 - pooled) * (1.0 / size_1 + 1.0 / size_2))
        difference = x_2 / size_2 - x_1 / size_1
        z = np.where(error > 0, difference / error, 0.0)
    z = np.where((size_1 > 0) & (size_2 > 0), z, np.nan)
    return z, _two_sided_normal(z)


def difference_test(
    estimate_1: ArrayLike, standard_error_1: ArrayLike, estimate_2: ArrayLike, standard_error_2: ArrayLike
) -> Comparison:
    """Wald z-test of the difference of two independent estimates, each with its standard error.

    .. math:: z = \\frac{\\hat\\theta_2 - \\hat\\theta_1}{\\sqrt{\\mathrm{se}_1^2 + \\mathrm{se}_2^2}}

    with a two-sided normal p-value: both samples' uncertainty counts, not only the latest one's.
    Edge cases: NaN where an error is unknown; when both errors are 0, z = 0 and p = 1 for equal
    estimates and NaN (no test possible) for different ones.
    """
    theta_1, theta_2 = np.asarray(estimate_1, dtype=float), np.asarray(estimate_2, dtype=float)
    variance = np.asarray(standard_error_1, dtype=float) ** 2 + np.asarray(standard_error_2, dtype=float) ** 2
    with np.errstate(divide="ignore", invalid="ignore"):
        z = np.where(variance > 0, (theta_2 - theta_1) / np.sqrt(variance), np.nan)
    z = np.where((variance == 0) & (theta_1 == theta_2), 0.0, z)
    return z, _two_sided_normal(z)


def nps_difference_test(
    promoters_1: ArrayLike,
    detractors_1: ArrayLike,
    n_1: ArrayLike,
    promoters_2: ArrayLike,
    detractors_2: ArrayLike,
    n_2: ArrayLike,
) -> Comparison:
    """z-test of the difference of two NPS from independent samples, with both variances [4]_.

    On the −1..+1 scale, with :math:`\\sigma_i^2` from :func:`nps_variance`:

    .. math::

        z = \\frac{\\mathrm{NPS}_2 - \\mathrm{NPS}_1}{\\sqrt{\\sigma_1^2 / n_1 + \\sigma_2^2 / n_2}}

    (:func:`difference_test` on the two NPS and their :func:`nps_standard_error`). Edge cases as
    in :func:`difference_test`: NaN where a sample is empty, or where both samples have no spread
    (every answer in one group) yet differ.
    """
    score_1 = _nps_points(promoters_1, detractors_1, n_1)
    score_2 = _nps_points(promoters_2, detractors_2, n_2)
    return difference_test(
        score_1,
        nps_standard_error(promoters_1, detractors_1, n_1),
        score_2,
        nps_standard_error(promoters_2, detractors_2, n_2),
    )


def welch_test(
    mean_1: ArrayLike,
    standard_error_1: ArrayLike,
    n_1: ArrayLike,
    mean_2: ArrayLike,
    standard_error_2: ArrayLike,
    n_2: ArrayLike,
) -> Comparison:
    """Welch's t-test of two means with unequal variances [6]_, from each mean's standard error.

    .. math::

        t = \\frac{\\bar x_2 - \\bar x_1}{\\sqrt{\\mathrm{se}_1^2 + \\mathrm{se}_2^2}}, \\qquad
        \\nu = \\frac{(\\mathrm{se}_1^2 + \\mathrm{se}_2^2)^2}
        {\\mathrm{se}_1^4 / (n_1 - 1) + \\mathrm{se}_2^4 / (n_2 - 1)}

    with a two-sided Student t p-value on :math:`\\nu` degrees of freedom (Welch–Satterthwaite),
    where :math:`\\mathrm{se}_i = s_i / \\sqrt{n_i}` (:func:`mean_standard_error`).

    Edge cases: NaN where either sample has fewer than 2 values; when both errors are 0, t = 0
    and p = 1 for equal means, NaN for different ones.
    """
    x_1, x_2 = np.asarray(mean_1, dtype=float), np.asarray(mean_2, dtype=float)
    size_1, size_2 = np.asarray(n_1, dtype=float), np.asarray(n_2, dtype=float)
    variance_1 = np.asarray(standard_error_1, dtype=float) ** 2
    variance_2 = np.asarray(standard_error_2, dtype=float) ** 2
    variance = variance_1 + variance_2
    with np.errstate(divide="ignore", invalid="ignore"):
        t = np.where(variance > 0, (x_2 - x_1) / np.sqrt(variance), np.nan)
        freedom = variance**2 / (variance_1**2 / (size_1 - 1.0) + variance_2**2 / (size_2 - 1.0))
    t = np.where((variance == 0) & (x_1 == x_2), 0.0, t)
    t = np.where((size_1 >= 2) & (size_2 >= 2), t, np.nan)
    p_value = np.where(
        variance > 0, 2.0 * _special.stdtr(np.where(variance > 0, freedom, 1.0), -np.abs(t)), 1.0
    )
    return t, np.where(np.isnan(t), np.nan, p_value)


def poisson_rate_test(
    count_1: ArrayLike, count_2: ArrayLike, exposure_1: ArrayLike = 1.0, exposure_2: ArrayLike = 1.0
) -> Comparison:
    """Conditional test of two Poisson counts, :math:`H_0`: the same rate per unit of exposure [7]_.

    Given the total :math:`k = c_1 + c_2`, the second count is binomial under the null
    hypothesis:

    .. math:: c_2 \\mid k \\sim \\mathrm{Binomial}\\left(k, \\pi_0\\right), \\qquad
        \\pi_0 = \\frac{e_2}{e_1 + e_2}

    The two-sided p-value doubles the smaller mid-p tail [8]_,
    :math:`2 \\min(P(X < c_2) + \\tfrac12 P(X = c_2),\\; P(X > c_2) + \\tfrac12 P(X = c_2))`,
    capped at 1: exact tails would be conservative (about 3.5 % false alarms at counts near 200
    instead of 5 %). The statistic returned is the conditional z,
    :math:`(c_2 - k \\pi_0) / \\sqrt{k \\pi_0 (1 - \\pi_0)}`.

    Counts of events in two equal periods (new customers, orders) take the default exposures of
    1; a cost per count (CPA = spend ÷ new customers) takes the spend as exposure, so the test
    asks whether customers per unit of spend changed.

    Edge cases: NaN where an exposure is not positive or a count is negative; z = 0 and p = 1
    when both counts are 0.
    """
    c_1, c_2 = np.asarray(count_1, dtype=float), np.asarray(count_2, dtype=float)
    e_1, e_2 = np.asarray(exposure_1, dtype=float), np.asarray(exposure_2, dtype=float)
    total = c_1 + c_2
    with np.errstate(divide="ignore", invalid="ignore"):
        share = e_2 / (e_1 + e_2)
        half_point = 0.5 * _binom_pmf(c_2, total, share)
        below = _binom_cdf(c_2, total, share) - half_point
        above = _binom_sf(c_2, total, share) + half_point
        p_value = np.minimum(1.0, 2.0 * np.minimum(below, above))
        z = (c_2 - total * share) / np.sqrt(total * share * (1.0 - share))
    defined = (e_1 > 0) & (e_2 > 0) & (c_1 >= 0) & (c_2 >= 0)
    empty = defined & (total == 0)
    z = np.where(empty, 0.0, np.where(defined, z, np.nan))
    p_value = np.where(empty, 1.0, np.where(defined, p_value, np.nan))
    return z, p_value


def _nps_points(promoters: ArrayLike, detractors: ArrayLike, n: ArrayLike) -> NDArray[np.float64]:
    count = np.asarray(n, dtype=float)
    with np.errstate(divide="ignore", invalid="ignore"):
        net = np.asarray(promoters, dtype=float) - np.asarray(detractors, dtype=float)
        return np.where(count > 0, 100.0 * net / count, np.nan)


def _two_sided_normal(z: NDArray[np.float64]) -> NDArray[np.float64]:
    return np.where(np.isnan(z), np.nan, 2.0 * _special.ndtr(-np.abs(z)))


def _check_confidence(confidence: float) -> None:
    if not 0.0 < confidence < 1.0:
        raise InputError(f"A confidence level must lie between 0 and 1 (e.g. 0.95), not {confidence}.")


def bh_adjusted(p_values: ArrayLike) -> NDArray[np.float64]:
    """Benjamini–Hochberg adjusted p-values [9]_: reject where the adjusted value is at most q.

    With the :math:`m` p-values sorted, :math:`p_{(1)} \\le \\dots \\le p_{(m)}`, the adjusted
    value of rank :math:`i` is :math:`\\min_{j \\ge i} \\min(1, p_{(j)}\\, m / j)`, given back in
    the input's order. The same numbers as ``scipy.stats.false_discovery_control(p,
    method="bh")``, computed the same way, without importing ``scipy.stats`` (about a CPU
    second, which a Scorecard's first split would wait for). Ties get the same adjusted value.
    A single p-value (or none) is its own adjusted value; NaN is not allowed (the caller counts
    a test without a p-value as 1).
    """
    p = np.asarray(p_values, dtype=float)
    if p.ndim != 1:
        raise InputError("Benjamini-Hochberg needs a flat list of p-values.")
    if np.isnan(p).any() or ((p < 0) | (p > 1)).any():
        raise InputError("p-values must be numbers between 0 and 1.")
    m = len(p)
    if m <= 1:
        return p.copy()
    order = np.argsort(p)
    ranked = p[order] * (m / np.arange(1, m + 1, dtype=float))
    np.minimum.accumulate(ranked[::-1], out=ranked[::-1])
    adjusted = np.empty_like(ranked)
    adjusted[order] = ranked
    return np.clip(adjusted, 0.0, 1.0)

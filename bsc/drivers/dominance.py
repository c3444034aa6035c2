r"""General dominance analysis: the Shapley decomposition of a model's fit among groups of predictors.

For :math:`k` groups of predictor columns, the model is fitted on every subset :math:`S` of the
groups (:math:`2^k` fits) and its fit :math:`F(S)` recorded: :math:`R^2` of least squares for a
score, McFadden's pseudo-:math:`R^2` of a logistic regression for a yes/no outcome. The importance
of group :math:`j` is its Shapley value, the average gain in fit from adding it, over every order
in which the groups could be added:

.. math::

    \phi_j = \sum_{S \subseteq G \setminus \{j\}}
        \frac{|S|!\,(k - |S| - 1)!}{k!}\,\bigl(F(S \cup \{j\}) - F(S)\bigr)

which is Azen & Budescu's *general dominance* statistic. The importances add up to the full
model's fit, :math:`\sum_j \phi_j = F(G)`, and none is negative, since adding predictors never
lowers :math:`R^2` nor the maximised likelihood. A group of columns (the levels of one customer
attribute, a value and its "missing" flag) enters and leaves together.

Uncertainty comes from the bootstrap: the fits are repeated with each row weighted by how often a
resample with replacement drew it (multinomial counts), all resamples at once.

Least squares needs only the weighted second moments of the columns, so each subset's
:math:`R^2 = c_S^\top C_{SS}^{-1} c_S / s_{yy}` is a small solve, whatever the number of rows.
The logistic fits use Newton's method (iteratively reweighted least squares), started from the
fit of the subset without the last group.

References: Budescu, D. V. (1993), Dominance analysis, Psychological Bulletin 114(3), 542–551;
Azen, R. & Budescu, D. V. (2003), The dominance analysis approach for comparing predictors in
multiple regression, Psychological Methods 8(2), 129–148; Grömping, U. (2007), Estimators of
relative importance in linear regression based on variance decomposition, The American
Statistician 61(2), 139–147; McFadden, D. (1974), Conditional logit analysis of qualitative
choice behavior, in Zarembka (ed.), Frontiers in Econometrics, 105–142.
"""

from __future__ import annotations

import math
from collections.abc import Sequence

import numpy as np
from scipy import special
from scipy import stats as scipy_stats

__all__ = [
    "bootstrap_weights",
    "linear_subset_fits",
    "logistic_subset_fits",
    "null_importance",
    "shapley_values",
]

# Added to the diagonal of each system solved: a column constant in a resample (a level no row
# of it has) then gets a zero coefficient instead of breaking the solve.
_RIDGE = 1e-9
_NEWTON_STEPS = 30
_NEWTON_TOLERANCE = 1e-7


def bootstrap_weights(rows: int, resamples: int, rng: np.random.Generator) -> np.ndarray:
    """``(resamples, rows)`` counts: how often each row is drawn in each resample with replacement."""
    weights = np.empty((resamples, rows))
    for b in range(resamples):
        weights[b] = np.bincount(rng.integers(0, rows, rows), minlength=rows)
    return weights


def _masks_columns(groups: Sequence[Sequence[int]]) -> list[np.ndarray]:
    """For every subset mask (bit j = group j), the column indices of its groups, in group order."""
    k = len(groups)
    columns: list[np.ndarray] = []
    for mask in range(1 << k):
        chosen = [c for j in range(k) if mask >> j & 1 for c in groups[j]]
        columns.append(np.asarray(chosen, dtype=np.int64))
    return columns


def linear_subset_fits(
    X: np.ndarray, y: np.ndarray, groups: Sequence[Sequence[int]], weights: np.ndarray
) -> np.ndarray:
    """:math:`R^2` of the weighted least-squares fit (with intercept) of ``y`` on every subset of groups.

    Parameters
    ----------
    X : (n, p) array of predictor columns, no missing values.
    y : (n,) array.
    groups : for each of the k groups, the indices of its columns in ``X``.
    weights : (B, n) row weights, one row per fit (ones for the plain fit).

    Returns
    -------
    (B, 2**k) array; column ``mask`` is the fit of the groups whose bits are set (0 for none).
    """
    weights = np.atleast_2d(weights)
    Z = np.column_stack([X, y])
    total = weights.sum(axis=1)
    means = weights @ Z / total[:, None]
    p = X.shape[1]
    covariance = np.empty((len(weights), p + 1, p + 1))
    for b, w in enumerate(weights):
        centred = Z - means[b]
        covariance[b] = (centred * w[:, None]).T @ centred / total[b]
    cxx, cxy, syy = covariance[:, :p, :p], covariance[:, :p, p], covariance[:, p, p]
    fits = np.zeros((len(weights), 1 << len(groups)))
    for mask, columns in enumerate(_masks_columns(groups)):
        if mask == 0:
            continue
        block = cxx[:, columns[:, None], columns[None, :]]
        block = block + _ridge(block, len(columns))
        c = cxy[:, columns]
        solved = np.linalg.solve(block, c[:, :, None])[:, :, 0]
        with np.errstate(divide="ignore", invalid="ignore"):
            fits[:, mask] = np.where(syy > 0, (c * solved).sum(axis=1) / syy, 0.0)
    return np.clip(fits, 0.0, 1.0)


def _row_log_likelihood(y: np.ndarray, eta: np.ndarray) -> np.ndarray:
    """Each row's Bernoulli log-likelihood :math:`y\\eta - \\log(1 + e^\\eta)`, stable for large |eta|."""
    return y * eta - np.logaddexp(0.0, eta)


def null_log_likelihood(y: np.ndarray, weights: np.ndarray) -> np.ndarray:
    """The weighted log-likelihood of the intercept-only logistic model, (B,)."""
    weights = np.atleast_2d(weights)
    share = weights @ y / weights.sum(axis=1)
    share = np.clip(share, 1e-12, 1 - 1e-12)
    positives = weights @ y
    return positives * np.log(share) + (weights.sum(axis=1) - positives) * np.log1p(-share)


def logistic_subset_fits(
    X: np.ndarray, y: np.ndarray, groups: Sequence[Sequence[int]], weights: np.ndarray
) -> np.ndarray:
    """McFadden's pseudo-:math:`R^2 = 1 - \\ell(S) / \\ell(\\emptyset)` of the weighted logistic
    regression (with intercept) of the 0/1 outcome ``y`` on every subset of groups.

    Arguments and result as for :func:`linear_subset_fits`. Each subset is fitted to the
    unweighted rows by Newton's method until it converges. A resample (a row of ``weights``) is
    not refitted from scratch: its maximum log-likelihood is that of one Newton step from the
    full fit :math:`\\hat\\beta`, read off the quadratic model,
    :math:`\\ell_b(\\hat\\beta) + \\tfrac12 g_b^\\top H_b^{-1} g_b` with :math:`g_b, H_b` the
    resample's gradient at :math:`\\hat\\beta` and :math:`H_b` the full data's information there
    (the one-step bootstrap of Moulton & Zeger, 1991). A resample's estimate lies within :math:`O(n^{-1/2})` of the full
    fit, so the error is :math:`O(n^{-1/2})` in log-likelihood and :math:`O(n^{-3/2})` in
    :math:`R^2`; each needs one weighted sum of gradients, no new pass of exponentials. Columns should be
    on comparable scales (standardised). A subset that separates the classes perfectly keeps
    the fit reached after the last Newton step (close to its supremum).

    Reference: Moulton, L. H. & Zeger, S. L. (1991), Bootstrapping generalized linear models,
    Computational Statistics & Data Analysis 11(1), 53–63.
    """
    weights = np.atleast_2d(weights)
    resamples, rows = weights.shape
    null = null_log_likelihood(y, weights)
    with_intercept = np.column_stack([np.ones(rows), X])
    share = np.clip(y.mean(), 1e-12, 1 - 1e-12)
    fits = np.zeros((resamples, 1 << len(groups)))
    coefficients: dict[int, np.ndarray] = {0: np.array([math.log(share / (1 - share))])}
    for mask, columns in enumerate(_masks_columns(groups)):
        if mask == 0:
            continue
        parent = mask & ~(1 << (mask.bit_length() - 1))
        design = with_intercept[:, np.concatenate(([0], columns + 1))]
        size = design.shape[1]
        products = (design[:, :, None] * design[:, None, :]).reshape(rows, size * size)
        beta = np.zeros(size)
        beta[: len(coefficients[parent])] = coefficients[parent]
        beta = _newton(design, products, y, beta)
        coefficients[mask] = beta
        eta = design @ beta
        mu = special.expit(eta)
        gradient = weights @ (design * (y - mu)[:, None])
        # The full data's information stands in for each resample's: they differ by O(n^1/2)
        # against O(n), an error of the same order as the one-step approximation itself.
        information = ((mu * (1.0 - mu)) @ products).reshape(1, size, size)
        information += _ridge(information, size)
        gain = 0.5 * (gradient * np.linalg.solve(information[0], gradient.T).T).sum(axis=1)
        likelihood = weights @ _row_log_likelihood(y, eta) + gain
        with np.errstate(divide="ignore", invalid="ignore"):
            fits[:, mask] = np.where(null < 0, 1.0 - likelihood / null, 0.0)
    return np.clip(fits, 0.0, 1.0)


def _ridge(matrices: np.ndarray, size: int) -> np.ndarray:
    return _RIDGE * np.eye(size) * (1.0 + np.trace(matrices, axis1=1, axis2=2))[:, None, None]


def _newton(design: np.ndarray, products: np.ndarray, y: np.ndarray, beta: np.ndarray) -> np.ndarray:
    """The unweighted logistic maximum-likelihood fit by Newton's method, from ``beta``."""
    size = design.shape[1]
    for _ in range(_NEWTON_STEPS):
        mu = special.expit(design @ beta)
        gradient = design.T @ (y - mu)
        information = ((mu * (1.0 - mu)) @ products).reshape(1, size, size)
        information += _ridge(information, size)
        step = np.linalg.solve(information[0], gradient)
        beta = beta + step
        if np.abs(step).max() < _NEWTON_TOLERANCE:
            break
    return beta


def shapley_values(fits: np.ndarray) -> np.ndarray:
    """Each group's Shapley value (general dominance) from the fits of every subset.

    ``fits`` is (B, 2**k) as returned by :func:`linear_subset_fits`; the result is (B, k), and each
    row adds up to the fit of all groups, ``fits[:, -1]``.
    """
    fits = np.atleast_2d(fits)
    k = fits.shape[1].bit_length() - 1
    masks = np.arange(1 << k)
    sizes = np.array([bin(m).count("1") for m in masks])
    values = np.zeros((fits.shape[0], k))
    for j in range(k):
        without = masks[(masks >> j & 1) == 0]
        s = sizes[without]
        share = np.array([math.factorial(n) * math.factorial(k - n - 1) for n in s]) / math.factorial(k)
        values[:, j] = (fits[:, without | (1 << j)] - fits[:, without]) @ share
    return values


def null_importance(columns: int, rows: int, predictors: int, *, logistic: bool, scale: float) -> float:
    """What a group of ``columns`` columns with no effect at all reaches 5 % of the time.

    Least squares: adding such a group raises :math:`R^2` by :math:`F\\,d\\,(1 - R^2)/(n - p - 1)`
    with :math:`F \\sim F(d, n - p - 1)`; ``scale`` is :math:`1 - R^2` of the full model.
    Logistic: twice the gain in log-likelihood is :math:`\\chi^2_d`, so McFadden's :math:`R^2`
    rises by :math:`\\chi^2_d / (2\\,|\\ell(\\emptyset)|)`; ``scale`` is :math:`|\\ell(\\emptyset)|`.
    The 95th percentile of that gain is returned: a Shapley value averages such gains over
    subsets, so a group without effect stays below it at least 95 % of the time.
    """
    freedom = rows - predictors - 1
    if freedom <= 0 or scale <= 0:
        return math.nan
    if logistic:
        return float(scipy_stats.chi2.ppf(0.95, columns) / (2.0 * scale))
    return float(scipy_stats.f.ppf(0.95, columns, freedom) * columns * scale / freedom)

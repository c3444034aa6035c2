"""The BG/NBD model of repeat purchases (Fader, Hardie & Lee 2005), fitted by maximum likelihood.

While alive, a customer buys as a Poisson process of rate λ; after each purchase they drop
out for good with probability p. Across customers λ ~ Gamma(r, α) and p ~ Beta(a, b).

Reference: P. S. Fader, B. G. S. Hardie and K. L. Lee, "'Counting your customers' the easy
way: an alternative to the Pareto/NBD model", *Marketing Science* 24(2), 275–284 (2005);
equation numbers below are theirs.
"""

from __future__ import annotations

from dataclasses import dataclass

import numpy as np
from numpy.typing import ArrayLike, NDArray
from scipy.special import betaln, digamma, gammaln, hyp2f1

from bsc.clv._fitting import fit_log_parameters, weighted_rows
from bsc.errors import InputError

__all__ = ["BetaGeoModel", "BetaGeoParams"]


@dataclass(frozen=True)
class BetaGeoParams:
    """The four BG/NBD parameters: purchase rate λ ~ Gamma(r, α), dropout p ~ Beta(a, b)."""

    r: float
    alpha: float
    a: float
    b: float


class BetaGeoModel:
    """BG/NBD fitted by maximum likelihood on (frequency, recency, T) per customer.

    Follows scikit-learn's conventions: :meth:`fit` returns the model; the learned
    parameters are ``params_`` (a :class:`BetaGeoParams`), the maximised log-likelihood
    ``log_likelihood_`` and the number of customers ``customers_``.

    Parameters
    ----------
    tolerance
        Convergence tolerance on the mean log-likelihood per customer.
    """

    def __init__(self, tolerance: float = 1e-10) -> None:
        self.tolerance = tolerance

    def fit(self, frequency: ArrayLike, recency: ArrayLike, T: ArrayLike) -> BetaGeoModel:
        """Maximise the log-likelihood (FHL 2005, eq. 6) over log r, log α, log a, log b.

        Raises
        ------
        InputError
            When there is no customer, no repeat purchase, or the times do not fit together
            (recency below 0 or above T, a negative or fractional frequency).
        """
        x, t_x, age = _checked(frequency, recency, T)
        if not (x > 0).any():
            raise InputError(
                "No customer bought twice in the calibration period: the model cannot be fitted."
            )
        rows, weights = weighted_rows(x, t_x, age)
        x, t_x, age = rows.T

        def negative_mean(log_params: NDArray[np.float64]) -> tuple[float, NDArray[np.float64]]:
            params = np.exp(log_params)
            loglik, gradient = _log_likelihood_and_gradient(params, x, t_x, age)
            total = weights.sum()
            return -float(weights @ loglik) / total, -(gradient @ weights) * params / total

        best = fit_log_parameters(negative_mean, start=np.zeros(4), tolerance=self.tolerance)
        r, alpha, a, b = np.exp(best.x)
        self.params_ = BetaGeoParams(r=float(r), alpha=float(alpha), a=float(a), b=float(b))
        self.log_likelihood_ = -best.fun * weights.sum()
        self.customers_ = int(weights.sum())
        return self

    def log_likelihood(self, frequency: ArrayLike, recency: ArrayLike, T: ArrayLike) -> NDArray[np.float64]:
        """Each customer's log-likelihood under the fitted parameters."""
        x, t_x, age = _checked(frequency, recency, T)
        return _log_likelihood(self._params(), x, t_x, age)

    def probability_alive(
        self, frequency: ArrayLike, recency: ArrayLike, T: ArrayLike
    ) -> NDArray[np.float64]:
        """P(alive at T | x, t_x, T) (1 when x = 0; Fader, Hardie & Lee, "Computing P(alive) using the BG/NBD model", 2008 note).

        .. math:: P = 1 \\big/ \\left(1 + \\delta_{x>0} \\frac{a}{b+x-1}
                  \\left(\\frac{\\alpha+T}{\\alpha+t_x}\\right)^{r+x}\\right)
        """
        x, t_x, age = _checked(frequency, recency, T)
        return np.exp(-_log_dropout_odds_term(self._params(), x, t_x, age))

    def expected_purchases(
        self, horizon: float | ArrayLike, frequency: ArrayLike, recency: ArrayLike, T: ArrayLike
    ) -> NDArray[np.float64]:
        """Expected purchases in the next ``horizon`` time units given each history (FHL 2005, eq. 10).

        .. math:: E[Y(t) \\mid x, t_x, T] = \\frac{a+b+x-1}{a-1}
                  \\left[1 - \\left(\\frac{\\alpha+T}{\\alpha+T+t}\\right)^{r+x}
                  {}_2F_1\\left(r+x, b+x; a+b+x-1; \\frac{t}{\\alpha+T+t}\\right)\\right]
                  \\Big/ \\left(1 + \\delta_{x>0} \\frac{a}{b+x-1}
                  \\left(\\frac{\\alpha+T}{\\alpha+t_x}\\right)^{r+x}\\right)

        A horizon of 0 gives 0.
        """
        r, alpha, a, b = self._params()
        x, t_x, age = _checked(frequency, recency, T)
        t = np.broadcast_to(np.asarray(horizon, dtype=float), x.shape)
        if (t < 0).any():
            raise InputError("The horizon must not be negative.")
        z = t / (alpha + age + t)
        hyper = hyp2f1(r + x, b + x, a + b + x - 1, z)
        bracket = 1 - ((alpha + age) / (alpha + age + t)) ** (r + x) * hyper
        expected = (a + b + x - 1) / (a - 1) * bracket
        return expected * np.exp(-_log_dropout_odds_term(self._params(), x, t_x, age))

    def expected_purchases_new_customer(self, horizon: float | ArrayLike) -> NDArray[np.float64]:
        """E[X(t)]: expected purchases in ``horizon`` time units of a customer just acquired (eq. 9).

        .. math:: E[X(t)] = \\frac{a+b-1}{a-1}\\left[1 - \\left(\\frac{\\alpha}{\\alpha+t}\\right)^r
                  {}_2F_1\\left(r, b; a+b-1; \\frac{t}{\\alpha+t}\\right)\\right]
        """
        r, alpha, a, b = self._params()
        t = np.asarray(horizon, dtype=float)
        return (
            (a + b - 1)
            / (a - 1)
            * (1 - (alpha / (alpha + t)) ** r * hyp2f1(r, b, a + b - 1, t / (alpha + t)))
        )

    def _params(self) -> tuple[float, float, float, float]:
        if not hasattr(self, "params_"):
            raise InputError("The purchase model has not been fitted yet.")
        p = self.params_
        return p.r, p.alpha, p.a, p.b


def _log_likelihood(
    params: ArrayLike, x: NDArray[np.float64], t_x: NDArray[np.float64], age: NDArray[np.float64]
) -> NDArray[np.float64]:
    """ln L_i (FHL 2005, eq. 6); see :func:`_log_likelihood_and_gradient`."""
    return _log_likelihood_and_gradient(params, x, t_x, age, gradient=False)[0]


def _log_likelihood_and_gradient(
    params: ArrayLike,
    x: NDArray[np.float64],
    t_x: NDArray[np.float64],
    age: NDArray[np.float64],
    gradient: bool = True,
) -> tuple[NDArray[np.float64], NDArray[np.float64] | None]:
    """ln L_i (FHL 2005, eq. 6) and its gradient in (r, α, a, b), shape (4, customers).

    .. math:: L = \\frac{B(a, b+x)}{B(a,b)} \\frac{\\Gamma(r+x)\\alpha^r}{\\Gamma(r)(\\alpha+T)^{r+x}}
              + \\delta_{x>0} \\frac{B(a+1, b+x-1)}{B(a,b)}
              \\frac{\\Gamma(r+x)\\alpha^r}{\\Gamma(r)(\\alpha+t_x)^{r+x}}

    Written as the log of a sum of two exponentials (the customer still alive at T, or gone
    after the last purchase) to stay finite; the gradient weighs each term's derivative by
    its share of L.
    """
    r, alpha, a, b = params
    common = gammaln(r + x) - gammaln(r) + r * np.log(alpha) - betaln(a, b)
    alive = betaln(a, b + x) - (r + x) * np.log(alpha + age)
    # The second term exists only for repeat buyers (x > 0); elsewhere it is exp(-inf) = 0.
    repeat = x > 0
    gone = np.full_like(alive, -np.inf)
    gone[repeat] = betaln(a + 1, b + x[repeat] - 1) - (r + x[repeat]) * np.log(alpha + t_x[repeat])
    both = np.logaddexp(alive, gone)
    if not gradient:
        return common + both, None
    share_alive = np.exp(alive - both)
    share_gone = np.exp(gone - both)
    b_gone = np.where(repeat, b + x - 1, 1.0)  # any positive value where the term is absent
    psi_abx = digamma(a + b + x)
    d_r = (
        digamma(r + x)
        - digamma(r)
        + np.log(alpha)
        - share_alive * np.log(alpha + age)
        - share_gone * np.log(alpha + t_x)
    )
    d_alpha = r / alpha - (r + x) * (share_alive / (alpha + age) + share_gone / (alpha + t_x))
    d_a = (
        digamma(a + b)
        - digamma(a)
        + share_alive * (digamma(a) - psi_abx)
        + share_gone * (digamma(a + 1) - psi_abx)
    )
    d_b = (
        digamma(a + b)
        - digamma(b)
        + share_alive * (digamma(b + x) - psi_abx)
        + share_gone * (digamma(b_gone) - psi_abx)
    )
    return common + both, np.vstack([d_r, d_alpha, d_a, d_b])


def _log_dropout_odds_term(
    params: ArrayLike, x: NDArray[np.float64], t_x: NDArray[np.float64], age: NDArray[np.float64]
) -> NDArray[np.float64]:
    """ln(1 + δ_{x>0} a/(b+x−1) ((α+T)/(α+t_x))^{r+x}): minus the log of P(alive)."""
    r, alpha, a, b = params
    log_odds = np.full(x.shape, -np.inf)
    repeat = x > 0
    xr = x[repeat]
    log_odds[repeat] = (
        np.log(a)
        - np.log(b + xr - 1)
        + (r + xr) * (np.log(alpha + age[repeat]) - np.log(alpha + t_x[repeat]))
    )
    return np.logaddexp(0.0, log_odds)


def _checked(
    frequency: ArrayLike, recency: ArrayLike, T: ArrayLike
) -> tuple[NDArray[np.float64], NDArray[np.float64], NDArray[np.float64]]:
    x, t_x, age = (np.atleast_1d(np.asarray(v, dtype=float)) for v in (frequency, recency, T))
    if not (x.shape == t_x.shape == age.shape):
        raise InputError("Frequency, recency and T must have one value per customer.")
    if x.size == 0:
        raise InputError("There is no customer to model.")
    if not (np.isfinite(x).all() and np.isfinite(t_x).all() and np.isfinite(age).all()):
        raise InputError("Frequency, recency and T must be numbers (blank or infinite values were found).")
    if (x < 0).any() or (x != np.round(x)).any():
        raise InputError("Frequency (repeat purchases) must be a whole number of at least 0.")
    if (t_x < 0).any() or (t_x > age + 1e-9).any():
        raise InputError("Recency must lie between 0 and the customer's age T.")
    return x, t_x, age

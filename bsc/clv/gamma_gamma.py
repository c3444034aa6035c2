"""The Gamma-Gamma model of spend per purchase, fitted by maximum likelihood.

Each purchase of a customer is worth z ~ Gamma(p, ν), the customer's scale ν ~ Gamma(q, v)
across customers, and spend is assumed independent of how often a customer buys. Only repeat
buyers (x > 0) enter the fit, through the number of repeat purchases x and their mean value z̄.

Reference: P. S. Fader, B. G. S. Hardie and K. L. Lee, "RFM and CLV: using iso-value curves
for customer base analysis", *Journal of Marketing Research* 42(4), 415–430 (2005); B. G. S.
Hardie and P. S. Fader, "The Gamma-Gamma model of monetary value" (2013 note).
"""

from __future__ import annotations

from dataclasses import dataclass

import numpy as np
from numpy.typing import ArrayLike, NDArray
from scipy.special import digamma, gammaln

from bsc.clv._fitting import fit_log_parameters, weighted_rows
from bsc.errors import InputError

__all__ = ["GammaGammaModel", "GammaGammaParams"]


@dataclass(frozen=True)
class GammaGammaParams:
    """Purchase value z ~ Gamma(p, ν); ν ~ Gamma(q, v) across customers."""

    p: float
    q: float
    v: float


class GammaGammaModel:
    """Gamma-Gamma fitted on repeat buyers' (frequency, mean repeat spend).

    :meth:`fit` returns the model; learned: ``params_`` (a :class:`GammaGammaParams`),
    ``log_likelihood_`` and ``customers_`` (the repeat buyers the fit used).

    Parameters
    ----------
    tolerance
        Convergence tolerance on the mean log-likelihood per customer.
    """

    def __init__(self, tolerance: float = 1e-10) -> None:
        self.tolerance = tolerance

    def fit(self, frequency: ArrayLike, monetary_value: ArrayLike) -> GammaGammaModel:
        """Maximise the log-likelihood over log p, log q, log v; customers with x = 0 are left out.

        .. math:: \\ln L = \\ln\\Gamma(px+q) - \\ln\\Gamma(px) - \\ln\\Gamma(q) + q\\ln v
                  + (px-1)\\ln\\bar z + px\\ln x - (px+q)\\ln(v + x\\bar z)

        Raises
        ------
        InputError
            With fewer than two repeat buyers, or a repeat buyer whose mean spend is not
            positive (returns exceeding purchases cannot be modelled as a gamma spend).
        """
        x, zbar = _checked(frequency, monetary_value)
        repeat = x > 0
        x, zbar = x[repeat], zbar[repeat]
        if x.size < 2:
            raise InputError("The spend model needs at least two customers who bought twice.")
        if (zbar <= 0).any():
            raise InputError(
                f"{int((zbar <= 0).sum())} repeat buyer(s) have a mean repeat spend of 0 or less: "
                "the spend model needs positive amounts (leave out refunds or free orders)."
            )
        rows, weights = weighted_rows(x, zbar)
        x, zbar = rows.T

        def negative_mean(log_params: NDArray[np.float64]) -> tuple[float, NDArray[np.float64]]:
            params = np.exp(log_params)
            total = weights.sum()
            value = -float(weights @ _log_likelihood(params, x, zbar)) / total
            return value, -(_gradient(params, x, zbar) @ weights) * params / total

        best = fit_log_parameters(negative_mean, start=np.zeros(3), tolerance=self.tolerance)
        p, q, v = np.exp(best.x)
        self.params_ = GammaGammaParams(p=float(p), q=float(q), v=float(v))
        self.log_likelihood_ = -best.fun * weights.sum()
        self.customers_ = int(weights.sum())
        return self

    def expected_spend(self, frequency: ArrayLike, monetary_value: ArrayLike) -> NDArray[np.float64]:
        """E[Z | x, z̄]: each customer's expected value per purchase (the conditional mean).

        .. math:: E[Z \\mid p, q, v, x, \\bar z] = \\frac{p\\,(v + x\\bar z)}{px + q - 1}

        a weighted mean of the population mean pv/(q−1) and the customer's own z̄. A customer
        without repeat purchases (x = 0) gets the population mean. Needs q > 1 (a finite mean).
        """
        p, q, v = self._params()
        if q <= 1:
            raise InputError(
                f"The fitted spend model has q = {q:.3g} ≤ 1: its mean spend is infinite, "
                "so no expected spend can be given."
            )
        x, zbar = _checked(frequency, monetary_value)
        zbar = np.where(x > 0, zbar, 0.0)
        return p * (v + x * zbar) / (p * x + q - 1)

    def _params(self) -> tuple[float, float, float]:
        if not hasattr(self, "params_"):
            raise InputError("The spend model has not been fitted yet.")
        return self.params_.p, self.params_.q, self.params_.v


def _log_likelihood(
    params: ArrayLike, x: NDArray[np.float64], zbar: NDArray[np.float64]
) -> NDArray[np.float64]:
    p, q, v = params
    px = p * x
    return (
        gammaln(px + q)
        - gammaln(px)
        - gammaln(q)
        + q * np.log(v)
        + (px - 1) * np.log(zbar)
        + px * np.log(x)
        - (px + q) * np.log(v + x * zbar)
    )


def _gradient(params: ArrayLike, x: NDArray[np.float64], zbar: NDArray[np.float64]) -> NDArray[np.float64]:
    """The gradient of each customer's ln L in (p, q, v), shape (3, customers)."""
    p, q, v = params
    px = p * x
    psi_total = digamma(px + q)
    log_total = np.log(v + x * zbar)
    d_p = x * (psi_total - digamma(px) + np.log(zbar) + np.log(x) - log_total)
    d_q = psi_total - digamma(q) + np.log(v) - log_total
    d_v = q / v - (px + q) / (v + x * zbar)
    return np.vstack([d_p, d_q, d_v])


def _checked(
    frequency: ArrayLike, monetary_value: ArrayLike
) -> tuple[NDArray[np.float64], NDArray[np.float64]]:
    x, zbar = (np.atleast_1d(np.asarray(v, dtype=float)) for v in (frequency, monetary_value))
    if x.shape != zbar.shape:
        raise InputError("Frequency and spend must have one value per customer.")
    if not (np.isfinite(x).all() and np.isfinite(zbar[x > 0]).all()):
        raise InputError("Frequency and spend must be numbers (blank or infinite values were found).")
    if (x < 0).any():
        raise InputError("Frequency (repeat purchases) must be at least 0.")
    return x, zbar

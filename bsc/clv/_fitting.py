"""Maximum-likelihood helpers shared by the lifetime models: weighting repeated rows, the optimiser."""

from __future__ import annotations

from collections.abc import Callable
from typing import TYPE_CHECKING

import numpy as np
from numpy.typing import NDArray

from bsc.errors import InputError

if TYPE_CHECKING:
    from scipy.optimize import OptimizeResult


def weighted_rows(*columns: NDArray[np.float64]) -> tuple[NDArray[np.float64], NDArray[np.float64]]:
    """The distinct rows of ``columns`` and how many customers share each.

    Customers with the same history have the same likelihood: with whole-day times most
    histories repeat, so the likelihood is evaluated once per distinct history.
    """
    stacked = np.column_stack(columns)
    rows, counts = np.unique(stacked, axis=0, return_counts=True)
    return rows, counts.astype(float)


def fit_log_parameters(
    negative_mean_loglik: Callable[[NDArray[np.float64]], tuple[float, NDArray[np.float64]]],
    start: NDArray[np.float64],
    tolerance: float,
) -> OptimizeResult:
    """Minimise a negative mean log-likelihood over log-parameters (so the parameters stay positive).

    ``negative_mean_loglik`` returns the value and its gradient with respect to the
    log-parameters. The search is quasi-Newton (L-BFGS-B), bounded to e^±20 so that a flat
    direction cannot run off to overflow.
    """

    def guarded(log_params: NDArray[np.float64]) -> tuple[float, NDArray[np.float64]]:
        value, gradient = negative_mean_loglik(log_params)
        if not (np.isfinite(value) and np.isfinite(gradient).all()):
            # Outside the region where the special functions are finite: call it very unlikely.
            return 1e300, np.zeros_like(log_params)
        return value, gradient

    # Imported here: the Scorecard's CLV tile reads a kept fit on its first view without fitting.
    from scipy.optimize import minimize

    best = minimize(
        guarded,
        start,
        jac=True,
        method="L-BFGS-B",
        bounds=[(-20.0, 20.0)] * len(start),
        options={"ftol": tolerance, "gtol": 1e-9, "maxiter": 2000},
    )
    if not np.isfinite(best.fun) or best.fun >= 1e300:
        raise InputError("The model could not be fitted to these data (the likelihood is not finite).")
    return best

"""The shifted beta-geometric (sBG) model of subscription retention, fitted by maximum likelihood.

For contracts that renew each period (a month, a year), a customer still here at a renewal
leaves with probability θ, the same at every renewal; across customers θ ~ Beta(α, β). The
lifetime T (the period at whose end the customer leaves, 1, 2, …) then has

.. math:: P(T = t) = \\frac{B(\\alpha + 1, \\beta + t - 1)}{B(\\alpha, \\beta)}, \\qquad
          S(t) = P(T > t) = \\frac{B(\\alpha, \\beta + t)}{B(\\alpha, \\beta)}

and the retention rate from period t − 1 to t, (β + t − 1)/(α + β + t − 1), rises with t: the
customers likely to leave leave first. A constant-rate (geometric) projection misses that and
under-projects the survivors of later periods.

The data are a life table: per period t, the customers who left at its end (``lost``) and those
last seen having survived it (``censored``: still here when the data end). The log-likelihood is

.. math:: \\ln L = \\sum_t \\text{lost}_t \\ln P(T = t) + \\sum_t \\text{censored}_t \\ln S(t)

A single cohort's survivor counts n_0, n_1, …, n_k are the life table with lost_t = n_{t−1} − n_t
and n_k censored at k; customers with signup and churn dates, or a tenure and a churn flag, are
one (:func:`lifetime_periods`).

Reference: P. S. Fader and B. G. S. Hardie, "How to project customer retention", *Journal of
Interactive Marketing* 21(1), 76–90 (2007); equations (1)–(7) there.
"""

from __future__ import annotations

from collections.abc import Sequence
from dataclasses import dataclass

import numpy as np
import pandas as pd
from numpy.typing import ArrayLike, NDArray
from scipy.special import betaln, digamma

from bsc.clv._fitting import fit_log_parameters
from bsc.clv.survival import SurvivalData
from bsc.clv.value import DAYS_PER_MONTH
from bsc.errors import InputError
from bsc.result_files import keep_type

__all__ = [
    "HeldOutCheck",
    "ShiftedBetaGeoModel",
    "ShiftedBetaGeoParams",
    "SubscriptionRetention",
    "held_out_check",
    "life_table",
    "life_table_from_survival",
    "life_table_from_survivors",
    "lifetime_periods",
    "subscription_retention",
]


@keep_type
@dataclass(frozen=True)
class ShiftedBetaGeoParams:
    """The churn probability at each renewal θ ~ Beta(alpha, beta) across customers."""

    alpha: float
    beta: float


def life_table(periods: ArrayLike, churned: ArrayLike) -> pd.DataFrame:
    """Per period t = 1 … the longest lifetime: ``at_risk``, ``lost`` and ``censored`` customers.

    Parameters
    ----------
    periods
        Per customer, the whole periods observed: for a customer who left, the period at whose
        end they left (≥ 1); for one still here, the periods survived (≥ 0; 0 adds nothing).
    churned
        Per customer, True when they left.

    ``at_risk`` at t counts the customers who had not left before t and were still observed
    in t: everyone lost or censored at t or later.
    """
    t = np.atleast_1d(np.asarray(periods, dtype=float))
    left = np.atleast_1d(np.asarray(churned, dtype=bool))
    if t.shape != left.shape:
        raise InputError("Periods and churn flags must have one value per customer.")
    if t.size == 0:
        raise InputError("There is no customer to fit the retention model on.")
    if not np.isfinite(t).all() or (t < 0).any() or (t != np.round(t)).any():
        raise InputError("Lifetimes must be whole numbers of periods, at least 0.")
    if (left & (t < 1)).any():
        raise InputError("A customer who left must have a lifetime of at least one period.")
    longest = max(int(t.max()), 1)
    index = pd.RangeIndex(1, longest + 1, name="period")
    lost = pd.Series(t[left]).value_counts().reindex(index, fill_value=0)
    censored = pd.Series(t[~left & (t > 0)]).value_counts().reindex(index, fill_value=0)
    table = pd.DataFrame({"lost": lost.to_numpy(), "censored": censored.to_numpy()}, index=index)
    table.insert(0, "at_risk", (table["lost"] + table["censored"])[::-1].cumsum()[::-1])
    return table.astype("int64")


def life_table_from_survivors(survivors: Sequence[float]) -> pd.DataFrame:
    """The life table of one cohort from its survivor counts n_0 (start), n_1, …, n_k.

    Raises
    ------
    InputError
        With fewer than two counts, or a count that rises or is negative.
    """
    counts = np.asarray(survivors, dtype=float)
    if counts.size < 2:
        raise InputError("A cohort needs its starting count and at least one later survivor count.")
    if (counts < 0).any() or (np.diff(counts) > 0).any() or counts[0] <= 0:
        raise InputError("Survivor counts must start above 0 and never rise.")
    index = pd.RangeIndex(1, counts.size, name="period")
    lost = counts[:-1] - counts[1:]
    censored = np.zeros(counts.size - 1)
    censored[-1] = counts[-1]
    return pd.DataFrame({"at_risk": counts[:-1], "lost": lost, "censored": censored}, index=index)


def lifetime_periods(durations: ArrayLike, churned: ArrayLike, period: float) -> tuple[NDArray, NDArray]:
    """Whole periods per customer from durations in any unit, ``period`` of that unit a period.

    A customer who left after d units left at the end of period max(1, ⌈d / period⌉) (a
    tenure of 3 months with churn: gone at the third renewal); one still here has survived
    ⌊d / period⌋ periods. Returns ``(periods, churned)`` for :func:`life_table`.
    """
    if period <= 0:
        raise InputError("The length of a period must be positive.")
    d = np.asarray(durations, dtype=float) / period
    left = np.asarray(churned, dtype=bool)
    # A small tolerance: 60 days are two 30-day periods, not a hair over.
    whole = np.where(left, np.maximum(1.0, np.ceil(d - 1e-9)), np.floor(d + 1e-9))
    return whole, left


class ShiftedBetaGeoModel:
    """sBG fitted on a life table (:func:`life_table`); scikit-learn style.

    Learned: ``params_`` (a :class:`ShiftedBetaGeoParams`), ``log_likelihood_``, ``customers_``
    (the customers in the table, ``at_risk`` of period 1) and ``periods_`` (the periods fitted).

    Parameters
    ----------
    tolerance
        Convergence tolerance on the mean log-likelihood per customer.
    """

    def __init__(self, tolerance: float = 1e-12) -> None:
        self.tolerance = tolerance

    def fit(self, table: pd.DataFrame) -> ShiftedBetaGeoModel:
        """Maximise ln L (module docstring) over log α, log β.

        Raises
        ------
        InputError
            When nobody left (θ cannot be told from 0) or nobody stayed a period (from 1).
        """
        t = table.index.to_numpy(dtype=float)
        lost = table["lost"].to_numpy(dtype=float)
        censored = table["censored"].to_numpy(dtype=float)
        customers = float(table["at_risk"].iloc[0]) if len(table) else 0.0
        if lost.sum() <= 0:
            raise InputError("Nobody has left yet: the retention model needs some customers who left.")
        if censored.sum() + lost[1:].sum() <= 0:
            raise InputError(
                "Every customer left in the first period: the retention model needs some who stayed longer."
            )

        def negative_mean(log_params: NDArray[np.float64]) -> tuple[float, NDArray[np.float64]]:
            alpha, beta = np.exp(log_params)
            value, d_alpha, d_beta = _log_likelihood_and_gradient(alpha, beta, t, lost, censored)
            return -value / customers, -np.array([d_alpha * alpha, d_beta * beta]) / customers

        best = fit_log_parameters(negative_mean, start=np.zeros(2), tolerance=self.tolerance)
        alpha, beta = np.exp(best.x)
        self.params_ = ShiftedBetaGeoParams(alpha=float(alpha), beta=float(beta))
        self.log_likelihood_ = -best.fun * customers
        self.customers_ = round(customers)
        self.periods_ = len(table)
        return self

    def survival(self, periods: ArrayLike) -> NDArray[np.float64]:
        """S(t): the share of a starting cohort still here after t periods (S(0) = 1)."""
        alpha, beta = self._params()
        t = np.asarray(periods, dtype=float)
        return np.exp(betaln(alpha, beta + t) - betaln(alpha, beta))

    def churn_probability(self, periods: ArrayLike) -> NDArray[np.float64]:
        """P(T = t): the share of a starting cohort lost at the end of period t (t ≥ 1)."""
        alpha, beta = self._params()
        t = np.asarray(periods, dtype=float)
        return np.exp(betaln(alpha + 1, beta + t - 1) - betaln(alpha, beta))

    def retention_rate(self, periods: ArrayLike) -> NDArray[np.float64]:
        """r_t = S(t) / S(t − 1) = (β + t − 1) / (α + β + t − 1): of those here at t − 1, the share renewing."""
        alpha, beta = self._params()
        t = np.asarray(periods, dtype=float)
        return (beta + t - 1) / (alpha + beta + t - 1)

    def projection(self, periods: int, start: float = 1000.0) -> pd.DataFrame:
        """Expected survivors of a cohort of ``start`` customers after 0 … ``periods`` periods.

        Columns ``survival`` (S(t)), ``survivors`` (start × S(t)) and ``retention_rate`` (NaN at 0).
        """
        t = np.arange(int(periods) + 1, dtype=float)
        survival = self.survival(t)
        rate = np.r_[np.nan, self.retention_rate(t[1:])]
        return pd.DataFrame(
            {"survival": survival, "survivors": start * survival, "retention_rate": rate},
            index=pd.RangeIndex(0, int(periods) + 1, name="period"),
        )

    def _params(self) -> tuple[float, float]:
        if not hasattr(self, "params_"):
            raise InputError("The retention model has not been fitted yet.")
        return self.params_.alpha, self.params_.beta


@keep_type
@dataclass(frozen=True)
class HeldOutCheck:
    """The sBG fitted on the first ``calibration_periods`` periods, projected over the later ones.

    ``table`` is indexed by period (0 … the last observed) with ``actual`` (the Kaplan–Meier
    share still here, from the whole life table), ``sbg`` and ``constant_rate`` (the projections
    of the sBG and of one constant retention rate, both fitted on the calibration periods only),
    ``at_risk`` and ``held_out`` (True after the calibration). The errors are the mean absolute
    differences from ``actual`` over the held-out periods, in shares (0.01 = 1 point).
    """

    params: ShiftedBetaGeoParams
    calibration_periods: int
    table: pd.DataFrame
    sbg_error: float
    constant_rate_error: float
    period_name: str = "period"

    @property
    def verdict(self) -> str:
        """One plain sentence: how far off the projection was, and whether it beat a constant rate."""
        held = int(self.table["held_out"].sum())
        head = (
            f"Fitted on the first {self.calibration_periods} {self.period_name}s, the sBG projected the share of "
            f"customers still here in the next {held} within {100 * self.sbg_error:.1f} percentage points on average"
        )
        if self.sbg_error < self.constant_rate_error:
            return (
                f"{head}; one constant retention rate was off by {100 * self.constant_rate_error:.1f} points."
            )
        return (
            f"{head}: no better than one constant retention rate ({100 * self.constant_rate_error:.1f} points). "
            "Trust its long-run projection no more than the simple rate."
        )


def held_out_check(
    table: pd.DataFrame, calibration_periods: int, period_name: str = "period"
) -> HeldOutCheck:
    """Fit on periods 1 … k of a life table and compare the projections of periods after k.

    Customers still observed after period k are censored at k for the fit, so nothing after k
    is seen. The actual share still here is the Kaplan–Meier product of (1 − lost / at_risk)
    over the whole table, which allows for customers whose data end early.

    Raises
    ------
    InputError
        When k leaves no held-out period or fewer than two calibration periods.
    """
    k = int(calibration_periods)
    last = int(table.index.max())
    if k < 2 or k >= last:
        raise InputError(
            f"The held-out check needs at least 2 calibration periods and one after them "
            f"(the data span {last} period(s); {k} asked for calibration)."
        )
    model = ShiftedBetaGeoModel().fit(_truncated(table, k))
    t = np.arange(0, last + 1, dtype=float)
    actual = observed_shares(table)
    early = table.loc[:k]
    constant = 1 - early["lost"].sum() / early["at_risk"].sum()  # the geometric MLE over calibration
    frame = pd.DataFrame(
        {
            "actual": actual,
            "sbg": model.survival(t),
            "constant_rate": constant**t,
            "at_risk": np.r_[table["at_risk"].iloc[0], table["at_risk"].to_numpy()],
            "held_out": t > k,
        },
        index=pd.RangeIndex(0, last + 1, name="period"),
    )
    later = frame[frame["held_out"]]
    return HeldOutCheck(
        params=model.params_,
        calibration_periods=k,
        table=frame,
        sbg_error=float((later["sbg"] - later["actual"]).abs().mean()),
        constant_rate_error=float((later["constant_rate"] - later["actual"]).abs().mean()),
        period_name=period_name,
    )


def observed_shares(table: pd.DataFrame) -> NDArray[np.float64]:
    """The Kaplan–Meier share still here after periods 0 … the last of a life table.

    .. math:: \\hat S(t) = \\prod_{s \\le t} (1 - \\mathrm{lost}_s / \\mathrm{at\\ risk}_s)
    """
    at_risk = table["at_risk"].to_numpy(dtype=float)
    ratio = 1 - np.divide(
        table["lost"].to_numpy(dtype=float), at_risk, out=np.zeros_like(at_risk), where=at_risk > 0
    )
    return np.r_[1.0, np.cumprod(ratio)]


def _truncated(table: pd.DataFrame, k: int) -> pd.DataFrame:
    """The life table as it would read after period k: everyone observed past k censored at k."""
    early = table.loc[:k].copy()
    later = table.loc[k + 1 :]
    early.loc[k, "censored"] += later["lost"].sum() + later["censored"].sum()
    return early


def _log_likelihood_and_gradient(
    alpha: float, beta: float, t: NDArray, lost: NDArray, censored: NDArray
) -> tuple[float, float, float]:
    """ln L (module docstring) and its derivatives in α and β, from the digamma function."""
    base = betaln(alpha, beta)
    log_p = betaln(alpha + 1, beta + t - 1) - base
    log_s = betaln(alpha, beta + t) - base
    value = float(lost @ log_p + censored @ log_s)
    d_base_alpha = digamma(alpha) - digamma(alpha + beta)
    d_base_beta = digamma(beta) - digamma(alpha + beta)
    psi_total = digamma(alpha + beta + t)
    d_alpha = lost @ (digamma(alpha + 1) - psi_total - d_base_alpha) + censored @ (
        digamma(alpha) - psi_total - d_base_alpha
    )
    d_beta = lost @ (digamma(beta + t - 1) - psi_total - d_base_beta) + censored @ (
        digamma(beta + t) - psi_total - d_base_beta
    )
    return value, float(d_alpha), float(d_beta)


def life_table_from_survival(data: SurvivalData, period_days: float = DAYS_PER_MONTH) -> pd.DataFrame:
    """The life table in months of :func:`bsc.clv.survival_data`'s durations.

    Durations in days (from signup and churn dates) are cut into periods of ``period_days``
    (a month by default); a tenure column is taken as whole months already.
    """
    period = period_days if data.unit == "days" else 1.0
    periods, churned = lifetime_periods(data.frame["duration"], data.frame["churned"], period)
    return life_table(periods, churned)


@keep_type
@dataclass(frozen=True)
class SubscriptionRetention:
    """The sBG fitted on every customer, its projection, and the held-out check (None when the data
    span too few periods; ``held_out_note`` then says why).

    ``projection`` is indexed by period 0 … ``horizon`` with ``survival``, ``survivors`` (of 1,000
    starting customers) and ``retention_rate``; ``actual`` beside it is the Kaplan–Meier share
    still here, NaN past the data.
    """

    params: ShiftedBetaGeoParams
    customers: int
    periods: int
    period_name: str
    projection: pd.DataFrame
    held_out: HeldOutCheck | None
    held_out_note: str | None

    @property
    def alike_note(self) -> str | None:
        """When α + β is very large, the Beta is piled on one value: say that customers churn alike."""
        alpha, beta = self.params.alpha, self.params.beta
        if alpha + beta < 1000:
            return None
        return (
            f"alpha + beta is very large: every customer leaves with about the same probability, "
            f"{alpha / (alpha + beta):.2%} a {self.period_name}, so retention does not rise with tenure."
        )

    def as_json(self) -> dict:
        """The ``sbg`` block of ``python -m bsc clv --json`` (plain numbers and lists)."""
        check = self.held_out
        return {
            "alpha": self.params.alpha,
            "beta": self.params.beta,
            "customers": self.customers,
            "period": self.period_name,
            "periods_observed": self.periods,
            "projection": {
                "periods": self.projection.index.tolist(),
                "survival": self.projection["survival"].tolist(),
                "retention_rate": self.projection["retention_rate"].tolist(),
            },
            "held_out": None
            if check is None
            else {
                "calibration_periods": check.calibration_periods,
                "periods": check.table.index.tolist(),
                "actual": check.table["actual"].tolist(),
                "projected": check.table["sbg"].tolist(),
                "error": check.sbg_error,
                "constant_rate_error": check.constant_rate_error,
            },
        }


def subscription_retention(
    table: pd.DataFrame,
    *,
    calibration_periods: int | None = None,
    horizon: int | None = None,
    period_name: str = "month",
) -> SubscriptionRetention:
    """Fit the sBG on a whole life table, project it, and check it on held-out periods.

    ``calibration_periods`` defaults to two thirds of the periods the data span (at least 2);
    ``horizon`` to twice that span (at least 12 periods).
    """
    model = ShiftedBetaGeoModel().fit(table)
    last = int(table.index.max())
    horizon = max(12, 2 * last) if horizon is None else int(horizon)
    projection = model.projection(horizon)
    actual = observed_shares(table)
    projection["actual"] = pd.Series(actual, index=range(last + 1)).reindex(projection.index)
    k = max(2, round(2 * last / 3)) if calibration_periods is None else int(calibration_periods)
    check: HeldOutCheck | None = None
    note: str | None = None
    try:
        check = held_out_check(table, k, period_name)
    except InputError as error:
        note = str(error)
    return SubscriptionRetention(
        params=model.params_,
        customers=model.customers_,
        periods=last,
        period_name=period_name,
        projection=projection,
        held_out=check,
        held_out_note=note,
    )

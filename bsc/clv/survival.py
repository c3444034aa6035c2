"""Customer survival: Kaplan–Meier retention curves with 95 % intervals, median lifetime, log-rank test.

Retention read from cohort tables ignores censoring: a customer who joined last month and is
still here says nothing yet about month six. Kaplan–Meier counts each customer only while they
are observed. The estimate and its Greenwood standard error come from statsmodels
(:class:`statsmodels.duration.survfunc.SurvfuncRight`), the log-rank test from
:func:`statsmodels.duration.survfunc.survdiff`.

Durations come from a customers table either as dates, in days: from ``signup_date`` to
``churn_date``, or to the data's end (the latest signup or churn date) for customers still
here (censored); or as a tenure column (its own unit, months in the usual telco tables) with
the ``churn`` flag saying who left.

The 95 % interval at each time is the log-log ("exponential Greenwood") interval, which stays
inside [0, 1] (Kalbfleisch & Prentice 2002, §1.4; the ``conf.type="log-log"`` of R's
``survival``):

.. math:: \\hat S(t)^{\\exp(\\pm 1.96\\, \\sigma(t))}, \\qquad
          \\sigma(t) = \\frac{\\sqrt{\\sum_{t_j \\le t} d_j / (n_j (n_j - d_j))}}{\\lvert \\ln \\hat S(t) \\rvert}

The median lifetime is the first time at which the estimated survival is 0.5 or below; None
when the curve never gets there (more than half the customers are still here).
"""

from __future__ import annotations

from collections.abc import Mapping, Sequence
from dataclasses import dataclass
from pathlib import Path

import numpy as np
import pandas as pd
from numpy.typing import ArrayLike

from bsc.errors import InputError

__all__ = [
    "SurvivalCurve",
    "SurvivalData",
    "kaplan_meier",
    "survival_curves",
    "survival_data",
    "survival_from_tables",
]

Z_95 = 1.959963984540054
ALL_CUSTOMERS = "all customers"


@dataclass(frozen=True)
class SurvivalData:
    """One row per customer: ``duration`` (in ``unit``), ``churned`` (True = left, False = censored), ``segment``."""

    frame: pd.DataFrame
    unit: str
    dropped: int = 0


@dataclass(frozen=True)
class SurvivalCurve:
    """A Kaplan–Meier curve: S(t) just after each churn time in ``times``.

    The curve starts at time 0 with S = 1 (unless customers left at time 0); ``median`` is in
    the unit of ``times``, None when the curve stays above 0.5.
    """

    segment: str
    times: list[float]
    survival: list[float]
    ci_low: list[float]
    ci_high: list[float]
    median: float | None
    customers: int
    churned: int


def kaplan_meier(durations: ArrayLike, churned: ArrayLike, segment: str = ALL_CUSTOMERS) -> SurvivalCurve:
    """The Kaplan–Meier curve of one group, with its 95 % log-log interval and median.

    Raises
    ------
    InputError
        With no customer, or a negative or missing duration.
    """
    from statsmodels.duration.survfunc import SurvfuncRight

    time = np.asarray(durations, dtype=float)
    status = np.asarray(churned, dtype=bool)
    _check(time, status)
    if not status.any():
        # Nobody left: S = 1 throughout, nothing to estimate.
        return SurvivalCurve(segment, [0.0], [1.0], [1.0], [1.0], None, int(time.size), 0)
    fitted = SurvfuncRight(time, status.astype(float))
    survival = np.asarray(fitted.surv_prob, dtype=float)
    standard_error = np.asarray(fitted.surv_prob_se, dtype=float)
    low, high = _log_log_interval(survival, standard_error)
    below_half = np.flatnonzero(survival <= 0.5)
    median = float(fitted.surv_times[below_half[0]]) if below_half.size else None
    times = np.asarray(fitted.surv_times, dtype=float)
    # The curve starts at time 0 with S = 1, unless customers already left at time 0.
    start = [] if times[0] == 0 else [0.0]
    ones = [1.0] * len(start)
    return SurvivalCurve(
        segment=segment,
        times=[*start, *times.tolist()],
        survival=[*ones, *survival.tolist()],
        ci_low=[*ones, *low.tolist()],
        ci_high=[*ones, *high.tolist()],
        median=median,
        customers=int(time.size),
        churned=int(status.sum()),
    )


def survival_curves(data: SurvivalData) -> tuple[list[SurvivalCurve], float | None]:
    """One curve per segment (or one for all customers) and the log-rank p between segments.

    The p-value tests that all segments share one survival curve (the log-rank chi-squared
    with segments − 1 degrees of freedom); None with a single segment.
    """
    frame = data.frame
    if frame.empty:
        raise InputError("There is no customer with a known duration to draw survival curves from.")
    if "segment" not in frame.columns:
        return [kaplan_meier(frame["duration"], frame["churned"])], None
    curves = [
        kaplan_meier(group["duration"], group["churned"], str(name))
        for name, group in frame.groupby("segment", sort=True, observed=True)
    ]
    if len(curves) < 2 or not frame["churned"].any():
        return curves, None
    from statsmodels.duration.survfunc import survdiff

    _, p_value = survdiff(
        frame["duration"].to_numpy(dtype=float),
        frame["churned"].to_numpy(dtype=float),
        frame["segment"].astype(str).to_numpy(),
    )
    return curves, float(p_value)


def survival_data(
    customers: pd.DataFrame, *, by: str | None = None, end: pd.Timestamp | str | None = None
) -> SurvivalData:
    """Durations and churn per customer from a customers table (dates, or a tenure column).

    With ``signup_date`` and ``churn_date``: days from signup to churn, or to ``end`` (by
    default the latest signup or churn date in the table) for customers who have not left.
    Without dates: a column whose name holds "tenure" and the ``churn`` flag. Rows with a
    missing signup or tenure, or a churn date before the signup, are left out and counted in
    ``dropped``; a segment left blank becomes "(blank)".

    Raises
    ------
    InputError
        When neither dates nor a tenure column with a churn flag are there, or ``by`` is not a column.
    """
    if by is not None and by not in customers.columns:
        raise InputError(f"The customers table has no column {by!r} to split the survival curves by.")
    if "signup_date" in customers.columns and "churn_date" in customers.columns:
        frame, unit = _from_dates(customers, end), "days"
    else:
        tenure = _tenure_column(customers)
        if tenure is None or "churn" not in customers.columns:
            raise InputError(
                "Survival curves need a customers table with signup and churn dates, or a tenure column "
                "and a churn flag."
            )
        frame = pd.DataFrame(
            {
                "duration": pd.to_numeric(customers[tenure], errors="coerce"),
                "churned": customers["churn"].fillna(False).astype(bool),
            }
        )
        unit = f"{tenure} (months in the usual tables)"
    if by is not None:
        frame["segment"] = customers[by].astype("string").fillna("(blank)").to_numpy()
    known = frame["duration"].notna() & (frame["duration"] >= 0)
    return SurvivalData(frame=frame[known].reset_index(drop=True), unit=unit, dropped=int((~known).sum()))


def survival_from_tables(tables: Mapping[str, Sequence[Path | str]], by: str | None = None) -> SurvivalData:
    """:func:`survival_data` from the customers files of a workspace; ``by`` is a resolved column name."""
    from bsc.engine import read_columns, table_columns

    files = tables.get("customers", [])
    available = table_columns(files) if files else {}
    if not available:
        raise InputError("Survival curves need a customers table; none was found in the files.")
    if by is not None and by not in available and "acquisition_channel" in available:
        by = "acquisition_channel"  # the channel aliases name this role
    wanted = ["signup_date", "churn_date", "churn", _tenure_column(pd.DataFrame(columns=list(available))), by]
    columns = [c for c in dict.fromkeys(wanted) if c is not None and c in available]
    customers = read_columns(tables, "customers", columns)
    return survival_data(customers, by=by)


def _from_dates(customers: pd.DataFrame, end: pd.Timestamp | str | None) -> pd.DataFrame:
    signup = pd.to_datetime(customers["signup_date"], errors="coerce")
    churn_date = pd.to_datetime(customers["churn_date"], errors="coerce")
    if end is None:
        end = max(signup.max(), churn_date.max())
    if pd.isna(end):
        raise InputError("The customers table holds no readable signup date.")
    churned = churn_date.notna()
    stop = churn_date.where(churned, pd.Timestamp(end))
    return pd.DataFrame({"duration": (stop - signup).dt.days.astype(float), "churned": churned.to_numpy()})


def _tenure_column(customers: pd.DataFrame) -> str | None:
    for column in customers.columns:
        if "tenure" in str(column).casefold():
            return str(column)
    return None


def _log_log_interval(survival: np.ndarray, standard_error: np.ndarray) -> tuple[np.ndarray, np.ndarray]:
    """The 95 % log-log interval of S(t) from its Greenwood standard error (formula in the module docstring)."""
    with np.errstate(divide="ignore", invalid="ignore"):
        log_s = np.log(survival)
        sigma = standard_error / (survival * np.abs(log_s))
        low = survival ** np.exp(Z_95 * sigma)
        high = survival ** np.exp(-Z_95 * sigma)
    # Where S = 0 (everyone left) the interval collapses to 0; where S = 1, to 1.
    low = np.where(survival <= 0, 0.0, np.where(survival >= 1, 1.0, low))
    high = np.where(survival <= 0, 0.0, np.where(survival >= 1, 1.0, high))
    return low, high


def _check(time: np.ndarray, status: np.ndarray) -> None:
    if time.size == 0:
        raise InputError("There is no customer to draw a survival curve for.")
    if time.shape != status.shape:
        raise InputError("Durations and churn flags must have one value per customer.")
    if not np.isfinite(time).all() or (time < 0).any():
        raise InputError("Durations must be numbers of at least 0.")

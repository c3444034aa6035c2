"""The forecast: the predicted churn rate of the next period per segment, beside the churn KPI.

:func:`predicted_churn_by_segment` is :func:`forecast_data` (the most recent churn window the
data covers), :func:`~bsc.churn.analysis.analyse_churn` and :func:`predicted_churn` (the
customers active at the end of the data, scored, and their probabilities brought to the next
period) in turn; a caller that keeps analyses runs the three itself.
"""

from __future__ import annotations

from collections.abc import Mapping, Sequence

import pandas as pd

from bsc.churn.analysis import ChurnAnalysis, analyse_churn
from bsc.churn.decisions import scored_customers
from bsc.churn.labels import ChurnData
from bsc.churn.model import ModelChoice
from bsc.churn.sources import DEFAULT_HORIZON_DAYS, churn_data_from_workspace, label_sources
from bsc.errors import InputError
from bsc.periods import TYPICAL_DAYS, next_period

__all__ = ["forecast_data", "predicted_churn", "predicted_churn_by_segment"]


def predicted_churn_by_segment(
    tables: Mapping[str, Sequence],
    *,
    by: str | None = None,
    period: str = "month",
    model: ModelChoice = "auto",
    backend=None,
    n_jobs: int | None = 1,
) -> pd.DataFrame:
    """The predicted churn rate of the next period, for all customers and per segment.

    A model is trained on the most recent window the data covers (churn dates, else no order,
    in the :data:`DEFAULT_HORIZON_DAYS` days after a cutoff, at least the period's length)
    and scores the customers active at the end of the data. A customer's probability :math:`p`
    over the window of :math:`h` days becomes one over the next period of :math:`d` days by
    assuming a constant hazard over the window:

    .. math:: p_d = 1 - (1 - p)^{d / h}

    and the predicted churn rate of a segment is the mean of :math:`p_d` over its active
    customers, on 0–100 like the churn-rate KPI (customers churned in the period ÷ customers
    active at its start).

    This is :func:`forecast_data`, :func:`analyse_churn` and :func:`predicted_churn` in turn.

    Parameters
    ----------
    tables : mapping
        Table kind -> canonical Parquet files.
    by : str, optional
        A categorical column of the customers table (a segment attribute); None for all customers.
    period : {"month", "quarter", "year"}
        The next period is the calendar one starting the day after the data ends.

    Returns
    -------
    pandas.DataFrame
        Columns ``segment`` (NA on the all-customers row, which comes first; "(unknown)" for
        customers without a value), ``period`` (e.g. "2026-11"), ``predicted_churn_rate``
        (%), ``n`` (active customers scored). ``attrs`` holds ``definition`` (the training
        label in words), ``roc_auc`` of the model and ``signal`` (False when the model found no
        usable signal: show the numbers with care, or not at all).

    Raises
    ------
    InputError
        Without churn dates or a transaction log, with too few churners, or when ``by`` is not
        a categorical column of the customers table.
    """
    data = forecast_data(tables, period=period, backend=backend)
    _check_split(data, by)
    analysis = analyse_churn(data, model=model, n_jobs=n_jobs)
    return predicted_churn(analysis, by=by, period=period)


def forecast_data(tables: Mapping[str, Sequence], *, period: str = "month", backend=None) -> ChurnData:
    """The customers the next period's forecast learns from (see :func:`predicted_churn_by_segment`).

    Churn dates, else no order, in a window of :data:`DEFAULT_HORIZON_DAYS` days (at least the
    period's length) that ends where the data ends; ``current`` holds the customers active at
    the end of the data.

    Raises
    ------
    InputError
        Without churn dates or a transaction log with order dates.
    """
    sources = [s for s in label_sources(tables) if s != "column"]
    if not sources:
        raise InputError(
            "Predicting the next period's churn needs churn dates or a transaction log with order dates."
        )
    horizon = max(DEFAULT_HORIZON_DAYS, TYPICAL_DAYS[period])
    return churn_data_from_workspace(tables, source=sources[0], horizon_days=horizon, backend=backend)


def predicted_churn(analysis: ChurnAnalysis, *, by: str | None = None, period: str = "month") -> pd.DataFrame:
    """The next period's predicted churn rate from an analysis of :func:`forecast_data`.

    The analysis's churn window ends where the data ends, so the next period is the calendar
    ``period`` starting the day after the window. Returns the frame of
    :func:`predicted_churn_by_segment`.

    Raises
    ------
    InputError
        When the analysis has no dated definition, or ``by`` is not a categorical column of the
        customers table.
    """
    data = analysis.data
    definition = data.definition
    if definition.cutoff is None or definition.horizon_days is None or data.current is None:
        raise InputError(
            "Predicting the next period's churn needs churn dates or order dates after a cutoff, "
            "not the churn flag as it is today."
        )
    _check_split(data, by)
    horizon = definition.horizon_days
    upcoming = next_period(definition.cutoff + pd.Timedelta(days=horizon), period)
    label, days = upcoming.label, upcoming.days
    customers, probability = scored_customers(analysis)
    per_period = 1 - (1 - probability) ** (days / horizon)
    rows = [
        {
            "segment": pd.NA,
            "period": label,
            "predicted_churn_rate": 100 * per_period.mean(),
            "n": len(per_period),
        }
    ]
    if by is not None:
        segment = customers[by].astype("string").fillna("(unknown)")
        grouped = pd.Series(per_period).groupby(segment.to_numpy())
        for name, values in grouped:
            rows.append(
                {
                    "segment": name,
                    "period": label,
                    "predicted_churn_rate": 100 * values.mean(),
                    "n": len(values),
                }
            )
    frame = pd.DataFrame(rows)
    frame["segment"] = frame["segment"].astype("string")
    frame["n"] = frame["n"].astype("int64")
    frame.attrs.update(
        definition=definition.text, roc_auc=analysis.scores.roc_auc, signal=analysis.has_signal
    )
    return frame


def _check_split(data: ChurnData, by: str | None) -> None:
    if by is not None and by not in data.customers.columns:
        raise InputError(
            f"The predicted churn can be split by the customers' attributes only, not by {by!r}."
        )

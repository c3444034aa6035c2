"""Churn from lifetimes: who was active at a period's start, who left during it.

A lifetime runs from a customer's acquisition (or the start of an activity spell) to their
churn date (or the spell's lapse); the sources count lifetimes by start and end period, and
these functions turn the counts into customers at start, churned and the base at the end.
"""

from __future__ import annotations

import numpy as np
import pandas as pd

from bsc.kpis.record import KpiParams
from bsc.periods import ALL_TIME


def churn_per_period(grid: pd.DataFrame, unit: str, periods: pd.DatetimeIndex) -> pd.DataFrame:
    """Active at each period's start, churned during it, and the customer base at its end.

    ``grid`` counts lifetimes by (segment, start, end) period, NaT meaning "before the data"
    for a start and "not ended" for an end. For a period starting at S:

    - active at start = lifetimes started before S and not ended before S;
    - churned = those of them whose end falls in the period (a lifetime that starts and ends
      within one period is in neither, as it was not active at the start);
    - base at end = lifetimes started by the period's end and not ended by it;
    - ended = every lifetime whose end falls in the period, wherever it started (the customers
      lost in the period, as the CLV counts them).
    """
    if not len(periods):
        return pd.DataFrame(columns=["period", "segment", "at_start", "churned", "base_at_end", "ended"])
    starts = periods.to_numpy()
    next_starts = np.append(starts[1:], (periods[-1] + periods.freq).to_datetime64())
    rows = []
    for segment, lifetimes in grid.groupby("segment"):
        count = lifetimes["count"].to_numpy(dtype=float)[:, None]
        begun = lifetimes["start"].fillna(pd.Timestamp.min).to_numpy()[:, None]
        ended = lifetimes["end"].to_numpy()[:, None]
        started_before = begun < starts
        ended_before = ended < starts  # NaT compares False: not ended
        rows.append(
            pd.DataFrame(
                {
                    "period": periods,
                    "segment": segment,
                    "at_start": (count * (started_before & ~ended_before)).sum(axis=0),
                    "churned": (count * (started_before & ~ended_before & (ended < next_starts))).sum(axis=0),
                    "base_at_end": (count * ((begun < next_starts) & ~(ended < next_starts))).sum(axis=0),
                    "ended": (count * ((ended >= starts) & (ended < next_starts))).sum(axis=0),
                }
            )
        )
    return pd.concat(rows, ignore_index=True)


def churn_over_all_time(grid: pd.DataFrame, method: str) -> pd.DataFrame:
    """Share of customers whose relationship had ended by the end of the data.

    From churn dates: customers with a churn date ÷ customers. From spells: customers whose last
    spell lapsed ÷ customers; every spell but a customer's last has lapsed, so that is
    lapsed spells − (spells − customers).
    """
    rows = []
    for segment, lifetimes in grid.groupby("segment"):
        total = float(lifetimes["count"].sum())
        lapsed = float(lifetimes.loc[lifetimes["end"].notna(), "count"].sum())
        if method == "inactivity":
            customers = float(lifetimes.loc[lifetimes["first"].astype(bool), "count"].sum())
            churned = lapsed - (total - customers)
        else:
            customers, churned = total, lapsed
        rows.append({"period": ALL_TIME, "segment": segment, "at_start": customers, "churned": churned})
    return pd.DataFrame(rows, columns=["period", "segment", "at_start", "churned"])


def churn_note(method: str, params: KpiParams, unit: str) -> str:
    if method == "churn_date":
        return "From churn dates: customers whose churn date falls in the period ÷ customers active at its start."
    if method == "churn_flag":
        return "From the churn flag: share of customers flagged as churned (no dates, so over all time)."
    if unit == "all":
        return (
            f"From an inactivity window of {params.inactivity_days} days: share of customers without an order "
            f"in the last {params.inactivity_days} days of the data."
        )
    return (
        f"From an inactivity window of {params.inactivity_days} days: customers with an order in the "
        f"{params.inactivity_days} days before the period's start but none in the {params.inactivity_days} "
        "days before its end ÷ those active at its start."
    )

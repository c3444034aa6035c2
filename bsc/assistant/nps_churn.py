"""The NPS–churn link: how much monthly churn one NPS point is worth in this workspace.

Read from the workspace's own survey answers and churn dates, so that the what-if model's NPS
lever (:mod:`bsc.assistant.whatif`) moves churn only as far as this data shows.

References
----------
.. [1] F. F. Reichheld, "The one number you need to grow", Harvard Business Review 81 (12),
   2003 (promoters, passives and detractors).
"""

from __future__ import annotations

import math
from collections.abc import Mapping, Sequence
from dataclasses import dataclass
from pathlib import Path

import numpy as np
import pandas as pd

from bsc.engine import read_columns
from bsc.result_files import keep_type

__all__ = ["NpsChurnLink", "nps_churn_link", "nps_groups", "recorded_columns"]

DAYS_PER_MONTH = 365.25 / 12


@keep_type
@dataclass(frozen=True)
class NpsChurnLink:
    """Monthly churn of customers by their latest NPS answer, and what one NPS point is worth.

    ``churn_points_per_nps_point`` is the fall in monthly churn (percentage points) for one
    NPS point, read as 1 % of customers moving from detractor to passive:
    ``(detractor churn − passive churn) ÷ 100``, never below 0. ``note`` says how it was
    found, or why it could not be.
    """

    detractor_churn: float
    passive_churn: float
    promoter_churn: float
    churned: int
    customers: int
    churn_points_per_nps_point: float
    note: str


def nps_churn_link(tables: Mapping[str, Sequence[Path | str]]) -> NpsChurnLink:
    """Monthly churn of detractors, passives and promoters, from answers and churn dates.

    Each answer places its customer in a group (0–6 detractor, 7–8 passive, 9–10 promoter
    [1]_) from its date until their next answer, their churn date or the end of the data.
    A group's monthly churn is its churns ÷ its customer-months (days ÷ 30.44) × 100: churns
    are counted in the group of the customer's latest answer before churning. Needs the
    feedback table's customer ids, dates and NPS and the customers table's churn dates;
    without them the link is 0, and the note says so.
    """
    feedback = recorded_columns(tables, "feedback", ["customer_id", "date", "nps"])
    customers = recorded_columns(tables, "customers", ["customer_id", "churn_date"])
    missing = None
    if feedback is None:
        missing = "survey answers with customer ids, dates and NPS scores"
    elif customers is None:
        missing = "customers with churn dates"
    if missing is not None:
        return NpsChurnLink(
            math.nan,
            math.nan,
            math.nan,
            0,
            0,
            0.0,
            f"NPS is not linked to churn here: the workspace has no {missing}, so the NPS lever has no effect.",
        )
    answers = feedback.dropna(subset=["customer_id", "date", "nps"]).sort_values(["customer_id", "date"])
    churn_dates = customers.dropna(subset=["customer_id"]).groupby("customer_id")["churn_date"].max()
    data_end = max(answers["date"].max(), customers["churn_date"].max())
    answers["next"] = answers.groupby("customer_id")["date"].shift(-1)
    answers["churn"] = answers["customer_id"].map(churn_dates)
    stop = answers["next"].fillna(data_end)
    churned_here = (
        answers["churn"].notna() & (answers["churn"] >= answers["date"]) & (answers["churn"] <= stop)
    )
    answers["end"] = stop.where(~churned_here, answers["churn"])
    answers = answers[answers["end"] >= answers["date"]]
    churned_here = churned_here.loc[answers.index]
    answers["months"] = (answers["end"] - answers["date"]).dt.total_seconds() / 86400.0 / DAYS_PER_MONTH
    answers["event"] = churned_here.astype(float)
    answers["group"] = nps_groups(answers["nps"])
    sums = answers.groupby("group")[["event", "months"]].sum()

    def rate(group: str) -> float:
        if group not in sums.index or sums.loc[group, "months"] <= 0:
            return math.nan
        return 100.0 * float(sums.loc[group, "event"] / sums.loc[group, "months"])

    detractor, passive, promoter = rate("detractor"), rate("passive"), rate("promoter")
    churned = int(answers["event"].sum())
    answered = int(answers["customer_id"].nunique())
    gap = detractor - passive
    if math.isnan(gap):
        effect, note = 0.0, "NPS is not linked to churn here: detractors or passives have no answers."
    elif gap <= 0:
        effect = 0.0
        note = (
            f"In this data detractors do not churn more than passives ({detractor:.2f}% against "
            f"{passive:.2f}% a month), so the NPS lever has no effect on churn."
        )
    else:
        effect = gap / 100.0
        note = (
            f"Detractors churned {detractor:.2f}% a month, passives {passive:.2f}% and promoters "
            f"{promoter:.2f}% ({churned:,} churns among {answered:,} customers who answered). One NPS point "
            f"is read as 1% of customers moving from detractor to passive: {effect:.3f} points less "
            "monthly churn."
        )
    return NpsChurnLink(detractor, passive, promoter, churned, answered, effect, note)


def nps_groups(scores: pd.Series) -> np.ndarray:
    """Each 0–10 answer's group: "detractor" (0–6), "passive" (7–8) or "promoter" (9–10) [1]_."""
    return np.select([scores >= 9, scores >= 7], ["promoter", "passive"], "detractor")


def recorded_columns(
    tables: Mapping[str, Sequence[Path | str]], kind: str, columns: list[str]
) -> pd.DataFrame | None:
    """The columns of a table kind, or None when the workspace does not record all of them or has no rows."""
    frame = read_columns(tables, kind, columns)
    if not all(column in frame.columns for column in columns) or frame.empty:
        return None
    return frame

"""RFM scoring: recency, frequency and monetary value scored 1–5, and named RFM segments.

Scores fall between editable breaks (quintiles by default, :func:`rfm_breaks`); an editable
table (:func:`default_rfm_segments`) maps score ranges to segment names
(:func:`name_rfm_segments`).
"""

from __future__ import annotations

import math
from dataclasses import dataclass
from itertools import pairwise

import numpy as np
import pandas as pd

from bsc.errors import InputError

__all__ = [
    "NO_ORDERS",
    "RFM_SEGMENT_COLUMNS",
    "UNMATCHED",
    "RfmBreaks",
    "default_rfm_segments",
    "name_rfm_segments",
    "rfm_breaks",
    "rfm_scores",
]

RFM_SEGMENT_COLUMNS = ("segment", "r_min", "r_max", "f_min", "f_max", "m_min", "m_max")
NO_ORDERS = "No orders"
UNMATCHED = "Other"


@dataclass(frozen=True)
class RfmBreaks:
    """Four ascending breaks per measure, cutting customers into five score bins.

    A value equal to a break falls in the lower bin: with recency breaks ``(10, 30, 60, 120)``
    a recency of 30 days is in the second bin. Recency scores 5 in its lowest bin (most recent)
    down to 1; frequency and monetary value score 1 in their lowest bin up to 5.
    """

    recency: tuple[float, float, float, float]
    frequency: tuple[float, float, float, float]
    monetary: tuple[float, float, float, float]

    def __post_init__(self) -> None:
        for measure in ("recency", "frequency", "monetary"):
            values = tuple(float(v) for v in getattr(self, measure))
            if len(values) != 4 or any(math.isnan(v) for v in values):
                raise InputError(f"The {measure} breaks must be four numbers.")
            if any(b < a for a, b in pairwise(values)):
                raise InputError(
                    f"The {measure} breaks must go up (or stay level): {', '.join(map(str, values))}."
                )
            object.__setattr__(self, measure, values)


def rfm_breaks(rfm: pd.DataFrame) -> RfmBreaks:
    """Quintile breaks: the 20th, 40th, 60th and 80th percentiles of each measure.

    Computed over customers with orders (columns ``recency_days``, ``frequency``, ``monetary``
    as :func:`bsc.features.rfm_features` returns), with linear interpolation
    (:meth:`pandas.Series.quantile`). Many customers with the same value (say one order) make
    breaks repeat; the bins between equal breaks are then empty.
    """
    ordered = rfm[rfm["frequency"] > 0] if "frequency" in rfm.columns else rfm
    if ordered.empty:
        raise InputError("RFM scores need customers with orders; there are none.")
    quantiles = [0.2, 0.4, 0.6, 0.8]
    return RfmBreaks(
        recency=tuple(ordered["recency_days"].quantile(quantiles).round(2)),
        frequency=tuple(ordered["frequency"].quantile(quantiles).round(2)),
        monetary=tuple(ordered["monetary"].quantile(quantiles).round(2)),
    )


def rfm_scores(rfm: pd.DataFrame, breaks: RfmBreaks) -> pd.DataFrame:
    """R, F and M scores (1–5) of each customer, and the three-digit cell such as ``"545"``.

    .. math:: F = 1 + \\#\\{b \\in \\mathrm{breaks}_F : b < f\\}, \\quad
              M = 1 + \\#\\{b : b < m\\}, \\quad R = 5 - \\#\\{b : b < r\\}

    Customers without orders (recency NaN or frequency 0) get no score (NA) and cell "".
    """
    has_orders = rfm["recency_days"].notna() & (rfm["frequency"] > 0)

    def above(values: pd.Series, cuts: tuple[float, ...]) -> np.ndarray:
        return np.searchsorted(np.asarray(cuts), values.to_numpy(dtype=float), side="left")

    scores = pd.DataFrame(
        {
            "r": 5 - above(rfm["recency_days"].fillna(0), breaks.recency),
            "f": 1 + above(rfm["frequency"].fillna(0), breaks.frequency),
            "m": 1 + above(rfm["monetary"].fillna(0), breaks.monetary),
        },
        index=rfm.index,
    ).astype("Int64")
    scores = scores.where(has_orders, axis=0)
    cell = scores["r"].astype("string") + scores["f"].astype("string") + scores["m"].astype("string")
    scores["cell"] = cell.fillna("")
    return scores


def default_rfm_segments() -> pd.DataFrame:
    """The usual RFM segment map on R and F scores (M open), first matching row wins.

    Covers all 25 (R, F) pairs: Champions (R 5, F 4–5), Loyal customers (R 3–4, F 4–5),
    Potential loyalists (R 4–5, F 2–3), New customers (R 5, F 1), Promising (R 4, F 1),
    Need attention (R 3, F 3), About to sleep (R 3, F 1–2), Can't lose them (R 1–2, F 5),
    At risk (R 1–2, F 3–4), Hibernating (R 1–2, F 1–2).
    """
    rows = [
        ("Champions", 5, 5, 4, 5),
        ("Loyal customers", 3, 4, 4, 5),
        ("Potential loyalists", 4, 5, 2, 3),
        ("New customers", 5, 5, 1, 1),
        ("Promising", 4, 4, 1, 1),
        ("Need attention", 3, 3, 3, 3),
        ("About to sleep", 3, 3, 1, 2),
        ("Can't lose them", 1, 2, 5, 5),
        ("At risk", 1, 2, 3, 4),
        ("Hibernating", 1, 2, 1, 2),
    ]
    table = pd.DataFrame(
        [(name, r_low, r_high, f_low, f_high, 1, 5) for name, r_low, r_high, f_low, f_high in rows],
        columns=list(RFM_SEGMENT_COLUMNS),
    )
    return table.astype({column: "int64" for column in RFM_SEGMENT_COLUMNS[1:]})


def name_rfm_segments(scores: pd.DataFrame, table: pd.DataFrame) -> pd.Series:
    """The segment of each customer: the first row of ``table`` whose R, F and M ranges hold
    the customer's scores (bounds included); "Other" when none does, "No orders" without scores.

    Raises
    ------
    InputError
        When the table lacks a column, a bound is not a whole number 1–5, a minimum exceeds its
        maximum, or a name is empty.
    """
    table = _checked_rfm_table(table)
    names = pd.Series(UNMATCHED, index=scores.index, dtype="string", name="segment")
    unassigned = scores["r"].notna().to_numpy(copy=True)
    r, f, m = (scores[c].fillna(0).to_numpy(dtype=int) for c in ("r", "f", "m"))
    for row in table.itertuples(index=False):
        match = (
            unassigned
            & (row.r_min <= r)
            & (r <= row.r_max)
            & (row.f_min <= f)
            & (f <= row.f_max)
            & (row.m_min <= m)
            & (m <= row.m_max)
        )
        names[match] = row.segment
        unassigned &= ~match
    names[scores["r"].isna().to_numpy()] = NO_ORDERS
    return names


def _checked_rfm_table(table: pd.DataFrame) -> pd.DataFrame:
    missing = [column for column in RFM_SEGMENT_COLUMNS if column not in table.columns]
    if missing:
        raise InputError(f"The segment table needs the columns {', '.join(missing)}.")
    table = table[list(RFM_SEGMENT_COLUMNS)].dropna(how="all")
    names = table["segment"].astype("string").str.strip()
    if names.isna().any() or (names == "").any():
        raise InputError("Every row of the segment table needs a segment name.")
    bounds = table[list(RFM_SEGMENT_COLUMNS[1:])].apply(pd.to_numeric, errors="coerce")
    if bounds.isna().any().any() or not bounds.isin([1, 2, 3, 4, 5]).all().all():
        raise InputError("Score bounds in the segment table must be whole numbers from 1 to 5.")
    for measure in ("r", "f", "m"):
        wrong = bounds[f"{measure}_min"] > bounds[f"{measure}_max"]
        if wrong.any():
            name = names[wrong].iloc[0]
            raise InputError(f"In “{name}”, the {measure.upper()} minimum is above its maximum.")
    return pd.concat([names.rename("segment"), bounds.astype("int64")], axis=1)

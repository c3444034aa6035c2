"""The scorecard's customer KPIs for each segment of a segmentation not saved yet.

:func:`segment_kpis` computes them exactly as the scorecard will once the segmentation is saved,
through a temporary assignments file.
"""

from __future__ import annotations

import tempfile
from collections.abc import Sequence
from dataclasses import dataclass

import pandas as pd

from bsc.engine import ASSIGNMENTS, Backend
from bsc.features import Tables
from bsc.kpis import KpiParams, compute_kpis

__all__ = ["ALL_CUSTOMERS", "SEGMENT_KPIS", "SegmentKpis", "segment_kpis"]

SEGMENT_KPIS: tuple[str, ...] = ("nps", "churn_rate", "revenue_per_customer", "clv")
ALL_CUSTOMERS = "All customers"
_PREVIEW_ATTRIBUTE = "segment_preview"


@dataclass(frozen=True)
class SegmentKpis:
    """Customer KPIs per segment, side by side.

    Attributes
    ----------
    values
        Index: "All customers" then each segment; one column per KPI computed.
    periods
        KPI -> the year its values are from (the latest year with a value for all customers).
    unavailable
        KPI -> why it could not be computed from this workspace.
    """

    values: pd.DataFrame
    periods: dict[str, str]
    unavailable: dict[str, str]


def segment_kpis(
    tables: Tables,
    segments: pd.Series,
    *,
    kpis: Sequence[str] = SEGMENT_KPIS,
    params: KpiParams | None = None,
    backend: Backend | None = None,
) -> SegmentKpis:
    """The scorecard's KPIs for each segment of an unsaved segmentation, over the latest year.

    The segments are written to a temporary assignments file and the scorecard is computed split
    by them (:func:`bsc.kpis.compute_kpis` with ``period="year"``), exactly as it will be once
    the segmentation is saved; already saved segmentations are left out. For each KPI the latest
    year with a value for all customers is kept (the year may be incomplete when the data ends
    mid-year). Customers of the fact tables without a segment count under "(unknown)".

    Parameters
    ----------
    segments
        Segment name per customer, indexed by customer id.
    """
    others = {kind: paths for kind, paths in tables.items() if kind != ASSIGNMENTS}
    frame = pd.DataFrame(
        {
            "customer_id": pd.Series(segments.index, dtype="string"),
            _PREVIEW_ATTRIBUTE: pd.Series(segments.to_numpy(), dtype="string"),
        }
    )
    with tempfile.TemporaryDirectory(prefix="bsc-segments-") as folder:
        path = f"{folder}/segments.parquet"
        frame.to_parquet(path, index=False)
        result = compute_kpis(
            {**others, ASSIGNMENTS: [path]},
            period="year",
            by=_PREVIEW_ATTRIBUTE,
            params=params,
            backend=backend,
            kpis=kpis,
        )
    columns: dict[str, pd.Series] = {}
    periods: dict[str, str] = {}
    for kpi in kpis:
        rows = result.kpi(kpi)
        totals = rows[rows["segment"].isna() & rows["value"].notna()]
        if totals.empty:
            continue
        latest = max(totals["period"])
        chosen = rows[rows["period"] == latest]
        labels = chosen["segment"].astype(object).where(chosen["segment"].notna(), ALL_CUSTOMERS)
        columns[kpi] = pd.Series(chosen["value"].to_numpy(dtype=float), index=labels.to_numpy())
        periods[kpi] = str(latest)
    unavailable = dict(result.unavailable)
    for kpi in kpis:
        if kpi not in columns and kpi not in unavailable:
            unavailable[kpi] = "no value for all customers in any year"
    order = [ALL_CUSTOMERS, *sorted(set(segments.astype(str)))]
    values = pd.DataFrame(columns)
    extra = [label for label in values.index if label not in order]
    values = values.reindex([*order, *extra]) if columns else pd.DataFrame(index=order)
    values.index.name = "segment"
    return SegmentKpis(values=values, periods=periods, unavailable=unavailable)

"""Hand-made KPI values, a KPI source and a targets file shared by the targets tests.

``MONTHLY`` stands for ``compute_kpis(...).values`` of a workspace; ``fake_source`` serves it to a
:class:`bsc.targets.TargetBook` as its ``kpi_source``; ``CSV`` is a small targets file.
"""

from __future__ import annotations

import math
from datetime import date

import pandas as pd

from bsc.kpis import KpiParams, KpiResult

TODAY = date(2026, 11, 27)


def kpi_values(rows: list[tuple]) -> pd.DataFrame:
    """A ``compute_kpis(...).values`` frame from (kpi, period, segment, value, ci_low, ci_high)."""
    frame = pd.DataFrame(rows, columns=["kpi", "period", "segment", "value", "ci_low", "ci_high"])
    frame["numerator"] = frame["denominator"] = math.nan
    frame["n"] = pd.array([100] * len(frame), dtype="Int64")
    return frame.astype({"kpi": "string", "period": "string", "segment": "string"})


MONTHLY = kpi_values(
    [
        ("nps", "2026-08", None, 20.0, 15.0, 25.0),
        ("nps", "2026-09", None, 22.0, 17.0, 27.0),
        ("nps", "2026-10", None, 24.0, 19.0, 29.0),
        ("nps", "2026-08", "North", 30.0, 20.0, 40.0),
        ("nps", "2026-09", "North", 33.0, 23.0, 43.0),
        ("nps", "2026-10", "North", 36.0, 26.0, 46.0),
        ("churn_rate", "2026-08", None, 2.0, math.nan, math.nan),
        ("churn_rate", "2026-09", None, 1.9, math.nan, math.nan),
        ("churn_rate", "2026-10", None, 1.8, math.nan, math.nan),
        ("revenue", "2026-09", None, 900.0, math.nan, math.nan),
        ("revenue", "2026-10", None, 1000.0, math.nan, math.nan),
    ]
)


def fake_source(
    values: pd.DataFrame = MONTHLY, unavailable=(("rating", "needs Rating (Feedback / surveys)"),)
):
    """A kpi_source for the book: the same hand-made values for every period unit and split."""
    calls: list[tuple[str, str | None]] = []

    def source(unit: str, by: str | None) -> KpiResult:
        calls.append((unit, by))
        frame = values if by is not None else values[values["segment"].isna()]
        not_split = [("cpa", "marketing figures split only by channel")] if by else []
        return KpiResult(frame, list(unavailable), not_split, {}, unit, by, KpiParams())  # type: ignore[arg-type]

    source.calls = calls  # type: ignore[attr-defined]
    return source


CSV = (
    "KPI,Segment,Period,Target,Green,Amber,Weight\n"
    "nps,,2026-12,26,,,\n"
    "nps,,2027-03,30,0%,10%,2\n"
    "Net Promoter Score,region=North,2027-03,40,1,3,\n"
    "churn_rate,,2027-Q1,1.5,0.1,0.2,1\n"
)

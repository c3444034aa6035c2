"""Charts of the Objectives page: the target assistant's projection and the what-if projection."""

from __future__ import annotations

import altair as alt
import pandas as pd

from bsc.assistant.assessment import Assessment
from bsc.assistant.whatif import WhatIfResult
from bsc.kpis import KpiDef
from bsc.periods import label_starts
from bsc.targets import Target

HISTORY = "#222222"
PROJECTION = "#0072B2"
TARGET = "#CC79A7"


def assistant_chart(
    definition: KpiDef,
    assessment: Assessment,
    target: Target | None,
    *,
    height: int = 300,
    currency: str | None = None,
) -> alt.Chart:
    """History, the trend projected to the due period with its prediction band, and the target path."""
    path = assessment.path.copy()
    path["start"] = label_starts(path["period"])
    path["series"] = path["kind"].map({"history": "Actual", "projection": "Trend projection"})
    y_title = f"{definition.name} ({definition.unit_title(currency)})"
    x = alt.X("start:T", title="Period", axis=alt.Axis(format="%b %Y"))
    colour = alt.Color(
        "series:N",
        title=None,
        scale=alt.Scale(domain=["Actual", "Trend projection", "Target"], range=[HISTORY, PROJECTION, TARGET]),
        legend=alt.Legend(orient="right", symbolType="stroke", symbolStrokeWidth=3),
    )
    tooltip = [
        alt.Tooltip("period:N", title="Period"),
        alt.Tooltip("series:N", title="Series"),
        alt.Tooltip("value:Q", title=definition.name, format=",.2f"),
    ]
    layers: list[alt.Chart] = []
    projection = path[path["kind"] == "projection"]
    if not projection.empty:
        layers.append(
            alt.Chart(projection)
            .mark_area(opacity=0.18, color=PROJECTION)
            .encode(x=x, y=alt.Y("low:Q", title=y_title), y2="high:Q")
        )
    lines = path[["start", "period", "series", "value"]]
    if target is not None:
        steps = target_steps(target, path)
        lines = pd.concat([lines, steps], ignore_index=True)
    layers.append(
        alt.Chart(lines)
        .mark_line(point=alt.OverlayMarkDef(size=20))
        .encode(
            x=x,
            y=alt.Y("value:Q", title=y_title, scale=alt.Scale(zero=False)),
            color=colour,
            strokeDash=alt.StrokeDash(
                "series:N",
                scale=alt.Scale(
                    domain=["Actual", "Trend projection", "Target"], range=[[1, 0], [5, 3], [2, 2]]
                ),
                legend=None,
            ),
            tooltip=tooltip,
        )
    )
    title = f"{definition.name}: history, trend to {assessment.due_period} and target"
    return alt.layer(*layers).properties(title=title, height=height)


def target_steps(target: Target, path: pd.DataFrame) -> pd.DataFrame:
    """The target's value in each period of ``path`` where it is defined."""
    periods = path["period"].drop_duplicates()
    values = [target.value_at(p) for p in periods]
    frame = pd.DataFrame({"period": periods.to_numpy(), "value": values, "series": "Target"})
    frame = frame[frame["value"].notna()]
    frame["start"] = label_starts(frame["period"])
    return frame


def whatif_chart(
    result: WhatIfResult, measure: str, title: str, y_title: str, *, height: int = 240
) -> alt.Chart:
    """One measure per month for today's rates and with the levers."""
    data = result.months[["month", "scenario", measure]].rename(columns={measure: "value"})
    return (
        alt.Chart(data)
        .mark_line(point=alt.OverlayMarkDef(size=20))
        .encode(
            x=alt.X(
                "month:Q", title="Months from now", scale=alt.Scale(domain=[1, int(data["month"].max())])
            ),
            y=alt.Y("value:Q", title=y_title, scale=alt.Scale(zero=False)),
            color=alt.Color(
                "scenario:N",
                title=None,
                scale=alt.Scale(domain=["Today's rates", "With the levers"], range=[HISTORY, PROJECTION]),
                legend=alt.Legend(orient="right", symbolType="stroke", symbolStrokeWidth=3),
            ),
            tooltip=[
                alt.Tooltip("month:Q", title="Month"),
                alt.Tooltip("scenario:N", title="Scenario"),
                alt.Tooltip("value:Q", title=y_title, format=",.0f"),
            ],
        )
        .properties(title=title, height=height)
    )

"""The briefing's trend charts: Altair charts drawn for print, rendered to PNG with vl-convert.

A printed or projected chart has no tooltips, so it differs from the app's
(:func:`ui.charts.trend_chart`): all customers only, larger type, the 95 % band, the target line
where a target exists, and each noted period marked by a dotted rule with a numbered label that
the notes section refers to. vl-convert renders Vega-Lite without a browser.
"""

from __future__ import annotations

from collections.abc import Sequence

import altair as alt
import pandas as pd

from bsc.kpis import KpiDef, whole_periods
from bsc.periods import label_starts

__all__ = ["chart_png", "print_trend_chart"]

# Twice the pixels of the drawn size: sharp on a projector and in a printed page.
SCALE = 2
FONT_SIZE = 15


def print_trend_chart(
    definition: KpiDef,
    rows: pd.DataFrame,
    target_path: pd.DataFrame | None = None,
    note_periods: Sequence[tuple[str, int]] = (),
    *,
    currency: str | None = None,
    width: int = 440,
    height: int = 290,
) -> alt.LayerChart | None:
    """All customers' whole periods of one KPI (rows of ``compute_kpis(...).values``), with
    its target path (rows of :func:`bsc.targets.trajectories` for all customers) and the noted
    periods as ``(period, note number)``; None when fewer than two whole periods have values."""
    data = rows[(rows["period"] != "all") & rows["segment"].isna() & rows["value"].notna()]
    data = data[whole_periods(data).to_numpy()]
    if len(data) < 2:
        return None
    data = data.assign(start=label_starts(data["period"]))[["start", "period", "value", "ci_low", "ci_high"]]
    x = alt.X("start:T", title=None, axis=alt.Axis(format="%b %Y", labelFontSize=FONT_SIZE - 2))
    y_title = definition.unit_title(currency)
    y = alt.Y("value:Q", title=y_title, scale=alt.Scale(zero=False))
    layers: list[alt.Chart] = []
    if data["ci_low"].notna().any():
        layers.append(
            alt.Chart(data).mark_area(opacity=0.15, color="#0072B2").encode(x=x, y="ci_low:Q", y2="ci_high:Q")
        )
    layers.append(alt.Chart(data).mark_line(point=True, color="#0072B2", strokeWidth=3).encode(x=x, y=y))
    if target_path is not None and len(target_path):
        path = target_path.assign(start=label_starts(target_path["period"]))[["start", "target"]]
        path = path[(path["start"] >= data["start"].min()) & (path["start"] <= data["start"].max())]
        if len(path):
            layers.append(
                alt.Chart(path)
                .mark_line(strokeDash=[6, 4], color="#222222", strokeWidth=2)
                .encode(x="start:T", y="target:Q")
            )
    marks = [(p, n) for p, n in note_periods if p in set(data["period"])]
    if marks:
        notes = pd.DataFrame({"period": [p for p, _ in marks], "label": [f"note {n}" for _, n in marks]})
        notes["start"] = label_starts(notes["period"])
        base = alt.Chart(notes).encode(x="start:T")
        layers.append(base.mark_rule(color="#555555", strokeDash=[2, 3], strokeWidth=1.5))
        layers.append(
            base.mark_text(
                align="left", dx=4, baseline="top", fontSize=FONT_SIZE - 2, color="#333333"
            ).encode(y=alt.value(2), text="label:N")
        )
    return (
        alt.layer(*layers)
        .properties(title=f"{definition.name} per period (all customers)", width=width, height=height)
        .configure_title(fontSize=FONT_SIZE + 3, anchor="start")
        .configure_axis(titleFontSize=FONT_SIZE - 1, labelFontSize=FONT_SIZE - 2)
    )


def chart_png(chart: alt.TopLevelMixin) -> bytes:
    """The chart as a PNG, drawn by vl-convert (no browser)."""
    import vl_convert

    # Imported here: the engine and the CLI's other commands never pay for loading it.
    return vl_convert.vegalite_to_png(chart.to_json(), scale=SCALE)

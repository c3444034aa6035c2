"""Altair charts of the Lifetime value page: the back-test week by week and by customer group,
Kaplan–Meier curves with their 95 % bands, and the subscription model's projection.

Charts receive aggregated points only (weeks, groups, curve steps), never raw rows.
"""

from __future__ import annotations

from collections.abc import Sequence

import altair as alt
import numpy as np
import pandas as pd

from bsc.clv import SurvivalCurve

# Okabe–Ito colours: actual in near-black, the model in blue, the naive baseline in orange.
ACTUAL = "#222222"
MODEL = "#0072B2"
NAIVE = "#E69F00"
SEGMENT_COLOURS = ["#0072B2", "#E69F00", "#009E73", "#CC79A7", "#56B4E9", "#D55E00", "#222222", "#F0E442"]
# A curve of 100k customers has thousands of steps: a few hundred per curve draw the same picture.
MAX_STEPS = 400


def weekly_back_test_chart(weekly: pd.DataFrame) -> alt.Chart:
    """Actual against predicted repeat purchases per holdout week (two lines)."""
    data = weekly.melt(
        id_vars=["week", "week_start"],
        value_vars=["actual", "predicted"],
        var_name="series",
        value_name="purchases",
    )
    data["series"] = data["series"].map({"actual": "Actual", "predicted": "Predicted (BG/NBD)"})
    return (
        alt.Chart(data, title="Repeat purchases per holdout week")
        .mark_line(point=alt.OverlayMarkDef(size=18))
        .encode(
            x=alt.X("week_start:T", title="Week starting"),
            y=alt.Y("purchases:Q", title="Repeat purchases"),
            color=alt.Color(
                "series:N",
                title=None,
                scale=alt.Scale(domain=["Actual", "Predicted (BG/NBD)"], range=[ACTUAL, MODEL]),
                legend=alt.Legend(orient="top"),
            ),
            tooltip=[
                alt.Tooltip("week_start:T", title="Week starting"),
                alt.Tooltip("series:N", title="Series"),
                alt.Tooltip("purchases:Q", title="Repeat purchases", format=",.1f"),
            ],
        )
        .properties(height=300)
    )


def group_back_test_chart(by_frequency: pd.DataFrame) -> alt.Chart:
    """Mean holdout purchases per customer by calibration repeat purchases: actual, model, past rate."""
    data = by_frequency.melt(
        id_vars=["calibration_repeat_purchases", "customers"],
        value_vars=["actual", "predicted", "naive"],
        var_name="series",
        value_name="purchases",
    )
    names = {"actual": "Actual", "predicted": "Predicted (BG/NBD)", "naive": "Past rate"}
    data["series"] = data["series"].map(names)
    order = by_frequency["calibration_repeat_purchases"].astype(str).tolist()
    return (
        alt.Chart(data, title="Per customer, by past repeat purchases")
        .mark_line(point=alt.OverlayMarkDef(size=40))
        .encode(
            x=alt.X(
                "calibration_repeat_purchases:O",
                sort=order,
                title="Repeat purchases in the calibration period",
            ),
            y=alt.Y("purchases:Q", title="Mean repeat purchases in the holdout"),
            color=alt.Color(
                "series:N",
                title=None,
                scale=alt.Scale(domain=list(names.values()), range=[ACTUAL, MODEL, NAIVE]),
                legend=alt.Legend(orient="top"),
            ),
            tooltip=[
                alt.Tooltip("calibration_repeat_purchases:O", title="Calibration repeat purchases"),
                alt.Tooltip("customers:Q", title="Customers", format=","),
                alt.Tooltip("series:N", title="Series"),
                alt.Tooltip("purchases:Q", title="Mean holdout purchases", format=".2f"),
            ],
        )
        .properties(height=300)
    )


def survival_chart(curves: Sequence[SurvivalCurve], unit: str) -> alt.LayerChart:
    """Kaplan–Meier curves as steps, one colour per segment, each with its 95 % band."""
    frames = []
    for curve in curves:
        frame = pd.DataFrame(
            {
                "time": curve.times,
                "survival": curve.survival,
                "ci_low": curve.ci_low,
                "ci_high": curve.ci_high,
            }
        )
        if len(frame) > MAX_STEPS:
            keep = np.unique(
                np.r_[np.linspace(0, len(frame) - 1, MAX_STEPS).round().astype(int), len(frame) - 1]
            )
            frame = frame.iloc[keep]
        frames.append(frame.assign(segment=curve.segment))
    data = pd.concat(frames, ignore_index=True)
    segments = [c.segment for c in curves]
    colour = alt.Color(
        "segment:N",
        title=None,
        scale=alt.Scale(
            domain=segments, range=SEGMENT_COLOURS[: len(segments)] if len(segments) <= 8 else None
        ),
        legend=alt.Legend(orient="top"),
    )
    base = alt.Chart(data, title="Share of customers still here (Kaplan–Meier, shaded: 95% interval)").encode(
        x=alt.X("time:Q", title=f"Time since joining ({unit})"),
        color=colour,
    )
    band = base.mark_area(opacity=0.18, interpolate="step-after").encode(
        y=alt.Y("ci_low:Q", title="Still here", axis=alt.Axis(format="%"), scale=alt.Scale(domain=[0, 1])),
        y2="ci_high:Q",
    )
    line = base.mark_line(interpolate="step-after").encode(
        y="survival:Q",
        tooltip=[
            alt.Tooltip("segment:N", title="Segment"),
            alt.Tooltip("time:Q", title=f"Time ({unit})", format=",.0f"),
            alt.Tooltip("survival:Q", title="Still here", format=".1%"),
            alt.Tooltip("ci_low:Q", title="95% from", format=".1%"),
            alt.Tooltip("ci_high:Q", title="95% to", format=".1%"),
        ],
    )
    return alt.layer(band, line).properties(height=320)


def retention_projection_chart(
    table: pd.DataFrame, calibration_periods: int, period_name: str
) -> alt.LayerChart:
    """The held-out check: the actual share still here and the sBG and constant-rate projections,
    with a rule where the calibration ends."""
    data = table.reset_index().melt(
        id_vars=["period"],
        value_vars=["actual", "sbg", "constant_rate"],
        var_name="series",
        value_name="share",
    )
    names = {
        "actual": "Actual (Kaplan–Meier)",
        "sbg": "Projected (sBG)",
        "constant_rate": "One constant rate",
    }
    data["series"] = data["series"].map(names)
    lines = (
        alt.Chart(
            data, title="Share of customers still here: projected from the calibration periods, and actual"
        )
        .mark_line()
        .encode(
            x=alt.X("period:Q", title=f"Tenure ({period_name}s)"),
            y=alt.Y("share:Q", title="Still here", axis=alt.Axis(format="%"), scale=alt.Scale(domain=[0, 1])),
            color=alt.Color(
                "series:N",
                title=None,
                scale=alt.Scale(domain=list(names.values()), range=[ACTUAL, MODEL, NAIVE]),
                legend=alt.Legend(orient="top"),
            ),
            strokeDash=alt.StrokeDash(
                "series:N",
                scale=alt.Scale(domain=list(names.values()), range=[[1, 0], [1, 0], [5, 4]]),
                legend=None,
            ),
            tooltip=[
                alt.Tooltip("period:Q", title=f"Tenure ({period_name}s)"),
                alt.Tooltip("series:N", title="Series"),
                alt.Tooltip("share:Q", title="Still here", format=".1%"),
            ],
        )
    )
    rule = (
        alt.Chart(pd.DataFrame({"period": [calibration_periods], "label": ["end of calibration"]}))
        .mark_rule(color="#999999", strokeDash=[2, 2])
        .encode(x="period:Q", tooltip=[alt.Tooltip("label:N", title="")])
    )
    return alt.layer(lines, rule).properties(height=300)

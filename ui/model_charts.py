"""Altair charts of a churn model: what drives churn, how good the model is, whom to contact.

Every chart receives aggregated points (a few hundred at most: curves are thinned in
:mod:`bsc.churn`). Bars and curves are a neutral blue; references (chance, perfect calibration)
are grey and dashed; the chosen contact point is marked in vermilion (Okabe-Ito). Charts with a
discrete vertical axis size it by step, so that long lists stay readable.
"""

from __future__ import annotations

import altair as alt
import pandas as pd

NEUTRAL = "#0072B2"
REFERENCE = "#999999"
MARK = "#D55E00"

# The model's scores in words for the room first, the technical term in the help or in brackets.
RANKS = "Ranks churners"
RANKS_HELP = (
    "How well it ranks churners (ROC AUC, cross-validated): the chance that a random churner is "
    "ranked above a random stayer (0.5 = coin toss, 1 = perfect)."
)
TOP = "Top purity"
ERROR = "Probability error"
ALONE = "Ranks churners alone (AUC)"


def top_help(share: float) -> str:
    """The help of the PR AUC tile; ``share`` is the churners' share (its chance level)."""
    return (
        "How pure the top of the list is: how many of the customers ranked first are churners "
        f"(PR AUC, average precision), 0 to 1; chance level = the churners' share, {share:.2f}."
    )


def error_help(share: float) -> str:
    """The help of the Brier score tile; always predicting ``share`` scores share × (1 − share)."""
    return (
        "How far the predicted probabilities are from what happened (Brier score: mean squared error, "
        f"0 = perfect; always saying {share:.0%} scores {share * (1 - share):.3f}). Lower is better."
    )


def importance_chart(importance: pd.DataFrame, name: str, title: str, *, top: int = 15) -> alt.LayerChart:
    """Horizontal bars: how much worse the model ranks churners (the drop in ROC AUC) when a column
    (or group) is shuffled, with its interval.

    ``importance`` has a ``name`` column (the label shown), ``importance`` and
    ``importance_std``, and the 95 % interval ``importance_low`` – ``importance_high`` when
    measured (else ± the spread); the ``top`` largest are shown, largest first.
    """
    data = importance.head(top).copy()
    if {"importance_low", "importance_high"} <= set(data.columns):
        data["low"] = data["importance_low"].fillna(data["importance"])
        data["high"] = data["importance_high"].fillna(data["importance"])
    else:
        data["low"] = data["importance"] - data["importance_std"].fillna(0)
        data["high"] = data["importance"] + data["importance_std"].fillna(0)
    order = data[name].tolist()
    base = alt.Chart(data).encode(
        y=alt.Y(f"{name}:N", sort=order, title=None, axis=alt.Axis(labelLimit=260)),
        tooltip=[
            alt.Tooltip(f"{name}:N", title="Column" if name != "group" else "Group"),
            alt.Tooltip("importance:Q", title="Worse ranking (drop in ROC AUC)", format=".3f"),
            alt.Tooltip("low:Q", title="95 % interval from", format=".3f"),
            alt.Tooltip("high:Q", title="to", format=".3f"),
        ],
    )
    bars = base.mark_bar(color=NEUTRAL).encode(
        x=alt.X("importance:Q", title="Worse ranking when shuffled (drop in ROC AUC)")
    )
    whiskers = base.mark_rule(color="#333333").encode(x="low:Q", x2="high:Q")
    return alt.layer(bars, whiskers).properties(title=title, height=alt.Step(26))


def roc_chart(points: pd.DataFrame, auc: float) -> alt.LayerChart:
    """The ROC curve from out-of-fold probabilities, with the diagonal of a coin toss."""
    curve = (
        alt.Chart(points)
        .mark_line(color=NEUTRAL, interpolate="step-after")
        .encode(
            x=alt.X(
                "false_positive_rate:Q",
                title="Stayers flagged (false positive rate)",
                axis=alt.Axis(format="%"),
            ),
            y=alt.Y(
                "true_positive_rate:Q",
                title="Churners found (true positive rate)",
                axis=alt.Axis(format="%"),
            ),
        )
    )
    return alt.layer(curve, _diagonal("false_positive_rate", "true_positive_rate")).properties(
        title=alt.TitleParams(
            f"How well it ranks churners: {auc:.2f}", subtitle="ROC curve (AUC); diagonal: a coin toss"
        ),
        height=300,
    )


def calibration_chart(points: pd.DataFrame) -> alt.LayerChart:
    """Predicted against observed churn in ten equal groups, with the line of perfect calibration."""
    top = float(max(points["predicted"].max(), points["observed"].max(), 0.05)) * 1.05
    scale = alt.Scale(domain=[0, min(1.0, top)])
    dots = (
        alt.Chart(points)
        .mark_line(color=NEUTRAL, point=alt.OverlayMarkDef(size=40, color=NEUTRAL))
        .encode(
            x=alt.X(
                "predicted:Q", title="Predicted churn probability", axis=alt.Axis(format="%"), scale=scale
            ),
            y=alt.Y("observed:Q", title="Observed churn rate", axis=alt.Axis(format="%"), scale=scale),
            tooltip=[
                alt.Tooltip("predicted:Q", title="Predicted", format=".1%"),
                alt.Tooltip("observed:Q", title="Observed", format=".1%"),
                alt.Tooltip("customers:Q", title="Customers", format=","),
            ],
        )
    )
    limit = min(1.0, top)
    diagonal = _diagonal("predicted", "observed", limit)
    return alt.layer(dots, diagonal).properties(
        title=alt.TitleParams(
            "Predicted against observed churn", subtitle="Calibration; diagonal: predicted = observed"
        ),
        height=300,
    )


def gains_chart(points: pd.DataFrame) -> alt.LayerChart:
    """Cumulative gains: the share of churners reached when contacting the riskiest first."""
    curve = (
        alt.Chart(points)
        .mark_line(color=NEUTRAL)
        .encode(
            x=alt.X("contacted:Q", title="Contacted, riskiest first", axis=alt.Axis(format="%")),
            y=alt.Y("churners_reached:Q", title="Churners reached", axis=alt.Axis(format="%")),
            tooltip=[
                alt.Tooltip("contacted:Q", title="Contacted", format=".0%"),
                alt.Tooltip("churners_reached:Q", title="Churners reached", format=".0%"),
                alt.Tooltip("lift:Q", title="Lift (× random)", format=".2f"),
            ],
        )
    )
    return alt.layer(curve, _diagonal("contacted", "churners_reached")).properties(
        title=alt.TitleParams("Cumulative gains", subtitle="Diagonal: calling at random"), height=300
    )


def net_value_chart(curve: pd.DataFrame, best: int, currency: str = "") -> alt.LayerChart:
    """Expected net value of contacting the first ``contacted`` customers, with the best point marked."""
    unit = f" ({currency})" if currency else ""
    line = (
        alt.Chart(curve)
        .mark_line(color=NEUTRAL)
        .encode(
            x=alt.X("contacted:Q", title="Customers contacted, riskiest first", axis=alt.Axis(format=",.0f")),
            y=alt.Y("expected_net_value:Q", title=f"Expected net value{unit}", axis=alt.Axis(format=",.0f")),
            tooltip=[
                alt.Tooltip("contacted:Q", title="Contacted", format=","),
                alt.Tooltip("threshold:Q", title="Lowest probability contacted", format=".1%"),
                alt.Tooltip("expected_net_value:Q", title="Expected net value", format=",.0f"),
            ],
        )
    )
    point = curve[curve["contacted"] == best]
    marker = (
        alt.Chart(point)
        .mark_point(shape="diamond", size=180, filled=True, color=MARK)
        .encode(x="contacted:Q", y="expected_net_value:Q")
    )
    zero = alt.Chart(pd.DataFrame({"y": [0.0]})).mark_rule(color=REFERENCE, strokeDash=[4, 3]).encode(y="y:Q")
    return alt.layer(line, zero, marker).properties(
        title=f"Expected net value by number of customers contacted (◆ best: {best:,})", height=300
    )


def _diagonal(x: str, y: str, limit: float = 1.0) -> alt.Chart:
    line = pd.DataFrame({x: [0.0, limit], y: [0.0, limit]})
    return alt.Chart(line).mark_line(color=REFERENCE, strokeDash=[4, 3]).encode(x=f"{x}:Q", y=f"{y}:Q")

"""Altair charts of a segmentation: the choice of k, sizes, profiles, the PCA map and the RFM grid.

Every chart receives aggregated points or a sample of at most a few thousand customers. Charts
with a discrete vertical axis size it by step (``alt.Step``): Streamlit squeezes them to a
sliver when a fixed pixel height is given.
Categories use the Okabe-Ito palette (colour-blind safe); the profile heatmap uses a diverging
blue-orange scale centred on the all-customers mean.
"""

from __future__ import annotations

from collections.abc import Mapping

import altair as alt
import pandas as pd

from bsc.features import FEATURES, FeatureDef

OKABE_ITO = [
    "#0072B2",
    "#E69F00",
    "#009E73",
    "#CC79A7",
    "#56B4E9",
    "#D55E00",
    "#F0E442",
    "#000000",
    "#999999",
    "#8C6D31",
]
NEUTRAL = "#4C6A8A"
Z_LIMIT = 2.0


def feature_label(feature: str, definitions: Mapping[str, FeatureDef] | None = None) -> str:
    """A feature's name for people: "Recency (days)", or a customers column's header in the file.

    ``definitions`` are the workspace's (:attr:`bsc.features.CustomerFeatures.definitions`):
    they know each customers column's header and which computed feature gave way to one.
    """
    definition = definitions.get(feature) if definitions is not None else FEATURES.get(feature)
    if definition is None:
        return feature.replace("_", " ").capitalize()
    unit = definition.unit
    if not unit or unit in ("money", "0/1") or unit.rstrip("s") in definition.label.lower():
        return definition.label
    return f"{definition.label} ({unit})"


def segment_colours(names: list[str]) -> alt.Scale:
    return alt.Scale(domain=names, range=OKABE_ITO[: len(names)] if len(names) <= len(OKABE_ITO) else None)


def k_choice_chart(k_scores: pd.DataFrame, chosen: int, elbow: int | None) -> alt.HConcatChart:
    """Silhouette (higher is better separated) and inertia (the elbow) for each k tried."""
    data = k_scores.assign(chosen=k_scores["k"] == chosen)
    base = alt.Chart(data).encode(x=alt.X("k:O", title="Number of segments (k)", axis=alt.Axis(labelAngle=0)))
    rule = (
        alt.Chart(pd.DataFrame({"k": [chosen]})).mark_rule(color="#D55E00", strokeDash=[4, 3]).encode(x="k:O")
    )
    silhouette = alt.layer(
        base.mark_line(color=NEUTRAL, point=True).encode(
            y=alt.Y(
                "silhouette:Q", title="Separation (mean silhouette, −1 to 1)", scale=alt.Scale(zero=False)
            ),
            tooltip=[alt.Tooltip("k:O"), alt.Tooltip("silhouette:Q", format=".3f")],
        ),
        rule,
    ).properties(title="Separation by k (higher is better)", height=220)
    layers = [
        base.mark_line(color=NEUTRAL, point=True).encode(
            y=alt.Y("inertia:Q", title="Spread within segments (inertia)", axis=alt.Axis(format="~s")),
            tooltip=[alt.Tooltip("k:O"), alt.Tooltip("inertia:Q", format=",.0f")],
        ),
        rule,
    ]
    if elbow is not None:
        elbow_point = data[data["k"] == elbow]
        layers.append(
            alt.Chart(elbow_point)
            .mark_point(shape="diamond", size=160, filled=True, color="#D55E00")
            .encode(x="k:O", y="inertia:Q", tooltip=[alt.Tooltip("k:O", title="Elbow at k")])
        )
    inertia = alt.layer(*layers).properties(title="Spread within segments by k (the elbow ◆)", height=220)
    return alt.hconcat(silhouette, inertia).resolve_scale(x="independent")


def sizes_chart(sizes: pd.Series) -> alt.Chart:
    """Customers per segment (index: segment name), largest first, with each share."""
    total = float(sizes.sum()) or 1.0
    data = pd.DataFrame(
        {"segment": sizes.index.astype(str), "customers": sizes.to_numpy(), "share": sizes.to_numpy() / total}
    ).sort_values("customers", ascending=False)
    order = data["segment"].tolist()
    bars = (
        alt.Chart(data)
        .mark_bar(color=NEUTRAL)
        .encode(
            x=alt.X("customers:Q", title="Customers"),
            y=alt.Y("segment:N", sort=order, title=None, axis=alt.Axis(labelLimit=220)),
            tooltip=[
                alt.Tooltip("segment:N", title="Segment"),
                alt.Tooltip("customers:Q", title="Customers", format=","),
                alt.Tooltip("share:Q", title="Share", format=".1%"),
            ],
        )
    )
    labels = bars.mark_text(align="left", dx=4, color="#333333").encode(
        text=alt.Text("share:Q", format=".0%")
    )
    return alt.layer(bars, labels).properties(
        title="Segment sizes (customers, share of all)", height=alt.Step(34)
    )


def profile_heatmap(
    z_scores: pd.DataFrame,
    means: pd.DataFrame,
    overall: pd.Series,
    used: tuple[str, ...] = (),
    definitions: Mapping[str, FeatureDef] | None = None,
) -> alt.Chart:
    """Each feature's segment mean against the all-customers mean, as a z-score (colour) and a value (text).

    ``z_scores`` and ``means`` are segment name × feature; ``overall`` is the mean per feature;
    features in ``used`` (those the segments were made from) are marked with a star;
    ``definitions`` name them (see :func:`feature_label`).
    """
    features = list(z_scores.columns)

    def label(feature: str) -> str:
        name = feature_label(feature, definitions)
        return f"★ {name}" if feature in used else name

    rows = []
    for segment in z_scores.index:
        for feature in features:
            z = z_scores.loc[segment, feature]
            rows.append(
                {
                    "segment": str(segment),
                    "feature": label(feature),
                    "z": None if pd.isna(z) else float(z),
                    "shown": None if pd.isna(z) else max(-Z_LIMIT, min(Z_LIMIT, float(z))),
                    "mean": means.loc[segment, feature],
                    "overall": overall[feature],
                    "text": _short_number(means.loc[segment, feature]),
                }
            )
    data = pd.DataFrame(rows)
    labels = [label(f) for f in features]
    base = alt.Chart(data).encode(
        x=alt.X(
            "segment:N",
            sort=[str(s) for s in z_scores.index],
            title=None,
            axis=alt.Axis(
                orient="top", labelAngle=0 if len(z_scores) <= 6 else -35, labelLimit=180, labelOverlap=False
            ),
        ),
        y=alt.Y("feature:N", sort=labels, title=None, axis=alt.Axis(labelLimit=200)),
    )
    cells = base.mark_rect(stroke="white").encode(
        color=alt.Color(
            "shown:Q",
            title="z-score vs all",
            scale=alt.Scale(scheme="blueorange", domain=[-Z_LIMIT, Z_LIMIT]),
            legend=alt.Legend(orient="right", gradientLength=160, values=[-2, -1, 0, 1, 2]),
        ),
        tooltip=[
            alt.Tooltip("segment:N", title="Segment"),
            alt.Tooltip("feature:N", title="Feature"),
            alt.Tooltip("mean:Q", title="Segment mean", format=",.2f"),
            alt.Tooltip("overall:Q", title="All customers", format=",.2f"),
            alt.Tooltip("z:Q", title="z-score", format="+.2f"),
        ],
    )
    text = base.mark_text(fontSize=12).encode(
        text="text:N",
        color=alt.condition(f"abs(datum.shown) > {Z_LIMIT * 0.6}", alt.value("white"), alt.value("#222222")),
    )
    return alt.layer(cells, text).properties(
        title="Segment profiles: each feature's segment mean, coloured by its distance from all customers (z-score)",
        height=alt.Step(30),
    )


def projection_chart(points: pd.DataFrame, explained: tuple[float, float], names: list[str]) -> alt.Chart:
    """Sampled customers on two principal components, coloured by segment name (``segment`` column)."""
    return (
        alt.Chart(points)
        .mark_circle(size=18, opacity=0.55)
        .encode(
            x=alt.X("pc1:Q", title=f"Principal component 1 ({explained[0]:.0%} of variance)"),
            y=alt.Y("pc2:Q", title=f"Principal component 2 ({explained[1]:.0%} of variance)"),
            color=alt.Color(
                "segment:N", title="Segment", scale=segment_colours(names), legend=alt.Legend(orient="bottom")
            ),
            tooltip=[alt.Tooltip("segment:N", title="Segment")],
        )
        .properties(title=f"Customers on a 2-D map of the features (sample of {len(points):,})", height=380)
    )


def rfm_grid_chart(grid: pd.DataFrame) -> alt.Chart:
    """Customers per (R, F) score pair with the segment each pair falls in.

    ``grid`` has columns ``r``, ``f``, ``customers``, ``segment`` (one row per pair).
    """
    data = grid.assign(label=grid["segment"].astype(str) + "\n" + grid["customers"].map("{:,}".format))
    base = alt.Chart(data).encode(
        x=alt.X(
            "r:O", title="Recency score R (5 = most recent)", sort="ascending", axis=alt.Axis(labelAngle=0)
        ),
        y=alt.Y("f:O", title="Frequency score F (5 = most orders)", sort="descending"),
    )
    cells = base.mark_rect(stroke="white").encode(
        color=alt.Color("customers:Q", title="Customers", scale=alt.Scale(scheme="greys")),
        tooltip=[
            alt.Tooltip("r:O", title="R"),
            alt.Tooltip("f:O", title="F"),
            alt.Tooltip("segment:N", title="Segment"),
            alt.Tooltip("customers:Q", title="Customers", format=","),
        ],
    )
    high = float(grid["customers"].max() or 1)
    text = base.mark_text(fontSize=11, lineBreak="\n").encode(
        text="label:N",
        color=alt.condition(f"datum.customers > {high * 0.55}", alt.value("white"), alt.value("#222222")),
    )
    return alt.layer(cells, text).properties(
        title="RFM grid: customers per recency and frequency score", height=alt.Step(64)
    )


def _short_number(value: float) -> str:
    if pd.isna(value):
        return "—"
    magnitude = abs(value)
    if magnitude >= 10_000:
        return f"{value / 1000:,.0f}k"
    if magnitude >= 100:
        return f"{value:,.0f}"
    if magnitude >= 10:
        return f"{value:.1f}"
    return f"{value:.2f}"

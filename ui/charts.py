"""Altair charts for KPIs: trends with confidence bands, segments side by side, the cohort heatmap.

Charts receive aggregated points only (periods × segments), never raw rows.
"""

from __future__ import annotations

from collections.abc import Sequence

import altair as alt
import pandas as pd

from bsc.columns import column_label
from bsc.kpis import KpiDef, whole_periods
from bsc.notes import first_words
from bsc.periods import label_starts
from bsc.targets import STATUS_COLOURS

ALL_CUSTOMERS = "All customers"


def trend_chart(
    definition: KpiDef,
    rows: pd.DataFrame,
    paths: pd.DataFrame | None = None,
    *,
    segment: str | None = None,
    others: Sequence[str] = (),
    by_label: str | None = None,
    height: int = 320,
    currency: str | None = None,
    notes: pd.DataFrame | None = None,
) -> alt.Chart:
    """The KPI over time: all customers in black, the chosen ``segment`` highlighted (a thick
    line) and the ``others`` segments asked for (thin lines); no other segment is drawn, so
    that the chart holds a handful of lines at most.

    With neither ``segment`` nor ``others``, only all customers is drawn. The 95% bands are
    drawn when at most two lines are shown (more would hide each other). A period the data
    covers only in part (``complete`` false) is a hollow point off the line, so that a month
    "to date" never reads as a fall; a value the data cannot know is not drawn. ``paths`` (from
    :func:`bsc.targets.trajectories`) adds the shown series' target lines, dashed, with the
    amber band between the green and amber limits, up to the due period; each target line is
    labelled with its segment, the split named ``by_label`` (the header in the user's file) when
    given, else the attribute's name in words. Money is titled with the workspace's ``currency``.
    ``notes`` (``period, segment, words, by``: see :func:`note_marks`) adds a dotted rule at
    each noted period with a marker on top whose tooltip gives the note's first words.
    """
    data = rows[rows["period"] != "all"].copy()
    shown = {*others, *([segment] if segment is not None else [])}
    data = data[data["segment"].isna() | data["segment"].isin(shown)]
    if paths is not None:
        paths = paths[paths["segment"].isna() | paths["segment"].isin(shown)]
    data["start"] = label_starts(data["period"])
    data["segment"] = data["segment"].astype(object).where(data["segment"].notna(), ALL_CUSTOMERS)
    whole = whole_periods(data)
    data["coverage"] = whole.map({True: "whole period", False: "to date (part of the period)"})
    data = data[["start", "period", "segment", "value", "ci_low", "ci_high", "n", "coverage"]]
    y_title = f"{definition.name} ({definition.unit_title(currency)})"
    segments = [ALL_CUSTOMERS, *sorted(s for s in data["segment"].unique() if s != ALL_CUSTOMERS)]
    palette = ["#222222", "#0072B2", "#E69F00", "#009E73", "#CC79A7", "#56B4E9", "#D55E00", "#F0E442"]
    colour = alt.Color(
        "segment:N",
        title=None,
        scale=alt.Scale(domain=segments, range=palette[: len(segments)] if len(segments) <= 8 else None),
        # A bottom legend squashes a stretched chart; on the right it does not.
        legend=alt.Legend(orient="right") if len(segments) > 1 else None,
    )
    x = alt.X("start:T", title="Period", axis=alt.Axis(format="%b %Y"))
    y = alt.Y("value:Q", title=y_title, scale=alt.Scale(zero=False))
    tooltip = [
        alt.Tooltip("period:N", title="Period"),
        alt.Tooltip("segment:N", title="Segment"),
        alt.Tooltip("value:Q", title=definition.name, format=",.2f"),
        alt.Tooltip("ci_low:Q", title="95% low", format=",.2f"),
        alt.Tooltip("ci_high:Q", title="95% high", format=",.2f"),
        alt.Tooltip("n:Q", title="n", format=","),
        alt.Tooltip("coverage:N", title="Data"),
    ]
    complete = data[whole.to_numpy()]
    # The chosen segment and all customers stand out; segments asked for beside them are thinner.
    main = {ALL_CUSTOMERS, segment}
    width = alt.condition(
        alt.FieldOneOfPredicate(field="segment", oneOf=[s for s in main if s is not None]),
        alt.value(3),
        alt.value(1.5),
    )
    line = (
        alt.Chart(complete)
        .mark_line(point=alt.OverlayMarkDef(size=25))
        .encode(x=x, y=y, color=colour, strokeWidth=width, tooltip=tooltip)
    )
    layers = [line]
    if (~whole).any():
        partial = (
            alt.Chart(data[~whole.to_numpy()])
            .mark_point(filled=False, size=70, strokeWidth=2)
            .encode(x=x, y=y, color=colour, tooltip=tooltip)
        )
        layers.append(partial)
    if complete["ci_low"].notna().any() and len(segments) <= 2:
        band = (
            alt.Chart(complete)
            .mark_area(opacity=0.15)
            .encode(x=x, y="ci_low:Q", y2="ci_high:Q", color=colour)
        )
        layers.insert(0, band)
    if paths is not None and len(paths):
        layers = [*_target_layers(paths, by_label), *layers]
    if notes is not None and len(notes):
        shown_notes = notes[notes["segment"].isna() | notes["segment"].isin(shown)]
        if len(shown_notes):
            layers.extend(_note_layers(shown_notes))
    return alt.layer(*layers).properties(title=f"{definition.name} per period", height=height)


def segment_bar_chart(
    definition: KpiDef,
    comparison: pd.DataFrame,
    by_label: str,
    *,
    height: int = 280,
    currency: str | None = None,
) -> alt.Chart:
    """One KPI by segment for one period (rows of :func:`bsc.kpis.compare.compare_segments`).

    A bar per segment, coloured only where the difference from the rest of the customers is
    real (green better, vermillion worse, grey otherwise), and a black rule at the value of all
    customers. The tooltip gives each bar's n and its verdict.
    """
    data = comparison[["segment", "value", "n", "difference", "verdict", "period"]].copy()
    all_value = float(comparison["all_value"].iloc[0])
    data["shown"] = [definition.format_value(v, currency=currency) for v in data["value"]]
    period = str(comparison["period"].iloc[0])
    when = "all time" if period == "all" else period
    verdict_colours = alt.Scale(
        domain=["better", "worse", "within noise", "not tested"],
        range=[STATUS_COLOURS["green"], STATUS_COLOURS["red"], "#9E9E9E", "#BDBDBD"],
    )
    x_title = f"{definition.name} ({definition.unit_title(currency)})"
    bars = (
        alt.Chart(data)
        .mark_bar()
        .encode(
            y=alt.Y("segment:N", title=by_label, sort=None, axis=alt.Axis(labelLimit=220)),
            x=alt.X("value:Q", title=x_title),
            color=alt.Color(
                "verdict:N",
                title="Against the rest",
                scale=verdict_colours,
                legend=alt.Legend(orient="bottom"),
            ),
            tooltip=[
                alt.Tooltip("segment:N", title=by_label),
                alt.Tooltip("shown:N", title=definition.name),
                alt.Tooltip("n:Q", title="n", format=","),
                alt.Tooltip("verdict:N", title="Against the rest"),
            ],
        )
    )
    rule_data = pd.DataFrame(
        {
            "value": [all_value],
            "who": [f"{ALL_CUSTOMERS}: {definition.format_value(all_value, currency=currency)}"],
        }
    )
    rule = (
        alt.Chart(rule_data)
        .mark_rule(color="#222222", strokeWidth=2, strokeDash=[5, 3])
        .encode(x="value:Q", tooltip=alt.Tooltip("who:N", title="Rule"))
    )
    return alt.layer(bars, rule).properties(
        title=f"{definition.name} by {by_label}, {when} (dashed: all customers)",
        # Streamlit fits title, axes and legend inside the height: room for them, then ~45 px a bar.
        height=max(height, 150 + 45 * len(data)),
    )


def cohort_heatmap(cohorts: pd.DataFrame, *, max_months: int = 24) -> alt.Chart:
    """Share of each monthly cohort ordering again k months after its first order."""
    data = cohorts[(cohorts["months_since_first"] > 0) & (cohorts["months_since_first"] <= max_months)]
    return (
        alt.Chart(data)
        .mark_rect()
        .encode(
            x=alt.X("months_since_first:O", title="Months since first order"),
            y=alt.Y("cohort:O", title="Cohort (month of first order)"),
            color=alt.Color(
                "retention:Q", title="Ordering again (%)", scale=alt.Scale(scheme="blues", domainMin=0)
            ),
            tooltip=[
                alt.Tooltip("cohort:O", title="Cohort"),
                alt.Tooltip("months_since_first:O", title="Months since first order"),
                alt.Tooltip("retention:Q", title="Ordering again (%)", format=".1f"),
                alt.Tooltip("customers:Q", title="Customers"),
                alt.Tooltip("cohort_size:Q", title="Cohort size"),
            ],
        )
        .properties(title="Cohort retention: share of each cohort ordering again", height=420)
    )


def note_marks(notes: pd.DataFrame) -> pd.DataFrame:
    """One mark per noted period and segment from :func:`bsc.notes.notes_frame` rows: the
    latest note's first words, and how many notes the period has."""
    columns = ["period", "segment", "words", "by", "count"]
    if notes.empty:
        return pd.DataFrame(columns=columns)
    rows = []
    keyed = notes.assign(segment=notes["segment"].fillna(""))
    for (period, segment), group in keyed.groupby(["Period", "segment"], sort=False):
        latest = group.iloc[0]  # notes_frame lists the newest first within a period
        rows.append(
            {
                "period": period,
                "segment": segment or None,
                "words": first_words(str(latest["Note"]), 10),
                "by": str(latest["By"]),
                "count": len(group),
            }
        )
    return pd.DataFrame(rows, columns=columns)


def _note_layers(marks: pd.DataFrame) -> list[alt.Chart]:
    """A dotted rule at each noted period and a marker along the chart's top with the note's
    first words in its tooltip (undated "all" notes have no place on a time axis)."""
    data = marks[marks["period"] != "all"].copy()
    if data.empty:
        return []
    data["start"] = label_starts(data["period"])
    data["segment"] = data["segment"].astype(object).where(data["segment"].notna(), ALL_CUSTOMERS)
    tooltip = [
        alt.Tooltip("period:N", title="Note on"),
        alt.Tooltip("segment:N", title="For"),
        alt.Tooltip("words:N", title="Note"),
        alt.Tooltip("by:N", title="By"),
        alt.Tooltip("count:Q", title="Notes in this period"),
    ]
    base = alt.Chart(data).encode(x=alt.X("start:T"), tooltip=tooltip)
    rule = base.mark_rule(color="#555555", strokeDash=[2, 3], strokeWidth=1.5)
    # y = 0 in pixels: the top edge of the plot, where no line or band hides the marker.
    marker = base.mark_point(shape="triangle-down", size=140, filled=True, color="#555555").encode(
        y=alt.value(0)
    )
    return [rule, marker]


def _target_layers(paths: pd.DataFrame, by_label: str | None = None) -> list[alt.Chart]:
    """Target lines (dashed) and their amber bands, one per target; a segment's line is labelled
    "target · Contract: Two year", with ``by_label`` as the split's name when given."""
    data = paths.copy()
    data["start"] = label_starts(data["period"])
    data["who"] = [
        ALL_CUSTOMERS if pd.isna(segment) else f"{by_label or column_label(str(by))}: {segment}"
        for by, segment in zip(data["segment_by"], data["segment"], strict=True)
    ]
    data = data[["start", "period", "who", "target", "green_limit", "amber_limit", "target_id"]]
    base = alt.Chart(data).encode(x="start:T")
    band = base.mark_area(opacity=0.18, color=STATUS_COLOURS["amber"]).encode(
        y="amber_limit:Q", y2="green_limit:Q", detail="target_id:N"
    )
    target = base.mark_line(strokeDash=[6, 4], color="#222222", strokeWidth=2).encode(
        y="target:Q",
        detail="target_id:N",
        tooltip=[
            alt.Tooltip("period:N", title="Period"),
            alt.Tooltip("who:N", title="Target for"),
            alt.Tooltip("target:Q", title="Target", format=",.2f"),
            alt.Tooltip("green_limit:Q", title="On track from", format=",.2f"),
            alt.Tooltip("amber_limit:Q", title="At risk from", format=",.2f"),
        ],
    )
    # Each line says whose target it is, at its last (due) period: "target · Region: North".
    ends = data.sort_values("start").groupby("target_id", sort=False).tail(1)
    ends = ends.assign(caption="target · " + ends["who"].where(ends["who"] != ALL_CUSTOMERS, "all customers"))
    label = (
        alt.Chart(ends)
        .mark_text(align="right", baseline="bottom", dx=-2, dy=-6, fontSize=12, color="#222222")
        .encode(x="start:T", y="target:Q", text="caption:N")
    )
    return [band, target, label]

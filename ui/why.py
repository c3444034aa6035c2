"""The parts of the Why page: key drivers (quadrant, bars with intervals, table) and comment themes.

Colour means status only: a driver within noise is grey, the others blue; a theme's NPS effect is
green or red only when its interval leaves zero. Comments are data: shown with ``st.text``, never
as Markdown or HTML.
"""

from __future__ import annotations

from collections.abc import Mapping

import altair as alt
import pandas as pd
import streamlit as st

from bsc.drivers import DriverAnalysis
from bsc.errors import InputError
from bsc.store import Store
from bsc.themes import ThemeAnalysis
from bsc.themes.labels import ThemeLabel, save_theme_label, theme_labels
from ui.author import current_author
from ui.context import show_input_error
from ui.text import literal

__all__ = ["driver_charts", "drivers_table", "segment_drivers_table", "themes_section"]

REAL = "#0072B2"
NOISE = "#9E9E9E"
QUADRANTS = {
    ("high", "low"): "Fix first",
    ("high", "high"): "Keep it up",
    ("low", "low"): "Lower priority",
    ("low", "high"): "Possibly overdone",
}


def _driver_rows(analysis: DriverAnalysis) -> pd.DataFrame:
    scale = 100.0
    return pd.DataFrame(
        {
            "Driver": [d.label for d in analysis.drivers],
            "importance": [d.importance * scale for d in analysis.drivers],
            "low": [d.ci_low * scale for d in analysis.drivers],
            "high": [d.ci_high * scale for d in analysis.drivers],
            "share": [d.share for d in analysis.drivers],
            "performance": [d.performance for d in analysis.drivers],
            "status": ["within noise" if d.within_noise else "real driver" for d in analysis.drivers],
        }
    )


def driver_charts(analysis: DriverAnalysis) -> None:
    """The importance × performance quadrant (ratings only) beside every driver's importance bar."""
    rows = _driver_rows(analysis)
    unit = "points of R²" if analysis.target != "churn" else "points of pseudo-R²"
    colour = alt.Color(
        "status:N",
        title=None,
        scale=alt.Scale(domain=["real driver", "within noise"], range=[REAL, NOISE]),
        legend=alt.Legend(orient="bottom"),
    )
    left, right = st.columns(2)
    rated = rows[rows["performance"].notna()]
    with left:
        if len(rated):
            st.altair_chart(_quadrant(rated, colour, unit), width="stretch", height=380)
        else:
            st.caption("No ratings among the drivers: the quadrant needs a performance (a rating's mean).")
    with right:
        bars = (
            alt.Chart(rows)
            .mark_bar()
            .encode(
                y=alt.Y("Driver:N", sort=None, title=None, axis=alt.Axis(labelLimit=220)),
                x=alt.X("importance:Q", title=f"Importance ({unit})"),
                color=colour,
                tooltip=[
                    "Driver",
                    alt.Tooltip("importance:Q", format=".2f"),
                    alt.Tooltip("low:Q", title="95% low", format=".2f"),
                    alt.Tooltip("high:Q", title="95% high", format=".2f"),
                    "status",
                ],
            )
        )
        whiskers = (
            alt.Chart(rows)
            .mark_rule(color="#222222")
            .encode(y=alt.Y("Driver:N", sort=None), x="low:Q", x2="high:Q")
        )
        st.altair_chart(
            (bars + whiskers).properties(title="Importance of every driver, with its 95% interval"),
            width="stretch",
            height=max(380, 34 * len(rows) + 80),
        )


def _quadrant(rated: pd.DataFrame, colour: alt.Color, unit: str) -> alt.LayerChart:
    mid_x = float(rated["performance"].mean())
    mid_y = float(rated["importance"].mean())
    top = float(max(rated["high"].max(), 1e-9)) * 1.1
    labels = pd.DataFrame(
        {
            "performance": [2.0, 98.0, 2.0, 98.0],
            "importance": [top, top, -0.1 * top, -0.1 * top],
            "text": ["Fix first", "Keep it up", "Lower priority", "Possibly overdone"],
            "align": ["left", "right", "left", "right"],
        }
    )
    base = alt.Chart(rated)
    points = base.mark_circle(size=140, opacity=0.9).encode(
        x=alt.X(
            "performance:Q",
            title="Performance (mean rating, 0 = lowest to 100 = highest)",
            scale=alt.Scale(domain=[0, 100]),
        ),
        y=alt.Y("importance:Q", title=f"Importance ({unit})", scale=alt.Scale(domain=[-0.12 * top, top])),
        color=colour,
        tooltip=[
            "Driver",
            alt.Tooltip("performance:Q", format=".0f"),
            alt.Tooltip("importance:Q", format=".2f"),
            "status",
        ],
    )
    errors = base.mark_rule().encode(x="performance:Q", y="low:Q", y2="high:Q", color=colour)
    names = base.mark_text(align="left", dx=8, dy=-8, fontSize=12).encode(
        x="performance:Q", y="importance:Q", text="Driver:N"
    )
    rules = alt.Chart(pd.DataFrame({"x": [mid_x]})).mark_rule(strokeDash=[4, 4], color="#666666").encode(
        x="x:Q"
    ) + alt.Chart(pd.DataFrame({"y": [mid_y]})).mark_rule(strokeDash=[4, 4], color="#666666").encode(y="y:Q")
    corners = []
    for align in ("left", "right"):
        part = labels[labels["align"] == align]
        corners.append(
            alt.Chart(part)
            .mark_text(align=align, baseline="middle", fontSize=13, fontWeight="bold", color="#444444")
            .encode(x="performance:Q", y="importance:Q", text="text:N")
        )
    return (rules + errors + points + names + corners[0] + corners[1]).properties(
        title="Fix first what matters most and scores worst", height=max(260, 30 * len(rated))
    )


def drivers_table(analysis: DriverAnalysis) -> None:
    rows = _driver_rows(analysis)
    table = pd.DataFrame(
        {
            "Driver": rows["Driver"],
            "Importance": rows["importance"].map("{:.2f}".format),
            "95% interval": [
                f"{low:.2f} to {high:.2f}" for low, high in zip(rows["low"], rows["high"], strict=True)
            ],
            "Share of what is explained": rows["share"].map("{:.0%}".format),
            "Performance (0–100)": rows["performance"].map(lambda v: "—" if pd.isna(v) else f"{v:.0f}"),
            "Reading": rows["status"],
        }
    )
    st.dataframe(table, hide_index=True, width="stretch")


def segment_drivers_table(analyses: list[DriverAnalysis], by_label: str) -> None:
    """The three largest drivers in each segment, marked when within noise."""
    lines = []
    for analysis in analyses:
        top = [
            f"{d.label} {d.importance * 100:.1f}" + (" (noise)" if d.within_noise else "")
            for d in analysis.drivers[:3]
        ]
        lines.append(
            {
                by_label: analysis.segment,
                "Rows": analysis.rows_used,
                "Explained": f"{analysis.r2:.0%}",
                "Top drivers (importance in points)": " · ".join(top),
            }
        )
    st.dataframe(pd.DataFrame(lines), hide_index=True, width="stretch")


def _shown_label(theme_key: str, default: str, labels: Mapping[str, ThemeLabel]) -> str:
    kept = labels.get(theme_key)
    return kept.label if kept is not None else default


def themes_section(analysis: ThemeAnalysis, store: Store, workspace_id: str, *, read_only: bool) -> None:
    """The themes: a table of shares and NPS effects, the share per month, names to edit, examples."""
    labels = theme_labels(store, workspace_id)
    names = {t.key: _shown_label(t.key, t.label, labels) for t in analysis.themes}
    change_words = (
        f"{analysis.after_periods} against {analysis.before_periods}" if analysis.after_periods else ""
    )
    table = pd.DataFrame(
        {
            "Theme": [names[t.key] for t in analysis.themes],
            "Share of comments": [f"{t.share:.1%}" for t in analysis.themes],
            "Lately": [
                ("—" if pd.isna(t.share_before) else f"{t.share_before:.1%} → {t.share_after:.1%}")
                + (" · real change" if t.change_real else "")
                for t in analysis.themes
            ],
            "NPS effect (points of 0–10)": [
                "—" if pd.isna(t.nps_effect) else f"{t.nps_effect:+.2f} ({t.ci_low:+.2f} to {t.ci_high:+.2f})"
                for t in analysis.themes
            ],
        }
    )
    st.dataframe(table, hide_index=True, width="stretch")
    st.caption(
        f"{analysis.comments:,} comments in {analysis.answers:,} answers ({analysis.language} stop words). "
        "Share: comments mostly about the theme ÷ all comments. NPS effect: the mean 0–10 answer of those "
        "who wrote about it minus that of every other answer, with a 95% interval; an interval that "
        "includes 0 is within noise. "
        + (
            f"Lately: {change_words}, marked when the two-proportion test finds a real change at 5%."
            if change_words
            else ""
        )
    )
    if len(analysis.trend):
        trend = analysis.trend.assign(
            theme=analysis.trend["key"].map(names), share=analysis.trend["share"] * 100
        )
        order = [names[t.key] for t in analysis.themes]
        st.altair_chart(
            alt.Chart(trend)
            .mark_line(point=alt.OverlayMarkDef(size=18), color=REAL)
            .encode(
                x=alt.X("period:O", title=None, axis=alt.Axis(labelAngle=-90, labelFontSize=9)),
                y=alt.Y("share:Q", title="%"),
                tooltip=["theme", "period", alt.Tooltip("share:Q", format=".1f"), "comments", "total"],
            )
            .properties(width=215, height=110)
            .facet(
                facet=alt.Facet(
                    "theme:N", sort=order, title=None, header=alt.Header(labelFontSize=12, labelLimit=250)
                ),
                columns=3,
            )
            .properties(title="Share of comments per theme, month by month"),
        )
    st.subheader("Examples and names", anchor=False)
    for theme in analysis.themes:
        with st.expander(f"{literal(names[theme.key])} · {theme.share:.1%} of comments"):
            st.caption(literal("Top words: " + ", ".join(theme.top_words)))
            for example in theme.examples:
                st.text(example)
            _rename_form(store, workspace_id, theme.key, names[theme.key], labels.get(theme.key), read_only)


def _rename_form(
    store: Store, workspace_id: str, key: str, shown: str, kept: ThemeLabel | None, read_only: bool
) -> None:
    form_key = f"theme_name_{abs(hash(key)) % 10**10}"
    with st.form(form_key, border=False):
        typed = st.text_input(
            "Name this theme",
            value=kept.label if kept is not None else "",
            placeholder=shown,
            max_chars=80,
            disabled=read_only,
            help="Kept with the workspace for everyone; leave empty to go back to the top words.",
        )
        if st.form_submit_button("Save name", disabled=read_only):
            try:
                save_theme_label(
                    store,
                    workspace_id,
                    key,
                    typed,
                    expected_version=kept.version if kept is not None else 0,
                    author=current_author(),
                )
            except InputError as error:
                show_input_error(error)
            else:
                st.rerun()

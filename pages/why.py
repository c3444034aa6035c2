"""Why: what drives NPS, CSAT and churn, and what customers write about, with honest intervals."""

import streamlit as st

from bsc.drivers import (
    MAX_CUSTOMERS,
    MAX_ROWS,
    RESAMPLES,
    TARGETS,
    driver_data,
    drivers_by_segment,
    key_drivers,
)
from bsc.errors import InputError
from bsc.themes import DEFAULT_THEMES, MAX_THEMES, comments_frame, find_themes
from ui.context import page_setup, show_input_error
from ui.empty_workspace import stop_if_no_tables
from ui.filters import sidebar_filters
from ui.slow_extras import kept
from ui.text import literal
from ui.why import driver_charts, drivers_table, segment_drivers_table, themes_section

ctx = page_setup("Why")
filters = sidebar_filters(ctx.store, ctx.workspace)
tables = ctx.store.workspace_tables(ctx.workspace.id)
fingerprint = ctx.store.workspace_fingerprint(ctx.workspace.id)
stop_if_no_tables(tables)

st.header("Key drivers", divider="gray")
targets = list(TARGETS)
asked = st.query_params.get("target")
target = st.segmented_control(
    "Explain",
    targets,
    default=asked if asked in targets else "nps",
    format_func=lambda t: {"nps": "NPS", "csat": "CSAT", "churn": "Churn"}[t],
    key="why_target",
)
target = target or "nps"


def _drivers(target: str):
    data = driver_data(tables, target)
    return key_drivers(data.frame, target, data.features)


try:
    with st.spinner("Weighing the drivers…"):
        analysis = kept("drivers", fingerprint, (target,), lambda: _drivers(target))
except InputError as error:
    show_input_error(error)
else:
    left, middle, right = st.columns(3)
    left.metric(
        "Explained",
        f"{analysis.r2:.0%}",
        help=f"{analysis.measure} of the model with every driver: "
        f"95% interval {analysis.r2_low:.0%} to {analysis.r2_high:.0%}.",
    )
    middle.metric(
        "Rows used", f"{analysis.rows_used:,}", help=f"Of {analysis.rows:,} rows with a {TARGETS[target]}."
    )
    real = [d for d in analysis.drivers if not d.within_noise]
    right.metric(
        "Top driver", real[0].label if real else "none clear", help="The largest driver not within noise."
    )
    driver_charts(analysis)
    st.caption(
        f"Importance: each driver's share of the {analysis.measure} (general dominance, the Shapley "
        "decomposition: the average gain from adding it, over every order of adding the drivers; they add "
        f"up to what the model explains), in points. Whiskers: 95% bootstrap interval ({RESAMPLES} "
        f"resamples, at most {MAX_ROWS if target != 'churn' else MAX_CUSTOMERS:,} rows). Grey: within "
        "noise, the interval reaches down to what a driver without any effect would get. Performance: a "
        "rating's mean on its scale, 0 = lowest answer, 100 = highest; only ratings have one. The dashed "
        "lines are the drivers' averages."
    )
    drivers_table(analysis)
    for note in analysis.notes:
        st.caption(literal(note))
    if analysis.left_out:
        st.caption(literal("Left out (they explain least on their own): " + ", ".join(analysis.left_out)))
    if filters.by is not None:
        st.subheader(f"By {filters.by_label}", anchor=False)

        def _by_segment():
            data = driver_data(tables, target)
            return drivers_by_segment(data.frame, target, data.features, filters.by)

        try:
            with st.spinner("Weighing the drivers in each segment…"):
                segments = kept("drivers_by_segment", fingerprint, (target, filters.by), _by_segment)
        except InputError as error:
            show_input_error(error)
        else:
            if segments:
                segment_drivers_table(segments, filters.by_label or filters.by)
            else:
                st.caption("No segment has enough rows to weigh its drivers.")

st.header("What customers write about", divider="gray")
count = st.columns(4)[0].number_input(
    "Themes",
    min_value=2,
    max_value=MAX_THEMES,
    value=DEFAULT_THEMES,
    step=1,
    key="why_theme_count",
    help="How many themes to find in the comments.",
)
try:
    with st.spinner("Reading the comments…"):
        themes = kept(
            "themes",
            fingerprint,
            (int(count),),
            lambda: find_themes(comments_frame(tables), themes=int(count)),
        )
except InputError as error:
    show_input_error(error)
else:
    themes_section(themes, ctx.store, ctx.workspace.id, read_only=ctx.read_only)

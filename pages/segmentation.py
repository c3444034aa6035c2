"""Segmentation: k-means or RFM segments of the customers, their profiles and KPIs, saved for the Scorecard."""

import hashlib

import pandas as pd
import streamlit as st

from bsc.cache_keys import cache_key
from bsc.errors import InputError
from bsc.kpis import KPIS
from bsc.schema import ASSIGNMENTS
from bsc.segmentation import (
    DEFAULT_FEATURES,
    SCALINGS,
    TRANSFORMS,
    Profiles,
    RfmBreaks,
    SegmentKpis,
    default_rfm_segments,
    default_transforms,
    name_rfm_segments,
    rfm_breaks,
    rfm_scores,
    segment_kpis,
    segment_profiles,
)
from bsc.segmentation.kmeans_result import KmeansSegments, params_text, segment_customers
from ui.context import page_setup, show_input_error, show_read_only_notice
from ui.customer_features import workspace_features
from ui.empty_workspace import stop_if_no_tables
from ui.filters import sidebar_filters
from ui.saved_segmentations import save_panel, saved_list
from ui.segment_charts import (
    feature_label,
    k_choice_chart,
    profile_heatmap,
    projection_chart,
    rfm_grid_chart,
    sizes_chart,
)
from ui.slow_extras import Unavailable, fitted, job, latest_params, pending_note, refresh_when_ready
from ui.text import literal

METHODS = {"kmeans": "k-means clustering", "rfm": "RFM scores"}
K_CHOICES = ["auto", *range(2, 11)]
SCALING_LABELS = {"standard": "Standard (mean 0, sd 1)", "robust": "Robust (median 0, IQR 1)"}
# Non-widget keys: they keep the last settings across reruns and page switches.
SETTINGS = "segmentation_settings"
RFM_RESET = "rfm_editor_generation"
# The name of k-means segmentations among the results kept with the workspace's data.
KMEANS = "kmeans_segments"

ctx = page_setup("Segmentation")
filters = sidebar_filters(ctx.store, ctx.workspace)
show_read_only_notice(
    ctx,
    "customers can be segmented, the segments checked and their assignments downloaded, but no "
    "segmentation can be saved, renamed or deleted.",
)
all_tables = ctx.store.workspace_tables(ctx.workspace.id)
tables = {kind: paths for kind, paths in all_tables.items() if kind != ASSIGNMENTS}
fingerprint = ctx.store.workspace_fingerprint(ctx.workspace.id)


@st.cache_data(max_entries=32, show_spinner=False)
def _named_view(
    fingerprint: str, fit_key: str, names: tuple[str, ...], _frame: pd.DataFrame, _segments: pd.Series
) -> tuple[Profiles, pd.Series, str]:
    """The profiles, sizes and content key of one fit's named segments, computed once for every
    session: the sidebar's clicks rerun the page, and at a million customers these took most of
    the run. ``fit_key`` and ``names`` say which fit and names ``_segments`` are."""
    return segment_profiles(_frame, _segments), _segments.value_counts(), _segments_key(_segments)


# Shared by every session and never changed by the page, as the features are.
@st.cache_resource(max_entries=8, show_spinner=False)
def _named_segments(
    fingerprint: str, fit_key: str, names: tuple[str, ...], _model: KmeansSegments, _index: pd.Index
) -> pd.Series:
    """Each customer's segment name (``names`` in segment order); ``fit_key`` says which fit
    ``_model`` is."""
    return _model.customer_segments(dict(enumerate(names)), _index)


@st.cache_data(max_entries=8, show_spinner=False)
def _overall_means(fingerprint: str, _frame: pd.DataFrame) -> pd.Series:
    """The mean of each feature over all customers."""
    return _frame.mean()


@st.cache_data(max_entries=32, show_spinner=False)
def _segment_kpis(fingerprint: str, segments_key: str, _tables: dict, _segments: pd.Series) -> SegmentKpis:
    return segment_kpis(_tables, _segments)


def _segments_key(segments: pd.Series) -> str:
    return cache_key(segments)


stop_if_no_tables(tables)

try:
    with st.spinner("Computing per-customer features…"):
        features = workspace_features(fingerprint, tables)
except InputError as error:
    show_input_error(error)
    st.stop()

frame = features.frame
end = (
    f"data up to {features.data_end - pd.Timedelta(days=1):%Y-%m-%d}" if features.data_end is not None else ""
)
st.caption(
    f"{literal(ctx.workspace.name)} · {len(frame):,} customers · {len(frame.columns)} features · {end}. "
    "Group customers into segments, check that they make sense, name them and save them: "
    "the Scorecard can then be split by them."
)

method = st.segmented_control(
    "Method", list(METHODS), default="kmeans", format_func=METHODS.__getitem__, key="segmentation_method"
)
method = method or "kmeans"


# --------------------------------------------------------------------------------------------
# Shared result parts
# --------------------------------------------------------------------------------------------


def _profile_section(profiles: Profiles, overall: pd.Series, used: list[str]) -> None:
    st.altair_chart(sizes_chart(profiles.sizes), width="stretch")
    st.altair_chart(
        profile_heatmap(profiles.z_scores, profiles.means, overall, tuple(used), features.definitions),
        width="stretch",
    )
    st.caption(
        "★ the segments were made from these features; the others are shown for comparison. Orange = above the "
        "mean of all customers, blue = below (in standard deviations); the number is the segment's mean."
    )


def _kpi_section(
    segments: pd.Series, order: list[str], key: str | None = None, counts: pd.Series | None = None
) -> None:
    st.subheader("Customer KPIs per segment", anchor=False)
    try:
        with st.spinner("Computing the KPIs per segment…"):
            key = _segments_key(segments) if key is None else key
            result = _segment_kpis(fingerprint, key, tables, segments)
    except InputError as error:
        show_input_error(error)
        return
    if result.values.empty or not len(result.values.columns):
        st.info("None of NPS, churn rate, revenue per customer or CLV can be computed from this workspace.")
    else:
        rows = result.values.index
        shown = pd.DataFrame(
            index=[label for label in ("All customers", *order) if label in rows]
            + [label for label in rows if label not in order and label != "All customers"]
        )
        for kpi in result.values.columns:
            definition = KPIS[kpi]
            title = f"{definition.short_name} (year {result.periods[kpi]})"
            shown[title] = [
                definition.format_value(v, currency=ctx.workspace.currency)
                for v in result.values[kpi].reindex(shown.index)
            ]
        counts = segments.value_counts() if counts is None else counts
        shown["Customers"] = [
            f"{len(segments):,}"
            if label == "All customers"
            else (f"{counts[label]:,}" if label in counts else "—")
            for label in shown.index
        ]
        shown.index.name = "Segment"
        st.dataframe(shown, width="stretch")
        yearly_churn = (
            f" Churn rate here is a yearly rate: customers who churned during {result.periods['churn_rate']} ÷ "
            "customers active at its start — not the Scorecard's monthly tile (1 % a month is about 11 % a year)."
            if "churn_rate" in result.periods
            else ""
        )
        st.caption(
            "Each KPI as the Scorecard computes it, per year, for its latest year in the data (the year may be "
            f"incomplete).{yearly_churn} (unknown): customers of the fact tables that have no segment."
        )
    for kpi, reason in result.unavailable.items():
        st.caption(f"{KPIS[kpi].name}: not available — {literal(reason)}.")


def _label(feature: str) -> str:
    """A feature as people read it: a customers column by its header in the file."""
    return feature_label(feature, features.definitions)


# --------------------------------------------------------------------------------------------
# k-means
# --------------------------------------------------------------------------------------------


def _kmeans_settings() -> dict:
    available = list(frame.columns)
    defaults = {
        "features": [f for f in DEFAULT_FEATURES if f in available] or available[:4],
        "k": "auto",
        "scaling": "standard",
        "transforms": {},
    }
    # Opened afresh, the page starts from the segmentation last shown for this data (kept with it).
    settings = st.session_state.get(SETTINGS) or _latest_settings()
    if not settings or not set(settings["features"]) <= set(available):
        settings = defaults
    suggested = default_transforms(frame)
    missing = features.missing()
    with st.form("segmentation_form", border=True):
        chosen = st.multiselect(
            "Features",
            available,
            default=settings["features"],
            format_func=_label,
            help="Per-customer figures to group customers by. RFM and tenure are a good start.",
        )
        left, right = st.columns(2)
        k = left.select_slider(
            "Number of segments",
            K_CHOICES,
            value=settings["k"],
            format_func=lambda v: "Automatic (2–10)" if v == "auto" else str(v),
            help="Automatic tries 2 to 10 segments (k) and keeps the best separated, near the point where more "
            "segments stop making them much tighter (the inertia elbow).",
        )
        scaling = right.radio(
            "Scaling",
            SCALINGS,
            index=SCALINGS.index(settings["scaling"]),
            format_func=SCALING_LABELS.__getitem__,
            horizontal=True,
            help="Robust scaling is less pulled by a few extreme customers.",
        )
        table = pd.DataFrame(
            {
                "feature": available,
                "Feature": [_label(f) for f in available],
                "Transform": [settings["transforms"].get(f, suggested[f]) for f in available],
                "Missing": [int(missing[f]) for f in available],
            }
        )
        with st.expander("Transforms and missing values"):
            st.caption(
                "log1p tames the long tail of money and counts; missing values get the feature's median "
                "(customers are never dropped)."
            )
            edited = st.data_editor(
                table,
                hide_index=True,
                width="stretch",
                disabled=["Feature", "Missing"],
                column_order=["Feature", "Transform", "Missing"],
                column_config={
                    "Transform": st.column_config.SelectboxColumn(options=list(TRANSFORMS), required=True),
                    "Missing": st.column_config.NumberColumn("Missing values", format="%d"),
                },
                key="transforms_editor",
            )
        submitted = st.form_submit_button("Segment customers", type="primary", icon=":material/bubble_chart:")
    if submitted:
        transforms = dict(zip(edited["feature"], edited["Transform"], strict=True))
        settings = {"features": chosen, "k": k, "scaling": scaling, "transforms": transforms}
        st.session_state[SETTINGS] = settings
    return settings


def _latest_settings() -> dict | None:
    latest = latest_params(KMEANS, fingerprint)
    if latest is None:
        return None
    chosen, k, scaling, transforms = latest
    return {"features": list(chosen), "k": k, "scaling": scaling, "transforms": dict(transforms)}


def _kmeans_section() -> None:
    settings = _kmeans_settings()
    chosen = list(settings["features"])
    if not chosen:
        st.info("Choose at least one feature.", icon=":material/info:")
        return
    # Only the transforms changed from the suggested ones: the same fit has one key however the
    # form was reached (the estimator applies the suggestion to every feature not listed).
    suggested = default_transforms(frame)
    transforms = tuple(
        sorted((f, t) for f, t in settings["transforms"].items() if f in chosen and t != suggested.get(f))
    )
    params = (tuple(chosen), settings["k"], settings["scaling"], transforms)
    # Fitted on the server's background worker and kept with the data: every session asking the
    # same segmentation shares one fit, and the page's own run never waits for k-means.
    fit = fitted(
        KMEANS,
        fingerprint,
        params,
        job(
            segment_customers,
            frame[chosen],
            settings["k"],
            scaling=settings["scaling"],
            transforms=dict(transforms),
        ),
    )
    if isinstance(fit.result, Unavailable):
        show_input_error(InputError(fit.result.message))
        return
    if fit.pending is not None:
        if fit.result is None:
            pending_note("The segmentation", fit.pending)
        else:
            st.info(
                f"Showing the segments for {literal(params_text(*fit.params))} while the new ones "
                f"({literal(params_text(*params))}) are computed.",
                icon=":material/hourglass_top:",
            )
        refresh_when_ready([fit.pending])
    if fit.result is not None:
        shown_features = list(fit.params[0])
        _kmeans_results(fit.result, shown_features, repr(fit.params))


@st.fragment
def _kmeans_results(model: KmeansSegments, chosen: list[str], settings_key: str) -> None:
    tiles = st.columns(4)
    tiles[0].metric("Segments", model.k, border=True, help=model.k_reason)
    tiles[1].metric(
        "Separation",
        f"{model.silhouette:.2f}",
        border=True,
        help="How well the segments stand apart (mean silhouette), −1 to 1: how much closer customers are to their own segment than to the next. "
        "Above 0.5 is clear, 0.25–0.5 reasonable, below 0.25 weak.",
    )
    tiles[2].metric(
        "Stability",
        f"{model.stability_ari:.2f}",
        border=True,
        help="How much the same segments come back when refitted on other samples with other seeds "
        "(adjusted Rand index: 1 = identical, 0 = unrelated).",
    )
    tiles[3].metric("Customers", f"{len(model.labels):,}", border=True)
    st.markdown(f"**Why {model.k} segments:** {literal(model.k_reason)}")
    if not model.stable:
        st.warning(
            f"The segments are not stable: refits agree only {model.stability_ari:.2f} on the adjusted Rand "
            "index (below 0.8). Try fewer segments or other features before relying on them.",
            icon=":material/warning:",
        )
    if len(model.k_scores) > 1:
        st.altair_chart(k_choice_chart(model.k_scores, model.k, model.elbow_k), width="stretch")
    if sum(model.missing.values()):
        filled = ", ".join(f"{_label(f)} {n:,}" for f, n in model.missing.items() if n)
        st.caption(f"Missing values filled with the feature's median: {filled}.")

    st.subheader("Name the segments", anchor=False)
    names_table = pd.DataFrame(
        {
            "Segment": list(model.names),
            "Suggested": list(model.names.values()),
            "Name": list(model.names.values()),
            "Customers": [model.sizes[s] for s in model.names],
        }
    )
    edited = st.data_editor(
        names_table,
        hide_index=True,
        width="stretch",
        disabled=["Segment", "Suggested", "Customers"],
        column_config={"Name": st.column_config.TextColumn(required=True, max_chars=60)},
        key=f"segment_names_{hashlib.sha1(settings_key.encode()).hexdigest()[:10]}",
    )
    try:
        names = model.segment_names(dict(zip(edited["Segment"], edited["Name"], strict=True)))
    except InputError as error:
        show_input_error(error)
        names = model.names
    # Names in segment order (segments run from 0 to k - 1).
    named = tuple(names[s] for s in range(model.k))
    segments = _named_segments(fingerprint, settings_key, named, model, frame.index)

    st.subheader("Profiles", anchor=False)
    profiles, counts, segments_key = _named_view(fingerprint, settings_key, named, frame, segments)
    order = [names[s] for s in sorted(names)]
    profiles = Profiles(
        sizes=profiles.sizes.reindex(order),
        means=profiles.means.reindex(order)[[*chosen, *[c for c in frame.columns if c not in chosen]]],
        z_scores=profiles.z_scores.reindex(order)[[*chosen, *[c for c in frame.columns if c not in chosen]]],
    )
    _profile_section(profiles, _overall_means(fingerprint, frame), chosen)
    points = model.projection.assign(segment=[names[s] for s in model.projection["segment"]])
    st.altair_chart(projection_chart(points, model.explained, order), width="stretch")
    st.caption("Principal components of the prepared features: nearby points are similar customers.")

    _kpi_section(segments, order, segments_key, counts)
    st.subheader("Save", anchor=False)
    params = {
        "method": "k-means",
        "features": chosen,
        "k": model.k,
        "scaling": model.scaling,
        "transforms": model.transforms,
        "silhouette": round(model.silhouette, 4),
        "stability_ari": round(model.stability_ari, 4),
        "segments": order,
    }
    save_panel(ctx.store, ctx.workspace, segments, params, key="kmeans", default_name="Value segments")


# --------------------------------------------------------------------------------------------
# RFM scores
# --------------------------------------------------------------------------------------------


def _rfm_section() -> None:
    if "recency_days" not in frame.columns:
        st.info("RFM scores need a transaction log with customer ids and dates.", icon=":material/info:")
        return
    rfm = frame[["recency_days", "frequency", "monetary"]]
    try:
        quintiles = rfm_breaks(rfm)
    except InputError as error:
        show_input_error(error)
        return
    generation = st.session_state.get(RFM_RESET, 0)
    st.markdown(
        "Each customer gets an R, F and M score from 1 to 5 between four breaks (quintiles to start with: a fifth "
        "of the customers with orders in each bin). A value on a break falls in the lower bin."
    )
    breaks_table = pd.DataFrame(
        [quintiles.recency, quintiles.frequency, quintiles.monetary],
        index=["Recency (days)", "Frequency (orders)", "Monetary value"],
        columns=["Break 1", "Break 2", "Break 3", "Break 4"],
    )
    edited_breaks = st.data_editor(
        breaks_table,
        width="stretch",
        key=f"rfm_breaks_{generation}",
        column_config={c: st.column_config.NumberColumn(format="%.2f") for c in breaks_table.columns},
    )
    with st.expander("Segment map: names and score ranges", expanded=False):
        st.caption(
            "First matching row wins; customers matching no row are “Other”, those without orders “No orders”. "
            "Add, remove or rename rows."
        )
        segment_map = st.data_editor(
            default_rfm_segments(),
            num_rows="dynamic",
            hide_index=True,
            width="stretch",
            key=f"rfm_map_{generation}",
            column_config={
                "segment": st.column_config.TextColumn("Segment", required=True),
                **{
                    column: st.column_config.NumberColumn(
                        f"{column[0].upper()} {'from' if column.endswith('min') else 'to'}",
                        min_value=1,
                        max_value=5,
                        step=1,
                        required=True,
                    )
                    for column in ("r_min", "r_max", "f_min", "f_max", "m_min", "m_max")
                },
            },
        )
    if st.button("Reset breaks and map", key="rfm_reset", icon=":material/restart_alt:"):
        st.session_state[RFM_RESET] = generation + 1
        st.rerun()
    try:
        breaks = RfmBreaks(
            recency=tuple(edited_breaks.iloc[0]),
            frequency=tuple(edited_breaks.iloc[1]),
            monetary=tuple(edited_breaks.iloc[2]),
        )
        scores = rfm_scores(rfm, breaks)
        segments = name_rfm_segments(scores, segment_map).rename("segment")
    except InputError as error:
        show_input_error(error)
        return
    _rfm_results(scores, segments, segment_map)


def _rfm_results(scores: pd.DataFrame, segments: pd.Series, segment_map: pd.DataFrame) -> None:
    scored = scores.dropna(subset=["r"])
    grid = (
        pd.DataFrame(
            {"r": scored["r"].astype(int), "f": scored["f"].astype(int), "segment": segments[scored.index]}
        )
        .groupby(["r", "f"], as_index=False)
        .agg(customers=("segment", "size"), segment=("segment", lambda s: s.mode().iloc[0]))
    )
    st.altair_chart(rfm_grid_chart(grid), width="stretch")
    st.subheader("Profiles", anchor=False)
    profiles = segment_profiles(frame, segments)
    order = profiles.sizes.sort_values(ascending=False).index
    profiles = Profiles(profiles.sizes[order], profiles.means.loc[order], profiles.z_scores.loc[order])
    _profile_section(profiles, _overall_means(fingerprint, frame), ["recency_days", "frequency", "monetary"])
    _kpi_section(segments, [str(s) for s in order])
    st.subheader("Save", anchor=False)
    params = {"method": "RFM scores", "segments": [str(s) for s in order]}
    save_panel(ctx.store, ctx.workspace, segments, params, key="rfm", default_name="RFM segments")


if method == "kmeans":
    _kmeans_section()
else:
    _rfm_section()


@st.fragment
def _saved_section() -> None:
    st.header("Saved segmentations", divider="gray")
    saved_list(ctx.store, ctx.workspace)


_saved_section()

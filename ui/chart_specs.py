"""The Scorecard's charts as Vega-Lite specs, built once per content and shared by every session.

Building an Altair chart and turning it into the spec Streamlit sends (validation against the
Vega-Lite schema, the data as Arrow) costs more than drawing any tile, and every rerun of every
session showing the same KPI, split and targets used to pay it again. Here each chart's spec is
kept (``st.cache_data``, bounded) under everything it is drawn from: the KPI, its rows, the
target paths and notes (small frames, hashed whole) and the options. A changed target or note
changes those frames, so it is never drawn from an old spec.

The specs are what ``st.altair_chart`` would send for the same chart: Streamlit's own conversion
makes them, so the browser gets the same chart, data and theme.
"""

from __future__ import annotations

from typing import Any

import altair as alt
import pandas as pd
import streamlit as st

# Streamlit's conversion of an Altair chart into its spec and Arrow datasets (what
# st.altair_chart calls); streamlit is pinned in requirements.txt.
from streamlit.elements.vega_charts import _convert_altair_to_vega_lite_spec

from bsc.kpis import KPIS
from ui.charts import cohort_heatmap, segment_bar_chart, trend_chart

Spec = dict[str, Any]


def show_spec(spec: Spec) -> None:
    """Draw a kept spec across the page's width, as ``st.altair_chart(chart, width="stretch")``."""
    st.vega_lite_chart(spec, width="stretch")


def vega_lite_spec(chart: alt.TopLevelMixin) -> Spec:
    """The spec and Arrow datasets Streamlit sends for ``chart``."""
    return _convert_altair_to_vega_lite_spec(chart)


@st.cache_data(max_entries=128, show_spinner=False)
def trend_spec(
    kpi: str,
    rows: pd.DataFrame,
    paths: pd.DataFrame | None,
    segment: str | None,
    others: tuple[str, ...],
    by_label: str | None,
    currency: str | None,
    notes: pd.DataFrame | None,
) -> Spec:
    """:func:`ui.charts.trend_chart` of KPI ``kpi`` as a spec."""
    chart = trend_chart(
        KPIS[kpi],
        rows,
        paths,
        segment=segment,
        others=list(others),
        by_label=by_label,
        currency=currency,
        notes=notes,
    )
    return vega_lite_spec(chart)


@st.cache_data(max_entries=64, show_spinner=False)
def segment_bar_spec(kpi: str, comparison: pd.DataFrame, by_label: str, currency: str | None) -> Spec:
    """:func:`ui.charts.segment_bar_chart` of KPI ``kpi`` as a spec."""
    return vega_lite_spec(segment_bar_chart(KPIS[kpi], comparison, by_label, currency=currency))


@st.cache_data(max_entries=16, show_spinner=False)
def cohort_heatmap_spec(fingerprint: str, _cohorts: pd.DataFrame) -> Spec:
    """:func:`ui.charts.cohort_heatmap` as a spec; ``_cohorts`` are the cohorts of the data with
    ``fingerprint`` (the key: they follow from it)."""
    return vega_lite_spec(cohort_heatmap(_cohorts))

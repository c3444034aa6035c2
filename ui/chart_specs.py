"""The Scorecard's charts as Vega-Lite specs, built once per content and shared by every session.

Building an Altair chart and turning it into the spec Streamlit sends (the data as Arrow)
costs more than drawing any tile, and every rerun of every session showing the same KPI, split
and targets used to pay it again. Here each chart's spec is kept (``st.cache_data``, bounded)
under everything it is drawn from: the KPI, its rows, the target paths and notes (small frames,
hashed whole) and the options. A changed target or note changes those frames, so it is never
drawn from an old spec. The rows of a scorecard's KPI follow from the KPI frame they were taken
from: a caller that names that frame (its :data:`KpiSource`) has the spec kept under the name
instead of a hash of the rows, which cost as much as a tile on every rerun.

The specs are what ``st.altair_chart`` would send for the same chart: Streamlit's own conversion
makes them, so the browser gets the same chart, data and theme. Only the check of the finished
spec against the Vega-Lite schema is left out (Altair's ``to_dict(validate=False)``): it changes
nothing in the spec, our charts are built by code the tests check, and it cost two thirds of the
conversion.
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
# The KPI frame a chart's rows were taken from: the workspace fingerprint, the period, the split
# and the KPI parameters of ui.target_book.workspace_kpis, which give the same frame every time.
KpiSource = tuple[str, str, str | None, Any]


def show_spec(spec: Spec) -> None:
    """Draw a kept spec across the page's width, as ``st.altair_chart(chart, width="stretch")``."""
    st.vega_lite_chart(spec, width="stretch")


class _Unvalidated:
    """An Altair chart whose ``to_dict`` skips the schema check, for Streamlit's conversion
    (which calls ``to_dict()`` and nothing else on the chart)."""

    def __init__(self, chart: alt.TopLevelMixin) -> None:
        self.chart = chart

    def to_dict(self, **options: Any) -> dict[str, Any]:
        return self.chart.to_dict(validate=False, **options)


def vega_lite_spec(chart: alt.TopLevelMixin) -> Spec:
    """The spec and Arrow datasets Streamlit sends for ``chart``."""
    return _convert_altair_to_vega_lite_spec(_Unvalidated(chart))  # type: ignore[arg-type]


def trend_spec(
    kpi: str,
    rows: pd.DataFrame,
    paths: pd.DataFrame | None,
    segment: str | None,
    others: tuple[str, ...],
    by_label: str | None,
    currency: str | None,
    notes: pd.DataFrame | None,
    *,
    source: KpiSource | None = None,
) -> Spec:
    """:func:`ui.charts.trend_chart` of KPI ``kpi`` as a spec.

    ``source``: the KPI frame ``rows`` are KPI ``kpi``'s rows of (see :data:`KpiSource`); the
    spec is then kept under it rather than under a hash of ``rows``."""
    options = (paths, segment, others, by_label, currency, notes)
    if source is None:
        return _trend_spec_of_rows(kpi, rows, *options)
    return _trend_spec_of_source(source, kpi, rows, *options)


@st.cache_data(max_entries=128, show_spinner=False)
def _trend_spec_of_rows(
    kpi: str,
    rows: pd.DataFrame,
    paths: pd.DataFrame | None,
    segment: str | None,
    others: tuple[str, ...],
    by_label: str | None,
    currency: str | None,
    notes: pd.DataFrame | None,
) -> Spec:
    return _trend_spec(kpi, rows, paths, segment, others, by_label, currency, notes)


@st.cache_data(max_entries=128, show_spinner=False)
def _trend_spec_of_source(
    source: KpiSource,
    kpi: str,
    _rows: pd.DataFrame,
    paths: pd.DataFrame | None,
    segment: str | None,
    others: tuple[str, ...],
    by_label: str | None,
    currency: str | None,
    notes: pd.DataFrame | None,
) -> Spec:
    # Targets and notes change without the data changing: their frames stay in the key.
    return _trend_spec(kpi, _rows, paths, segment, others, by_label, currency, notes)


def _trend_spec(
    kpi: str,
    rows: pd.DataFrame,
    paths: pd.DataFrame | None,
    segment: str | None,
    others: tuple[str, ...],
    by_label: str | None,
    currency: str | None,
    notes: pd.DataFrame | None,
) -> Spec:
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


def segment_bar_spec(
    kpi: str,
    comparison: pd.DataFrame,
    by_label: str,
    currency: str | None,
    *,
    source: KpiSource | None = None,
) -> Spec:
    """:func:`ui.charts.segment_bar_chart` of KPI ``kpi`` as a spec.

    ``source``: the KPI frame whose :func:`bsc.kpis.compare.compare_segments` ``comparison`` is
    KPI ``kpi``'s rows of; the spec is then kept under it rather than under a hash of the rows."""
    if source is None:
        return _segment_bar_spec_of_rows(kpi, comparison, by_label, currency)
    return _segment_bar_spec_of_source(source, kpi, comparison, by_label, currency)


@st.cache_data(max_entries=64, show_spinner=False)
def _segment_bar_spec_of_rows(
    kpi: str, comparison: pd.DataFrame, by_label: str, currency: str | None
) -> Spec:
    return vega_lite_spec(segment_bar_chart(KPIS[kpi], comparison, by_label, currency=currency))


@st.cache_data(max_entries=64, show_spinner=False)
def _segment_bar_spec_of_source(
    source: KpiSource, kpi: str, _comparison: pd.DataFrame, by_label: str, currency: str | None
) -> Spec:
    return vega_lite_spec(segment_bar_chart(KPIS[kpi], _comparison, by_label, currency=currency))


@st.cache_data(max_entries=16, show_spinner=False)
def cohort_heatmap_spec(fingerprint: str, _cohorts: pd.DataFrame) -> Spec:
    """:func:`ui.charts.cohort_heatmap` as a spec; ``_cohorts`` are the cohorts of the data with
    ``fingerprint`` (the key: they follow from it)."""
    return vega_lite_spec(cohort_heatmap(_cohorts))

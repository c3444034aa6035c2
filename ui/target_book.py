"""The workspace's target book and KPIs for the Objectives page, cached by the workspace fingerprint.

The KPIs are kept twice: in memory for this server (``st.cache_data``) and on disk with the
workspace's data (:func:`ui.slow_extras.kept`), so a restarted server reads them instead of
computing them again.
"""

from __future__ import annotations

from collections.abc import Iterable

import pandas as pd
import streamlit as st

from bsc.assistant.nps_churn import NpsChurnLink, nps_churn_link
from bsc.kpis import KpiParams, KpiResult, compute_kpis
from bsc.kpis.compare import compare_segments
from bsc.targets import TargetBook
from ui.context import PageContext
from ui.filters import PERIOD_LABELS
from ui.slow_extras import job, kept, prefetch


@st.cache_data(max_entries=32, show_spinner=False)
def workspace_kpis(
    fingerprint: str, tables: dict, period: str, by: str | None, params: KpiParams
) -> KpiResult:
    """``compute_kpis`` for a workspace, shared by every session (keyed by the fingerprint)."""
    return kept(
        "kpis",
        fingerprint,
        (period, by, params),
        lambda: compute_kpis(tables, period=period, by=by, params=params),
    )


@st.cache_data(max_entries=32, show_spinner=False)
def segment_comparison(
    fingerprint: str, period: str, by: str, params: KpiParams, _values: pd.DataFrame
) -> pd.DataFrame:
    """:func:`bsc.kpis.compare.compare_segments` of ``_values``, the KPIs :func:`workspace_kpis`
    gives for the same fingerprint, period, split and parameters (hence keyed by those, not by
    the frame): computed once for every session instead of on every rerun."""
    return compare_segments(_values)


def prefetch_kpis(
    fingerprint: str, tables: dict, period: str, by: str | None, params: KpiParams, attributes: Iterable[str]
) -> None:
    """Start computing, in the background, the KPIs of every period and split not kept yet: the
    shown split in the other periods first, then the other splits. Each is computed once per data."""
    periods = [period, *(p for p in PERIOD_LABELS if p != period)]
    splits = list(dict.fromkeys([by, None, *attributes]))
    for each_by in splits:
        for each_period in periods:
            prefetch(
                "kpis",
                fingerprint,
                (each_period, each_by, params),
                job(compute_kpis, tables, period=each_period, by=each_by, params=params),
            )


@st.cache_data(max_entries=16, show_spinner=False)
def workspace_nps_link(fingerprint: str, tables: dict) -> NpsChurnLink:
    return nps_churn_link(tables)


def kpi_params(ctx: PageContext) -> KpiParams:
    """The KPI assumptions chosen on the Scorecard page for this workspace (defaults otherwise)."""
    return st.session_state.get(f"kpi_params_{ctx.workspace.id}", KpiParams())


def open_book(ctx: PageContext) -> TargetBook:
    """The workspace's target book, checking targets against the cached KPIs."""
    tables = ctx.store.workspace_tables(ctx.workspace.id)
    fingerprint = ctx.store.workspace_fingerprint(ctx.workspace.id)
    params = kpi_params(ctx)

    def source(unit: str, by: str | None) -> KpiResult:
        return workspace_kpis(fingerprint, tables, unit, by, params)

    return TargetBook(ctx.store, ctx.workspace.id, kpi_source=source)


def kpi_series(result: KpiResult, kpi: str, segment: str | None) -> pd.DataFrame:
    """One KPI's rows for one segment (None: all customers), oldest first."""
    rows = result.kpi(kpi)
    return rows[rows["segment"].isna()] if segment is None else rows[rows["segment"] == segment]

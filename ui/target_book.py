"""The workspace's target book, KPIs and NPS–churn link for the Objectives page, cached by the
workspace fingerprint.

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
from bsc.results_cache import Pending
from bsc.targets import TargetBook
from ui.context import PageContext
from ui.filters import PERIOD_LABELS
from ui.slow_extras import job, kept, later, prefetch

# The what-if's NPS–churn link among the results kept with the workspace's data.
NPS_LINK = "nps_churn_link"


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
    """Start computing, in the background, the KPIs of every period and split not kept yet.

    Those one click away come first, before the extras the page waits for: every split of the
    shown period, then the shown split in the other periods (a few seconds each at ten million
    orders, where a click computing its own scorecard would wait that long). The rest follow
    after the extras. Each is computed once per data, for every session."""
    periods = [period, *(p for p in PERIOD_LABELS if p != period)]
    splits = list(dict.fromkeys([by, None, *attributes]))
    views = [(period, each_by) for each_by in splits]
    views += [(each_period, by) for each_period in periods[1:]]
    views += [(p, b) for b in splits for p in periods[1:] if b != by]
    for each_period, each_by in views:
        prefetch(
            "kpis",
            fingerprint,
            (each_period, each_by, params),
            job(compute_kpis, tables, period=each_period, by=each_by, params=params),
            soon=each_period == period or each_by == by,
        )


def workspace_nps_link(fingerprint: str, tables: dict) -> NpsChurnLink | Pending:
    """The NPS–churn link of the what-if, kept with the workspace's data; a
    :class:`~bsc.results_cache.Pending` while the background worker computes it (it reads every
    survey answer: seconds at a million customers)."""
    return later(NPS_LINK, fingerprint, (), job(nps_churn_link, tables))


def prefetch_nps_link(fingerprint: str, tables: dict) -> None:
    """Compute the what-if's NPS–churn link in the background, so that the Objectives page finds it."""
    prefetch(NPS_LINK, fingerprint, (), job(nps_churn_link, tables))


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

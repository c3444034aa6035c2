"""The Scorecard's CLV tile: the probabilistic CLV where a transaction log allows, else the simple formula.

With a transaction log, the tile shows the mean customer's CLV from BG/NBD + Gamma-Gamma (the
fit the Lifetime value page keeps, :func:`bsc.clv.report.fit_lifetimes`) over the next 12
months at the Scorecard's margin and a 10 %/yr discount rate, and names the method under it.
Otherwise, for one segment, or while the fit is being computed, it is the usual KPI tile of the
simple formula (margin × revenue ÷ customers lost), and the caption says so. Targets and the
trend stay on the simple formula, which has a value per period.
"""

from __future__ import annotations

import math
from collections.abc import Mapping, Sequence
from dataclasses import dataclass
from pathlib import Path
from typing import Any

import pandas as pd
import streamlit as st

from bsc.clv.report import FittedLifetimes
from bsc.kpis import KpiDef
from bsc.results_cache import Pending, result_key
from ui.lifetime import MONTHS, customer_values_of, fit_lifetimes_of
from ui.slow_extras import Unavailable, job, later, results_cache
from ui.tiles import kpi_tile, tile_facts

YEARLY_DISCOUNT = 0.10
SIMPLE = "Simple formula: margin × revenue ÷ customers lost"
# The Lifetime value page's fit among the results kept with the workspace's data.
CLV_MODELS = "clv_models"


def clv_tile(
    definition: KpiDef,
    series: pd.DataFrame,
    status: Any,
    *,
    fingerprint: str,
    tables: Mapping[str, Sequence[Path | str]],
    margin: float,
    segment: str | None,
    **tile_options: Any,
) -> Pending | None:
    """Draw the CLV tile; return the :class:`Pending` fit when the page should rerun for it."""
    if segment is not None or not tables.get("transactions"):
        reason = "for one segment" if segment is not None else "no transaction log"
        _simple_tile(definition, series, status, f"{SIMPLE} ({reason}).", tile_options)
        return None
    # Once the fit is kept, its figures for this margin are read once, not in every run.
    kept = (
        _kept_figures(fingerprint, margin)
        if results_cache().has(result_key(CLV_MODELS, fingerprint))
        else None
    )
    fitted = kept or later(CLV_MODELS, fingerprint, (), job(fit_lifetimes_of, tables))
    if isinstance(fitted, Pending):
        note = (
            "the BG/NBD + Gamma-Gamma CLV is being computed" if fitted.error is None else "the model failed"
        )
        _simple_tile(definition, series, status, f"{SIMPLE} ({note}).", tile_options)
        return fitted if fitted.error is None else None
    figures = (
        fitted if isinstance(fitted, ClvFigures | Unavailable) else _figures(fingerprint, margin, fitted)
    )
    if isinstance(figures, Unavailable) or not figures.spend:
        why = figures.message if isinstance(figures, Unavailable) else figures.spend_note
        _simple_tile(definition, series, status, f"{SIMPLE} (no probabilistic model: {why})", tile_options)
        return None
    method = f"BG/NBD + Gamma-Gamma, {MONTHS} months, margin {margin:.0%}, discount {YEARLY_DISCOUNT:.0%}/yr"
    currency = tile_options.get("currency")
    simple = tile_facts(definition, series, currency=currency).value
    st.metric(
        definition.short_name,
        definition.format_value(figures.mean_clv, currency=currency),
        border=True,
        help=f"{method}: the mean over {figures.customers:,} customers of the discounted margin on their expected "
        f"purchases over the next {MONTHS} months, as of {figures.data_end:%d %b %Y} (details on the Lifetime "
        f"value page). The simple formula (margin × revenue ÷ customers lost, undiscounted, no horizon) gives "
        f"{simple} for the latest period; targets and the trend use it.",
    )
    st.caption(method)
    return None


@dataclass(frozen=True)
class ClvFigures:
    """What the tile shows of a kept fit at one margin: the mean CLV over ``customers``, as of
    ``data_end``; ``spend`` and ``spend_note`` as in :class:`bsc.clv.report.FittedLifetimes`
    (no spend model: no CLV, and the note says why)."""

    mean_clv: float
    customers: int
    data_end: pd.Timestamp
    spend: bool
    spend_note: str | None


def _figures(fingerprint: str, margin: float, fitted: FittedLifetimes) -> ClvFigures:
    if fitted.spend is None:
        return ClvFigures(math.nan, 0, fitted.data_end, False, fitted.spend_note)
    values = customer_values_of(fingerprint, margin, YEARLY_DISCOUNT, fitted)
    return ClvFigures(float(values["clv"].mean()), len(values), fitted.data_end, True, fitted.spend_note)


@st.cache_data(max_entries=16, show_spinner=False)
def _kept_figures(fingerprint: str, margin: float) -> ClvFigures | Unavailable | None:
    """The figures of the fit kept for the data with ``fingerprint`` (None when it cannot be read).

    Kept in memory for every session: the kept fit holds every customer's purchase summary, and
    reading it took a fifth of each Scorecard run at a million customers.
    """
    fitted = results_cache().get(result_key(CLV_MODELS, fingerprint))
    if fitted is None or isinstance(fitted, Unavailable):
        return fitted
    return _figures(fingerprint, margin, fitted)


def _simple_tile(
    definition: KpiDef, series: pd.DataFrame, status: Any, caption: str, options: Mapping[str, Any]
) -> None:
    kpi_tile(definition, series, status, **options)
    st.caption(caption)

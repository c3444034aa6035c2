"""The Scorecard's CLV tile: the probabilistic CLV where a transaction log allows, else the simple formula.

With a transaction log, the tile shows the mean customer's CLV from BG/NBD + Gamma-Gamma (the
fit the Lifetime value page keeps, :func:`bsc.clv.report.fit_lifetimes`) over the next 12
months at the Scorecard's margin and a 10 %/yr discount rate, and names the method under it.
Otherwise, for one segment, or while the fit is being computed, it is the usual KPI tile of the
simple formula (margin × revenue ÷ customers lost), and the caption says so. Targets and the
trend stay on the simple formula, which has a value per period.
"""

from __future__ import annotations

from collections.abc import Mapping, Sequence
from pathlib import Path
from typing import Any

import pandas as pd
import streamlit as st

from bsc.kpis import KpiDef
from bsc.results_cache import Pending
from ui.lifetime import MONTHS, customer_values_of, fit_lifetimes_of
from ui.slow_extras import Unavailable, job, later
from ui.tiles import kpi_tile, tile_facts

YEARLY_DISCOUNT = 0.10
SIMPLE = "Simple formula: margin × revenue ÷ customers lost"


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
    fitted = later("clv_models", fingerprint, (), job(fit_lifetimes_of, tables))
    if isinstance(fitted, Pending):
        note = (
            "the BG/NBD + Gamma-Gamma CLV is being computed" if fitted.error is None else "the model failed"
        )
        _simple_tile(definition, series, status, f"{SIMPLE} ({note}).", tile_options)
        return fitted if fitted.error is None else None
    if isinstance(fitted, Unavailable) or fitted.spend is None:
        why = fitted.message if isinstance(fitted, Unavailable) else fitted.spend_note
        _simple_tile(definition, series, status, f"{SIMPLE} (no probabilistic model: {why})", tile_options)
        return None
    values = customer_values_of(fingerprint, margin, YEARLY_DISCOUNT, fitted)
    method = f"BG/NBD + Gamma-Gamma, {MONTHS} months, margin {margin:.0%}, discount {YEARLY_DISCOUNT:.0%}/yr"
    currency = tile_options.get("currency")
    simple = tile_facts(definition, series, currency=currency).value
    st.metric(
        definition.short_name,
        definition.format_value(float(values["clv"].mean()), currency=currency),
        border=True,
        help=f"{method}: the mean over {len(values):,} customers of the discounted margin on their expected "
        f"purchases over the next {MONTHS} months, as of {fitted.data_end:%d %b %Y} (details on the Lifetime "
        f"value page). The simple formula (margin × revenue ÷ customers lost, undiscounted, no horizon) gives "
        f"{simple} for the latest period; targets and the trend use it.",
    )
    st.caption(method)
    return None


def _simple_tile(
    definition: KpiDef, series: pd.DataFrame, status: Any, caption: str, options: Mapping[str, Any]
) -> None:
    kpi_tile(definition, series, status, **options)
    st.caption(caption)

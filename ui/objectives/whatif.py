"""The Objectives page's "What-if" tab: levers on retention, NPS, CPA and conversion, twelve months ahead.

The levers' keys (``whatif_retention``, ``whatif_nps``, ``whatif_cpa``, ``whatif_conversion``)
belong to this tab; it runs as a fragment, so moving a lever redraws only the tab.
"""

from __future__ import annotations

import pandas as pd
import streamlit as st

from bsc.assistant.whatif import Levers, project_whatif, whatif_base
from bsc.errors import InputError
from bsc.kpis import KpiParams
from ui.context import show_input_error
from ui.objectives.context import ObjectivesContext
from ui.target_book import workspace_kpis, workspace_nps_link
from ui.target_charts import whatif_chart

# (measure of the projection's summary, tile label)
TILES = [
    ("Active customers in month 12", "Active customers, month 12"),
    ("Revenue over 12 months", "Revenue, next 12 months"),
    ("CLV", "CLV"),
]


def show(view: ObjectivesContext) -> None:
    """The levers, the tiles and charts of their projection, and every assumption behind it."""
    _whatif_panel(view.fingerprint, view.tables, view.params)


@st.fragment
def _whatif_panel(fingerprint: str, tables: dict, params: KpiParams) -> None:
    monthly = workspace_kpis(fingerprint, tables, "month", None, params)
    try:
        base = whatif_base(monthly.values, margin=params.margin)
    except InputError as error:
        show_input_error(error)
        return
    link = workspace_nps_link(fingerprint, tables)
    st.caption(
        "Move the levers to see the next twelve months for all customers, against today's rates. "
        "Every assumption is listed under the result."
    )
    levers = st.columns(4)
    retention = levers[0].slider(
        "Retention (points a month)", 0.0, 2.0, 0.0, 0.05, format="+%.2f", key="whatif_retention"
    )
    nps = levers[1].slider("NPS (points)", 0, 30, 0, 1, format="+%d", key="whatif_nps")
    cpa = levers[2].slider("CPA (% lower)", 0, 50, 0, 1, format="−%d%%", key="whatif_cpa")
    conversion = levers[3].slider(
        "Conversion (points)", 0.0, 5.0, 0.0, 0.1, format="+%.1f", key="whatif_conversion"
    )
    outcome = project_whatif(
        base,
        Levers(retention_points=retention, nps_points=nps, cpa_cut_percent=cpa, conversion_points=conversion),
        link=link,
    )
    summary = outcome.summary.set_index("measure")
    for column, (measure, label) in zip(st.columns(3), TILES, strict=True):
        row = summary.loc[measure]
        if pd.isna(row["scenario"]):
            column.metric(label, "—", border=True, help="Needs a churn rate above 0: no customer was lost.")
            continue
        value = f"{row['scenario']:,.0f}"
        change = row["change"]
        delta = f"{change:+,.0f} ({row['change_percent']:+.1f}%)" if pd.notna(change) and change else None
        today = "—" if pd.isna(row["today"]) else f"{row['today']:,.0f}"
        column.metric(label, value, delta=delta, border=True, help=f"Today's rates: {today}")
    st.space("small")
    left, right = st.columns(2)
    left.altair_chart(
        whatif_chart(outcome, "active_customers", "Active (ordering) customers per month", "Customers"),
        width="stretch",
    )
    right.altair_chart(
        whatif_chart(outcome, "revenue", "Revenue per month", "Revenue (money)"), width="stretch"
    )
    st.markdown("**Assumptions**")
    # The assumptions are the model's own sentences (numbers and KPI names), not data-supplied text.
    st.markdown("\n".join(f"- {line}" for line in outcome.assumptions))

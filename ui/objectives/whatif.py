"""The Objectives page's "What-if" tab: levers on retention, NPS, CPA and conversion, twelve months ahead.

The levers' keys (``whatif_retention``, ``whatif_nps``, ``whatif_cpa``, ``whatif_conversion``)
belong to this tab; it runs as a fragment, so moving a lever redraws only the tab.
"""

from __future__ import annotations

import pandas as pd
import streamlit as st

from bsc.assistant.nps_churn import NpsChurnLink
from bsc.assistant.whatif import Levers, project_whatif, whatif_base
from bsc.currency import currency_words, money_text
from bsc.errors import InputError
from bsc.kpis import KpiParams
from bsc.results_cache import Pending
from ui.context import show_input_error
from ui.objectives.context import ObjectivesContext
from ui.slow_extras import pending_note
from ui.target_book import workspace_kpis, workspace_nps_link
from ui.target_charts import whatif_chart

# (measure of the projection's summary, tile label)
TILES = [
    ("Active customers in month 12", "Active customers, month 12"),
    ("Revenue over 12 months", "Revenue, next 12 months"),
    ("CLV", "CLV"),
]


MONEY_MEASURES = {"Revenue over 12 months", "CLV"}


def _amount(number: str, money: bool, currency: str | None) -> str:
    return money_text(number, currency) if money else number


def show(view: ObjectivesContext) -> list[Pending]:
    """The levers, the tiles and charts of their projection, and every assumption behind it.

    While the NPS–churn link is computed in the background, a note stands in their place; the
    result to wait for is returned (see :func:`ui.slow_extras.refresh_when_ready`)."""
    link = workspace_nps_link(view.fingerprint, view.tables)
    if isinstance(link, Pending):
        pending_note("The what-if", link)
        return [link]
    _whatif_panel(view.fingerprint, view.tables, view.params, view.currency, link)
    return []


@st.fragment
def _whatif_panel(
    fingerprint: str, tables: dict, params: KpiParams, currency: str | None, link: NpsChurnLink
) -> None:
    monthly = workspace_kpis(fingerprint, tables, "month", None, params)
    try:
        base = whatif_base(monthly.values, margin=params.margin)
    except InputError as error:
        show_input_error(error)
        return
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
        # Revenue and CLV are money, written in the workspace's currency; customers are a count.
        money = measure in MONEY_MEASURES
        value = _amount(f"{row['scenario']:,.0f}", money, currency)
        change = row["change"]
        delta = (
            f"{_amount(f'{change:+,.0f}', money, currency)} ({row['change_percent']:+.1f}%)"
            if pd.notna(change) and change
            else None
        )
        today = "—" if pd.isna(row["today"]) else _amount(f"{row['today']:,.0f}", money, currency)
        column.metric(label, value, delta=delta, border=True, help=f"Today's rates: {today}")
    st.space("small")
    left, right = st.columns(2)
    left.altair_chart(
        whatif_chart(outcome, "active_customers", "Active (ordering) customers per month", "Customers"),
        width="stretch",
    )
    right.altair_chart(
        whatif_chart(outcome, "revenue", "Revenue per month", f"Revenue ({currency_words(currency)})"),
        width="stretch",
    )
    st.markdown("**Assumptions**")
    # The assumptions are the model's own sentences (numbers and KPI names), not data-supplied text.
    st.markdown("\n".join(f"- {line}" for line in outcome.assumptions))

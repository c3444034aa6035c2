"""Lifetime value: how accurate the purchase model is, what each customer is worth, how long customers stay."""

import streamlit as st

from bsc.schema import ASSIGNMENTS
from ui.context import page_setup
from ui.empty_workspace import stop_if_no_tables
from ui.lifetime import (
    back_test_section,
    customer_value_section,
    subscription_section,
    survival_attributes,
    survival_section,
)
from ui.slow_extras import refresh_when_ready
from ui.target_book import kpi_params
from ui.text import literal

ctx = page_setup("Lifetime value")
tables = {
    kind: paths for kind, paths in ctx.store.workspace_tables(ctx.workspace.id).items() if kind != ASSIGNMENTS
}
fingerprint = ctx.store.workspace_fingerprint(ctx.workspace.id)
stop_if_no_tables(tables)
st.caption(
    f"{literal(ctx.workspace.name)} · The probabilistic models of Fader, Hardie and Lee: BG/NBD for how often "
    "customers buy and whether they are still active, Gamma-Gamma for how much, the shifted beta-geometric for "
    "subscriptions, and Kaplan–Meier survival curves. Nothing here is saved in the workspace."
)

waiting = back_test_section(fingerprint, tables, ctx.workspace.id)
waiting += customer_value_section(fingerprint, tables, kpi_params(ctx).margin, ctx.workspace.currency)
waiting += survival_section(fingerprint, tables, survival_attributes(fingerprint, tables))
waiting += subscription_section(fingerprint, tables)
refresh_when_ready(waiting)

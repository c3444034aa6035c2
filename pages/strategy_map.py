"""Strategy map: the customer perspective's cause-and-effect arrows, each tested on the data."""

import streamlit as st

from bsc.errors import InputError
from bsc.schema import ASSIGNMENTS
from ui.context import page_setup, show_input_error, show_read_only_notice
from ui.empty_workspace import stop_if_no_tables
from ui.filters import sidebar_filters
from ui.strategy_map import (
    arrow_book,
    arrow_form,
    link_table,
    strategy_graph,
    target_statuses,
    tested_links_of,
)
from ui.target_book import kpi_params
from ui.text import literal

ctx = page_setup("Strategy map")
filters = sidebar_filters(ctx.store, ctx.workspace)
show_read_only_notice(ctx, "its arrows are tested and shown, but none can be added or removed.")
tables = {
    kind: paths for kind, paths in ctx.store.workspace_tables(ctx.workspace.id).items() if kind != ASSIGNMENTS
}
stop_if_no_tables(tables)
fingerprint = ctx.store.workspace_fingerprint(ctx.workspace.id)
params = kpi_params(ctx)
st.caption(
    f"{literal(ctx.workspace.name)} · Does satisfaction drive retention, and retention revenue? Each arrow is "
    "tested customer by customer, looking forward in time where the data have dates."
)
book = arrow_book(ctx)
try:
    with st.spinner("Testing the links…"):
        results = tested_links_of(fingerprint, tables, book.arrows(), params)
        statuses = target_statuses(ctx, fingerprint, tables, filters.period, params)
except InputError as error:
    show_input_error(error)
    st.stop()
strategy_graph(results, statuses, ctx.workspace.currency)
st.subheader("The links, tested")
link_table(results, ctx.workspace.currency)
arrow_form(ctx, book)

"""Objectives & targets: set targets with the assistant, edit them together, try what-ifs, keep the log."""

import streamlit as st

from bsc.errors import InputError
from bsc.targets import evaluate
from ui.author import author_name
from ui.context import page_setup, show_input_error, show_read_only_notice
from ui.empty_workspace import stop_if_no_tables
from ui.filters import PERIOD_LABELS, sidebar_filters
from ui.objectives import (
    audit_log,
    objectives_table,
    status_summary,
    target_assistant,
    target_files,
    targets_table,
    whatif,
)
from ui.objectives.context import ObjectivesContext
from ui.objectives.messages import show_messages
from ui.slow_extras import refresh_when_ready
from ui.target_book import kpi_params, open_book, workspace_kpis
from ui.text import literal

ctx = page_setup("Objectives & targets")
filters = sidebar_filters(ctx.store, ctx.workspace)
show_read_only_notice(
    ctx,
    "its targets, objectives and initiatives can be viewed, checked with the assistant, tried in the "
    "what-if and exported, but not changed.",
)
tables = ctx.store.workspace_tables(ctx.workspace.id)
stop_if_no_tables(tables)

fingerprint = ctx.store.workspace_fingerprint(ctx.workspace.id)
params = kpi_params(ctx)
try:
    with st.spinner("Computing the scorecard…"):
        result = workspace_kpis(fingerprint, tables, filters.period, filters.by, params)
except InputError as error:
    show_input_error(error)
    st.stop()
book = open_book(ctx)
st.caption(
    f"{literal(ctx.workspace.name)} · {PERIOD_LABELS[filters.period].lower()}ly · targets are stored at once "
    "and shared with everyone who opens this workspace."
)
# The name field sits where the page asks for it, above the tabs, not in the sidebar.
with st.container():
    ask = st.empty()
    name_column, _ = st.columns([1, 2])
    author = author_name(name_column)
    if not author and not ctx.read_only:
        ask.warning("Give your name below first: every change is logged with it.", icon=":material/badge:")
just_refused = show_messages()
view = ObjectivesContext(ctx, filters, author, tables, fingerprint, params, result, book)

# Edits made in the tables of the previous run are saved first, so that everything below
# shows the stored result.
target_edits = targets_table.save_edits(view)
objective_edits = objectives_table.save_edits(view)
statuses = evaluate(book.targets(), result.values, by=filters.by)
status_summary.show(statuses, filters.segment)

tab_set, tab_targets, tab_objectives, tab_whatif, tab_log, tab_files = st.tabs(
    ["Set a target", "Targets", "Objectives & initiatives", "What-if", "Audit log", "Import / export"]
)
with tab_set:
    target_assistant.show(view, just_refused=just_refused)
with tab_targets:
    targets_table.show(view, statuses, target_edits)
with tab_objectives:
    objectives_table.show(view, statuses, objective_edits)
with tab_whatif:
    waiting = whatif.show(view)
with tab_log:
    audit_log.show(book)
with tab_files:
    target_files.show(view)
refresh_when_ready(waiting)

"""Customer Scorecard: the entry point. Builds the navigation; each page does its own set-up."""

import streamlit as st

from ui.context import run_page, timed_run
from ui.navigation import PAGES

st.set_page_config(page_title="Customer Scorecard", page_icon=":material/insights:", layout="wide")
navigation = st.navigation(
    [st.Page(p.path, title=p.title, icon=p.icon, default=p.default) for p in PAGES],
)
with timed_run():
    run_page(navigation)

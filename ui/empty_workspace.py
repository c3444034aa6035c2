"""The opening of an analysis page when the current workspace holds no tables yet."""

from __future__ import annotations

from collections.abc import Mapping

import streamlit as st


def stop_if_no_tables(tables: Mapping[str, object]) -> None:
    """When ``tables`` is empty, point the user to the Data page and stop the page there.

    Scorecard, Objectives, Segmentation and Churn have nothing to show without data, so they stop
    rather than draw empty charts. (The Data page itself says something else: it is where tables
    are added.)
    """
    if tables:
        return
    st.info("This workspace has no tables yet: add some on the Data page.", icon=":material/info:")
    st.page_link("pages/data.py", label="Go to Data", icon=":material/upload_file:")
    st.stop()

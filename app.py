"""Customer Scorecard: the entry point.

Run with ``streamlit run app.py``. Streamlit imports this file to find the application it serves
(``app`` below: the app with its warm-up at start, see :mod:`ui.warm_up`), then runs it as the
script of each visitor's session (``__main__``), which builds the navigation; each page does its
own set-up.
"""

import streamlit as st

if __name__ == "__main__":
    from bsc.memory import given_back_after_slow_work
    from ui.context import run_page, timed_run
    from ui.navigation import PAGES

    st.set_page_config(page_title="Customer Scorecard", page_icon=":material/insights:", layout="wide")
    navigation = st.navigation(
        [st.Page(p.path, title=p.title, icon=p.icon, default=p.default) for p in PAGES],
    )
    # A slow run built large frames (features of a million customers, a model's data): once the
    # page has drawn them, the memory is given back rather than kept by the allocator.
    with timed_run(), given_back_after_slow_work():
        run_page(navigation)
else:
    from ui.warm_up import warm_up

    app = st.App(__file__, lifespan=warm_up)

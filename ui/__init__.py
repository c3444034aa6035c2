"""The Streamlit face of Customer Scorecard: page set-up and page parts shared by every page.

Everything here may import Streamlit; the ``bsc`` package never does.
"""

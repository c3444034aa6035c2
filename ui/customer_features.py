"""The per-customer features of a workspace, held once in memory for every session.

The Segmentation page draws from them in every run; at a million customers they take seconds to
compute (:func:`bsc.features.customer_features`) and a copy per run took longer than the rest of
the run. So they are held as one shared, never changed frame per data (a bounded
``st.cache_resource``), and the Scorecard has them computed on the background worker
(:func:`prefetch_features`) so that opening the Segmentation page finds them.
"""

from __future__ import annotations

import os

import streamlit as st

from bsc.features import CustomerFeatures, customer_features
from bsc.schema import ASSIGNMENTS
from ui.slow_extras import prefetch

__all__ = ["prefetch_features", "workspace_features"]

# The background job's name among the results kept with the data: it keeps only a marker, the
# features stay in memory (a million customers' features would crowd the results folder).
_WARMED = "customer_features_warmed"


def workspace_features(fingerprint: str, tables: dict) -> CustomerFeatures:
    """The features of the workspace whose tables have ``fingerprint``; shared, so never change them.

    Saved segmentations are left out: they are made from these features, not part of them.
    """
    return _features(fingerprint, {kind: paths for kind, paths in tables.items() if kind != ASSIGNMENTS})


@st.cache_resource(max_entries=4, show_spinner=False)
def _features(fingerprint: str, tables: dict) -> CustomerFeatures:
    return customer_features(tables)


def prefetch_features(fingerprint: str, tables: dict) -> None:
    """Compute the features on the background worker, after whatever it is doing, once per data
    and server process (the marker is keyed by the process: the features live in its memory)."""
    prefetch(_WARMED, fingerprint, (os.getpid(),), lambda: _warm(fingerprint, tables))


def _warm(fingerprint: str, tables: dict) -> bool:
    workspace_features(fingerprint, tables)
    return True

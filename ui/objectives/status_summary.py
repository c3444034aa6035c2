"""The status chips above the Objectives page's tabs: score and status per component and overall."""

from __future__ import annotations

import math

import pandas as pd
import streamlit as st

from bsc.targets import rollup
from ui.status_chips import status_chip


def show(statuses: pd.DataFrame, segment: str | None) -> None:
    """One chip per component and one for the whole perspective, for ``segment`` (None: all)."""
    shown = (
        statuses
        if segment is None
        else statuses[statuses["segment"].isna() | (statuses["segment"] == segment)]
    )
    chips = st.columns(6)
    for column, row in zip(chips, rollup(shown).itertuples(), strict=True):
        score = "no score" if math.isnan(row.score) else f"score {row.score:.0f}"
        with column:
            status_chip(
                row.name, row.status, f"{score} · {row.targets} target{'s' if row.targets != 1 else ''}"
            )

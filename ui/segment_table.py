"""Segments side by side: the KPI × segment table of the Scorecard, coloured only where it is real.

The numbers come from :func:`bsc.kpis.compare.compare_segments`; this module only lays them out:
one row per KPI (its tile's short name), a column for all customers and one per segment, each
cell "value · n". It is drawn as a static table whose cells wrap, so that five segments and all
customers fit a 1280-pixel screen without scrolling sideways. A cell
is coloured (green better, vermillion worse, by the KPI's direction) and marked ▲ / ▼ only where
the difference from the rest of the customers passes the test after the table-wide adjustment,
so colour is never the only sign and noise never looks like news.

Under it, when targets are set for the split's segments, :func:`segment_statuses` lays out each
segment's standing against its target in words (:func:`bsc.targets.status_words`), one row per
KPI with a target: "✗ Off track · behind by 6 pts".
"""

from __future__ import annotations

from collections.abc import Sequence
from functools import partial
from typing import Any

import pandas as pd
import streamlit as st

from bsc.change_tests import CHANGE_TEST_NAMES
from bsc.kpis import KPIS
from bsc.kpis.compare import FALSE_DISCOVERY_RATE
from bsc.targets import status_words
from ui.status_chips import TABLE_MARKS
from ui.text import literal

ALL_CUSTOMERS = "All customers"
# Light tints of the status colours (Okabe-Ito bluish green and vermillion) under dark text:
# readable on a projector and apart for colour-blind viewers; the ▲ / ▼ carries the same news.
_TINTS = {
    "better": "background-color: #BFE6D9; color: #0B3D2E",
    "worse": "background-color: #F7CDB3; color: #5A1E00",
}
# The same tints for statuses against a target (Okabe-Ito bluish green, orange, vermillion);
# the mark (✓ ! ✗ ≈) and the words say it without colour.
_STATUS_TINTS = {
    "green": _TINTS["better"],
    "amber": "background-color: #F8E0A8; color: #4A3300",
    "red": _TINTS["worse"],
}


def comparison_layout(
    comparison: pd.DataFrame, kpi_order: Sequence[str], currency: str | None = None
) -> tuple[pd.DataFrame, pd.DataFrame]:
    """The table's cells as text (KPI rows, by their tiles' short names, × "All customers" and
    segment columns) and, beside it, each cell's verdict ("better", "worse" or "" where nothing
    is coloured). Money is written in ``currency``, points as "pts", as on the tiles."""
    compared = set(comparison["kpi"])
    kpis = [k for k in kpi_order if k in compared]
    segments = sorted(comparison["segment"].unique())
    names = dict(zip(kpis, (KPIS[k].short_name for k in kpis), strict=True))
    columns = [ALL_CUSTOMERS, *segments]
    # Filled as plain dicts, row by row of the comparison, and made frames once: a frame written
    # cell by cell (.loc) cost more than the rest of the table.
    texts = {name: dict.fromkeys(columns, "") for name in names.values()}
    kinds = {name: dict.fromkeys(columns, "") for name in names.values()}
    shown = {kpi: partial(KPIS[kpi].format_value, compact=True, currency=currency) for kpi in names}
    for kpi, segment, value, n, all_value, all_n, difference, real, verdict in zip(
        *(comparison[c] for c in _LAID_OUT), strict=True
    ):
        if kpi not in names:
            continue
        row = texts[names[kpi]]
        if not row[ALL_CUSTOMERS]:
            # The KPI's first row gives all customers' cell (the same in each of its rows).
            row[ALL_CUSTOMERS] = _cell(shown[kpi](all_value), all_n)
        marker = (" ▲" if difference > 0 else " ▼") if real else ""
        row[segment] = _cell(shown[kpi](value) + marker, n)
        kinds[names[kpi]][segment] = verdict if verdict in _TINTS else ""
    index = list(names.values())
    cells = pd.DataFrame([list(texts[name].values()) for name in index], index=index, columns=columns)
    verdicts = pd.DataFrame([list(kinds[name].values()) for name in index], index=index, columns=columns)
    return cells, verdicts


# The comparison's columns a table cell is written from, in the order comparison_layout reads them.
_LAID_OUT = ("kpi", "segment", "value", "n", "all_value", "all_n", "difference", "real", "verdict")


@st.cache_data(max_entries=64, show_spinner=False)
def _laid_out(
    comparison: pd.DataFrame, kpi_order: tuple[str, ...], currency: str | None
) -> tuple[pd.DataFrame, pd.DataFrame]:
    # Laid out cell by cell, the table costs more than any tile; every session and rerun showing
    # the same comparison (a small frame, hashed whole) shares one layout.
    return comparison_layout(comparison, kpi_order, currency)


@st.cache_data(max_entries=64, show_spinner=False)
def _laid_out_from(
    source: Any, _comparison: pd.DataFrame, kpi_order: tuple[str, ...], currency: str | None
) -> tuple[pd.DataFrame, pd.DataFrame]:
    # As _laid_out, keyed by the KPI frame the comparison follows from instead of its hash.
    return comparison_layout(_comparison, kpi_order, currency)


def segment_table(
    comparison: pd.DataFrame,
    kpi_order: Sequence[str],
    by_label: str,
    currency: str | None = None,
    *,
    source: Any = None,
) -> None:
    """Draw the comparison table with its caption; nothing when no KPI is split.

    ``source``: the KPI frame ``comparison`` is :func:`bsc.kpis.compare.compare_segments` of
    (:data:`ui.chart_specs.KpiSource`); the layout is then kept under it rather than under a
    hash of the comparison."""
    if comparison.empty:
        return
    cells, verdicts = (
        _laid_out(comparison, tuple(kpi_order), currency)
        if source is None
        else _laid_out_from(source, comparison, tuple(kpi_order), currency)
    )
    # st.table writes its labels as Markdown: segment names from the data are escaped to show as typed.
    cells, verdicts = cells.rename(columns=literal), verdicts.rename(columns=literal)
    styled = cells.style.apply(lambda _: verdicts.map(lambda v: _TINTS.get(v, "")), axis=None)
    st.subheader(f"Segments side by side: {literal(by_label)}", anchor=False)
    # A static table wraps "€12,346 · n 2,243" within its column where a data grid would scroll
    # sideways: a room reads every segment at once.
    st.table(styled)
    compared = set(comparison["kpi"])
    full_names = "; ".join(
        f"{KPIS[k].short_name}: {KPIS[k].name}"
        for k in kpi_order
        if k in compared and KPIS[k].short_name != KPIS[k].name
    )
    tested = int(comparison["test"].notna().sum())
    real = int(comparison["real"].sum())
    tests = sorted({CHANGE_TEST_NAMES[t] for t in comparison["test"].dropna()})
    st.caption(
        f"{_periods(comparison)} Each segment is compared with the rest of the customers; "
        f"{real} of {tested} tested cells show a real difference (not noise): green better, "
        "red worse, ▲ / ▼ higher / lower. Counts and totals grow with a segment's size and are "
        "not tested. n: customers, answers or orders behind the value; —: no value for that segment "
        "(its tile says why).",
        help=f"Rows: {full_names}. Tests: {', '.join(tests) or 'none'}, segment against the rest of the customers. "
        f"Multiple-comparison correction: Benjamini–Hochberg across all {tested} tested cells of the "
        f"table, at a {FALSE_DISCOVERY_RATE:.0%} false-discovery rate (so about 1 in 20 coloured "
        "cells may still be chance).",
    )


def status_layout(
    statuses: pd.DataFrame, kpi_order: Sequence[str], currency: str | None = None
) -> tuple[pd.DataFrame, pd.DataFrame]:
    """Each segment's status for each KPI with a segment target, in words, and each cell's status.

    ``statuses`` is :func:`bsc.targets.evaluate` for the split (``by=``); rows are the KPIs that
    have a target for at least one segment (in ``kpi_order``), columns the segments, a cell
    "✗ Off track · behind by 6 pts" (its mark and :func:`bsc.targets.status_words`), or
    "– No target" for a segment without one. Both frames are empty when no segment has a target.
    """
    segmented = statuses[statuses["segment"].notna()]
    targeted = set(segmented.loc[segmented["goal"].notna(), "kpi"])
    kpis = [k for k in kpi_order if k in targeted]
    if not kpis:
        return pd.DataFrame(), pd.DataFrame()
    segments = sorted(str(s) for s in segmented["segment"].unique())
    names = [KPIS[k].name for k in kpis]
    cells = pd.DataFrame("– No target", index=names, columns=segments)
    kinds = pd.DataFrame("", index=names, columns=segments)
    for row in segmented[segmented["kpi"].isin(kpis)].itertuples():
        name, segment = KPIS[row.kpi].name, str(row.segment)
        if pd.isna(row.goal):
            continue
        # Undated values cannot meet a target due in a period: say so briefly (the note is long).
        words = "Not compared: the data have no dates" if row.period == "all" else status_words(row, currency)
        cells.loc[name, segment] = f"{TABLE_MARKS.get(row.status, '–')} {words}"
        kinds.loc[name, segment] = str(row.status)
    return cells, kinds


def segment_statuses(
    statuses: pd.DataFrame, kpi_order: Sequence[str], by_label: str, currency: str | None = None
) -> None:
    """Draw "Targets by segment" under the comparison; nothing when no segment has a target."""
    cells, kinds = status_layout(statuses, kpi_order, currency)
    if cells.empty:
        return
    styled = cells.style.apply(lambda _: kinds.map(lambda v: _STATUS_TINTS.get(v, "")), axis=None)
    st.markdown(f"**Targets by segment: {literal(by_label)}**")
    st.dataframe(styled, width="stretch", height=min(38 + 35 * len(cells), 320))
    shown = statuses[statuses["segment"].notna() & statuses["goal"].notna()]
    periods = sorted({str(p) for p in shown["period"].dropna()})
    if periods == ["all"]:
        st.caption(
            "The data have no dates: a target is due in a period, so it cannot be read against these "
            "all-time values. Add dated data (orders, churn dates) to see each segment's status."
        )
        return
    when = (
        f"the latest period with a value ({', '.join(p for p in periods if p != 'all')})"
        if periods
        else "no period with a value yet"
    )
    st.caption(
        f"Each segment against its own target, in {when}: ✓ on track, ! at risk, ✗ off track, "
        "≈ within noise (the target lies inside the value's 95% interval, so the data cannot tell). "
        "The gap is the value minus the target for that period.",
        help="Statuses follow each target's green and amber bands (set on the Objectives page); "
        "a target set per quarter is read when the quarter view is chosen.",
    )


def _cell(value: str, n: object) -> str:
    return value if n is None or pd.isna(n) else f"{value} · n {int(n):,}"


def _periods(comparison: pd.DataFrame) -> str:
    periods = sorted(set(comparison["period"]))
    if periods == ["all"]:
        return "All-time values (the data has no dates)."
    dated = [p for p in periods if p != "all"]
    text = f"Latest whole period: {', '.join(dated)}"
    return text + (" (undated KPIs: all time)." if "all" in periods else ".")

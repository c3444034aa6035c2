"""KPI tiles: the latest value, its change against the previous period, a sparkline, honest flags."""

from __future__ import annotations

from dataclasses import dataclass
from typing import Any

import pandas as pd
import streamlit as st

from bsc.change_tests import judge_change
from bsc.insights import Shift
from bsc.kpis import KPIS, KpiDef
from bsc.targets import STATUS_LABELS
from ui.status_chips import TABLE_MARKS
from ui.text import literal

SMALL_SAMPLE = 30
SPARKLINE_PERIODS = 12


# Status marks on tiles: a shape and a colour (Streamlit's Markdown colours), never colour alone.
MARK_COLOURS = {"green": "green", "amber": "orange", "red": "red", "noise": "gray", "no_data": "gray"}


@dataclass(frozen=True)
class TileFacts:
    """What a tile says, worked out from one KPI's series for one segment (oldest first)."""

    value: str
    delta: str | None
    delta_color: str
    within_noise: bool
    untested: bool
    help: str
    small_sample: bool
    sparkline: list[float]


def tile_facts(definition: KpiDef, series: pd.DataFrame) -> TileFacts:
    """Facts for the tile of ``definition`` from its rows (``period`` order, one segment)."""
    series = series[series["value"].notna()]
    if series.empty:
        return TileFacts("—", None, "off", False, False, "No data in any period.", False, [])
    latest = series.iloc[-1]
    previous = series.iloc[-2] if len(series) > 1 else None
    n = int(latest["n"]) if pd.notna(latest["n"]) else None
    small = n is not None and n < SMALL_SAMPLE
    lines = [
        f"{definition.formula}.",
        f"Period {latest['period']}" + (f", n = {n:,}." if n is not None else "."),
    ]
    if pd.notna(latest.get("ci_low")) and pd.notna(latest.get("ci_high")):
        lines.append(
            f"95% interval: {definition.format_value(latest['ci_low'])} to "
            f"{definition.format_value(latest['ci_high'])}."
        )
    if small:
        lines.append(f"Small sample: fewer than {SMALL_SAMPLE} — read with care.")

    delta, color, within_noise, untested = None, "off", False, False
    if previous is not None:
        change = latest["value"] - previous["value"]
        delta = _delta_text(definition, change, previous["value"])
        # Coloured only when the KPI's two-sample test rejects "no change" at 5%.
        verdict = judge_change(definition.change_test, previous, latest)
        lines.append(f"Change since {previous['period']} — {verdict.explanation}")
        if verdict.real:
            color = "normal" if definition.direction == "higher" else "inverse"
        elif verdict.tested:
            within_noise = True
        else:
            untested = True
    return TileFacts(
        value=definition.format_value(latest["value"]),
        delta=delta,
        delta_color=color,
        within_noise=within_noise,
        untested=untested,
        help="  \n".join(lines),
        small_sample=small,
        sparkline=[float(v) for v in series["value"].tail(SPARKLINE_PERIODS)],
    )


def kpi_tile(definition: KpiDef, series: pd.DataFrame, status: Any = None) -> None:
    """A tile; ``status`` is the KPI's row of :func:`bsc.targets.evaluate` for the segment shown."""
    facts = tile_facts(definition, series)
    label = definition.short_name
    help_text = facts.help
    if status is not None and status.status != "no_target":
        label = f":{MARK_COLOURS[status.status]}[{TABLE_MARKS[status.status]}] {label}"
        target = definition.format_value(status.target)
        help_text += (
            f"  \nTarget for {status.period}: {target} — {STATUS_LABELS[status.status]}. "
            f"Goal {definition.format_value(status.goal)} by {status.due_period}."
        )
        if status.note:
            help_text += f" {status.note}"
    # Short notes: a tile is a fifth of a projector-wide page, and "within noise" would be cut off
    # beside the delta. The help says it in full.
    flags = (
        ("noise", facts.within_noise),
        ("no test", facts.untested),
        ("small n", facts.small_sample),
    )
    notes = [note for note, flag in flags if flag]
    st.metric(
        label,
        facts.value,
        delta=facts.delta,
        delta_color=facts.delta_color,
        delta_description=" · ".join(notes) or None,
        help=help_text,
        border=True,
        chart_data=facts.sparkline or None,
        chart_type="line",
    )


def attribute_label(attribute: str | None) -> str:
    """A segment attribute's column name as a reader would write it: acquisition_channel -> Acquisition channel."""
    return "" if attribute is None else attribute.replace("_", " ").capitalize()


def shift_line(shift: Shift) -> str:
    """One Markdown line for a significant shift: green when it is good news, red when bad."""
    definition = KPIS[shift.kpi]
    colour, arrow = (
        ("green", "▲" if shift.after > shift.before else "▼")
        if shift.better
        else (
            "red",
            "▲" if shift.after > shift.before else "▼",
        )
    )
    who = "all customers" if shift.segment is None else f"{attribute_label(shift.attribute)} {shift.segment}"
    verdict = "better" if shift.better else "worse"
    return (
        f":{colour}[{arrow} **{literal(definition.name)}**, {literal(who)}:] "
        f"{literal(definition.format_value(shift.before))} → {literal(definition.format_value(shift.after))} "
        f"({verdict})"
    )


def _delta_text(definition: KpiDef, change: float, previous: float) -> str:
    if definition.unit in ("%", "points"):
        return f"{change:+.1f} pts"
    if definition.unit in ("score", "index", "hours"):
        suffix = " h" if definition.unit == "hours" else ""
        return f"{change:+.2f}{suffix}"
    if previous:
        return f"{change / abs(previous):+.1%}"
    return f"{change:+,.0f}"

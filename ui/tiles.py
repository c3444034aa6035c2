"""KPI tiles: the latest value, its change against the previous period, a sparkline, honest flags.

A latest period the data covers only in part reads "to date" ("June 2026 to date, 10 of 30
days") and gets no change against a whole period; for the order KPIs it is set against the same
days of the period before (1–10 June against 1–10 May). A value the data cannot know reads "—",
"not enough history", with the reason in the help. Undated data (one "all" period) give an
all-time value, marked "all time", with no change and no sparkline.
"""

from __future__ import annotations

from collections.abc import Mapping
from dataclasses import dataclass
from datetime import timedelta
from typing import Any

import numpy as np
import pandas as pd
import streamlit as st

from bsc.change_tests import judge_change
from bsc.columns import column_label
from bsc.currency import UNKNOWN_CURRENCY_SIGN
from bsc.errors import InputError
from bsc.insights import Shift
from bsc.kpis import KPIS, KpiDef, whole_periods
from bsc.periods import Period, parse_period
from bsc.targets import status_words, tile_words
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
    # A short caption beside the delta ("10/30 days", "to date"), and whether the
    # delta is a change (an arrow) or a word ("to date", "not enough history").
    period_note: str | None = None
    delta_arrow: str = "auto"


def tile_facts(
    definition: KpiDef,
    series: pd.DataFrame,
    *,
    coverage: tuple[pd.Timestamp, pd.Timestamp] | None = None,
    same_days: pd.DataFrame | None = None,
    currency: str | None = None,
) -> TileFacts:
    """Facts for the tile of ``definition`` from its rows (``period`` order, one segment).

    ``coverage`` is the first and last date of the KPI's data (for "10 of 30 days"),
    ``same_days`` the KPI's rows of :attr:`bsc.kpis.KpiResult.same_days` for the segment,
    ``currency`` the workspace's (money is written "€12,346", "12,346 ¤" when unknown).
    """
    if len(series) and "complete" in series and not bool(series["complete"].iloc[-1]):
        return _to_date_facts(definition, series, coverage, same_days, currency)
    if len(series) and "reason" in series and pd.notna(series["reason"].iloc[-1]):
        return _unknown_facts(definition, series)
    # Only whole, known periods are compared (a partial first period is no baseline).
    values, whole_known = _whole_known(series)
    compared = np.flatnonzero(whole_known)
    if not len(compared):
        return TileFacts("—", None, "off", False, False, "No data in any period.", False, [])
    latest = series.iloc[compared[-1]]
    previous = series.iloc[compared[-2]] if len(compared) > 1 else None
    n = int(latest["n"]) if pd.notna(latest["n"]) else None
    small = n is not None and n < SMALL_SAMPLE
    lines = [
        f"{definition.formula}.",
        f"Period {latest['period']}" + (f", n = {n:,}." if n is not None else "."),
    ]
    if pd.notna(latest.get("ci_low")) and pd.notna(latest.get("ci_high")):
        lines.append(
            f"95% interval: {definition.format_value(latest['ci_low'], currency=currency)} to "
            f"{definition.format_value(latest['ci_high'], currency=currency)}."
        )
    if small:
        lines.append(f"Small sample: fewer than {SMALL_SAMPLE} — read with care.")
    if latest["period"] == "all":
        # Undated data: one all-time value, no change and no sparkline (a single point would
        # draw an empty chart).
        lines.append("All-time value: the data have no dates, so there is no trend or change.")
        return TileFacts(
            value=definition.format_value(latest["value"], compact=True, currency=currency),
            delta="all time",
            delta_color="off",
            within_noise=False,
            untested=False,
            help="  \n".join(lines),
            small_sample=small,
            sparkline=[],
            delta_arrow="off",
        )

    delta, color, within_noise, untested = None, "off", False, False
    if previous is not None:
        change = latest["value"] - previous["value"]
        delta = definition.format_change(change, previous["value"], currency)
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
        value=definition.format_value(latest["value"], compact=True, currency=currency),
        delta=delta,
        delta_color=color,
        within_noise=within_noise,
        untested=untested,
        help="  \n".join(lines),
        small_sample=small,
        sparkline=_points(series, values, whole_known),
        # A change that rounds to zero has no sign, and no arrow.
        delta_arrow="auto" if delta and delta[0] in "+-" else "off",
    )


def _period(label: object) -> Period | None:
    try:
        return parse_period(label)
    except InputError:
        return None


def _whole_known(series: pd.DataFrame) -> tuple[np.ndarray, np.ndarray]:
    """The series' values as floats, and which rows hold a value of a whole period: as
    :func:`bsc.kpis.whole_known`, read as arrays once (each tile used to filter its rows as a
    frame three times)."""
    values = series["value"].to_numpy(dtype=float, na_value=np.nan)
    return values, ~np.isnan(values) & whole_periods(series).to_numpy(dtype=bool)


def _sparkline(series: pd.DataFrame) -> list[float]:
    """The last whole dated periods' values; empty under two points (one point draws an empty
    chart) and for undated ("all") values."""
    return _points(series, *_whole_known(series))


def _points(series: pd.DataFrame, values: np.ndarray, whole_known: np.ndarray) -> list[float]:
    dated = series["period"].to_numpy(dtype=object, na_value=None) != "all"
    points = values[whole_known & dated][-SPARKLINE_PERIODS:].tolist()
    return points if len(points) > 1 else []


def _to_date_facts(
    definition: KpiDef,
    series: pd.DataFrame,
    coverage: tuple[pd.Timestamp, pd.Timestamp] | None,
    same_days: pd.DataFrame | None,
    currency: str | None = None,
) -> TileFacts:
    """A latest period the data covers only in part: "to date", compared like with like or not at all."""
    latest = series.iloc[-1]
    period = _period(latest["period"])
    title = period.title if period is not None else str(latest["period"])
    days = None
    if period is not None and coverage is not None:
        days = (pd.Timestamp(coverage[1]).date() - period.start_date).days + 1
        if not 0 < days < period.days:
            days = None
    span = f"{days} of {period.days} days" if days and period else None
    # Tiles are narrow: the caption beside the delta holds about ten characters.
    short_span = f"{days}/{period.days} days" if days and period else None
    lines = [
        f"{definition.formula}.",
        f"{title} to date" + (f", {span}" if span else "") + ": the data end inside the period, so the "
        "value covers part of it.",
    ]
    delta, arrow, note = "to date", "off", short_span
    match = same_days.iloc[0] if same_days is not None and len(same_days) else None
    value = latest["value"]
    if pd.notna(latest.get("reason")):
        lines.append(f"No value: {latest['reason']}.")
        value, note = None, "no value"
    elif match is not None and pd.notna(match["previous_value"]) and period is not None:
        previous = parse_period(match["previous_period"])
        shown = int(match["days"])
        ours, theirs = _day_span(period, shown), _day_span(previous, min(shown, previous.days))
        delta = definition.format_change(value - match["previous_value"], match["previous_value"], currency)
        arrow, note = "auto", "to date"
        lines.append(
            f"Like with like: {ours} against {theirs} ({definition.format_value(match['previous_value'], currency=currency)}); "
            "no colour, as a part of a period is no whole period."
        )
    else:
        lines.append("No change shown: a part of a period is not comparable with a whole one.")
    n = int(latest["n"]) if pd.notna(latest["n"]) else None
    small = value is not None and n is not None and n < SMALL_SAMPLE
    if small:
        lines.append(f"Small sample: fewer than {SMALL_SAMPLE} — read with care.")
    return TileFacts(
        value=definition.format_value(value, compact=True, currency=currency),
        delta=delta,
        delta_color="off",
        within_noise=False,
        untested=False,
        help="  \n".join(lines),
        small_sample=small,
        sparkline=_sparkline(series),
        period_note=note,
        delta_arrow=arrow,
    )


def _unknown_facts(definition: KpiDef, series: pd.DataFrame) -> TileFacts:
    """A latest value the data cannot know: "—" and the reason."""
    latest = series.iloc[-1]
    reason = str(latest["reason"])
    word = "not enough history" if reason.startswith("not enough history") else "no value"
    lines = [f"{definition.formula}.", f"Period {latest['period']}: no value — {reason}."]
    return TileFacts(
        "—", word, "off", False, False, "  \n".join(lines), False, _sparkline(series), None, "off"
    )


def to_date_caption(
    rows: pd.DataFrame,
    coverage: dict[str, tuple[pd.Timestamp, pd.Timestamp]],
    same_days: pd.DataFrame,
) -> str | None:
    """One line for the page when the latest period is covered only in part, None otherwise.

    "June 2026 is covered to 10 June (10 of 30 days): tiles marked "to date" show it; order
    figures are set against 1–10 May, the others against nothing."
    """
    dated = rows[rows["period"] != "all"]
    if dated.empty or "complete" not in dated:
        return None
    # Each label parsed once (in order of first appearance, so ties go as before), not once a row.
    latest = max(dated["period"].unique(), key=lambda label: parse_period(label).end_month)
    partial = dated[(dated["period"] == latest) & ~dated["complete"].astype(bool)]
    lasts = [coverage[kpi][1] for kpi in partial["kpi"].unique() if kpi in coverage]
    period = _period(latest)
    if partial.empty or period is None or not lasts:
        return None
    last = max(pd.Timestamp(day) for day in lasts)
    days = (last.date() - period.start_date).days + 1
    if not 0 < days < period.days:
        return None
    text = (
        f"{period.title} is covered to {last.day} {last:%B} ({days} of {period.days} days): tiles marked "
        "“to date” show that part, with no change against a whole period"
    )
    if len(same_days):
        previous = parse_period(same_days["previous_period"].iloc[0])
        span = _day_span(previous, min(int(same_days["days"].iloc[0]), previous.days))
        text += f"; order figures are set against the same days before ({span})"
    return text + "."


def _day_span(period: Period, days: int) -> str:
    """ "1–10 June", "1 Apr – 10 May 2026", or the period's name when the span is all of it."""
    if days >= period.days:
        return period.title
    first = period.start_date
    last = first + timedelta(days=days - 1)
    if period.unit == "month":
        return f"1–{days} {first:%B}"
    return f"{first.day} {first:%b} – {last.day} {last:%b %Y}"


def kpi_tile(
    definition: KpiDef,
    series: pd.DataFrame,
    status: Any = None,
    *,
    coverage: tuple[pd.Timestamp, pd.Timestamp] | None = None,
    same_days: pd.DataFrame | None = None,
    assumptions: str | None = None,
    currency: str | None = None,
) -> None:
    """A tile; ``status`` is the KPI's row of :func:`bsc.targets.evaluate` for the segment shown;
    ``coverage`` and ``same_days`` as for :func:`tile_facts`; ``assumptions`` (the CLV's margin,
    churn base, discounting) are added to the help; ``currency`` is the workspace's."""
    facts = tile_facts(definition, series, coverage=coverage, same_days=same_days, currency=currency)
    label = definition.short_name
    help_text = facts.help + (f"  \nAssumptions: {assumptions}" if assumptions else "")
    target_line = tile_words(status, currency) if status is not None else ""
    if status is not None and status.status != "no_target":
        label = f":{MARK_COLOURS[status.status]}[{TABLE_MARKS[status.status]}] {label}"
    if target_line:
        help_text += f"  \nTarget: {target_line}. {status_words(status, currency)}."
        if status.note and status.note not in help_text:
            help_text += f" {status.note}"
    # Short notes: a tile is a fifth of a projector-wide page, and "within noise" would be cut off
    # beside the delta. The help says it in full.
    flags = (
        ("noise", facts.within_noise),
        ("no test", facts.untested),
        ("small n", facts.small_sample),
    )
    notes = [note for note, flag in flags if flag]
    if facts.period_note:
        notes.insert(0, facts.period_note)
    st.metric(
        label,
        facts.value,
        delta=facts.delta,
        delta_color=facts.delta_color,
        delta_arrow=facts.delta_arrow,
        delta_description=" · ".join(notes) or None,
        help=help_text,
        border=True,
        chart_data=facts.sparkline or None,
        chart_type="line",
    )
    if target_line:
        # Under the tile, in words: the target, when it is due and how far off the value is.
        st.caption(target_line)


def money_note() -> str:
    """What "¤" means, for a page whose workspace has no currency yet."""
    return (
        f"{UNKNOWN_CURRENCY_SIGN} = amounts in the data's currency, which the data does not name "
        "(set it on the Data page)"
    )


def shift_line(shift: Shift, labels: Mapping[str, str] | None = None, currency: str | None = None) -> str:
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
    who = (
        "all customers"
        if shift.segment is None
        else f"{column_label(shift.attribute or '', labels)} {shift.segment}"
    )
    verdict = "better" if shift.better else "worse"
    return (
        f":{colour}[{arrow} **{literal(definition.name)}**, {literal(who)}:] "
        f"{literal(definition.format_value(shift.before, currency=currency))} → "
        f"{literal(definition.format_value(shift.after, currency=currency))} "
        f"({verdict})"
    )

"""A KPI's standing against its target, in words a workshop reads aloud.

Pure functions over one row of :func:`bsc.targets.evaluate`; the units come from the KPI's
record (:meth:`bsc.kpis.KpiDef.format_value`), so "45%", "35 pts", "12 h", "1,250".

Gap
---
With the gap :math:`v - t` (KPI value minus the target for the period) and the sign
:math:`d = +1` when higher is better and :math:`-1` when lower is better, the KPI is *ahead*
when :math:`d (v - t) > 0` and *behind* when :math:`d (v - t) < 0`; a gap that rounds to zero
in the KPI's format is *on target*. Percentages and NPS differ by points ("behind by 6 pts"),
hours by hours ("ahead by 1.5 h"); counts and money by the number itself.

Examples (NPS, higher is better, target 45 by 2027-05, value 39): ``target_words`` gives
"target 45 pts by 2027-05", ``gap_words`` "behind by 6 pts", ``status_words`` "At risk ·
behind by 6 pts" and ``tile_words`` "target 45 pts by 2027-05 · behind by 6 pts".
"""

from __future__ import annotations

import math
from typing import Any

import pandas as pd

from bsc.currency import money_text
from bsc.kpis import KPIS, KpiDef, format_number
from bsc.targets.statuses import STATUS_LABELS

__all__ = ["gap_words", "status_words", "target_words", "tile_words"]

# A gap is a difference: percentages and NPS differ by points, hours by hours.
_GAP_SUFFIXES = {"%": " pts", "points": " pts", "hours": " h"}


def _number(value: Any) -> float:
    return math.nan if value is None or pd.isna(value) else float(value)


def _field(row: Any, name: str) -> Any:
    return row.get(name) if isinstance(row, dict) else getattr(row, name, None)


def gap_words(definition: KpiDef, value: float, target: float, currency: str | None = None) -> str:
    """ "ahead by 2 pts", "behind by 6 pts", "on target" (or "" when either number is missing).

    The amount is :math:`|v - t|` written as :func:`bsc.kpis.format_number` writes it, with
    " pts" for percentages and NPS, " h" for hours, nothing for counts, and money with its
    ``currency`` ("behind by €6"); the side follows the KPI's direction (a churn rate below its
    target is ahead).
    """
    value, target = _number(value), _number(target)
    if math.isnan(value) or math.isnan(target):
        return ""
    gap = value - target
    amount = format_number(abs(gap))
    if amount == "0":
        return "on target"
    better = gap > 0 if definition.direction == "higher" else gap < 0
    suffix = _GAP_SUFFIXES.get(definition.unit, "")
    if amount == "1" and suffix == " pts":
        suffix = " pt"
    if definition.unit == "money":
        amount = money_text(amount, currency)
    return f"{'ahead' if better else 'behind'} by {amount}{suffix}"


def target_words(row: Any, currency: str | None = None) -> str:
    """ "target 45 pts by 2027-05", with the period's own value when the trajectory is still on
    its way: "target 40 pts in 2026-10 (45 pts by 2027-05)"; "" without a target."""
    definition = KPIS[_field(row, "kpi")]
    goal, due = _number(_field(row, "goal")), _field(row, "due_period")
    if math.isnan(goal) or not due:
        return ""
    final = f"{definition.format_value(goal, compact=True, currency=currency)} by {due}"
    now, period = _number(_field(row, "target")), _field(row, "period")
    if math.isnan(now) or not period or format_number(now) == format_number(goal) or period == due:
        return f"target {final}"
    return f"target {definition.format_value(now, compact=True, currency=currency)} in {period} ({final})"


def status_words(row: Any, currency: str | None = None) -> str:
    """The status and the gap of one KPI and segment, for a tile or a segment × KPI table.

    ``row`` is a row of :func:`bsc.targets.evaluate` (a dict, a named tuple or a Series).
    "On track · ahead by 2 pts", "At risk · behind by 6 pts", "Off track · behind by 1.2 h",
    "On target", "Within noise · behind by 1 pt (the data cannot tell)", "No target",
    "No value yet for this target", or, for a target that cannot be read here, its note.
    """
    definition = KPIS[_field(row, "kpi")]
    status = _field(row, "status")
    note = _field(row, "note") or ""
    if status == "no_target" and not math.isnan(_number(_field(row, "goal"))):
        # A target exists but cannot be read in this period (set per quarter, undated data...).
        return note or "Not compared"
    if status in ("no_target",):
        return STATUS_LABELS["no_target"]
    if status == "no_data":
        return "No value yet for this target"
    gap = gap_words(definition, _field(row, "value"), _field(row, "target"), currency)
    if gap == "on target":
        return "On target"
    if status == "noise":
        return f"Within noise · {gap} (the data cannot tell)" if gap else STATUS_LABELS["noise"]
    label = STATUS_LABELS.get(str(status), str(status))
    return f"{label} · {gap}" if gap else label


def tile_words(row: Any, currency: str | None = None) -> str:
    """One line under a tile: "target 45 pts by 2027-05 · behind by 6 pts" (the status's colour
    and shape are on the tile's title); "" without a target."""
    target = target_words(row, currency)
    if not target:
        return ""
    status = _field(row, "status")
    gap = gap_words(KPIS[_field(row, "kpi")], _field(row, "value"), _field(row, "target"), currency)
    if status in ("green", "amber", "red", "noise") and gap == "on target":
        return f"{target} · on target"
    if status in ("green", "amber", "red") and gap:
        return f"{target} · {gap}"
    if status == "noise" and gap:
        return f"{target} · {gap}, within noise"
    if status == "no_data":
        return f"{target} · no value yet"
    if status == "no_target":
        # The note (set per quarter, undated data...) is long: the tile's help gives it.
        return f"{target} · not compared here"
    return target

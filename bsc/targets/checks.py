"""Checking records before they are stored: what can work in this workspace, and edits as typed.

A target is checked against the workspace's KPIs (computable, split by its segment, a known
segment, a goal within the KPI's limits), its bands and weight, its per-period values and its
due period (not past, after the latest data); a new one takes its baseline from the KPI's latest
value. Objectives and initiatives are checked for names, dates, statuses and linked KPIs. Each
check returns the record with its values tidied, or raises :class:`bsc.errors.InputError`.
The ``_…_changes`` functions read the fields of an edit as typed in a table. The names starting
with ``_`` are shared inside :mod:`bsc.targets` only.
"""

from __future__ import annotations

import math
import re
from collections.abc import Callable, Mapping, Sequence
from dataclasses import replace
from datetime import date

import numpy as np

from bsc.errors import InputError
from bsc.kpis import KPIS, KpiResult, latest_basis
from bsc.periods import Period, parse_period, position
from bsc.targets.cells import _bands, _blank, _check_goal, _date, _kpi_id, _number, _text, _weight
from bsc.targets.model import INITIATIVE_STATUSES, Initiative, Objective, Target

__all__: list[str] = []

# ``(period unit, by) -> KpiResult`` of the workspace, cached by the book.
KpiLookup = Callable[[str, str | None], KpiResult]


def _target_changes(changes: Mapping[str, object], current: Target) -> dict[str, object]:
    """The fields of an edit of ``current`` as typed values: numbers, period labels, bands.

    ``trajectory`` takes a mapping period -> value (or pairs); an empty one means the linear ramp.
    Numbers typed in a table keep the target's band mode; text with "%" makes it relative.
    """
    values = dict(changes)
    if "goal" in values:
        values["goal"] = _number(values["goal"], "The goal")[0]
    if "due_period" in values:
        values["due_period"] = parse_period(values["due_period"]).label
    if "trajectory" in values:
        points = values["trajectory"] or {}
        pairs = points.items() if isinstance(points, Mapping) else points
        values["trajectory"] = tuple(
            (parse_period(label).label, _number(value, f"The value for {label}")[0]) for label, value in pairs
        )
    if {"green", "amber", "band_mode"} & set(values):
        mode = values.get("band_mode")
        typed = any(isinstance(values.get(name), str) for name in ("green", "amber"))
        if _blank(mode) and not typed:
            mode = current.band_mode
        mode, green, amber = _bands(
            values.get("green", current.green), values.get("amber", current.amber), mode
        )
        values |= {"band_mode": mode, "green": green, "amber": amber}
    if "weight" in values:
        values["weight"] = _weight(values["weight"])
    return values


def _checked_target(target: Target, current: Target | None, *, today: date, kpi_result: KpiLookup) -> Target:
    """The target with its baseline, or InputError for anything that cannot work."""
    if target.kpi not in KPIS:
        raise InputError(f"“{target.kpi}” is not a KPI; use one of: {', '.join(KPIS)}.")
    definition = KPIS[target.kpi]
    if not isinstance(target.goal, int | float) or not math.isfinite(float(target.goal)):
        raise InputError(f"The goal for {definition.name} must be a number, not “{target.goal}”.")
    _check_goal(target.kpi, float(target.goal), "The goal")
    due = parse_period(target.due_period)
    if (target.segment_by is None) != (target.segment is None):
        raise InputError("A segment needs both its attribute and its value (e.g. region and North).")
    mode, green, amber = _bands(target.green, target.amber, target.band_mode)
    weight = _weight(target.weight)
    trajectory = tuple((parse_period(label), float(value)) for label, value in target.trajectory)
    for period, value in trajectory:
        if period.unit != due.unit:
            raise InputError(
                f"Per-period values must use the due period's kind ({due.unit}), not {period.label}."
            )
        if period.index >= due.index:
            raise InputError(f"Per-period value {period.label} is not before the due period {due.label}.")
        _check_goal(target.kpi, value, f"The value for {period.label}")
    if len({period for period, _ in trajectory}) < len(trajectory):
        raise InputError("A period appears twice among the per-period values.")
    due_changed = current is None or current.due_period != due.label
    if due_changed and due.end_date < today:
        raise InputError(
            f"The due period {due.label} ended on {due.end_date.isoformat()}, before today "
            f"({today.isoformat()}); choose a later one."
        )
    baseline, baseline_period = target.baseline, target.baseline_period
    if current is None or current.unit != due.unit:
        baseline, baseline_period = _baseline(target.kpi, target.segment_by, target.segment, due, kpi_result)
    elif current is not None:
        baseline, baseline_period = current.baseline, current.baseline_period
    if baseline_period is not None and parse_period(baseline_period).end_month >= due.end_month:
        raise InputError(f"The due period {due.label} must come after the latest data ({baseline_period}).")
    if trajectory and baseline_period is not None:
        start = parse_period(baseline_period)
        early = [p.label for p, _ in trajectory if p.end_month <= start.end_month]
        if early:
            raise InputError(
                f"Per-period values must come after the baseline period {start.label}: {', '.join(early)}."
            )
    return replace(
        target,
        goal=float(target.goal),
        due_period=due.label,
        band_mode=mode,  # type: ignore[arg-type]
        green=green,
        amber=amber,
        weight=weight,
        trajectory=tuple(sorted(((p.label, v) for p, v in trajectory), key=lambda pv: position(pv[0]))),
        baseline=baseline,
        baseline_period=baseline_period,
    )


def _baseline(
    kpi: str, segment_by: str | None, segment: str | None, due: Period, kpi_result: KpiLookup
) -> tuple[float | None, str | None]:
    """The KPI's value in its latest period with data, after checking it can be computed."""
    result = kpi_result(due.unit, segment_by)
    name = KPIS[kpi].name
    unavailable = dict(result.unavailable)
    if kpi in unavailable:
        raise InputError(f"{name} cannot be computed from this workspace: it {unavailable[kpi]}.")
    if segment_by is not None and kpi in dict(result.not_split):
        raise InputError(
            f"{name} cannot be split by {segment_by} ({dict(result.not_split)[kpi]}); "
            "set its target for all customers."
        )
    rows = result.kpi(kpi)
    if segment is None:
        rows = rows[rows["segment"].isna()]
    else:
        known = sorted(rows["segment"].dropna().unique())
        if segment not in known:
            listed = ", ".join(known[:12]) + (" …" if len(known) > 12 else "")
            raise InputError(f"There is no segment “{segment}” of {segment_by}; known: {listed}.")
        rows = rows[rows["segment"] == segment]
    rows = rows[rows["period"] != "all"]
    # A period "to date" is no baseline while a whole one has a value.
    rows = rows[latest_basis(rows)]
    if rows.empty:
        return None, None
    latest = rows.iloc[int(np.argmax([position(p) for p in rows["period"]]))]
    return float(latest["value"]), str(latest["period"])


def _checked_objective(
    objective: Objective,
    current: Objective | None,
    *,
    others: Sequence[Objective],
    today: date,
    kpi_result: KpiLookup,
) -> Objective:
    name = _text(objective.name, "The objective's name", required=True)
    clash = next(
        (o for o in others if o.name.lower() == name.lower() and (current is None or o.id != current.id)),
        None,
    )
    if clash is not None:
        raise InputError(f"An objective called “{name}” already exists; choose another name.")
    due = _date(objective.due_date, "The due date")
    if due is not None and (current is None or due != current.due_date) and due < today:
        raise InputError(f"The due date {due.isoformat()} is in the past (today is {today.isoformat()}).")
    kpis = tuple(dict.fromkeys(_kpi_id(kpi) for kpi in objective.kpis))
    added = set(kpis) - set(current.kpis if current else ())
    if added:
        unavailable = dict(kpi_result("month", None).unavailable)
        blocked = [f"{KPIS[k].name} ({unavailable[k]})" for k in kpis if k in added and k in unavailable]
        if blocked:
            raise InputError(
                "This workspace cannot compute " + "; ".join(blocked) + ", so it cannot be linked."
            )
    return replace(
        objective,
        name=name,
        description=_text(objective.description, "The description", limit=4000),
        owner=_text(objective.owner, "The owner"),
        due_date=due,
        kpis=kpis,
    )


def _checked_initiative(initiative: Initiative) -> Initiative:
    name = _text(initiative.name, "The initiative's name", required=True)
    status = _text(initiative.status, "The status").lower() or "planned"
    if status not in INITIATIVE_STATUSES:
        raise InputError(
            f"An initiative's status is one of {', '.join(INITIATIVE_STATUSES)}, not “{status}”."
        )
    start = _date(initiative.start_date, "The start date")
    end = _date(initiative.end_date, "The end date")
    if start is not None and end is not None and end < start:
        raise InputError(f"The end date {end.isoformat()} comes before the start date {start.isoformat()}.")
    return replace(
        initiative,
        name=name,
        owner=_text(initiative.owner, "The owner"),
        status=status,
        start_date=start,
        end_date=end,
    )


def _objective_changes(changes: Mapping[str, object]) -> dict[str, object]:
    values = dict(changes)
    if "kpis" in values:
        kpis = values["kpis"]
        if isinstance(kpis, str):
            kpis = [part for part in re.split(r"[,;]", kpis) if part.strip()]
        values["kpis"] = tuple(kpis or ())
    if "due_date" in values:
        values["due_date"] = _date(values["due_date"], "The due date")
    return values


def _initiative_changes(changes: Mapping[str, object]) -> dict[str, object]:
    values = dict(changes)
    for name in ("start_date", "end_date"):
        if name in values:
            values[name] = _date(values[name], "The " + name.replace("_", " "))
    return values

"""Objectives, initiatives and targets of a workspace: stored, version-checked, audited, evaluated.

Everything a workshop sets lives in the workspace database (the tables of `bsc.database`),
written at once in a transaction. Every row carries a ``version``: an edit names the version
it was made on, and a save on a stale version is refused with :class:`bsc.store.ConflictError`
whose message shows the current value, so two people editing the same target never silently
overwrite each other. Every change is written to the audit log (who, when, what, old and new
value) in the same transaction. Deleting a workspace deletes its objectives, initiatives,
targets and audit log (``ON DELETE CASCADE``).

Targets
-------
A target belongs to a KPI of :data:`bsc.kpis.KPIS`, optionally to a segment (an attribute and
one of its values, e.g. ``region`` = ``North``), and has a goal for a due period (a month
"2026-12", a quarter "2026-Q4" or a year "2026"). Its trajectory is the target value in each
period up to the due period:

- a linear ramp from the baseline (the KPI's value in the last period with data when the
  target was set) to the goal, or
- per-period values, joined by straight lines.

Periods are placed on a time line by their last month, so that a quarterly target can be read
in months (for KPIs whose value does not depend on the length of the period, such as the NPS;
a revenue target set per quarter is not compared with monthly revenue). After the due period
the goal holds. Periods ending within the baseline period hold the baseline, and those ending
before it starts have no target; without a baseline the earliest value holds backwards.

Statuses
--------
The direction comes from the KPI (lower is better for churn, CPA, effort and response times).
With the shortfall :math:`s = (t - v)` when higher is better and :math:`s = (v - t)` when lower
is better, for target value :math:`t` and KPI value :math:`v`:

- *green* (on track) when :math:`s \\le g`, *amber* (at risk) when :math:`s \\le a`, *red*
  (off track) otherwise, where the tolerances :math:`g \\le a` are absolute (in the KPI's unit)
  or relative (a percentage of :math:`|t|`);
- *noise* (grey, within noise) for a sample statistic (NPS, CSAT, CES, ratings) whose 95 %
  interval contains the target: the data cannot tell whether the target is met;
- *no target* (grey) without a target, *no data* (grey) with a target but no value.

Roll-up
-------
Each judged target scores 100 (green), 50 (amber) or 0 (red). A component's score is the
weighted mean :math:`\\sum_i w_i x_i / \\sum_i w_i` over its judged targets, and the customer
perspective's score the same mean over all of them. A score of at least 80 is green, at least
50 amber, below 50 red.
"""

from __future__ import annotations

import io
import json
import math
import re
import uuid
from collections.abc import Callable, Mapping, Sequence
from dataclasses import dataclass, replace
from datetime import UTC, date, datetime
from typing import Any, Literal

import numpy as np
import pandas as pd
from sqlalchemy import Table, select
from sqlalchemy.engine import Connection

from bsc.database import audit_table, initiatives_table, objectives_table, targets_table
from bsc.errors import InputError
from bsc.exports import safe_csv_bytes, safe_frame
from bsc.kpis import COMPONENT_NAMES as KPI_COMPONENT_NAMES
from bsc.kpis import COMPONENTS, KPIS, KpiResult, compute_kpis, format_number
from bsc.periods import Period, PeriodUnit, frame_unit, parse_period, position
from bsc.store import ConflictError, Store

__all__ = [
    "COMPONENT_NAMES",
    "INITIATIVE_STATUSES",
    "OVERALL",
    "STATUS_COLOURS",
    "STATUS_LABELS",
    "STATUS_SCORES",
    "TARGET_COLUMNS",
    "Initiative",
    "Objective",
    "Target",
    "TargetBook",
    "band_limits",
    "evaluate",
    "judge",
    "read_targets_file",
    "rollup",
    "targets_from_frame",
    "targets_to_csv",
    "targets_to_frame",
    "targets_to_xlsx",
    "trajectories",
]

BandMode = Literal["absolute", "relative"]
Status = Literal["green", "amber", "red", "noise", "no_target", "no_data"]

STATUS_LABELS: dict[str, str] = {
    "green": "On track",
    "amber": "At risk",
    "red": "Off track",
    "noise": "Within noise",
    "no_target": "No target",
    "no_data": "No data",
}
# Okabe-Ito bluish green, orange and vermillion stay apart for colour-blind viewers; greys for
# "cannot tell". Every status also has a label, so colour is never the only sign.
STATUS_COLOURS: dict[str, str] = {
    "green": "#009E73",
    "amber": "#E69F00",
    "red": "#D55E00",
    "noise": "#999999",
    "no_target": "#BBBBBB",
    "no_data": "#BBBBBB",
}
STATUS_SCORES: dict[str, float] = {"green": 100.0, "amber": 50.0, "red": 0.0}
GREEN_SCORE, AMBER_SCORE = 80.0, 50.0
OVERALL = "overall"
# The components' names come from the KPI registry; the roll-up adds the perspective as a whole.
COMPONENT_NAMES: dict[str, str] = {**KPI_COMPONENT_NAMES, OVERALL: "Customer perspective"}
INITIATIVE_STATUSES: tuple[str, ...] = ("planned", "in progress", "done", "on hold")
TARGET_COLUMNS: tuple[str, ...] = ("kpi", "segment", "period", "target", "green", "amber", "weight")
DEFAULT_GREEN, DEFAULT_AMBER = 0.0, 10.0


# --------------------------------------------------------------------------------------------
# Records
# --------------------------------------------------------------------------------------------


@dataclass(frozen=True)
class Target:
    """A goal for one KPI (optionally one segment) by a due period.

    Attributes
    ----------
    kpi
        A KPI id of :data:`bsc.kpis.KPIS`.
    goal
        The value to reach in the due period, in the KPI's unit (NPS points, % on 0–100...).
    due_period
        "2026-12", "2026-Q4" or "2026"; its unit is the target's period unit.
    segment_by, segment
        The segment attribute and its value, both None for all customers.
    trajectory
        Per-period values before the due period, as ``(period label, value)`` pairs in time
        order; empty for a linear ramp from the baseline.
    band_mode, green, amber
        Tolerances of the green and amber bands: in the KPI's unit (``"absolute"``) or in % of
        the target value (``"relative"``); ``0 <= green <= amber``.
    weight
        Weight in the roll-up (≥ 0).
    baseline, baseline_period
        The KPI's value when the target was set, and its period: where the ramp starts.
    id, version, created_at, updated_at, updated_by
        Set by the store; ``version`` 0 for a target not stored yet.
    """

    kpi: str
    goal: float
    due_period: str
    segment_by: str | None = None
    segment: str | None = None
    trajectory: tuple[tuple[str, float], ...] = ()
    band_mode: BandMode = "relative"
    green: float = DEFAULT_GREEN
    amber: float = DEFAULT_AMBER
    weight: float = 1.0
    baseline: float | None = None
    baseline_period: str | None = None
    id: str | None = None
    version: int = 0
    created_at: datetime | None = None
    updated_at: datetime | None = None
    updated_by: str | None = None

    @property
    def unit(self) -> PeriodUnit:
        return parse_period(self.due_period).unit

    @property
    def direction(self) -> str:
        return KPIS[self.kpi].direction

    @property
    def segment_text(self) -> str:
        """ "region=North", or "" for all customers (the form used in imports and exports)."""
        return f"{self.segment_by}={self.segment}" if self.segment_by else ""

    @property
    def label(self) -> str:
        """ "Net Promoter Score · region North" or "... · all customers"."""
        who = f"{self.segment_by} {self.segment}" if self.segment_by else "all customers"
        return f"{KPIS[self.kpi].name} · {who}"

    def describe(self) -> str:
        """ "35 points by 2026-12", as shown in messages."""
        definition = KPIS.get(self.kpi)
        goal = definition.format_value(self.goal) if definition else format_number(self.goal)
        return f"{goal} by {self.due_period}"

    def value_at(self, period: str | Period) -> float:
        """The target value in ``period`` (any unit), following the trajectory; NaN before it starts."""
        return float(self._interpolate(np.array([float(parse_period(period).end_month)]))[0])

    def _interpolate(self, positions: np.ndarray) -> np.ndarray:
        points = [(parse_period(label).end_month, value) for label, value in self.trajectory]
        points.append((parse_period(self.due_period).end_month, self.goal))
        has_baseline = self.baseline is not None and self.baseline_period is not None
        if has_baseline:
            points.insert(0, (parse_period(self.baseline_period).end_month, float(self.baseline)))
        points.sort()
        x = np.array([p for p, _ in points], dtype=float)
        y = np.array([v for _, v in points], dtype=float)
        values = np.interp(positions, x, y, left=y[0], right=self.goal)
        if has_baseline:
            # Periods that end within the baseline period (months of a baseline quarter) hold
            # the baseline; those that end before it starts have no target.
            start = x[0] - parse_period(self.baseline_period).months
            values = np.where(positions <= start, np.nan, values)
        return np.where(np.isnan(positions), np.nan, values)


@dataclass(frozen=True)
class Objective:
    """A customer objective: "Raise retention by 3 points", with owner, due date and linked KPIs."""

    name: str
    description: str = ""
    owner: str = ""
    due_date: date | None = None
    kpis: tuple[str, ...] = ()
    id: str | None = None
    version: int = 0
    created_at: datetime | None = None
    updated_at: datetime | None = None
    updated_by: str | None = None

    @property
    def label(self) -> str:
        return f"Objective “{self.name}”"

    def describe(self) -> str:
        due = self.due_date.isoformat() if self.due_date else "no due date"
        kpis = ", ".join(KPIS[k].name for k in self.kpis if k in KPIS) or "no KPIs"
        return f"owner {self.owner or '—'}, due {due}, KPIs: {kpis}"


@dataclass(frozen=True)
class Initiative:
    """Work that serves an objective: name, owner, status and dates."""

    objective_id: str
    name: str
    owner: str = ""
    status: str = "planned"
    start_date: date | None = None
    end_date: date | None = None
    id: str | None = None
    version: int = 0
    created_at: datetime | None = None
    updated_at: datetime | None = None
    updated_by: str | None = None

    @property
    def label(self) -> str:
        return f"Initiative “{self.name}”"

    def describe(self) -> str:
        dates = " to ".join(d.isoformat() for d in (self.start_date, self.end_date) if d) or "no dates"
        return f"{self.status}, owner {self.owner or '—'}, {dates}"


_STORED = ("id", "version", "created_at", "updated_at", "updated_by")


# --------------------------------------------------------------------------------------------
# Statuses, trajectories and the roll-up (pure functions)
# --------------------------------------------------------------------------------------------


def band_limits(
    target_value: float, direction: str, band_mode: str, green: float, amber: float
) -> tuple[float, float]:
    """The KPI values where the status turns from green to amber and from amber to red.

    With the sign :math:`d = +1` when higher is better and :math:`-1` when lower is better,
    and the tolerances :math:`g, a` (absolute, or :math:`g = \\text{green}/100 \\cdot |t|` when
    relative): green limit :math:`t - d g`, amber limit :math:`t - d a`.
    """
    sign = 1.0 if direction == "higher" else -1.0
    scale = abs(target_value) / 100.0 if band_mode == "relative" else 1.0
    return target_value - sign * green * scale, target_value - sign * amber * scale


def judge(
    value: float,
    target_value: float,
    *,
    direction: str,
    band_mode: str = "relative",
    green: float = DEFAULT_GREEN,
    amber: float = DEFAULT_AMBER,
    ci_low: float = math.nan,
    ci_high: float = math.nan,
) -> Status:
    """The status of one KPI value against its target value.

    ``"noise"`` when the 95 % interval ``ci_low..ci_high`` is known and contains the target;
    otherwise green, amber or red by the bands (see :func:`band_limits`); ``"no_target"``
    when the target value is NaN and ``"no_data"`` when the value is NaN.
    """
    if target_value is None or math.isnan(target_value):
        return "no_target"
    if value is None or math.isnan(value):
        return "no_data"
    if not (math.isnan(ci_low) or math.isnan(ci_high)) and ci_low <= target_value <= ci_high:
        return "noise"
    sign = 1.0 if direction == "higher" else -1.0
    green_limit, amber_limit = band_limits(target_value, direction, band_mode, green, amber)
    slack = 1e-9 * max(1.0, abs(target_value))  # a value equal to the target is on track
    if sign * (value - green_limit) >= -slack:
        return "green"
    if sign * (value - amber_limit) >= -slack:
        return "amber"
    return "red"


def _applies(target: Target, by: str | None) -> bool:
    return target.segment_by is None or target.segment_by == by


def _comparable(target: Target, unit: PeriodUnit | None) -> bool:
    # A total or a rate over the period is only compared in the target's own kind of period.
    definition = KPIS.get(target.kpi)
    return (
        unit is None or target.unit == unit or definition is None or not definition.depends_on_period_length
    )


def _segment_key(segment: object) -> str | None:
    return None if segment is None or pd.isna(segment) else str(segment)


def trajectories(
    targets: Sequence[Target], kpi_values: pd.DataFrame, *, by: str | None = None
) -> pd.DataFrame:
    """Target value, band limits and status per period, for trend charts and reports.

    Parameters
    ----------
    targets
        Targets of the workspace; those set for another split than ``by`` are left out.
    kpi_values
        ``compute_kpis(...).values`` (columns kpi, period, segment, value, ci_low, ci_high, ...).
    by
        The segment attribute ``kpi_values`` was split by (None for all customers only).

    Returns
    -------
    pandas.DataFrame
        One row per target and period: every period of the KPI's rows in ``kpi_values`` from
        the trajectory's start, then the frame's later periods up to the due period
        (``future`` True, no value). Columns ``target_id, kpi, segment_by, segment, period,
        target, green_limit, amber_limit, value, ci_low, ci_high, status, future``. A target
        whose KPI depends on the period length is only read in periods of its own unit.
    """
    columns = [
        "target_id",
        "kpi",
        "segment_by",
        "segment",
        "period",
        "target",
        "green_limit",
        "amber_limit",
        "value",
        "ci_low",
        "ci_high",
        "status",
        "future",
    ]
    unit = frame_unit(kpi_values["period"].unique()) if len(kpi_values) else None
    frames = []
    for target in targets:
        if not _applies(target, by) or unit is None or not _comparable(target, unit):
            continue
        rows = kpi_values[kpi_values["kpi"] == target.kpi]
        rows = rows[rows["segment"].isna() if target.segment is None else rows["segment"] == target.segment]
        rows = rows[rows["period"] != "all"][["period", "value", "ci_low", "ci_high"]]
        last = max((parse_period(p) for p in rows["period"]), key=lambda p: p.index, default=None)
        due = parse_period(target.due_period)
        future = []
        if last is not None:
            step = last.shift(1)
            while step.end_month <= max(due.end_month, last.end_month):
                future.append(step.label)
                step = step.shift(1)
        future_rows = pd.DataFrame({"period": future, "value": np.nan, "ci_low": np.nan, "ci_high": np.nan})
        path = pd.concat(
            [rows.assign(future=False), future_rows.assign(future=True)], ignore_index=True
        ).astype({"value": float, "ci_low": float, "ci_high": float})
        positions = np.array([position(p) for p in path["period"]], dtype=float)
        path["target"] = target._interpolate(positions)
        path = path[path["target"].notna()].reset_index(drop=True)
        if path.empty:
            continue
        limits = [
            band_limits(t, target.direction, target.band_mode, target.green, target.amber)
            for t in path["target"]
        ]
        path["green_limit"] = [g for g, _ in limits]
        path["amber_limit"] = [a for _, a in limits]
        path["status"] = [
            _judge_target(target, row.value, row.target, row.ci_low, row.ci_high) if not row.future else None
            for row in path.itertuples()
        ]
        frames.append(
            path.assign(
                target_id=target.id, kpi=target.kpi, segment_by=target.segment_by, segment=target.segment
            )
        )
    if not frames:
        return pd.DataFrame({column: pd.Series(dtype=object) for column in columns})
    return pd.concat(frames, ignore_index=True)[columns]


def _judge_target(target: Target, value: float, target_value: float, ci_low: float, ci_high: float) -> Status:
    sample = KPIS[target.kpi].sample_statistic
    return judge(
        value,
        target_value,
        direction=target.direction,
        band_mode=target.band_mode,
        green=target.green,
        amber=target.amber,
        ci_low=ci_low if sample else math.nan,
        ci_high=ci_high if sample else math.nan,
    )


def evaluate(targets: Sequence[Target], kpi_values: pd.DataFrame, *, by: str | None = None) -> pd.DataFrame:
    """The status of every KPI and segment in its latest period with a value.

    Parameters
    ----------
    targets
        Targets of the workspace (see :meth:`TargetBook.targets`); those set for another split
        than ``by`` are left out.
    kpi_values
        ``compute_kpis(tables, period=..., by=by).values``.
    by
        The segment attribute of ``kpi_values`` (None for all customers only).

    Returns
    -------
    pandas.DataFrame
        One row per (kpi, segment) of ``kpi_values``, plus one per target without any value.
        Columns: ``kpi, name, component, segment_by, segment, period`` (the latest period with
        a value), ``value, ci_low, ci_high, target`` (the trajectory's value in that period),
        ``green_limit, amber_limit, gap`` (value − target), ``goal, due_period, status,
        status_label, score`` (100/50/0, NaN when not judged), ``weight, direction,
        target_id, version, note``. ``status`` is "no_target" where there is no target.
    """
    unit = frame_unit(kpi_values["period"].unique()) if len(kpi_values) else None
    matched = {(target.kpi, target.segment): target for target in targets if _applies(target, by)}
    rows: list[dict[str, Any]] = []
    known = kpi_values[kpi_values["kpi"].isin(list(KPIS))]
    latest = _latest_values(known)
    for record in latest.itertuples(index=False):
        segment = _segment_key(record.segment)
        target = matched.pop((record.kpi, segment), None)
        rows.append(_status_row(record.kpi, segment, by, target, record, unit))
    for (kpi, segment), target in matched.items():
        rows.append(_status_row(kpi, segment, target.segment_by, target, None, unit))
    frame = pd.DataFrame(rows, columns=list(_STATUS_COLUMNS))
    return frame.astype(
        {
            "segment_by": "string",
            "segment": "string",
            "score": float,
            "weight": float,
            "value": float,
            "target": float,
            "version": "Int64",
        }
    )


_STATUS_COLUMNS = (
    "kpi",
    "name",
    "component",
    "segment_by",
    "segment",
    "period",
    "value",
    "ci_low",
    "ci_high",
    "target",
    "green_limit",
    "amber_limit",
    "gap",
    "goal",
    "due_period",
    "status",
    "status_label",
    "score",
    "weight",
    "direction",
    "target_id",
    "version",
    "note",
)


def _latest_values(values: pd.DataFrame) -> pd.DataFrame:
    """Per (kpi, segment): the row of the latest dated period with a value ("all" if only that)."""
    frame = values.copy()
    frame["_position"] = [position(p) for p in frame["period"]]
    frame["_has_value"] = frame["value"].notna()
    frame["_segment"] = frame["segment"].astype(object).where(frame["segment"].notna(), "\x00")
    frame = frame.sort_values(["_has_value", "_position"], na_position="first", kind="stable")
    latest = frame.groupby(["kpi", "_segment"], sort=False).tail(1)
    order = {kpi: i for i, kpi in enumerate(KPIS)}
    latest = latest.assign(_order=latest["kpi"].map(order), _total=latest["segment"].notna())
    return latest.sort_values(["_order", "_total", "_segment"]).drop(
        columns=["_position", "_has_value", "_segment", "_order", "_total"]
    )


def _status_row(
    kpi: str,
    segment: str | None,
    segment_by: str | None,
    target: Target | None,
    record: Any,
    unit: PeriodUnit | None,
) -> dict[str, Any]:
    definition = KPIS[kpi]
    value = float(record.value) if record is not None and pd.notna(record.value) else math.nan
    ci_low = float(record.ci_low) if record is not None and pd.notna(record.ci_low) else math.nan
    ci_high = float(record.ci_high) if record is not None and pd.notna(record.ci_high) else math.nan
    period = str(record.period) if record is not None else None
    row: dict[str, Any] = {
        "kpi": kpi,
        "name": definition.name,
        "component": definition.component,
        "segment_by": segment_by if segment is not None else None,
        "segment": segment,
        "period": period,
        "value": value,
        "ci_low": ci_low,
        "ci_high": ci_high,
        "target": math.nan,
        "green_limit": math.nan,
        "amber_limit": math.nan,
        "gap": math.nan,
        "goal": math.nan,
        "due_period": None,
        "status": "no_target",
        "score": math.nan,
        "weight": math.nan,
        "direction": definition.direction,
        "target_id": None,
        "version": None,
        "note": "",
    }
    if target is not None:
        row |= {
            "goal": target.goal,
            "due_period": target.due_period,
            "weight": target.weight,
            "target_id": target.id,
            "version": target.version,
        }
        if period is None or math.isnan(value):
            row["status"] = "no_data"
            row["note"] = "No value for this KPI and segment."
        elif not _comparable(target, unit):
            row["note"] = f"Set per {target.unit}; choose the {target.unit} period to compare."
        elif period == "all":
            row["note"] = "This KPI has no dates here, so it cannot be read against a due period."
        else:
            target_value = target.value_at(period)
            row["target"] = target_value
            if math.isnan(target_value):
                row["note"] = f"The target starts after {period}."
            else:
                green, amber = band_limits(
                    target_value, target.direction, target.band_mode, target.green, target.amber
                )
                row |= {"green_limit": green, "amber_limit": amber, "gap": value - target_value}
                row["status"] = _judge_target(target, value, target_value, ci_low, ci_high)
                if row["status"] == "noise":
                    row["note"] = "The target lies inside the 95% interval: the data cannot tell."
    row["status_label"] = STATUS_LABELS[row["status"]]
    row["score"] = STATUS_SCORES.get(row["status"], math.nan)
    return row


def rollup(statuses: pd.DataFrame) -> pd.DataFrame:
    """Weighted score and status per component and for the whole customer perspective.

    Parameters
    ----------
    statuses
        The frame of :func:`evaluate`, filtered by the caller to the segment shown if wanted.

    Returns
    -------
    pandas.DataFrame
        One row per component of :data:`bsc.kpis.COMPONENTS` and a last row ``"overall"``.
        Columns ``component, name, score`` (weighted mean of 100/50/0 over judged targets,
        NaN when none), ``status, status_label, targets, on_track, at_risk, off_track,
        within_noise, no_data, weight``. Status from the score (≥ 80 green, ≥ 50 amber, else
        red); "noise" when every target is within noise; "no_data" when targets exist but none
        could be judged; "no_target" without targets. When every judged weight is 0, the
        plain mean is used.
    """
    rows = []
    for component in (*COMPONENTS, OVERALL):
        part = statuses if component == OVERALL else statuses[statuses["component"] == component]
        counts = part["status"].value_counts()
        with_target = part[part["status"] != "no_target"]
        judged = part[part["status"].isin(list(STATUS_SCORES))]
        weights = judged["weight"].astype(float).fillna(1.0)
        if judged.empty:
            score = math.nan
        elif weights.sum() > 0:
            score = float((weights * judged["score"]).sum() / weights.sum())
        else:
            score = float(judged["score"].mean())
        if not math.isnan(score):
            status = "green" if score >= GREEN_SCORE else "amber" if score >= AMBER_SCORE else "red"
        elif with_target.empty:
            status = "no_target"
        elif (with_target["status"] == "noise").all():
            status = "noise"
        else:
            status = "no_data"
        rows.append(
            {
                "component": component,
                "name": COMPONENT_NAMES[component],
                "score": score,
                "status": status,
                "status_label": STATUS_LABELS[status],
                "targets": len(with_target),
                "on_track": int(counts.get("green", 0)),
                "at_risk": int(counts.get("amber", 0)),
                "off_track": int(counts.get("red", 0)),
                "within_noise": int(counts.get("noise", 0)),
                "no_data": int(counts.get("no_data", 0)),
                "weight": float(weights.sum()),
            }
        )
    return pd.DataFrame(rows)


# --------------------------------------------------------------------------------------------
# Reading values typed by people
# --------------------------------------------------------------------------------------------


def _number(value: object, what: str, *, allow_percent: bool = False) -> tuple[float, bool | None]:
    """A finite number from a cell, and whether text was written with a trailing "%".

    The flag is None for a cell that holds a number rather than text.
    """
    if isinstance(value, bool):
        raise InputError(f"{what} must be a number, not “{value}”.")
    if isinstance(value, int | float | np.integer | np.floating):
        number, percent = float(value), None
    else:
        text = "" if value is None else str(value).strip().replace("\u2212", "-").replace(" ", "")
        percent = text.endswith("%")
        if percent:
            if not allow_percent:
                raise InputError(f"{what} must be a plain number, not “{value}”.")
            text = text[:-1]
        if "," in text and "." in text:
            text = text.replace(",", "")
        elif "," in text:
            text = text.replace(",", ".")
        try:
            number = float(text)
        except ValueError:
            shown = str(value).strip() or "(empty)"
            raise InputError(f"{what} must be a number, not “{shown}”.") from None
    if not math.isfinite(number):
        raise InputError(f"{what} must be a finite number, not “{value}”.")
    return number, percent


def _blank(value: object) -> bool:
    if value is None:
        return True
    if isinstance(value, float) and math.isnan(value):
        return True
    return bool(value is pd.NA or (isinstance(value, str) and not value.strip()))


def _kpi_id(value: object) -> str:
    """A KPI id from an id or a name ("nps", "NPS", "Net Promoter Score")."""
    text = "" if _blank(value) else str(value).strip()
    key = text.lower().replace(" ", "_")
    if key in KPIS:
        return key
    by_name = {definition.name.lower(): kpi for kpi, definition in KPIS.items()}
    if text.lower() in by_name:
        return by_name[text.lower()]
    raise InputError(f"“{text or '(empty)'}” is not a KPI; use one of: {', '.join(KPIS)}.")


def _segment(value: object) -> tuple[str | None, str | None]:
    """("region", "North") from "region=North" or "region: North"; (None, None) when blank."""
    if _blank(value):
        return None, None
    text = str(value).strip()
    if text.lower() in ("all", "all customers"):
        return None, None
    for separator in ("=", ":"):
        if separator in text:
            attribute, _, level = text.partition(separator)
            attribute, level = attribute.strip(), level.strip()
            if attribute and level:
                return attribute, level
    raise InputError(
        f"Segment “{text}” needs its attribute: write it as attribute=value, e.g. region=North "
        "(leave it empty for all customers)."
    )


def _date(value: object, what: str) -> date | None:
    if _blank(value):
        return None
    if isinstance(value, datetime | pd.Timestamp):
        return pd.Timestamp(value).date()
    if isinstance(value, date):
        return value
    try:
        return datetime.strptime(str(value).strip()[:10], "%Y-%m-%d").date()
    except ValueError:
        raise InputError(f"{what} must be a date such as 2026-12-31, not “{value}”.") from None


def _text(value: object, what: str, *, required: bool = False, limit: int = 200) -> str:
    text = "" if _blank(value) else " ".join(str(value).split())
    if required and not text:
        raise InputError(f"{what} cannot be empty.")
    if len(text) > limit:
        raise InputError(f"{what} is too long ({limit} characters at most).")
    return text


def _check_goal(kpi: str, value: float, what: str) -> None:
    KPIS[kpi].check_limits(value, what)


def _bands(green: object, amber: object, band_mode: object = None) -> tuple[str, float, float]:
    """Band mode and tolerances from cells; a trailing "%" means relative to the target."""
    green_value, green_percent = (
        (DEFAULT_GREEN, None) if _blank(green) else _number(green, "Green", allow_percent=True)
    )
    amber_value, amber_percent = (
        (DEFAULT_AMBER, None) if _blank(amber) else _number(amber, "Amber", allow_percent=True)
    )
    marks = {mark for mark in (green_percent, amber_percent) if mark is not None}
    if band_mode is not None and not _blank(band_mode):
        mode = str(band_mode).strip().lower()
        if mode not in ("absolute", "relative"):
            raise InputError(f"Bands must be “absolute” or “relative”, not “{band_mode}”.")
    elif len(marks) == 2:
        raise InputError(
            "Write green and amber the same way: both with % (relative to the target) or both without."
        )
    elif marks == {False}:
        mode = "absolute"
    else:
        mode = "relative"
    if green_value < 0 or amber_value < 0:
        raise InputError("Green and amber tolerances cannot be negative.")
    if amber_value < green_value:
        raise InputError(
            f"The amber tolerance ({amber_value:g}) must be at least the green one ({green_value:g})."
        )
    return mode, green_value, amber_value


def _weight(value: object) -> float:
    if _blank(value):
        return 1.0
    weight, _ = _number(value, "Weight")
    if weight < 0:
        raise InputError(f"A weight cannot be negative ({weight:g}).")
    return weight


# --------------------------------------------------------------------------------------------
# Import and export of targets
# --------------------------------------------------------------------------------------------


def targets_to_frame(targets: Sequence[Target]) -> pd.DataFrame:
    """Targets in the import/export layout: ``kpi, segment, period, target, green, amber, weight``.

    One row per target and due period, preceded by one row per per-period trajectory value.
    ``segment`` is "attribute=value" (empty for all customers); relative tolerances are written
    with a trailing "%" ("10%"), absolute ones as plain numbers.
    """
    rows = []
    for target in targets:

        def tolerance(value: float, target: Target = target) -> str:
            return f"{value:g}%" if target.band_mode == "relative" else f"{value:g}"

        for label, value in (*target.trajectory, (target.due_period, target.goal)):
            rows.append(
                {
                    "kpi": target.kpi,
                    "segment": target.segment_text,
                    "period": label,
                    "target": float(value),
                    "green": tolerance(target.green),
                    "amber": tolerance(target.amber),
                    "weight": float(target.weight),
                }
            )
    return pd.DataFrame(rows, columns=list(TARGET_COLUMNS)).astype({"target": float, "weight": float})


def targets_to_csv(targets: Sequence[Target]) -> bytes:
    """The targets as CSV bytes (UTF-8 with BOM), formula injection neutralised."""
    return safe_csv_bytes(targets_to_frame(targets))


def targets_to_xlsx(targets: Sequence[Target]) -> bytes:
    """The targets as an Excel workbook with one sheet "Targets", formula injection neutralised."""
    buffer = io.BytesIO()
    with pd.ExcelWriter(buffer, engine="openpyxl") as writer:
        safe_frame(targets_to_frame(targets)).to_excel(writer, sheet_name="Targets", index=False)
    return buffer.getvalue()


def read_targets_file(name: str, data: bytes) -> pd.DataFrame:
    """The rows of a targets file (CSV, or an Excel workbook's "Targets" sheet or first sheet).

    Cells are returned as read (text for CSV); :func:`targets_from_frame` makes targets of them.

    Raises
    ------
    InputError
        For a file that cannot be read.
    """
    lowered = name.lower()
    try:
        if lowered.endswith((".xlsx", ".xlsm")):
            with pd.ExcelFile(io.BytesIO(data), engine="openpyxl") as workbook:
                names = workbook.sheet_names
            sheet = next((s for s in names if str(s).strip().lower() == "targets"), names[0])
            return pd.read_excel(io.BytesIO(data), sheet_name=sheet, dtype=object, engine="openpyxl")
        if lowered.endswith((".csv", ".txt")):
            text = data.decode("utf-8-sig")
            first = text.splitlines()[0] if text else ""
            separator = ";" if first.count(";") > first.count(",") else ","
            return pd.read_csv(io.StringIO(text), sep=separator, dtype=str, keep_default_na=False)
    except UnicodeDecodeError:
        raise InputError(f"{name} is not UTF-8 text; save it as CSV UTF-8 and try again.") from None
    except (ValueError, KeyError, OSError) as error:
        raise InputError(f"{name} could not be read as a targets file ({error}).") from None
    raise InputError(f"{name}: targets can be read from .csv or .xlsx files.")


def targets_from_frame(frame: pd.DataFrame) -> list[Target]:
    """Targets from rows ``kpi, segment, period, target`` (+ optional ``green, amber, weight``).

    Rows of one KPI and segment make one target: the latest period is the due period and its
    value the goal; earlier rows become the per-period trajectory (they must use the same kind
    of period). Column names are matched without regard to case; KPI names are accepted for
    ids. Tolerances written with "%" are relative to the target. Nothing is checked against a
    workspace here (see :meth:`TargetBook.import_targets`).

    Raises
    ------
    InputError
        Listing every bad row (up to 10) when any cell cannot be read; no targets are returned.
    """
    columns = {str(column).strip().lower(): column for column in frame.columns}
    missing = [name for name in TARGET_COLUMNS[:4] if name not in columns]
    if missing:
        raise InputError(
            "A targets file needs the columns kpi, segment, period and target "
            f"(green, amber and weight are optional); missing: {', '.join(missing)}."
        )
    problems: list[str] = []
    groups: dict[tuple[str, str | None, str | None], list[tuple[Period, float, tuple, float, int]]] = {}
    for number, (_, row) in enumerate(frame.iterrows(), start=2):
        cells = {name: row[columns[name]] if name in columns else None for name in TARGET_COLUMNS}
        if all(_blank(cell) for cell in cells.values()):
            continue
        try:
            kpi = _kpi_id(cells["kpi"])
            segment_by, segment = _segment(cells["segment"])
            period = parse_period(cells["period"])
            value, _ = _number(cells["target"], "The target")
            _check_goal(kpi, value, "The target")
            bands = _bands(cells["green"], cells["amber"])
            weight = _weight(cells["weight"])
        except InputError as error:
            problems.append(f"row {number}: {error}")
            continue
        groups.setdefault((kpi, segment_by, segment), []).append((period, value, bands, weight, number))
    targets = []
    for (kpi, segment_by, segment), entries in groups.items():
        entries.sort(key=lambda entry: entry[0].end_month)
        units = {entry[0].unit for entry in entries}
        rows = ", ".join(str(entry[4]) for entry in entries)
        if len(units) > 1:
            problems.append(f"rows {rows}: one target mixes months, quarters or years.")
            continue
        if len({entry[0] for entry in entries}) < len(entries):
            problems.append(f"rows {rows}: the same period appears twice for {KPIS[kpi].name}.")
            continue
        due, goal, (mode, green, amber), weight, _ = entries[-1]
        targets.append(
            Target(
                kpi=kpi,
                goal=goal,
                due_period=due.label,
                segment_by=segment_by,
                segment=segment,
                trajectory=tuple((entry[0].label, entry[1]) for entry in entries[:-1]),
                band_mode=mode,  # type: ignore[arg-type]
                green=green,
                amber=amber,
                weight=weight,
            )
        )
    if problems:
        more = f" (and {len(problems) - 10} more)" if len(problems) > 10 else ""
        raise InputError("The targets could not be read: " + "; ".join(problems[:10]) + more + ".")
    return targets


# --------------------------------------------------------------------------------------------
# The stored book of a workspace
# --------------------------------------------------------------------------------------------

KpiSource = Callable[[str, str | None], KpiResult]


@dataclass(frozen=True)
class ImportSummary:
    created: int
    updated: int
    unchanged: int


def _now() -> datetime:
    return datetime.now(UTC).replace(tzinfo=None)


def _today() -> date:
    return datetime.now(UTC).date()


def _author(author: object) -> str:
    name = _text(author, "Your name", limit=200)
    if not name:
        raise InputError("Give your name first (in the sidebar): the audit log records who changed what.")
    return name


def _shown(value: object) -> str:
    """A value as written in the audit log."""
    if value is None:
        return ""
    if isinstance(value, float):
        return f"{value:g}"
    if isinstance(value, date):
        return value.isoformat()
    if isinstance(value, tuple):
        return ", ".join(
            f"{item[0]}: {item[1]:g}" if isinstance(item, tuple) else str(item) for item in value
        )
    return str(value)


class TargetBook:
    """The objectives, initiatives, targets and audit log of one workspace.

    Parameters
    ----------
    store
        The workspace store; the tables are created in its database if missing.
    workspace_id
        The workspace.
    kpi_source
        ``(period unit, by) -> KpiResult`` for the workspace, used to check that a KPI can be
        computed, that a segment exists and to read the baseline. Defaults to
        :func:`bsc.kpis.compute_kpis` over the workspace's tables (a page passes its cached
        version).
    today
        Returns today's date (UTC by default); due dates before it are refused.

    Raises
    ------
    InputError
        If the workspace does not exist.
    """

    def __init__(
        self,
        store: Store,
        workspace_id: str,
        *,
        kpi_source: KpiSource | None = None,
        today: Callable[[], date] | None = None,
    ) -> None:
        self.store = store
        self.workspace_id = workspace_id
        store.get_workspace(workspace_id)
        self._kpi_source = kpi_source or self._compute
        self._today = today or _today
        self._results: dict[tuple[str, str | None], KpiResult] = {}

    # -- reading ---------------------------------------------------------------------------

    def targets(self) -> list[Target]:
        """Every target of the workspace, in KPI registry order, all customers first."""
        with self.store.engine.connect() as conn:
            rows = conn.execute(
                select(targets_table).where(targets_table.c.workspace_id == self.workspace_id)
            ).mappings()
            found = [_target(row) for row in rows]
        order = {kpi: i for i, kpi in enumerate(KPIS)}
        return sorted(found, key=lambda t: (order.get(t.kpi, 99), t.segment_by or "", t.segment or ""))

    def get_target(self, target_id: str) -> Target:
        found = self._read(targets_table, target_id, _target)
        if found is None:
            raise ConflictError("That target was deleted in another session; nothing was saved.")
        return found

    def find_target(
        self, kpi: str, segment_by: str | None = None, segment: str | None = None
    ) -> Target | None:
        with self.store.engine.connect() as conn:
            row = (
                conn.execute(
                    select(targets_table).where(
                        targets_table.c.workspace_id == self.workspace_id,
                        targets_table.c.kpi == kpi,
                        targets_table.c.segment_by == (segment_by or ""),
                        targets_table.c.segment == (segment or ""),
                    )
                )
                .mappings()
                .first()
            )
        return _target(row) if row else None

    def objectives(self) -> list[Objective]:
        with self.store.engine.connect() as conn:
            rows = conn.execute(
                select(objectives_table)
                .where(objectives_table.c.workspace_id == self.workspace_id)
                .order_by(objectives_table.c.created_at, objectives_table.c.name)
            ).mappings()
            return [_objective(row) for row in rows]

    def get_objective(self, objective_id: str) -> Objective:
        found = self._read(objectives_table, objective_id, _objective)
        if found is None:
            raise ConflictError("That objective was deleted in another session; nothing was saved.")
        return found

    def initiatives(self, objective_id: str | None = None) -> list[Initiative]:
        query = select(initiatives_table).where(initiatives_table.c.workspace_id == self.workspace_id)
        if objective_id is not None:
            query = query.where(initiatives_table.c.objective_id == objective_id)
        with self.store.engine.connect() as conn:
            rows = conn.execute(
                query.order_by(initiatives_table.c.created_at, initiatives_table.c.name)
            ).mappings()
            return [_initiative(row) for row in rows]

    def get_initiative(self, initiative_id: str) -> Initiative:
        found = self._read(initiatives_table, initiative_id, _initiative)
        if found is None:
            raise ConflictError("That initiative was deleted in another session; nothing was saved.")
        return found

    def audit_log(self, limit: int | None = 500) -> pd.DataFrame:
        """The latest changes first: columns ``when, who, what, field, old, new``."""
        query = (
            select(audit_table)
            .where(audit_table.c.workspace_id == self.workspace_id)
            .order_by(audit_table.c.at.desc(), audit_table.c.id.desc())
        )
        if limit is not None:
            query = query.limit(limit)
        with self.store.engine.connect() as conn:
            rows = conn.execute(query).mappings().all()
        return pd.DataFrame(
            {
                "when": pd.to_datetime([row["at"] for row in rows]),
                "who": [row["who"] for row in rows],
                "what": [row["label"] for row in rows],
                "field": [row["field"] for row in rows],
                "old": [row["old"] for row in rows],
                "new": [row["new"] for row in rows],
            }
        )

    # -- targets ---------------------------------------------------------------------------

    def set_target(self, target: Target, *, author: str, expected_version: int | None = None) -> Target:
        """Create the target of a KPI and segment, or replace its goal, bands, weight, trajectory.

        Parameters
        ----------
        target
            The wanted target (``id``, ``version`` and the baseline are ignored: a new target
            takes its baseline from the KPI's latest value, an existing one keeps its own).
        author
            Who sets it, for the audit log.
        expected_version
            None to create; the version the change was made on to replace.

        Raises
        ------
        ConflictError
            When the KPI and segment already have a target and ``expected_version`` is None or
            stale (also when another session created it between this one's check and its
            insert), or when the target was deleted meanwhile. The message shows the current value.
        InputError
            For bad values; nothing is saved.
        """
        author = _author(author)
        existing = self.find_target(target.kpi, target.segment_by, target.segment)
        if existing is None and expected_version:
            raise ConflictError(
                f"The target for {_label_of(target)} was deleted in another session; nothing was saved."
            )
        if existing is not None and expected_version is None:
            raise _already_set(existing)
        if existing is not None:
            proposed = replace(
                target,
                **{name: getattr(existing, name) for name in (*_STORED, "baseline", "baseline_period")},
            )
            checked = self._checked_target(proposed, existing)
            with self.store.engine.begin() as conn:
                self._write_target(conn, existing, checked, expected_version, author)
            return self.get_target(existing.id)
        checked = self._checked_target(target, None)
        try:
            with self.store.engine.begin() as conn:
                target_id = self._insert_target(conn, checked, author)
        except ConflictError:
            # Another session created the same KPI and segment between the check above and this
            # insert: the database's unique constraint refused ours. Name what they saved.
            raced = self.find_target(target.kpi, target.segment_by, target.segment)
            if raced is None:
                raise
            raise _already_set(raced) from None
        return self.get_target(target_id)

    def update_target(
        self, target_id: str, changes: Mapping[str, object], *, author: str, expected_version: int
    ) -> Target:
        """Change some fields of a stored target (``goal, due_period, band_mode, green, amber,
        weight, trajectory``), typed values or text as typed in a table.

        ``trajectory`` takes a mapping period -> value (or pairs); an empty one means the linear
        ramp. Raises :class:`ConflictError` when ``expected_version`` is stale and
        :class:`InputError` for bad values; nothing is saved then.
        """
        author = _author(author)
        current = self.get_target(target_id)
        allowed = {"goal", "due_period", "band_mode", "green", "amber", "weight", "trajectory"}
        unknown = sorted(set(changes) - allowed)
        if unknown:
            raise InputError(f"These target fields cannot be edited: {', '.join(unknown)}.")
        values = dict(changes)
        if "goal" in values:
            values["goal"] = _number(values["goal"], "The goal")[0]
        if "due_period" in values:
            values["due_period"] = parse_period(values["due_period"]).label
        if "trajectory" in values:
            points = values["trajectory"] or {}
            pairs = points.items() if isinstance(points, Mapping) else points
            values["trajectory"] = tuple(
                (parse_period(label).label, _number(value, f"The value for {label}")[0])
                for label, value in pairs
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
        proposed = replace(current, **values)
        checked = self._checked_target(proposed, current)
        with self.store.engine.begin() as conn:
            self._write_target(conn, current, checked, expected_version, author)
        return self.get_target(target_id)

    def delete_target(self, target_id: str, *, author: str, expected_version: int) -> None:
        """Delete a target, refused when someone changed it since ``expected_version``."""
        author = _author(author)
        current = self.get_target(target_id)
        self._check_version("target", current, expected_version)
        with self.store.engine.begin() as conn:
            result = conn.execute(
                targets_table.delete().where(
                    targets_table.c.id == target_id, targets_table.c.version == expected_version
                )
            )
            if result.rowcount != 1:
                raise self._stale("target", target_id)
            self._audit(conn, author, "target", current, "deleted", current.describe(), "")

    def import_targets(self, frame: pd.DataFrame, *, author: str) -> ImportSummary:
        """Create or replace targets from rows of a targets file (see :func:`targets_from_frame`).

        Every row is checked first (readable values, KPIs this workspace can compute, existing
        segments, due periods not past); one bad row and nothing is saved. Then all targets are
        written in one transaction, each change in the audit log.
        """
        author = _author(author)
        wanted = targets_from_frame(frame)
        plans: list[tuple[Target | None, Target]] = []
        problems = []
        for target in wanted:
            existing = self.find_target(target.kpi, target.segment_by, target.segment)
            if existing is not None:
                target = replace(
                    target,
                    **{name: getattr(existing, name) for name in (*_STORED, "baseline", "baseline_period")},
                )
            try:
                plans.append((existing, self._checked_target(target, existing)))
            except InputError as error:
                problems.append(f"{_label_of(target)}: {error}")
        if problems:
            raise InputError("Nothing was imported. " + " ".join(problems[:10]))
        created = updated = unchanged = 0
        with self.store.engine.begin() as conn:
            for existing, target in plans:
                if existing is None:
                    self._insert_target(conn, target, author)
                    created += 1
                elif self._write_target(conn, existing, target, existing.version, author):
                    updated += 1
                else:
                    unchanged += 1
        return ImportSummary(created=created, updated=updated, unchanged=unchanged)

    def export_targets(self) -> pd.DataFrame:
        """The targets in the import/export layout (see :func:`targets_to_frame`)."""
        return targets_to_frame(self.targets())

    # -- objectives and initiatives --------------------------------------------------------

    def add_objective(self, objective: Objective, *, author: str) -> Objective:
        """Store a new objective. Raises InputError for an empty or taken name, a due date in the
        past or a KPI this workspace cannot compute."""
        author = _author(author)
        checked = self._checked_objective(objective, None)
        now = _now()
        objective_id = uuid.uuid4().hex
        with self.store.engine.begin() as conn:
            conn.execute(
                objectives_table.insert().values(
                    id=objective_id,
                    workspace_id=self.workspace_id,
                    **_objective_values(checked),
                    created_at=now,
                    updated_at=now,
                    updated_by=author,
                    version=1,
                )
            )
            stored = replace(checked, id=objective_id)
            self._audit(conn, author, "objective", stored, "created", "", stored.describe())
        return self.get_objective(objective_id)

    def update_objective(
        self, objective_id: str, changes: Mapping[str, object], *, author: str, expected_version: int
    ) -> Objective:
        """Change ``name, description, owner, due_date, kpis`` of an objective (version-checked)."""
        author = _author(author)
        current = self.get_objective(objective_id)
        allowed = {"name", "description", "owner", "due_date", "kpis"}
        unknown = sorted(set(changes) - allowed)
        if unknown:
            raise InputError(f"These objective fields cannot be edited: {', '.join(unknown)}.")
        proposed = replace(current, **_objective_changes(changes))
        checked = self._checked_objective(proposed, current)
        self._check_version("objective", current, expected_version)
        changed = _changed_fields(current, checked, ("name", "description", "owner", "due_date", "kpis"))
        if not changed:
            return current
        with self.store.engine.begin() as conn:
            self._update_row(
                conn,
                objectives_table,
                "objective",
                current,
                expected_version,
                author,
                {name: _objective_values(checked)[name] for name in changed},
                changed,
            )
        return self.get_objective(objective_id)

    def delete_objective(self, objective_id: str, *, author: str, expected_version: int) -> None:
        """Delete an objective and its initiatives (version-checked)."""
        author = _author(author)
        current = self.get_objective(objective_id)
        self._check_version("objective", current, expected_version)
        initiatives = self.initiatives(objective_id)
        with self.store.engine.begin() as conn:
            result = conn.execute(
                objectives_table.delete().where(
                    objectives_table.c.id == objective_id, objectives_table.c.version == expected_version
                )
            )
            if result.rowcount != 1:
                raise self._stale("objective", objective_id)
            for initiative in initiatives:
                self._audit(conn, author, "initiative", initiative, "deleted", initiative.describe(), "")
            self._audit(conn, author, "objective", current, "deleted", current.describe(), "")

    def add_initiative(self, initiative: Initiative, *, author: str) -> Initiative:
        """Store a new initiative under an existing objective."""
        author = _author(author)
        checked = self._checked_initiative(initiative)
        now = _now()
        initiative_id = uuid.uuid4().hex
        with self.store.engine.begin() as conn:
            conn.execute(
                initiatives_table.insert().values(
                    id=initiative_id,
                    workspace_id=self.workspace_id,
                    objective_id=checked.objective_id,
                    **_initiative_values(checked),
                    created_at=now,
                    updated_at=now,
                    updated_by=author,
                    version=1,
                )
            )
            stored = replace(checked, id=initiative_id)
            self._audit(conn, author, "initiative", stored, "created", "", stored.describe())
        return self.get_initiative(initiative_id)

    def update_initiative(
        self, initiative_id: str, changes: Mapping[str, object], *, author: str, expected_version: int
    ) -> Initiative:
        """Change ``name, owner, status, start_date, end_date`` of an initiative (version-checked)."""
        author = _author(author)
        current = self.get_initiative(initiative_id)
        allowed = {"name", "owner", "status", "start_date", "end_date"}
        unknown = sorted(set(changes) - allowed)
        if unknown:
            raise InputError(f"These initiative fields cannot be edited: {', '.join(unknown)}.")
        proposed = replace(current, **_initiative_changes(changes))
        checked = self._checked_initiative(proposed)
        self._check_version("initiative", current, expected_version)
        names = ("name", "owner", "status", "start_date", "end_date")
        changed = _changed_fields(current, checked, names)
        if not changed:
            return current
        with self.store.engine.begin() as conn:
            self._update_row(
                conn,
                initiatives_table,
                "initiative",
                current,
                expected_version,
                author,
                {name: _initiative_values(checked)[name] for name in changed},
                changed,
            )
        return self.get_initiative(initiative_id)

    def delete_initiative(self, initiative_id: str, *, author: str, expected_version: int) -> None:
        author = _author(author)
        current = self.get_initiative(initiative_id)
        self._check_version("initiative", current, expected_version)
        with self.store.engine.begin() as conn:
            result = conn.execute(
                initiatives_table.delete().where(
                    initiatives_table.c.id == initiative_id,
                    initiatives_table.c.version == expected_version,
                )
            )
            if result.rowcount != 1:
                raise self._stale("initiative", initiative_id)
            self._audit(conn, author, "initiative", current, "deleted", current.describe(), "")

    # -- checks ----------------------------------------------------------------------------

    def kpi_result(self, unit: str, by: str | None) -> KpiResult:
        """The workspace's KPIs per ``unit`` split by ``by`` (cached for this book)."""
        key = (unit, by)
        if key not in self._results:
            self._results[key] = self._kpi_source(unit, by)
        return self._results[key]

    def _compute(self, unit: str, by: str | None) -> KpiResult:
        return compute_kpis(self.store.workspace_tables(self.workspace_id), period=unit, by=by)

    def _checked_target(self, target: Target, current: Target | None) -> Target:
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
        if due_changed and due.end_date < self._today():
            raise InputError(
                f"The due period {due.label} ended on {due.end_date.isoformat()}, before today "
                f"({self._today().isoformat()}); choose a later one."
            )
        baseline, baseline_period = target.baseline, target.baseline_period
        if current is None or current.unit != due.unit:
            baseline, baseline_period = self._baseline(target.kpi, target.segment_by, target.segment, due)
        elif current is not None:
            baseline, baseline_period = current.baseline, current.baseline_period
        if baseline_period is not None and parse_period(baseline_period).end_month >= due.end_month:
            raise InputError(
                f"The due period {due.label} must come after the latest data ({baseline_period})."
            )
        if trajectory and baseline_period is not None:
            start = parse_period(baseline_period)
            early = [p.label for p, _ in trajectory if p.end_month <= start.end_month]
            if early:
                raise InputError(
                    f"Per-period values must come after the baseline period {start.label}: "
                    f"{', '.join(early)}."
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
        self, kpi: str, segment_by: str | None, segment: str | None, due: Period
    ) -> tuple[float | None, str | None]:
        """The KPI's value in its latest period with data, after checking it can be computed."""
        result = self.kpi_result(due.unit, segment_by)
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
        rows = rows[rows["value"].notna() & (rows["period"] != "all")]
        if rows.empty:
            return None, None
        latest = rows.iloc[int(np.argmax([position(p) for p in rows["period"]]))]
        return float(latest["value"]), str(latest["period"])

    def _checked_objective(self, objective: Objective, current: Objective | None) -> Objective:
        name = _text(objective.name, "The objective's name", required=True)
        clash = next(
            (
                o
                for o in self.objectives()
                if o.name.lower() == name.lower() and (current is None or o.id != current.id)
            ),
            None,
        )
        if clash is not None:
            raise InputError(f"An objective called “{name}” already exists; choose another name.")
        due = _date(objective.due_date, "The due date")
        if due is not None and (current is None or due != current.due_date) and due < self._today():
            raise InputError(
                f"The due date {due.isoformat()} is in the past (today is {self._today().isoformat()})."
            )
        kpis = tuple(dict.fromkeys(_kpi_id(kpi) for kpi in objective.kpis))
        added = set(kpis) - set(current.kpis if current else ())
        if added:
            unavailable = dict(self.kpi_result("month", None).unavailable)
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

    def _checked_initiative(self, initiative: Initiative) -> Initiative:
        self.get_objective(initiative.objective_id)
        name = _text(initiative.name, "The initiative's name", required=True)
        status = _text(initiative.status, "The status").lower() or "planned"
        if status not in INITIATIVE_STATUSES:
            raise InputError(
                f"An initiative's status is one of {', '.join(INITIATIVE_STATUSES)}, not “{status}”."
            )
        start = _date(initiative.start_date, "The start date")
        end = _date(initiative.end_date, "The end date")
        if start is not None and end is not None and end < start:
            raise InputError(
                f"The end date {end.isoformat()} comes before the start date {start.isoformat()}."
            )
        return replace(
            initiative,
            name=name,
            owner=_text(initiative.owner, "The owner"),
            status=status,
            start_date=start,
            end_date=end,
        )

    # -- writing ---------------------------------------------------------------------------

    def _insert_target(self, conn: Connection, target: Target, author: str) -> str:
        now = _now()
        target_id = uuid.uuid4().hex
        conn.execute(
            targets_table.insert().values(
                id=target_id,
                workspace_id=self.workspace_id,
                kpi=target.kpi,
                segment_by=target.segment_by or "",
                segment=target.segment or "",
                baseline=target.baseline,
                baseline_period=target.baseline_period,
                **_target_values(target),
                created_at=now,
                updated_at=now,
                updated_by=author,
                version=1,
            )
        )
        self._audit(conn, author, "target", replace(target, id=target_id), "created", "", target.describe())
        return target_id

    def _write_target(
        self, conn: Connection, current: Target, proposed: Target, expected_version: int | None, author: str
    ) -> bool:
        """Write the changed fields of ``proposed`` over ``current``; False when nothing changed."""
        self._check_version("target", current, expected_version)
        names = ("goal", "due_period", "band_mode", "green", "amber", "weight", "trajectory")
        changed = _changed_fields(current, proposed, names)
        if not changed:
            return False
        values = {name: _target_values(proposed)[name] for name in changed}
        self._update_row(conn, targets_table, "target", current, expected_version, author, values, changed)
        return True

    def _update_row(
        self,
        conn: Connection,
        table: Table,
        entity: str,
        current: Any,
        expected_version: int | None,
        author: str,
        values: dict[str, object],
        changed: dict[str, tuple[object, object]],
    ) -> None:
        result = conn.execute(
            table.update()
            .where(table.c.id == current.id, table.c.version == expected_version)
            .values(**values, updated_at=_now(), updated_by=author, version=(expected_version or 0) + 1)
        )
        if result.rowcount != 1:
            raise self._stale(entity, current.id)
        for name, (old, new) in changed.items():
            self._audit(conn, author, entity, current, name, _shown(old), _shown(new))

    def _audit(
        self, conn: Connection, author: str, entity: str, record: Any, field: str, old: str, new: str
    ) -> None:
        conn.execute(
            audit_table.insert().values(
                workspace_id=self.workspace_id,
                at=_now(),
                who=author,
                entity=entity,
                entity_id=record.id,
                label=record.label,
                field=field,
                old=old,
                new=new,
            )
        )

    def _check_version(self, entity: str, current: Any, expected_version: int | None) -> None:
        if current.version != expected_version:
            raise _conflict(entity, current)

    def _stale(self, entity: str, record_id: str) -> ConflictError:
        """The error for a save that lost a race: re-read the row to show its current value."""
        table, make = {
            "target": (targets_table, _target),
            "objective": (objectives_table, _objective),
            "initiative": (initiatives_table, _initiative),
        }[entity]
        current = self._read(table, record_id, make)
        if current is None:
            return ConflictError(f"That {entity} was deleted in another session; nothing was saved.")
        return _conflict(entity, current)

    def _read(self, table: Table, record_id: str, make: Callable[[Any], Any]) -> Any:
        with self.store.engine.connect() as conn:
            row = (
                conn.execute(
                    select(table).where(table.c.id == record_id, table.c.workspace_id == self.workspace_id)
                )
                .mappings()
                .first()
            )
        return make(row) if row else None


def _conflict(entity: str, current: Any) -> ConflictError:
    when = current.updated_at.strftime("%H:%M UTC on %Y-%m-%d") if current.updated_at else "meanwhile"
    return ConflictError(
        f"{current.label} was changed by {current.updated_by} at {when}; it is now: {current.describe()} "
        f"(version {current.version}). Your change was not saved; the current value is shown."
    )


def _already_set(existing: Target) -> ConflictError:
    """The error for creating a target the KPI and segment already have: shows the stored one."""
    return ConflictError(
        f"{existing.label} already has a target, set by {existing.updated_by}: "
        f"{existing.describe()} (version {existing.version}). Yours was not saved; edit that one "
        "instead."
    )


def _label_of(target: Target) -> str:
    return target.label if target.kpi in KPIS else target.kpi


def _changed_fields(current: Any, proposed: Any, names: Sequence[str]) -> dict[str, tuple[object, object]]:
    return {
        name: (getattr(current, name), getattr(proposed, name))
        for name in names
        if getattr(current, name) != getattr(proposed, name)
    }


def _target_values(target: Target) -> dict[str, object]:
    return {
        "due_period": target.due_period,
        "goal": float(target.goal),
        "trajectory": json.dumps([[label, value] for label, value in target.trajectory]),
        "band_mode": target.band_mode,
        "green": float(target.green),
        "amber": float(target.amber),
        "weight": float(target.weight),
    }


def _objective_values(objective: Objective) -> dict[str, object]:
    return {
        "name": objective.name,
        "description": objective.description,
        "owner": objective.owner,
        "due_date": objective.due_date,
        "kpis": json.dumps(list(objective.kpis)),
    }


def _initiative_values(initiative: Initiative) -> dict[str, object]:
    return {
        "name": initiative.name,
        "owner": initiative.owner,
        "status": initiative.status,
        "start_date": initiative.start_date,
        "end_date": initiative.end_date,
    }


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


def _stored(row: Mapping[str, Any]) -> dict[str, Any]:
    return {name: row[name] for name in _STORED}


def _target(row: Mapping[str, Any]) -> Target:
    return Target(
        kpi=row["kpi"],
        goal=float(row["goal"]),
        due_period=row["due_period"],
        segment_by=row["segment_by"] or None,
        segment=(row["segment"] or None) if row["segment_by"] else None,
        trajectory=tuple((label, float(value)) for label, value in json.loads(row["trajectory"] or "[]")),
        band_mode=row["band_mode"],
        green=float(row["green"]),
        amber=float(row["amber"]),
        weight=float(row["weight"]),
        baseline=row["baseline"],
        baseline_period=row["baseline_period"],
        **_stored(row),
    )


def _objective(row: Mapping[str, Any]) -> Objective:
    return Objective(
        name=row["name"],
        description=row["description"],
        owner=row["owner"],
        due_date=row["due_date"],
        kpis=tuple(json.loads(row["kpis"] or "[]")),
        **_stored(row),
    )


def _initiative(row: Mapping[str, Any]) -> Initiative:
    return Initiative(
        objective_id=row["objective_id"],
        name=row["name"],
        owner=row["owner"],
        status=row["status"],
        start_date=row["start_date"],
        end_date=row["end_date"],
        **_stored(row),
    )

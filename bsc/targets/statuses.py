"""Statuses of KPI values against their targets, trajectories for charts, and the roll-up.

Pure functions over the frames of :func:`bsc.kpis.compute_kpis` and the records of
:mod:`bsc.targets.model`; nothing here reads or writes the store.

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

import math
from collections.abc import Sequence
from typing import Any, Literal

import numpy as np
import pandas as pd

from bsc.kpis import COMPONENT_NAMES as KPI_COMPONENT_NAMES
from bsc.kpis import COMPONENTS, KPIS, whole_known
from bsc.periods import PeriodUnit, frame_unit, parse_period, position
from bsc.targets.model import DEFAULT_AMBER, DEFAULT_GREEN, Target

__all__ = [
    "COMPONENT_NAMES",
    "OVERALL",
    "STATUS_COLOURS",
    "STATUS_LABELS",
    "STATUS_SCORES",
    "Status",
    "band_limits",
    "evaluate",
    "judge",
    "rollup",
    "trajectories",
]

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
    # Column by column: DataFrame.astype with a mapping also copies every other column, which
    # cost most of a Scorecard's statuses.
    for column, dtype in _STATUS_DTYPES.items():
        frame[column] = frame[column].astype(dtype)
    return frame


_STATUS_DTYPES = {
    "segment_by": "string",
    "segment": "string",
    "score": float,
    "weight": float,
    "value": float,
    "target": float,
    "version": "Int64",
}


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
    """Per (kpi, segment): the row of the latest whole dated period with a value ("all" if only
    that); a period "to date" only when no whole one has a value. Rows in registry order, all
    customers first, then the segments by name.

    Found from arrays of the few columns it reads, and the chosen rows taken from the frame once:
    sorting a copy of the whole frame cost most of a Scorecard's statuses.
    """
    # A few distinct periods over thousands of rows: each label is parsed once.
    positions = {period: position(period) for period in values["period"].dropna().unique()}
    # Rows are ranked by (has a value + is whole, period position with an undated "all" lowest,
    # then frame order); the highest of each (kpi, segment) is its latest.
    rank_period = values["period"].map(positions).astype(float).fillna(-np.inf).to_numpy()
    rank_value = values["value"].notna().to_numpy().astype(int) + whole_known(values).to_numpy().astype(int)
    kpis = values["kpi"].to_numpy(dtype=object)
    segments = values["segment"].astype(object).where(values["segment"].notna(), None).to_numpy()
    best: dict[tuple[object, object], int] = {}
    for row, key in enumerate(zip(kpis, segments, strict=True)):
        chosen = best.get(key)
        if chosen is None or (rank_value[row], rank_period[row]) >= (rank_value[chosen], rank_period[chosen]):
            best[key] = row
    order = {kpi: i for i, kpi in enumerate(KPIS)}
    rows = sorted(
        best.values(),
        key=lambda row: (order.get(kpis[row], len(order)), segments[row] is not None, segments[row] or ""),
    )
    return values.iloc[rows]


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

"""The records a workshop sets: targets, objectives and initiatives.

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

An objective ("Raise retention by 3 points") has an owner, a due date and linked KPIs; an
initiative is work that serves one objective. Every record carries the fields the store sets
(:data:`STORED_FIELDS`): its id, its ``version`` (0 before it is stored) and who changed it last.
"""

from __future__ import annotations

from dataclasses import dataclass
from datetime import date, datetime
from typing import Literal

import numpy as np

from bsc.kpis import KPIS, format_number
from bsc.periods import Period, PeriodUnit, parse_period

__all__ = [
    "DEFAULT_AMBER",
    "DEFAULT_GREEN",
    "INITIATIVE_STATUSES",
    "STORED_FIELDS",
    "BandMode",
    "Initiative",
    "Objective",
    "Target",
]

BandMode = Literal["absolute", "relative"]
DEFAULT_GREEN, DEFAULT_AMBER = 0.0, 10.0
INITIATIVE_STATUSES: tuple[str, ...] = ("planned", "in progress", "done", "on hold")
# Set by the store on every record, never by the person editing it.
STORED_FIELDS: tuple[str, ...] = ("id", "version", "created_at", "updated_at", "updated_by")


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

r"""What changed: significant shifts of key KPIs in any segment, found without configuration.

For every segment attribute of the workspace (and for all customers), each KPI below is
compared between its last ``window`` usable months and the ``window`` usable months before
them, pooled from the KPI's numerator and denominator (so a month with many responses weighs
more than a quiet one). A usable month is one the data covers in full and in which every value
of the KPI can be known: a month cut short by the end (or start) of the data, and a month whose
value the data cannot know (churn in the first months of a transaction log), are never used, so
that neither a partial month nor a 0 % "by construction" reads as a change. A shift is listed only when it survives the Benjamini–Hochberg false-discovery
rate over *all* the comparisons made, so scanning many segments does not manufacture stories.
The shifts that pass are ranked by effect size, not by z, so that a large change in a segment
comes before a small change that is significant only because the whole base is large.

Tests per KPI kind (two-sided, normal approximation); a KPI's kind is its record's
:attr:`~bsc.kpis.KpiDef.change_test`, and the KPIs of the kinds below are tested (retention,
the mirror of churn, excepted):

- proportion (CSAT, churn, conversion, ...): two-proportion z-test with unpooled variance,
  :math:`z = (p_2 - p_1) / \sqrt{p_1(1-p_1)/n_1 + p_2(1-p_2)/n_2}`.
- NPS: the per-response score is +1, 0 or −1, whose variance is at most
  :math:`1 - \mathrm{NPS}^2` (all non-passives); that bound is used, so the test errs on the
  cautious side.
- cost per count (CPA = spend ÷ new customers): the count is taken as Poisson, so
  :math:`\log(\mathrm{CPA})` has variance :math:`1/n`; z compares the log ratios.

Effect sizes: Cohen's h for proportions, :math:`h = 2\arcsin\sqrt{p_2} - 2\arcsin\sqrt{p_1}`;
the NPS change on the −1..+1 scale; the log ratio for a cost per count.

References: Benjamini, Y. & Hochberg, Y. (1995), Controlling the false discovery rate,
J. R. Stat. Soc. B 57(1), 289–300.
"""

from __future__ import annotations

from collections.abc import Mapping, Sequence
from dataclasses import dataclass
from pathlib import Path
from typing import Literal, cast, get_args

import numpy as np
import pandas as pd
from scipy import special

from bsc.engine import Backend
from bsc.kpis import KPIS, compute_kpis, segment_attributes, whole_periods
from bsc.result_files import keep_type
from bsc.stats import lazy_scipy_stats

__all__ = ["TESTS", "Shift", "benjamini_hochberg", "effect_size", "find_shifts", "shift_z", "usable_periods"]

TestKind = Literal["proportion", "nps", "cost_per_count"]
# The change tests What changed knows how to pool over a window of periods.
_KINDS: tuple[TestKind, ...] = get_args(TestKind)
# Retention is 100 − churn on the same customers: testing both would count one story twice.
_MIRRORS = {"retention_rate": "churn_rate"}
# Which KPIs What changed tests, and how: each KPI's own change test (its record), where it is a
# kind above and the KPI does not mirror another.
TESTS: dict[str, TestKind] = {
    kpi: cast(TestKind, definition.change_test)
    for kpi, definition in KPIS.items()
    if definition.change_test in _KINDS and kpi not in _MIRRORS
}


@keep_type
@dataclass(frozen=True)
class Shift:
    """A KPI that moved significantly in one segment between two windows of periods."""

    kpi: str
    attribute: str | None
    segment: str | None
    before: float
    after: float
    before_periods: str
    after_periods: str
    z: float
    p_value: float
    effect: float
    better: bool

    @property
    def who(self) -> str:
        return "All customers" if self.segment is None else f"{self.attribute} = {self.segment}"

    @property
    def headline(self) -> str:
        """The shift in words, money in an unknown currency ("12 ¤"): see :meth:`headline_in`."""
        return self.headline_in(None)

    def headline_in(self, currency: str | None) -> str:
        """The shift in words, money in ``currency``: "CPA worsened for channel = Social: €66.4 → €133"."""
        definition = KPIS[self.kpi]
        change = "improved" if self.better else "worsened"
        before = definition.format_value(self.before, currency=currency)
        after = definition.format_value(self.after, currency=currency)
        return f"{definition.name} {change} for {self.who}: {before} → {after}"


def shift_z(kind: TestKind, before: tuple[float, float], after: tuple[float, float]) -> float:
    """z statistic of the change from ``before`` to ``after``, each ``(numerator, denominator)``.

    Returns NaN where the test is undefined (an empty window, a zero count).
    """
    (num_1, den_1), (num_2, den_2) = before, after
    if min(den_1, den_2) <= 0:
        return float("nan")
    if kind == "cost_per_count":
        # numerator = spend, denominator = count of new customers.
        if min(num_1, num_2) <= 0:
            return float("nan")
        return float((np.log(num_2 / den_2) - np.log(num_1 / den_1)) / np.sqrt(1 / den_1 + 1 / den_2))
    p_1, p_2 = num_1 / den_1, num_2 / den_2
    if kind == "nps":
        variance = (1 - p_1**2) / den_1 + (1 - p_2**2) / den_2
    else:
        variance = p_1 * (1 - p_1) / den_1 + p_2 * (1 - p_2) / den_2
    if variance <= 0:
        return float("nan")
    return float((p_2 - p_1) / np.sqrt(variance))


def effect_size(kind: TestKind, before: float, after: float) -> float:
    """Size of a change, comparable across KPIs of one kind (see the module docstring).

    ``before`` and ``after`` are fractions (proportions), NPS on −1..+1, or costs.
    """
    if kind == "cost_per_count":
        return float(np.log(after / before))
    if kind == "nps":
        return float(after - before)
    return float(2 * np.arcsin(np.sqrt(after)) - 2 * np.arcsin(np.sqrt(before)))


def benjamini_hochberg(p_values: Sequence[float], q: float = 0.05) -> np.ndarray:
    """Which hypotheses are rejected at false-discovery rate ``q`` (Benjamini–Hochberg step-up).

    A hypothesis is rejected when its BH-adjusted p-value (``scipy.stats.false_discovery_control``)
    is at most ``q``. A comparison without a p-value (NaN) still counts among the tests made, so
    that it makes the others no easier to pass, and is never rejected.
    """
    p = np.nan_to_num(np.asarray(p_values, dtype=float), nan=1.0)
    if len(p) == 0:
        return np.zeros(0, dtype=bool)
    return lazy_scipy_stats.false_discovery_control(p, method="bh") <= q


def find_shifts(
    tables: Mapping[str, Sequence[Path | str]],
    *,
    window: int = 9,
    q: float = 0.05,
    limit: int = 6,
    backend: Backend | None = None,
) -> tuple[list[Shift], int]:
    """Significant shifts over the last ``window`` months against the ``window`` before.

    Returns the shifts that pass the false-discovery-rate check (largest |z| first, at most
    ``limit``) and the number of comparisons made.
    """
    kpis = list(TESTS)
    rows: list[dict] = []
    for attribute in [None, *segment_attributes(tables)]:
        result = compute_kpis(tables, period="month", by=attribute, kpis=kpis, backend=backend)
        values = result.values
        if attribute is not None:
            values = values[values["segment"].notna()]
            values = values[~values["kpi"].isin([kpi for kpi, _ in result.not_split])]
        rows += _compare_windows(values, attribute, window)
    if not rows:
        return [], 0
    frame = pd.DataFrame(rows)
    frame["p_value"] = 2 * special.ndtr(-frame["z"].abs())  # norm.sf, bit for bit
    frame["significant"] = benjamini_hochberg(frame["p_value"].to_numpy(), q)
    found = frame[frame["significant"]].sort_values("effect", key=np.abs, ascending=False).head(limit)
    shifts = [
        Shift(
            kpi=row.kpi,
            attribute=None if pd.isna(row.attribute) else row.attribute,
            segment=None if pd.isna(row.segment) else row.segment,
            before=row.before,
            after=row.after,
            before_periods=row.before_periods,
            after_periods=row.after_periods,
            z=row.z,
            p_value=row.p_value,
            effect=row.effect,
            better=(row.after > row.before) == (KPIS[row.kpi].direction == "higher"),
        )
        for row in found.itertuples()
    ]
    return shifts, len(frame)


def usable_periods(values: pd.DataFrame) -> dict[str, list[str]]:
    """Per KPI, its periods that are complete and known in every row (segment), in order."""
    dated = values[values["period"] != "all"]
    known = dated["reason"].isna() if "reason" in dated else pd.Series(True, index=dated.index)
    usable = (whole_periods(dated) & known).groupby([dated["kpi"], dated["period"]]).all()
    return {
        str(kpi): sorted(str(period) for period, ok in periods.droplevel(0).items() if ok)
        for kpi, periods in usable.groupby(level=0)
    }


def _compare_windows(values: pd.DataFrame, attribute: str | None, window: int) -> list[dict]:
    dated = values[values["period"] != "all"]
    usable = usable_periods(dated)
    rows = []
    for (kpi, segment), series in dated.groupby(["kpi", dated["segment"].astype(object)], dropna=False):
        periods = usable.get(str(kpi), [])
        if len(periods) < 2 * window:
            continue
        after_periods, before_periods = periods[-window:], periods[-2 * window : -window]
        before = series[series["period"].isin(before_periods)][["numerator", "denominator"]].sum()
        after = series[series["period"].isin(after_periods)][["numerator", "denominator"]].sum()
        z = shift_z(
            TESTS[kpi],
            (before["numerator"], before["denominator"]),
            (after["numerator"], after["denominator"]),
        )
        if np.isnan(z):
            continue
        kind = TESTS[kpi]
        scale = 1.0 if kind == "cost_per_count" else 100.0
        ratio_before = before["numerator"] / before["denominator"]
        ratio_after = after["numerator"] / after["denominator"]
        rows.append(
            {
                "kpi": kpi,
                "attribute": attribute,
                "segment": None if pd.isna(segment) else str(segment),
                "before": scale * ratio_before,
                "after": scale * ratio_after,
                "effect": effect_size(kind, ratio_before, ratio_after),
                "before_periods": f"{before_periods[0]} to {before_periods[-1]}",
                "after_periods": f"{after_periods[0]} to {after_periods[-1]}",
                "z": z,
            }
        )
    return rows

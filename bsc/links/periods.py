"""The generic test of an arrow a user draws between two KPIs: their series, period by period.

A user's arrow can join any two KPIs, most of which have no customer-level pairing, so it is
tested on the scorecard's monthly values for all customers: the change of the cause from one
month to the next against the change of the effect one month later (Pearson's r with Fisher's z
interval, :func:`bsc.links.result.correlation`). Changes rather than levels, so that two KPIs
that merely both grow over the months do not look linked. Needs :data:`MIN_PERIODS` such pairs.
"""

from __future__ import annotations

import pandas as pd

from bsc.kpis import KPIS, KpiResult
from bsc.links.result import LinkResult, correlation, judged, no_data

__all__ = ["MIN_PERIODS", "period_link"]

MIN_PERIODS = 12


def period_link(result: KpiResult, cause: str, effect: str) -> LinkResult:
    """Test ``cause`` → ``effect`` on the monthly series of ``result`` (all customers, whole periods).

    The expected sign is + when both KPIs are better higher (or both lower), − otherwise: a
    better cause should make a better effect.
    """
    method = (
        f"Monthly values for all customers: the month-to-month change of {KPIS[cause].name} against the "
        f"change of {KPIS[effect].name} one month later; Pearson's correlation with a 95% interval (Fisher z); "
        f"at least {MIN_PERIODS} months."
    )
    cause_series, effect_series = _series(result, cause), _series(result, effect)
    if cause_series.empty or effect_series.empty:
        missing = KPIS[cause].name if cause_series.empty else KPIS[effect].name
        return no_data(cause, effect, method, f"monthly values of {missing}", user=True)
    changes = pd.DataFrame({"cause": cause_series.diff(), "effect": effect_series.diff().shift(-1)})
    changes = changes.dropna()
    found = correlation(changes["cause"], changes["effect"])
    expected = 1 if KPIS[cause].direction == KPIS[effect].direction else -1
    better = "rose" if KPIS[effect].direction == "higher" else "fell"
    meaning = (
        f"Over {found.n} months, when {KPIS[cause].short_name} improved, {KPIS[effect].short_name} "
        f"{better if found.value * expected > 0 else 'did not follow'} the month after (r = {found.value:+.2f})."
    )
    return judged(
        cause,
        effect,
        found,
        expected=expected,
        minimum=MIN_PERIODS,
        method=method,
        meaning=meaning,
        unit="r",
        user=True,
    )


def _series(result: KpiResult, kpi: str) -> pd.Series:
    """A KPI's monthly values for all customers, whole known periods only, indexed by period."""
    rows = result.kpi(kpi)
    if rows.empty:
        return pd.Series(dtype=float)
    rows = rows[rows["segment"].isna() & rows["complete"].astype(bool) & rows["value"].notna()]
    rows = rows[rows["period"] != "all"]
    if rows.empty:
        return pd.Series(dtype=float)
    values = pd.Series(rows["value"].astype(float).to_numpy(), index=pd.PeriodIndex(rows["period"], freq="M"))
    # Every month between the first and last, a gap left blank: a change never spans two months.
    return values.sort_index().reindex(pd.period_range(values.index.min(), values.index.max(), freq="M"))

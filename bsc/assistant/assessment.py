"""The target assistant: is this target realistic?

For one KPI and segment: the baseline (the last period and the last three months), the
historical range, a linear trend projected to the due period with a prediction interval [1]_,
the probability of reaching a proposed target, and a verdict with its reasons, a warning when
the target lies outside what history makes plausible.

References
----------
.. [1] D. C. Montgomery, E. A. Peck and G. G. Vining, *Introduction to Linear Regression
   Analysis*, 5th ed., Wiley, 2012, §2.5 (prediction interval of a new observation).
"""

from __future__ import annotations

import math
from dataclasses import dataclass
from typing import Literal

import numpy as np
import pandas as pd

from bsc.errors import InputError
from bsc.kpis import KPIS, latest_basis
from bsc.periods import Period, parse_period
from bsc.stats import lazy_scipy_stats

__all__ = ["Assessment", "assess_target", "chance_text"]

Verdict = Literal["realistic", "stretch", "implausible", "easy", "unknown"]
MIN_TREND_PERIODS = 3
IMPLAUSIBLE_BELOW = 0.05
STRETCH_BELOW = 0.5
EASY_ABOVE = 0.95
# Trend windows: two years of months, three of quarters, every year.
TREND_WINDOW = {"month": 24, "quarter": 12, "year": 1000}
UNIT_WORDS = {"month": "months", "quarter": "quarters", "year": "years"}


@dataclass(frozen=True)
class Assessment:
    """What history says about a KPI's target for one segment.

    Attributes
    ----------
    last_period, last_value
        The latest period with a value, and that value.
    last_three_months
        The KPI over the last three months with data (see :func:`assess_target`).
    low, low_period, high, high_period
        The lowest and highest value so far, and when.
    periods
        Periods with a value.
    horizon
        Periods from the last one with data to the due period.
    slope
        Trend per period (KPI units).
    projection, interval
        The trend's value in the due period and its prediction interval; NaN without a trend.
    probability
        Chance that the KPI meets the proposed target in the due period (None without a
        proposal or a trend).
    verdict
        ``"realistic"`` (chance 50–95 %), ``"stretch"`` (5–50 %), ``"implausible"`` (below 5 %,
        or beyond the best value so far and a larger change than history has shown),
        ``"easy"`` (above 95 %) or ``"unknown"`` (too little history, or no proposal).
    reasons
        Sentences that explain the verdict; ``warning`` joins them for an implausible target.
    path
        Columns ``period, kind`` ("history" or "projection"), ``value, low, high``: the data
        and the projection with its interval from the last period to the due period.
    """

    kpi: str
    unit: str
    due_period: str
    last_period: str | None
    last_value: float
    last_three_months: float
    three_months: tuple[str, ...]
    low: float
    low_period: str | None
    high: float
    high_period: str | None
    periods: int
    horizon: int
    slope: float
    projection: float
    interval: tuple[float, float]
    confidence: float
    proposed: float | None
    probability: float | None
    verdict: Verdict
    reasons: tuple[str, ...]
    path: pd.DataFrame

    @property
    def warning(self) -> str | None:
        """The warning for an implausible target, with its reasons; None otherwise."""
        if self.verdict != "implausible":
            return None
        return "This target looks out of reach. " + " ".join(self.reasons)

    @property
    def best(self) -> float:
        return self.high if KPIS[self.kpi].direction == "higher" else self.low


def assess_target(
    series: pd.DataFrame,
    *,
    kpi: str,
    due_period: str | Period,
    proposed: float | None = None,
    monthly: pd.DataFrame | None = None,
    confidence: float = 0.95,
    window: int | None = None,
) -> Assessment:
    """Baseline, range, trend projection and the chance of meeting a proposed target.

    Parameters
    ----------
    series
        One KPI's rows for one segment from ``compute_kpis(...).values`` (columns ``period,
        value, n``), in the due period's unit. Rows under "all" and without a value are left out.
    kpi
        The KPI id (for its direction and limits).
    due_period
        When the target is due; a label of the series' unit.
    proposed
        The target to judge, or None for the baseline and projection only.
    monthly
        The same KPI and segment per month, for the last three months when ``series`` is not
        monthly; without it the last three periods of ``series`` are used when it is monthly.
    confidence
        Level of the prediction interval (0.95).
    window
        Periods used for the trend (default two years of months, three of quarters, all years).

    Notes
    -----
    The trend is an ordinary least-squares line :math:`y = a + b x` over the last ``window``
    periods with a value (:math:`x` the period number). Its prediction for the due period
    :math:`x_0` has the interval [1]_

    .. math:: \\hat y_0 \\pm t_{n-2,\\,(1+c)/2}\\; s \\sqrt{1 + \\frac{1}{n}
        + \\frac{(x_0 - \\bar x)^2}{\\sum (x_i - \\bar x)^2}}

    with :math:`s^2` the residual variance. The probability of meeting target :math:`T` is
    :math:`1 - F_{t,n-2}((T - \\hat y_0)/s_0)` when higher is better and
    :math:`F_{t,n-2}((T - \\hat y_0)/s_0)` when lower is better, :math:`s_0` the square root's
    term times :math:`s`. Projections are kept inside the KPI's possible values (NPS within
    ±100, percentages within 0–100, counts at least 0). Fewer than three periods give no trend.

    "Last three months" pools the three latest months with a value: the mean of the months for
    totals (revenue, orders, new customers...), otherwise the mean weighted by each month's n
    (for NPS and CSAT that is the pooled score of all their responses).

    Raises
    ------
    InputError
        For an unknown KPI, a bad due period or a due period not after the data.
    """
    if kpi not in KPIS:
        raise InputError(f"“{kpi}” is not a KPI; use one of: {', '.join(KPIS)}.")
    definition = KPIS[kpi]
    sign = 1.0 if definition.direction == "higher" else -1.0
    due = parse_period(due_period)
    history = _history(series)
    if not history.empty and history["unit"].iloc[0] != due.unit:
        raise InputError(
            f"The history is per {history['unit'].iloc[0]} but the due period {due.label} is a {due.unit}."
        )
    if monthly is None and due.unit == "month":
        monthly = series
    three_months, three_value = _last_three_months(kpi, monthly)
    if history.empty:
        return _without_history(
            kpi, due, proposed, three_value, three_months, confidence, _no_history_reason(series, due.unit)
        )

    last = history.iloc[-1]
    last_period = parse_period(last["period"])
    horizon = due.index - last_period.index
    if horizon < 1:
        raise InputError(f"The due period {due.label} must come after the latest data ({last_period.label}).")
    low_row = history.loc[history["value"].idxmin()]
    high_row = history.loc[history["value"].idxmax()]
    used = history.tail(window or TREND_WINDOW[due.unit])
    trend = _trend(used, due.index, confidence, kpi)
    path = _path(history, trend, last_period, due)

    probability = None
    reasons: list[str] = []
    verdict: Verdict = "unknown"
    if trend is None:
        reasons.append(
            f"Only {len(history)} {due.unit}{'s' if len(history) != 1 else ''} with data: a trend needs at "
            f"least {MIN_TREND_PERIODS}."
        )
    if proposed is not None:
        _check_limits(kpi, proposed)
        best_row = high_row if sign > 0 else low_row
        beyond_best = sign * (proposed - best_row["value"]) > 0
        required = sign * (proposed - last["value"])
        largest = _largest_change(history, horizon, sign)
        beyond_history = required > 0 and largest is not None and required > largest + 1e-12
        if trend is not None:
            probability = _probability(trend, proposed, sign)
            low_end, high_end = trend["interval"]
            reasons.append(
                f"The trend projects {definition.format_value(trend['projection'])} for {due.label} "
                f"({confidence:.0%} prediction interval {definition.format_value(low_end)} to "
                f"{definition.format_value(high_end)}); the chance of reaching {definition.format_value(proposed)} "
                f"is {chance_text(probability)}."
            )
            if probability < IMPLAUSIBLE_BELOW:
                verdict = "implausible"
            elif probability < STRETCH_BELOW:
                verdict = "stretch"
            elif probability > EASY_ABOVE:
                verdict = "easy"
            else:
                verdict = "realistic"
        if beyond_history:
            move = "rise" if sign > 0 else "fall"
            reasons.append(
                f"It needs a {move} of {_amount(kpi, required)} in {horizon} {_unit_word(due.unit, horizon)}; "
                f"the largest {move} over {horizon} {_unit_word(due.unit, horizon)} so far was "
                f"{_amount(kpi, largest)}."
            )
        if beyond_best:
            side = "above" if sign > 0 else "below"
            reasons.append(
                f"No {due.unit} so far has been {side} {definition.format_value(best_row['value'])} "
                f"({best_row['period']})."
            )
        if beyond_history and beyond_best:
            verdict = "implausible"
        if verdict == "easy":
            reasons.append("The present trend reaches it without any change: consider a bolder target.")

    return Assessment(
        kpi=kpi,
        unit=due.unit,
        due_period=due.label,
        last_period=str(last["period"]),
        last_value=float(last["value"]),
        last_three_months=three_value,
        three_months=three_months,
        low=float(low_row["value"]),
        low_period=str(low_row["period"]),
        high=float(high_row["value"]),
        high_period=str(high_row["period"]),
        periods=len(history),
        horizon=horizon,
        slope=trend["slope"] if trend else math.nan,
        projection=trend["projection"] if trend else math.nan,
        interval=trend["interval"] if trend else (math.nan, math.nan),
        confidence=confidence,
        proposed=proposed,
        probability=probability,
        verdict=verdict,
        reasons=tuple(reasons),
        path=path,
    )


def chance_text(probability: float) -> str:
    """ "about 37%", "below 1%", "above 99%"."""
    if probability < 0.01:
        return "below 1%"
    if probability > 0.99:
        return "above 99%"
    return f"about {probability:.0%}"


def _history(series: pd.DataFrame) -> pd.DataFrame:
    """Dated rows of whole periods with a value, oldest first, with ``index`` (period number) and
    ``unit``; a period the data covers only in part ("to date") is left out of the trend."""
    dated = series[series["period"] != "all"]
    rows = dated[latest_basis(dated)]
    periods = [parse_period(label) for label in rows["period"]]
    history = pd.DataFrame(
        {
            "period": [p.label for p in periods],
            "index": [p.index for p in periods],
            "unit": [p.unit for p in periods],
            "value": rows["value"].astype(float).to_numpy(),
        }
    )
    if history["unit"].nunique() > 1:
        raise InputError("The history mixes months, quarters and years; give one kind of period.")
    return history.sort_values("index", ignore_index=True)


def _last_three_months(kpi: str, monthly: pd.DataFrame | None) -> tuple[tuple[str, ...], float]:
    if monthly is None:
        return (), math.nan
    rows = monthly[monthly["period"] != "all"]
    rows = rows[latest_basis(rows)].copy()
    rows = rows[[parse_period(p).unit == "month" for p in rows["period"]]]
    if rows.empty:
        return (), math.nan
    rows["index"] = [parse_period(p).index for p in rows["period"]]
    last = rows.sort_values("index").tail(3)
    values = last["value"].astype(float)
    weights = last["n"].astype(float) if "n" in last else pd.Series(np.nan, index=last.index)
    # Totals of the period (KpiDef.total) pool as a plain mean of the months; ratios as a mean
    # weighted by each month's n.
    if KPIS[kpi].total or weights.isna().any() or weights.sum() <= 0:
        value = float(values.mean())
    else:
        value = float((values * weights).sum() / weights.sum())
    return tuple(last["period"].astype(str)), value


def _trend(history: pd.DataFrame, due_index: int, confidence: float, kpi: str) -> dict | None:
    """OLS line over ``history`` and its prediction at ``due_index`` (None under 3 points)."""
    n = len(history)
    if n < MIN_TREND_PERIODS:
        return None
    x = history["index"].to_numpy(dtype=float)
    y = history["value"].to_numpy(dtype=float)
    x_mean, y_mean = x.mean(), y.mean()
    sxx = float(((x - x_mean) ** 2).sum())
    slope = float(((x - x_mean) * (y - y_mean)).sum() / sxx)
    intercept = y_mean - slope * x_mean
    residuals = y - (intercept + slope * x)
    s = math.sqrt(float((residuals**2).sum()) / (n - 2))
    t = float(lazy_scipy_stats.t.ppf((1.0 + confidence) / 2.0, n - 2))

    def predict(x0: float) -> tuple[float, float, float]:
        fit = intercept + slope * x0
        spread = s * math.sqrt(1.0 + 1.0 / n + (x0 - x_mean) ** 2 / sxx)
        return fit, spread, t * spread

    projection, spread, margin = predict(float(due_index))
    low, high = KPIS[kpi].limits
    return {
        "slope": slope,
        "intercept": intercept,
        "projection": float(np.clip(projection, low, high)),
        "raw_projection": projection,
        "spread": spread,
        "interval": (
            float(np.clip(projection - margin, low, high)),
            float(np.clip(projection + margin, low, high)),
        ),
        "df": n - 2,
        "predict": predict,
        "limits": (low, high),
    }


def _probability(trend: dict, target: float, sign: float) -> float:
    if trend["spread"] == 0:
        return 1.0 if sign * (trend["raw_projection"] - target) >= 0 else 0.0
    below = float(lazy_scipy_stats.t.cdf((target - trend["raw_projection"]) / trend["spread"], trend["df"]))
    return 1.0 - below if sign > 0 else below


def _largest_change(history: pd.DataFrame, horizon: int, sign: float) -> float | None:
    """The largest move in the good direction over ``horizon`` periods seen so far.

    With less history than the horizon, the largest move over the longest available span is
    scaled up to the horizon (``move × horizon ÷ span``).
    """
    values = history.set_index("index")["value"]
    span = int(values.index.max() - values.index.min())
    if span < 1:
        return None
    lag = min(horizon, span)
    full = values.reindex(range(int(values.index.min()), int(values.index.max()) + 1))
    moves = sign * (full.shift(-lag) - full)
    if moves.notna().sum() == 0:
        return None
    return float(moves.max()) * horizon / lag


def _path(history: pd.DataFrame, trend: dict | None, last: Period, due: Period) -> pd.DataFrame:
    rows = [
        {"period": row.period, "kind": "history", "value": row.value, "low": math.nan, "high": math.nan}
        for row in history.itertuples()
    ]
    if trend is not None:
        low_limit, high_limit = trend["limits"]
        for step in range(0, due.index - last.index + 1):
            period = last.shift(step)
            fit, _, margin = trend["predict"](float(period.index))
            rows.append(
                {
                    "period": period.label,
                    "kind": "projection",
                    "value": float(np.clip(fit, low_limit, high_limit)),
                    "low": float(np.clip(fit - margin, low_limit, high_limit)),
                    "high": float(np.clip(fit + margin, low_limit, high_limit)),
                }
            )
    return pd.DataFrame(rows, columns=["period", "kind", "value", "low", "high"])


def _no_history_reason(series: pd.DataFrame, unit: str) -> str:
    """Why a KPI without dated values cannot be projected, in the workshop's words."""
    undated = series[(series["period"] == "all") & series["value"].notna()] if len(series) else series
    if len(undated):
        return (
            "This data has no dates for this KPI (only an all-time value), so there is no trend to "
            "project and no chance to work out. Type the target you want; its status shows once dated "
            "data arrive."
        )
    if len(series):
        return (
            f"No {unit} has a value for this KPI and segment (too few customers or answers in each), so "
            "there is no trend to project and no chance to work out."
        )
    return "There is no dated history for this KPI and segment, so the target cannot be judged."


def _without_history(
    kpi: str,
    due: Period,
    proposed: float | None,
    three_value: float,
    three_months: tuple[str, ...],
    confidence: float,
    reason: str,
) -> Assessment:
    if proposed is not None:
        _check_limits(kpi, proposed)
    return Assessment(
        kpi=kpi,
        unit=due.unit,
        due_period=due.label,
        last_period=None,
        last_value=math.nan,
        last_three_months=three_value,
        three_months=three_months,
        low=math.nan,
        low_period=None,
        high=math.nan,
        high_period=None,
        periods=0,
        horizon=0,
        slope=math.nan,
        projection=math.nan,
        interval=(math.nan, math.nan),
        confidence=confidence,
        proposed=proposed,
        probability=None,
        verdict="unknown",
        reasons=(reason,),
        path=pd.DataFrame(columns=["period", "kind", "value", "low", "high"]),
    )


def _check_limits(kpi: str, value: float) -> None:
    KPIS[kpi].check_limits(value, "A target")


def _amount(kpi: str, change: float) -> str:
    unit = KPIS[kpi].unit
    if unit in ("%", "points"):
        return f"{change:.1f} points"
    return KPIS[kpi].format_value(change)


def _unit_word(unit: str, count: int) -> str:
    return unit if count == 1 else UNIT_WORDS[unit]

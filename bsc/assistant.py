"""The target assistant and the what-if model.

The assistant answers, for one KPI and segment, "is this target realistic?": the baseline
(the last period and the last three months), the historical range, a linear trend projected to
the due period with a prediction interval, the probability of reaching a proposed target, and a
warning with its reasons when the target lies outside what history makes plausible.

The what-if model ties the customer perspective to the financial one: levers on retention,
NPS, CPA and conversion move the customer base, revenue and CLV over the next twelve months,
every assumption stated beside the result.

References
----------
.. [1] D. C. Montgomery, E. A. Peck and G. G. Vining, *Introduction to Linear Regression
   Analysis*, 5th ed., Wiley, 2012, §2.5 (prediction interval of a new observation).
.. [2] F. F. Reichheld, "The one number you need to grow", Harvard Business Review 81 (12),
   2003 (promoters, passives and detractors).
"""

from __future__ import annotations

import math
from collections.abc import Mapping, Sequence
from dataclasses import dataclass
from pathlib import Path
from typing import Literal

import numpy as np
import pandas as pd
import pyarrow.parquet as pq
from scipy import stats as scipy_stats

from bsc.errors import InputError
from bsc.kpis import KPIS
from bsc.periods import Period, parse_period

__all__ = [
    "Assessment",
    "Levers",
    "NpsChurnLink",
    "WhatIfBase",
    "WhatIfResult",
    "assess_target",
    "nps_churn_link",
    "project_whatif",
    "whatif_base",
]

Verdict = Literal["realistic", "stretch", "implausible", "easy", "unknown"]
MIN_TREND_PERIODS = 3
IMPLAUSIBLE_BELOW = 0.05
STRETCH_BELOW = 0.5
EASY_ABOVE = 0.95
# Trend windows: two years of months, three of quarters, every year.
TREND_WINDOW = {"month": 24, "quarter": 12, "year": 1000}
UNIT_WORDS = {"month": "months", "quarter": "quarters", "year": "years"}


# --------------------------------------------------------------------------------------------
# The target assistant
# --------------------------------------------------------------------------------------------


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
        return _without_history(kpi, due, proposed, three_value, three_months, confidence)

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
    """Dated rows with a value, oldest first, with ``index`` (period number) and ``unit``."""
    rows = series[(series["period"] != "all") & series["value"].notna()]
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
    rows = monthly[(monthly["period"] != "all") & monthly["value"].notna()].copy()
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
    t = float(scipy_stats.t.ppf((1.0 + confidence) / 2.0, n - 2))

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
    below = float(scipy_stats.t.cdf((target - trend["raw_projection"]) / trend["spread"], trend["df"]))
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


def _without_history(
    kpi: str,
    due: Period,
    proposed: float | None,
    three_value: float,
    three_months: tuple[str, ...],
    confidence: float,
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
        reasons=("There is no dated history for this KPI and segment, so the target cannot be judged.",),
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


# --------------------------------------------------------------------------------------------
# The what-if model
# --------------------------------------------------------------------------------------------

HORIZON_MONTHS = 12
MIN_MONTHLY_CHURN = 0.1  # %: the model never lets churn fall below this
DAYS_PER_MONTH = 365.25 / 12


@dataclass(frozen=True)
class Levers:
    """What the workshop wants to move.

    Attributes
    ----------
    retention_points
        Monthly retention rate up by this many percentage points (monthly churn down as much).
    nps_points
        NPS up by this many points.
    cpa_cut_percent
        Cost per acquisition down by this many percent.
    conversion_points
        Lead conversion rate up by this many percentage points.
    """

    retention_points: float = 0.0
    nps_points: float = 0.0
    cpa_cut_percent: float = 0.0
    conversion_points: float = 0.0

    def __post_init__(self) -> None:
        for name in ("retention_points", "nps_points", "cpa_cut_percent", "conversion_points"):
            if not math.isfinite(getattr(self, name)):
                raise InputError(f"The lever {name.replace('_', ' ')} must be a number.")
        if not -100.0 < self.cpa_cut_percent < 100.0:
            raise InputError("A CPA cut must lie between −100% and 100%.")


@dataclass(frozen=True)
class NpsChurnLink:
    """Monthly churn of customers by their latest NPS answer, and what one NPS point is worth.

    ``churn_points_per_nps_point`` is the fall in monthly churn (percentage points) for one
    NPS point, read as 1 % of customers moving from detractor to passive:
    ``(detractor churn − passive churn) ÷ 100``, never below 0. ``note`` says how it was
    found, or why it could not be.
    """

    detractor_churn: float
    passive_churn: float
    promoter_churn: float
    churned: int
    customers: int
    churn_points_per_nps_point: float
    note: str


@dataclass(frozen=True)
class WhatIfBase:
    """Today's rates, from the last three months of monthly KPIs for all customers."""

    months: tuple[str, ...]
    customers: float
    churn_rate: float
    new_customers: float
    ordering_share: float
    revenue_per_customer: float
    revenue_per_ordering_customer: float
    margin: float
    nps: float
    conversion_rate: float
    cpa: float
    spend: float


@dataclass(frozen=True)
class WhatIfResult:
    """The projection: ``months`` (month 1–12, scenario "Today's rates" or "With the levers",
    customers, active customers, revenue), ``summary`` (measure, today, scenario, change) and
    the ``assumptions`` behind it, one sentence each."""

    months: pd.DataFrame
    summary: pd.DataFrame
    assumptions: tuple[str, ...]
    base: WhatIfBase
    levers: Levers


def whatif_base(monthly_values: pd.DataFrame, *, margin: float) -> WhatIfBase:
    """Today's rates from ``compute_kpis(tables, period="month").values`` (all-customer rows).

    Over the last three months with a churn rate: the customer base at the start of the
    latest month (churn's denominator) carried to its end (− churned + new customers); monthly
    churn pooled over the three months (Σ churned ÷ Σ customers at start); means of new
    customers, revenue, active customers, marketing spend; the NPS pooled over the responses;
    conversion pooled over the leads; CPA = spend ÷ new customers.

    Raises
    ------
    InputError
        When the workspace has no monthly churn or revenue (the model needs both).
    """
    values = monthly_values[monthly_values["segment"].isna() & (monthly_values["period"] != "all")]

    def kpi_rows(kpi: str) -> pd.DataFrame:
        rows = values[(values["kpi"] == kpi) & values["value"].notna()].copy()
        rows["index"] = [parse_period(p).index for p in rows["period"]]
        return rows.sort_values("index")

    churn = kpi_rows("churn_rate")
    revenue = kpi_rows("revenue")
    if churn.empty or revenue.empty:
        raise InputError(
            "The what-if model needs monthly churn and revenue: a transaction log with customer ids, "
            "dates and amounts (or customers with churn dates)."
        )
    window = churn.tail(3)
    months = tuple(window["period"].astype(str))
    latest = window.iloc[-1]

    def mean_of(kpi: str, column: str = "value") -> float:
        rows = kpi_rows(kpi)
        rows = rows[rows["period"].isin(months)]
        return float(rows[column].astype(float).mean()) if len(rows) else math.nan

    def pooled(kpi: str, scale: float) -> float:
        rows = kpi_rows(kpi)
        rows = rows[rows["period"].isin(months)]
        if rows.empty or rows["denominator"].sum() <= 0:
            return math.nan
        return scale * float(rows["numerator"].sum() / rows["denominator"].sum())

    churn_rate = 100.0 * float(window["numerator"].sum() / window["denominator"].sum())
    new_customers = mean_of("new_customers")
    new_customers = 0.0 if math.isnan(new_customers) else new_customers
    latest_new = kpi_rows("new_customers")
    latest_new = latest_new[latest_new["period"] == latest["period"]]
    added = float(latest_new["value"].iloc[0]) if len(latest_new) else new_customers
    customers = float(latest["denominator"]) - float(latest["numerator"]) + added
    at_start = float(window["denominator"].mean())
    active = mean_of("active_customers")
    monthly_revenue = mean_of("revenue")
    spend = mean_of("cpa", "numerator")
    conversion = pooled("conversion_rate", 100.0)
    cpa = spend / new_customers if new_customers > 0 and not math.isnan(spend) else math.nan
    return WhatIfBase(
        months=months,
        customers=customers,
        churn_rate=churn_rate,
        new_customers=new_customers,
        ordering_share=active / at_start if at_start > 0 and not math.isnan(active) else math.nan,
        revenue_per_customer=monthly_revenue / at_start if at_start > 0 else math.nan,
        revenue_per_ordering_customer=monthly_revenue / active if active and active > 0 else math.nan,
        margin=margin,
        nps=pooled("nps", 100.0),
        conversion_rate=conversion,
        cpa=cpa,
        spend=spend,
    )


def nps_churn_link(tables: Mapping[str, Sequence[Path | str]]) -> NpsChurnLink:
    """Monthly churn of detractors, passives and promoters, from answers and churn dates.

    Each answer places its customer in a group (0–6 detractor, 7–8 passive, 9–10 promoter
    [2]_) from its date until their next answer, their churn date or the end of the data.
    A group's monthly churn is its churns ÷ its customer-months (days ÷ 30.44) × 100: churns
    are counted in the group of the customer's latest answer before churning. Needs the
    feedback table's customer ids, dates and NPS and the customers table's churn dates;
    without them the link is 0, and the note says so.
    """
    feedback = _read_columns(tables.get("feedback", ()), ["customer_id", "date", "nps"])
    customers = _read_columns(tables.get("customers", ()), ["customer_id", "churn_date"])
    missing = None
    if feedback is None:
        missing = "survey answers with customer ids, dates and NPS scores"
    elif customers is None:
        missing = "customers with churn dates"
    if missing is not None:
        return NpsChurnLink(
            math.nan,
            math.nan,
            math.nan,
            0,
            0,
            0.0,
            f"NPS is not linked to churn here: the workspace has no {missing}, so the NPS lever has no effect.",
        )
    answers = feedback.dropna(subset=["customer_id", "date", "nps"]).sort_values(["customer_id", "date"])
    churn_dates = customers.dropna(subset=["customer_id"]).groupby("customer_id")["churn_date"].max()
    data_end = max(answers["date"].max(), customers["churn_date"].max())
    answers["next"] = answers.groupby("customer_id")["date"].shift(-1)
    answers["churn"] = answers["customer_id"].map(churn_dates)
    stop = answers["next"].fillna(data_end)
    churned_here = (
        answers["churn"].notna() & (answers["churn"] >= answers["date"]) & (answers["churn"] <= stop)
    )
    answers["end"] = stop.where(~churned_here, answers["churn"])
    answers = answers[answers["end"] >= answers["date"]]
    churned_here = churned_here.loc[answers.index]
    answers["months"] = (answers["end"] - answers["date"]).dt.total_seconds() / 86400.0 / DAYS_PER_MONTH
    answers["event"] = churned_here.astype(float)
    answers["group"] = np.select(
        [answers["nps"] >= 9, answers["nps"] >= 7], ["promoter", "passive"], "detractor"
    )
    sums = answers.groupby("group")[["event", "months"]].sum()

    def rate(group: str) -> float:
        if group not in sums.index or sums.loc[group, "months"] <= 0:
            return math.nan
        return 100.0 * float(sums.loc[group, "event"] / sums.loc[group, "months"])

    detractor, passive, promoter = rate("detractor"), rate("passive"), rate("promoter")
    churned = int(answers["event"].sum())
    answered = int(answers["customer_id"].nunique())
    gap = detractor - passive
    if math.isnan(gap):
        effect, note = 0.0, "NPS is not linked to churn here: detractors or passives have no answers."
    elif gap <= 0:
        effect = 0.0
        note = (
            f"In this data detractors do not churn more than passives ({detractor:.2f}% against "
            f"{passive:.2f}% a month), so the NPS lever has no effect on churn."
        )
    else:
        effect = gap / 100.0
        note = (
            f"Detractors churned {detractor:.2f}% a month, passives {passive:.2f}% and promoters "
            f"{promoter:.2f}% ({churned:,} churns among {answered:,} customers who answered). One NPS point "
            f"is read as 1% of customers moving from detractor to passive: {effect:.3f} points less "
            "monthly churn."
        )
    return NpsChurnLink(detractor, passive, promoter, churned, answered, effect, note)


def _read_columns(paths: Sequence[Path | str], columns: list[str]) -> pd.DataFrame | None:
    frames = []
    for path in paths:
        names = pq.read_schema(path).names
        if all(column in names for column in columns):
            frames.append(pd.read_parquet(path, columns=columns))
    if not frames:
        return None
    frame = pd.concat(frames, ignore_index=True)
    return frame if len(frame) else None


def project_whatif(
    base: WhatIfBase,
    levers: Levers,
    *,
    link: NpsChurnLink | None = None,
    months: int = HORIZON_MONTHS,
) -> WhatIfResult:
    """Customers, revenue and CLV over the next ``months`` months, today and with the levers.

    Month by month, with customers :math:`C`, monthly churn :math:`c` and new customers
    :math:`N`:

    .. math:: C_t = C_{t-1}(1 - c) + N, \\quad \\text{revenue}_t = C_{t-1} \\cdot r,
        \\quad \\text{active}_t = C_{t-1} \\cdot a

    with :math:`r` the monthly revenue per customer in the base and :math:`a` the share of
    them who order in a month, both held at today's values. The levers change :math:`c` and
    :math:`N` only:

    - churn :math:`c' = \\max(c - x - y\\,k,\\; 0.1\\%)`, for retention +x points, NPS +y points
      and :math:`k` points of churn per NPS point (see :func:`nps_churn_link`);
    - new customers :math:`N' = N \\cdot \\frac{v + w}{v} \\cdot \\frac{1}{1 - z}` for conversion
      :math:`v` raised by :math:`w` points and CPA cut by :math:`z`, the marketing budget held
      (a lever without its data has no effect, and the assumptions say so);
    - CLV :math:`= m \\cdot R / c` as on the scorecard: margin times monthly revenue per
      ordering customer over monthly churn, no discounting.
    """
    link = link or NpsChurnLink(
        math.nan, math.nan, math.nan, 0, 0, 0.0, "The NPS lever is not linked to churn."
    )
    assumptions = [
        f"Starting point: all customers, averages of {_month_span(base.months)}; "
        f"{base.customers:,.0f} customers in the base now.",
    ]
    churn_now = base.churn_rate
    churn_cut = levers.retention_points + levers.nps_points * link.churn_points_per_nps_point
    churn_then = max(churn_now - churn_cut, MIN_MONTHLY_CHURN)
    assumptions.append(
        f"Monthly churn {churn_now:.2f}% → {churn_then:.2f}%: retention {levers.retention_points:+.2f} points"
        + (
            f", NPS {levers.nps_points:+.0f} points × {link.churn_points_per_nps_point:.3f}"
            if levers.nps_points
            else ""
        )
        + f" (never below {MIN_MONTHLY_CHURN}% a month)."
    )
    if levers.nps_points:
        assumptions.append(link.note)

    growth = 1.0
    if levers.conversion_points:
        if math.isnan(base.conversion_rate) or base.conversion_rate <= 0:
            assumptions.append(
                "Conversion has no data here (leads and conversions), so that lever has no effect."
            )
        else:
            factor = max(base.conversion_rate + levers.conversion_points, 0.0) / base.conversion_rate
            growth *= factor
            assumptions.append(
                f"Conversion {base.conversion_rate:.2f}% → {base.conversion_rate + levers.conversion_points:.2f}% "
                f"of the same leads: new customers × {factor:.2f}."
            )
    if levers.cpa_cut_percent:
        if math.isnan(base.cpa):
            assumptions.append("CPA has no data here (marketing spend), so that lever has no effect.")
        else:
            factor = 1.0 / (1.0 - levers.cpa_cut_percent / 100.0)
            growth *= factor
            assumptions.append(
                f"CPA {base.cpa:,.2f} → {base.cpa * (1 - levers.cpa_cut_percent / 100):,.2f} with the marketing "
                f"budget held at {base.spend:,.0f} a month: new customers × {factor:.2f}."
            )
    new_then = base.new_customers * growth
    assumptions.append(f"New customers {base.new_customers:,.0f} → {new_then:,.0f} a month.")
    assumptions.append(
        f"Revenue per customer in the base {base.revenue_per_customer:,.2f} a month and "
        f"{base.ordering_share:.0%} of them ordering in a month, both held as today."
    )
    assumptions.append(
        f"CLV = margin {base.margin:.0%} × revenue per ordering customer "
        f"({base.revenue_per_ordering_customer:,.2f} a month) ÷ monthly churn, as on the scorecard; no "
        "discounting."
    )

    frames = []
    totals: dict[str, dict[str, float]] = {}
    for scenario, churn, new in (
        ("Today's rates", churn_now, base.new_customers),
        ("With the levers", churn_then, new_then),
    ):
        customers = base.customers
        rows = []
        for month in range(1, months + 1):
            revenue = customers * base.revenue_per_customer
            active = customers * base.ordering_share
            customers = customers * (1.0 - churn / 100.0) + new
            rows.append(
                {
                    "month": month,
                    "scenario": scenario,
                    "customers": customers,
                    "active_customers": active,
                    "revenue": revenue,
                }
            )
        frame = pd.DataFrame(rows)
        frames.append(frame)
        totals[scenario] = {
            "Customers in the base after 12 months": float(frame["customers"].iloc[-1]),
            "Active customers in month 12": float(frame["active_customers"].iloc[-1]),
            "Revenue over 12 months": float(frame["revenue"].sum()),
            "CLV": base.margin * base.revenue_per_ordering_customer / (churn / 100.0),
            "Monthly churn (%)": churn,
            "New customers a month": new,
        }
    today, scenario = totals["Today's rates"], totals["With the levers"]
    summary = pd.DataFrame(
        {
            "measure": list(today),
            "today": [today[m] for m in today],
            "scenario": [scenario[m] for m in today],
        }
    )
    summary["change"] = summary["scenario"] - summary["today"]
    summary["change_percent"] = 100.0 * summary["change"] / summary["today"].where(summary["today"] != 0)
    if months != HORIZON_MONTHS:
        summary["measure"] = summary["measure"].str.replace("12", str(months))
    return WhatIfResult(
        months=pd.concat(frames, ignore_index=True),
        summary=summary,
        assumptions=tuple(assumptions),
        base=base,
        levers=levers,
    )


def _month_span(months: Sequence[str]) -> str:
    if not months:
        return "no months"
    return months[0] if len(months) == 1 else f"{months[0]} to {months[-1]}"

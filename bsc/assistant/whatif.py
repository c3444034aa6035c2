"""The what-if model: levers on retention, NPS, CPA and conversion, projected twelve months ahead.

It ties the customer perspective to the financial one: the levers move the customer base,
revenue and CLV over the next twelve months against today's rates (:func:`whatif_base`),
every assumption stated beside the result (:func:`project_whatif`).
"""

from __future__ import annotations

import math
from collections.abc import Sequence
from dataclasses import dataclass

import pandas as pd

from bsc.assistant.nps_churn import NpsChurnLink
from bsc.errors import InputError
from bsc.periods import parse_period

__all__ = ["Levers", "WhatIfBase", "WhatIfResult", "project_whatif", "whatif_base"]

HORIZON_MONTHS = 12
MIN_MONTHLY_CHURN = 0.1  # %: the model never lets churn fall below this


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
        + (
            " No customer was lost in the months used (churn 0%), so CLV cannot be estimated."
            if churn_now <= 0
            else ""
        )
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
            # With no customer lost the formula has no finite value: unknown, not infinite.
            "CLV": base.margin * base.revenue_per_ordering_customer / (churn / 100.0)
            if churn > 0
            else float("nan"),
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

"""Acquisition KPIs: new customers, CPA, conversion rate, market share, customer growth.

Each KPI is one record of :data:`DEFINITIONS` and a short function over the lifetimes, orders
and marketing sources of :class:`bsc.kpis.sources.Scorecard`.
"""

from __future__ import annotations

import math

import numpy as np
import pandas as pd

from bsc.kpis.coverage import with_coverage
from bsc.kpis.frames import TOTAL, join_periods, kpi_rows, ratio
from bsc.kpis.lifetimes import churn_per_period
from bsc.kpis.record import ORDER_ROLES, REVENUE_ROLES, KpiDef
from bsc.kpis.sources import Scorecard, Unavailable

_ACQUISITION = (("customers.customer_id", "customers.signup_date"), ORDER_ROLES)


def _new_customers(card: Scorecard) -> pd.DataFrame:
    frame = card.new_customers()
    card.notes["new_customers"] = (
        "Customers by signup date."
        if card.has("customers", "signup_date")
        else "Customers by first order date."
    )
    return kpi_rows(frame, frame["new_customers"], frame["new_customers"], np.nan, frame["new_customers"])


def _cpa(card: Scorecard) -> pd.DataFrame:
    marketing = card.marketing.frame
    if "spend" not in marketing:
        raise Unavailable("the marketing table has no spend")
    new = card.new_customers()
    if not (card.marketing.split and card.lifetimes.split):
        # Spend by channel cannot be matched with new customers that have no channel.
        marketing = marketing[marketing["segment"] == TOTAL]
    frame = join_periods(marketing, new, how="left")
    basis = "signup" if card.has("customers", "signup_date") else "first order"
    card.notes["cpa"] = f"Marketing spend ÷ new customers of the period (by {basis} date)."
    new_count = frame["new_customers"]
    return kpi_rows(frame, ratio(frame["spend"], new_count), frame["spend"], new_count, new_count)


def _conversion_rate(card: Scorecard) -> pd.DataFrame:
    frame = card.marketing.frame
    value = 100.0 * ratio(frame["conversions"], frame["leads"])
    return kpi_rows(frame, value, frame["conversions"], frame["leads"], frame["leads"])


def _market_share(card: Scorecard) -> pd.DataFrame:
    if card.period == "all":
        raise Unavailable("market size is given per date; choose a month, quarter or year")
    ours = card.orders.frame
    ours = ours[ours["segment"] == TOTAL]
    frame = join_periods(card.market_size, ours, how="left")
    if card.params.market_size_unit == "revenue":
        card.notes["market_share"] = "Our revenue ÷ market size (read as revenue)."
        ours_measure, n = frame["revenue"], frame["orders"]
    else:
        card.notes["market_share"] = "Our active customers ÷ market size (read as customers)."
        ours_measure, n = frame["active"], frame["active"]
    share = 100.0 * ratio(ours_measure, frame["market_size"])
    return kpi_rows(frame, share, ours_measure, frame["market_size"], n)


def _customer_growth(card: Scorecard) -> pd.DataFrame:
    if card.period == "all":
        raise Unavailable("growth compares periods; choose a month, quarter or year")
    if card.has("transactions", "customer_id", "date"):
        frame = card.orders.frame[["period", "segment", "active", "complete"]].rename(
            columns={"active": "customers"}
        )
        card.notes["customer_growth"] = "Change in active (ordering) customers against the previous period."
    else:
        method = "churn_date" if card.has("customers", "churn_date") else "none"
        grid = card.lifetimes.frame.rename(columns={"customers": "count"})
        if method == "none":
            grid = grid.assign(end=pd.NaT)
        periods = card.churn_periods(grid, "churn_date")
        frame = churn_per_period(grid, card.period, periods)[["period", "segment", "base_at_end"]]
        frame = frame.rename(columns={"base_at_end": "customers"})
        card.notes["customer_growth"] = (
            "Change in the customer base (signed up, not churned) at the period's end."
        )
        frame = with_coverage(frame, card.period, card.coverage("customers"))
    frame = frame.sort_values(["segment", "period"], ignore_index=True)
    previous = frame.groupby("segment")["customers"].shift(1)
    change = frame["customers"] - previous
    # A period covered in part against a whole one is no growth (a log ending on 10 June would
    # show June's ten days as a collapse); nor is a whole one against a part.
    previous_complete = frame.groupby("segment")["complete"].shift(1).fillna(True).astype(bool)
    frame["reason"] = np.select(
        [~frame["complete"].astype(bool), ~previous_complete],
        [
            "the period is covered only in part: growth against a whole period would mislead",
            "the previous period is covered only in part: growth against it would mislead",
        ],
        default=None,
    )
    return kpi_rows(frame, 100.0 * ratio(change, previous), change, previous, frame["customers"])


# The records, in the order of the scorecard.
DEFINITIONS: tuple[KpiDef, ...] = (
    KpiDef(
        id="new_customers",
        name="New customers",
        short_name="New customers",
        component="acquisition",
        formula="customers whose signup (or, without signup dates, first order) falls in the period",
        requires=_ACQUISITION,
        unit="count",
        unit_words="customers",
        step=1.0,
        input_format="%.0f",
        direction="higher",
        compute=_new_customers,
        description="With signup dates, customers without one are not counted as new in any period. By "
        "first order, no value (with the reason) for a period that begins less than the inactivity window "
        "after the log's first order: customers who bought before the log began would count as new.",
        limits=(0.0, math.inf),
        total=True,
        change_test="count",
    ),
    KpiDef(
        id="cpa",
        name="Cost per acquisition (CPA)",
        short_name="CPA",
        component="acquisition",
        formula="marketing spend ÷ new customers",
        requires=tuple(("marketing.spend", *option) for option in _ACQUISITION),
        unit="money",
        unit_words="money",
        step=1.0,
        input_format="%.2f",
        direction="lower",
        compute=_cpa,
        description="NaN in a period without new customers; 0 with new customers but no spend. "
        "Split only by channel.",
        split="channel",
        limits=(0.0, math.inf),
        change_test="cost_per_count",
    ),
    KpiDef(
        id="conversion_rate",
        name="Conversion rate",
        short_name="Conversion",
        component="acquisition",
        formula="conversions ÷ leads × 100",
        requires=(("marketing.leads", "marketing.conversions"),),
        unit="%",
        unit_words="%",
        step=0.1,
        input_format="%.1f",
        direction="higher",
        compute=_conversion_rate,
        description="NaN in a period without leads. Split only by channel.",
        split="channel",
        limits=(0.0, 100.0),
        change_test="proportion",
    ),
    KpiDef(
        id="market_share",
        name="Market share",
        short_name="Market share",
        component="acquisition",
        formula="our revenue (or active customers) ÷ market size × 100",
        requires=(("marketing.market_size", *REVENUE_ROLES),),
        unit="%",
        unit_words="%",
        step=0.1,
        input_format="%.1f",
        direction="higher",
        compute=_market_share,
        description="Periods are those of the market size figures; the market is not split by segment.",
        parameters=("market_size_unit",),
        split="none",
        limits=(0.0, 100.0),
        change_test=None,
    ),
    KpiDef(
        id="customer_growth",
        name="Customer growth",
        short_name="Customer growth",
        component="acquisition",
        formula="(customers this period − customers last period) ÷ customers last period × 100",
        requires=(ORDER_ROLES, ("customers.customer_id", "customers.signup_date")),
        unit="%",
        unit_words="%",
        step=0.1,
        input_format="%.1f",
        direction="higher",
        compute=_customer_growth,
        description="Active customers with a transaction log, else the customer base at the period's end. "
        "NaN for the first period, and where this period or the previous one is covered by the data "
        "only in part (a part against a whole would mislead); not defined for 'all'.",
        limits=(-100.0, math.inf),
        period_rate=True,
        signed=True,
        change_test=None,
    ),
)

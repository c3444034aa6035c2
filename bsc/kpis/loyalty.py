"""Loyalty and value KPIs: revenue, orders, average order value, purchase frequency,
revenue per customer and customer lifetime value.

Each KPI is one record of :data:`DEFINITIONS` and a short function over the orders source
(:attr:`bsc.kpis.sources.Scorecard.orders`); the CLV adds the customers lost in the period.
"""

from __future__ import annotations

import math

import numpy as np
import pandas as pd

from bsc.kpis.frames import join_periods, kpi_rows, order_count, order_ratio, ratio
from bsc.kpis.lifetimes import churn_note
from bsc.kpis.record import ORDER_ROLES, REVENUE_ROLES, KpiDef
from bsc.kpis.sources import Scorecard, Unavailable


def _revenue(card: Scorecard) -> pd.DataFrame:
    frame = card.orders.frame
    return kpi_rows(frame, frame["revenue"], frame["revenue"], np.nan, frame["orders"])


def _clv(card: Scorecard) -> pd.DataFrame:
    """Margin × revenue of the period ÷ customers lost in it, over one customer base.

    .. math:: \\mathrm{CLV} = \\frac{m \\cdot R / \\bar N}{L / \\bar N} = \\frac{m \\cdot R}{L}

    with :math:`m` the margin, :math:`R` the period's revenue, :math:`L` the lifetimes (activity
    spells, for a transaction log) that ended in the period and :math:`\\bar N` the active base,
    the mean of the customers active at the period's start and at its end. Value per customer
    and churn both per active customer and per period, so the base and the period's length
    cancel: on a company that does not change, a month, a quarter and a year give the same CLV
    (revenue and losses both grow with the length of the period). In a steady state it is the
    margin on the revenue of one lifetime. No discounting. NaN when no one was lost in the
    period, and where the churn of the period cannot be known.
    """
    if card.period == "all":
        raise Unavailable("CLV needs a churn rate per period; choose a month, quarter or year")
    method = card.churn_method(per_period=True)
    churn = card.churn(method)
    orders = card.orders.frame[["period", "segment", "revenue", "complete"]]
    frame = join_periods(orders, churn, how="inner")
    margin = card.params.margin
    lost, fewest = frame["ended"].astype("float64"), card.params.clv_min_lost
    # Too few losses: the value would be mostly chance (see KpiParams.clv_min_lost), so it is not
    # a number but a reason, as for a period whose churn cannot be known.
    too_few = (lost > 0) & (lost < fewest)
    if too_few.any():
        words = [
            f"only {int(count)} customer{'s' if count != 1 else ''} lost in the period: too few for a "
            f"steady CLV (at least {fewest}); choose a longer period or a larger segment"
            for count in lost[too_few]
        ]
        reason = frame["reason"].astype(object) if "reason" in frame else pd.Series(None, index=frame.index)
        frame["reason"] = reason.where(reason.notna() | ~too_few, pd.Series(words, index=lost[too_few].index))
    base = (frame["at_start"] + frame["base_at_end"]) / 2.0
    value_per_customer = margin * ratio(frame["revenue"], base)
    lost_share = ratio(frame["ended"], base)
    card.notes["clv"] = (
        f"Revenue of the period × margin {margin:.0%} ÷ customers lost in it: revenue per active "
        "customer × margin ÷ the share of active customers lost, both over the period's average active "
        "base ((active at its start + at its end) ÷ 2), so that a month, a quarter and a year give the "
        "same CLV on a steady company. Assumes revenue and losses stay as in the period; no discounting. "
        "Churn: " + churn_note(method, card.params, card.period)
    )
    card.assumptions["clv"] = {
        "margin": margin,
        "churn_base": "customers active in the period: (active at its start + active at its end) ÷ 2; "
        "lost = every lifetime that ended in the period",
        "churn_method": method,
        "discounting": "none",
        "formula": "margin × revenue of the period ÷ customers lost in it",
    }
    return kpi_rows(frame, ratio(value_per_customer, lost_share), value_per_customer, lost_share, base)


# The records, in the order of the scorecard.
DEFINITIONS: tuple[KpiDef, ...] = (
    KpiDef(
        id="revenue",
        name="Revenue",
        short_name="Revenue",
        component="loyalty",
        formula="sum of order amounts in the period",
        requires=(REVENUE_ROLES,),
        unit="money",
        unit_words="money",
        step=1.0,
        input_format="%.2f",
        direction="higher",
        compute=_revenue,
        description="Returns (negative amounts) reduce it.",
        limits=(0.0, math.inf),
        total=True,
        change_test=None,
    ),
    KpiDef(
        id="orders",
        name="Orders",
        short_name="Orders",
        component="loyalty",
        formula="distinct orders in the period (an order id, or a customer and day)",
        requires=(ORDER_ROLES,),
        unit="count",
        unit_words="orders",
        step=1.0,
        input_format="%.0f",
        direction="higher",
        compute=order_count("orders"),
        description="0 in a period without orders.",
        limits=(0.0, math.inf),
        total=True,
        change_test="count",
    ),
    KpiDef(
        id="average_order_value",
        name="Average order value",
        short_name="Avg order value",
        component="loyalty",
        formula="revenue ÷ orders",
        requires=(REVENUE_ROLES,),
        unit="money",
        unit_words="money",
        step=1.0,
        input_format="%.2f",
        direction="higher",
        compute=order_ratio("revenue", "orders"),
        description="NaN in a period without orders.",
        limits=(0.0, math.inf),
        change_test=None,
    ),
    KpiDef(
        id="purchase_frequency",
        name="Purchase frequency",
        short_name="Purchase frequency",
        component="loyalty",
        formula="orders ÷ customers with an order",
        requires=(ORDER_ROLES,),
        unit="orders",
        unit_words="orders per customer",
        step=0.01,
        input_format="%.2f",
        direction="higher",
        compute=order_ratio("orders", "active"),
        description="Orders per ordering customer in the period; NaN without orders.",
        limits=(0.0, math.inf),
        period_rate=True,
        change_test=None,
    ),
    KpiDef(
        id="revenue_per_customer",
        name="Revenue per customer",
        short_name="Revenue/customer",
        component="loyalty",
        formula="revenue ÷ customers with an order",
        requires=(REVENUE_ROLES,),
        unit="money",
        unit_words="money",
        step=1.0,
        input_format="%.2f",
        direction="higher",
        compute=order_ratio("revenue", "active"),
        description="NaN in a period without orders.",
        limits=(0.0, math.inf),
        period_rate=True,
        change_test=None,
    ),
    KpiDef(
        id="clv",
        name="Customer lifetime value (CLV)",
        short_name="CLV",
        component="loyalty",
        formula="margin × revenue per active customer ÷ share of active customers lost, over the period "
        "(= margin × revenue ÷ customers lost)",
        requires=(REVENUE_ROLES,),
        unit="money",
        unit_words="money",
        step=1.0,
        input_format="%.2f",
        direction="higher",
        compute=_clv,
        description="The steady-state formula: value per period times the expected number of periods a "
        "customer stays (1 ÷ churn), with revenue and churn over one base, the customers active in the "
        "period (mean of those active at its start and at its end), so that it does not depend on the "
        "period's length. Margin as set; no discounting. NaN when no one was lost in the period, when "
        "fewer than 15 were (too few: the value would be mostly chance), or where its churn cannot be known (the first months of a log). Churn from churn dates, else "
        "from the inactivity window (a customer who returns after the window starts a new lifetime).",
        parameters=("margin", "churn_method", "inactivity_days", "clv_min_lost"),
        limits=(0.0, math.inf),
        change_test=None,
    ),
)

"""Loyalty and value KPIs: revenue, orders, average order value, purchase frequency,
revenue per customer and customer lifetime value.

Each KPI is one record of :data:`DEFINITIONS` and a short function over the orders source
(:attr:`bsc.kpis.sources.Scorecard.orders`); the CLV adds the churn rate of the period.
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
    if card.period == "all":
        raise Unavailable("CLV needs a churn rate per period; choose a month, quarter or year")
    method = card.churn_method(per_period=True)
    churn = card.churn(method)
    orders = card.orders.frame
    frame = join_periods(orders, churn, how="inner")
    margin = card.params.margin
    value_per_period = margin * ratio(frame["revenue"], frame["active"])
    churn_share = ratio(frame["churned"], frame["at_start"])
    card.notes["clv"] = (
        f"Average revenue per ordering customer in the period × margin {margin:.0%} ÷ churn rate of the "
        "period; assumes both stay as in that period, without discounting. Churn: "
        + churn_note(method, card.params, card.period)
    )
    return kpi_rows(
        frame, ratio(value_per_period, churn_share), value_per_period, churn_share, frame["active"]
    )


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
        formula="revenue per customer in the period × margin ÷ churn rate of the period",
        requires=(REVENUE_ROLES,),
        unit="money",
        unit_words="money",
        step=1.0,
        input_format="%.2f",
        direction="higher",
        compute=_clv,
        description="The steady-state formula: value per period times the expected number of periods a "
        "customer stays (1 ÷ churn). NaN when no one churned in the period or no one was active at its "
        "start. Churn from churn dates, else from the inactivity window.",
        parameters=("margin", "churn_method", "inactivity_days"),
        limits=(0.0, math.inf),
        change_test=None,
    ),
)

"""Retention KPIs: active customers, churn and retention rate, repeat purchases, loyalty members.

Each KPI is one record of :data:`DEFINITIONS` and a short function over the orders, churn and
lifetimes of :class:`bsc.kpis.sources.Scorecard`; :mod:`bsc.kpis.lifetimes` holds the churn
arithmetic. The cohort retention heatmap is :func:`bsc.kpis.compute.cohort_retention`.
"""

from __future__ import annotations

import math
from collections.abc import Callable

import pandas as pd

from bsc.kpis.frames import kpi_rows, order_count, order_ratio, ratio
from bsc.kpis.lifetimes import churn_note
from bsc.kpis.record import ORDER_ROLES, KpiDef
from bsc.kpis.sources import Scorecard
from bsc.periods import ALL_TIME

_CHURN = (
    ("customers.customer_id", "customers.churn_date"),
    ("customers.customer_id", "customers.churn"),
    ORDER_ROLES,
)


def _loyalty_engagement(card: Scorecard) -> pd.DataFrame:
    if card.has("transactions", "customer_id", "date"):
        card.notes["loyalty_engagement"] = "Loyalty members among the customers who ordered in the period."
        frame = card.orders.frame
        return kpi_rows(
            frame,
            100.0 * ratio(frame["members"], frame["active"]),
            frame["members"],
            frame["active"],
            frame["active"],
        )
    grid = card.lifetimes.frame
    current = grid[grid["end"].isna() & ~grid["churned"].fillna(False).astype(bool)]
    current = current.assign(
        members=current["customers"].where(current["member"].fillna(False).astype(bool), 0)
    )
    frame = current.groupby("segment", as_index=False)[["customers", "members"]].sum().assign(period=ALL_TIME)
    card.notes["loyalty_engagement"] = (
        "Loyalty members among current (not churned) customers; no orders to date it."
    )
    share = 100.0 * ratio(frame["members"], frame["customers"])
    return kpi_rows(frame, share, frame["members"], frame["customers"], frame["customers"])


def _churn_rows(retained: bool) -> Callable[[Scorecard], pd.DataFrame]:
    def compute(card: Scorecard) -> pd.DataFrame:
        method = card.churn_method()
        frame = card.churn(method)
        card.notes["churn_rate"] = card.notes["retention_rate"] = churn_note(method, card.params, card.period)
        kept = frame["at_start"] - frame["churned"]
        numerator = kept if retained else frame["churned"]
        return kpi_rows(
            frame,
            100.0 * ratio(numerator, frame["at_start"]),
            numerator,
            frame["at_start"],
            frame["at_start"],
        )

    return compute


# The records, in the order of the scorecard.
DEFINITIONS: tuple[KpiDef, ...] = (
    KpiDef(
        id="active_customers",
        name="Active customers",
        short_name="Active customers",
        component="retention",
        formula="distinct customers with an order in the period",
        requires=(ORDER_ROLES,),
        unit="count",
        unit_words="customers",
        step=1.0,
        input_format="%.0f",
        direction="higher",
        compute=order_count("active"),
        description="0 in a period without orders.",
        limits=(0.0, math.inf),
        total=True,
        change_test="count",
    ),
    KpiDef(
        id="churn_rate",
        name="Churn rate",
        short_name="Churn rate",
        component="retention",
        formula="customers churned in the period ÷ customers active at its start × 100",
        requires=_CHURN,
        unit="%",
        unit_words="%",
        step=0.1,
        input_format="%.1f",
        direction="lower",
        compute=_churn_rows(retained=False),
        description="From churn dates; else from a churn flag (share flagged, period 'all'); else, for a "
        "transaction log, from an inactivity window: active at the period's start (an order in the window "
        "before it) but no order in the window ending at its end. NaN when no customer is active at the "
        "start; with the inactivity window, no value (with the reason) for a period that begins less than "
        "the window after the log's first order, since who was active at its start is unknown. Periods run from the first order (or, without "
        "orders, the first churn date): before it, nobody's leaving is on record.",
        parameters=("churn_method", "inactivity_days"),
        limits=(0.0, 100.0),
        period_rate=True,
        change_test="proportion",
    ),
    KpiDef(
        id="retention_rate",
        name="Retention rate",
        short_name="Retention rate",
        component="retention",
        formula="customers active at the period's start and still active at its end ÷ those active at its "
        "start × 100 (100 − churn rate)",
        requires=_CHURN,
        unit="%",
        unit_words="%",
        step=0.1,
        input_format="%.1f",
        direction="higher",
        compute=_churn_rows(retained=True),
        description="Same basis as the churn rate.",
        parameters=("churn_method", "inactivity_days"),
        limits=(0.0, 100.0),
        period_rate=True,
        change_test="proportion",
    ),
    KpiDef(
        id="repeat_purchase_rate",
        name="Repeat purchase rate",
        short_name="Repeat purchase",
        component="retention",
        formula="customers with two or more orders in the period ÷ customers with an order × 100",
        requires=(ORDER_ROLES,),
        unit="%",
        unit_words="%",
        step=0.1,
        input_format="%.1f",
        direction="higher",
        compute=order_ratio("repeaters", "active", scale=100.0),
        description="NaN in a period without orders.",
        limits=(0.0, 100.0),
        period_rate=True,
        change_test="proportion",
    ),
    KpiDef(
        id="loyalty_engagement",
        name="Loyalty programme engagement",
        short_name="Loyalty engagement",
        component="retention",
        formula="loyalty members among active customers ÷ active customers × 100",
        requires=(("customers.customer_id", "customers.loyalty_member"),),
        unit="%",
        unit_words="%",
        step=0.1,
        input_format="%.1f",
        direction="higher",
        compute=_loyalty_engagement,
        description="Active means ordering in the period; without transactions, current (not churned) "
        "customers, over all time.",
        limits=(0.0, 100.0),
        change_test="proportion",
    ),
)

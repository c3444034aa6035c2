"""Like with like for a period the data covers only in part: the same days of the period before.

A log ending on 10 June makes June's revenue a ten-day figure; set against the whole of May it
would read as a collapse. For the KPIs of the orders source (:data:`SAME_DAYS_KPIS`), the same
figures are computed over the same days of the previous period — 1 to 10 May — so that a tile
can say "1–10 June against 1–10 May". One small query over the order table, run only when the
transaction log ends inside a period.

Other KPIs of an incomplete period get no comparison: a survey or ticket figure is shown "to
date" with no change against a whole period.
"""

from __future__ import annotations

from datetime import timedelta

import ibis
import ibis.expr.types as ir
import numpy as np
import pandas as pd

from bsc.kpis.frames import TOTAL, ratio
from bsc.kpis.sources import Scorecard
from bsc.periods import Period, period_of

__all__ = ["SAME_DAYS_COLUMNS", "SAME_DAYS_KPIS", "same_days_before"]

SAME_DAYS_KPIS = (
    "active_customers",
    "orders",
    "revenue",
    "average_order_value",
    "purchase_frequency",
    "revenue_per_customer",
    "repeat_purchase_rate",
)
SAME_DAYS_COLUMNS = ["kpi", "segment", "period", "days", "period_days", "previous_period", "previous_value"]


def same_days_before(card: Scorecard, kpis: list[str]) -> pd.DataFrame:
    """The order KPIs over the same days of the period before an incomplete last period.

    Returns
    -------
    pandas.DataFrame
        Columns :data:`SAME_DAYS_COLUMNS`: ``period`` is the incomplete period's label, ``days``
        the days the data covers of it (from its first day), ``period_days`` its length,
        ``previous_value`` the KPI over the first ``days`` days of ``previous_period`` (the whole
        of it when it is shorter). Segments as the scorecard's (NA for all customers); none when
        the segments come from the order lines, which the order table does not carry. Empty when
        the log ends on a period's last day, when the period before is not covered in full
        either, or for the whole history.
    """
    wanted = [kpi for kpi in SAME_DAYS_KPIS if kpi in kpis]
    empty = pd.DataFrame(columns=SAME_DAYS_COLUMNS)
    bounds = card.coverage("transactions") if card.has("transactions", "customer_id", "date") else None
    if card.period == "all" or not wanted or bounds is None:
        return empty
    first, last = bounds
    current = period_of(last, card.period)  # type: ignore[arg-type]
    previous = current.shift(-1)
    if current.is_complete(last) or not previous.is_complete(last, first):
        return empty
    days = (pd.Timestamp(last).date() - current.start_date).days + 1
    frame = _previous_orders(card, previous, days)
    if frame is None:
        return empty
    measures = {
        "active_customers": frame["active"],
        "orders": frame["orders"],
        "revenue": frame["revenue"],
        "average_order_value": ratio(frame["revenue"], frame["orders"]),
        "purchase_frequency": ratio(frame["orders"], frame["active"]),
        "revenue_per_customer": ratio(frame["revenue"], frame["active"]),
        "repeat_purchase_rate": 100.0 * ratio(frame["repeaters"], frame["active"]),
    }
    segment = frame["segment"].astype(object).where(frame["segment"] != TOTAL, None)
    rows = [
        pd.DataFrame(
            {
                "kpi": kpi,
                "segment": segment.to_numpy(),
                "period": current.label,
                "days": days,
                "period_days": current.days,
                "previous_period": previous.label,
                "previous_value": np.asarray(measures[kpi], dtype=float),
            }
        )
        for kpi in wanted
    ]
    return pd.concat(rows, ignore_index=True)[SAME_DAYS_COLUMNS]


def _previous_orders(card: Scorecard, previous: Period, days: int) -> pd.DataFrame | None:
    """Active customers, orders, revenue and repeat buyers over the first ``days`` days of
    ``previous``, per segment and for all customers."""
    mode = card.segment_mode("transactions")
    start = pd.Timestamp(previous.start_date)
    end = pd.Timestamp(min(previous.start_date + timedelta(days=days), previous.end_date + timedelta(days=1)))
    orders = card.order_table
    orders = orders.filter((orders.date >= ibis.literal(start)) & (orders.date < ibis.literal(end)))
    per_customer = orders.group_by("customer_id").aggregate(
        orders=orders.count(), revenue=orders.amount.sum()
    )
    if mode == "customer":
        per_customer = card.join_customers(per_customer, "_segment")

    def sums(segment: ir.Value) -> ir.Table:
        return per_customer.group_by(segment=segment).aggregate(
            active=per_customer.count(),
            orders=per_customer.orders.sum(),
            revenue=per_customer.revenue.sum(),
            repeaters=(per_customer.orders >= 2).sum(),
        )

    expression = sums(ibis.literal(TOTAL))
    if mode == "customer":
        expression = sums(per_customer["_segment"]).union(expression)
    frame = card.backend.execute(expression)
    if frame.empty:
        return None
    return frame.astype(
        {"active": "float64", "orders": "float64", "revenue": "float64", "repeaters": "float64"}
    )

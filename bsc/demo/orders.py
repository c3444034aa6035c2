"""The demo company's order lines: when customers buy, how much, and the returns.

Each active customer orders at a rate set by their plan, loyalty and satisfaction, on days
drawn with a yearly (December peak) and weekly (Saturday busiest) rhythm.
"""

from __future__ import annotations

import numpy as np
import pandas as pd

from bsc.demo.columns import id_column, id_width
from bsc.demo.customers import People
from bsc.demo.timeline import Calendar, sample_days

__all__ = ["orders_table"]

ORDERS_PER_CUSTOMER = 10.0
ORDER_SEASON = (0.90, 0.85, 0.95, 0.95, 1.00, 0.95, 0.90, 0.90, 1.00, 1.05, 1.30, 1.60)
# Monday first.
ORDER_WEEKDAY = (0.90, 0.95, 1.00, 1.00, 1.10, 1.25, 0.80)
PLAN_ORDER_RATE = (0.8, 1.1, 1.5)
PLAN_UNIT_PRICE = (1.0, 1.2, 1.5)
UNIT_PRICE_MEDIAN = 28.0
RETURN_SHARE = 0.03


def orders_table(rng: np.random.Generator, people: People, calendar: Calendar) -> pd.DataFrame:
    count = len(people.signup_day)
    intensity = (
        np.asarray(ORDER_SEASON)[calendar.calendar_month[calendar.month_of_day]]
        * np.asarray(ORDER_WEEKDAY)[calendar.weekday]
    )
    cumulative = calendar.cumulative(intensity)
    first, last = people.active_from, people.active_to(calendar)
    appetite = (
        rng.gamma(2.0, 0.5, count)
        * np.asarray(PLAN_ORDER_RATE)[people.plan]
        * np.where(people.loyal, 1.3, 1.0)
        * np.exp(0.15 * people.satisfaction)
    )
    exposure = appetite * (cumulative[last + 1] - cumulative[first])
    lines_per_customer = rng.poisson(ORDERS_PER_CUSTOMER * count * exposure / exposure.sum())

    customer = np.repeat(np.arange(count), lines_per_customer)
    lines = len(customer)
    day = sample_days(rng, cumulative, first[customer], last[customer])
    quantity = 1 + rng.poisson(0.5, lines)
    unit_price = (
        UNIT_PRICE_MEDIAN * np.asarray(PLAN_UNIT_PRICE)[people.plan[customer]] * rng.lognormal(0, 0.55, lines)
    )
    amount = np.round(quantity * unit_price, 2)

    # A return sends back the customer's line just before it (same amount and quantity, negative),
    # so no one returns more than they bought and no customer's spend ever falls below zero.
    by_customer = np.lexsort((day, customer))
    customer, day, quantity, amount = (a[by_customer] for a in (customer, day, quantity, amount))
    follows_own_line = np.r_[False, customer[1:] == customer[:-1]]
    drawn = follows_own_line & (rng.random(lines) < RETURN_SHARE / max(follows_own_line.mean(), 1e-9))
    # A line after a return is not itself a return (nothing bought just before it to send back).
    is_return = drawn & ~np.r_[False, drawn[:-1]]
    source = np.flatnonzero(is_return) - 1
    amount[is_return] = -amount[source]
    quantity[is_return] = -quantity[source]

    order = np.lexsort((customer, day))
    return pd.DataFrame(
        {
            "order_id": id_column("O", lines, id_width(lines) + 1),
            "customer_id": people.customer_id.take(customer[order]).reset_index(drop=True),
            "order_date": calendar.dates(day[order]),
            "amount": amount[order],
            "quantity": quantity[order],
        }
    )

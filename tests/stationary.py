"""A simulated company in which nothing changes, for tests of what the scorecard must not see.

Customers arrive as a Poisson process (``ARRIVALS_PER_DAY``), each orders at once and then as a
Poisson process of rate ``ORDER_RATE`` per day until an exponential lifetime (mean
``1 / DEPARTURE_RATE`` days) ends; order amounts are gamma distributed with mean
``MEAN_AMOUNT``. Every customer belongs to one store and answers surveys at a constant rate with
constant NPS and CSAT distributions. The process runs from long before the log begins, so the
log opens on a company in its steady state, and it ends mid-month (``LOG_END``): every rate is
constant, and any "change" the product reports is noise or an artefact.

:func:`expected_clv` works out, from these parameters alone, the CLV the scorecard should find.
"""

from __future__ import annotations

import math

import numpy as np
import pandas as pd

LOG_START = pd.Timestamp("2024-07-01")
LOG_END = pd.Timestamp("2026-06-10")  # mid-month: June 2026 is covered for 10 of its 30 days
ARRIVALS_PER_DAY = 5.0
ORDER_RATE = 1 / 30  # orders per day while a customer stays
DEPARTURE_RATE = 1 / 600  # per day: a customer stays 600 days on average
MEAN_AMOUNT = 50.0
MARGIN = 0.30  # the scorecard's default
INACTIVITY_DAYS = 90  # the scorecard's default
STORES = ("east", "north", "west")
RESPONSES_PER_DAY = 12.0
NPS_ANSWERS = np.arange(11)
NPS_WEIGHTS = np.array([2, 1, 1, 2, 2, 4, 6, 12, 20, 25, 25], dtype=float)
CSAT_WEIGHTS = np.array([5, 8, 15, 40, 32], dtype=float)
# Long enough before the log that hardly anyone of the first arrivals is still a customer
# (e^-8 of them): the log opens on the steady state.
BURN_IN_DAYS = 4800


def expected_clv(
    *,
    margin: float = MARGIN,
    order_rate: float = ORDER_RATE,
    departure_rate: float = DEPARTURE_RATE,
    mean_amount: float = MEAN_AMOUNT,
    window: int = INACTIVITY_DAYS,
) -> float:
    """The CLV per activity spell that the steady state implies, by hand.

    A customer places :math:`K` orders: the first, then each next one before leaving with
    probability :math:`p = \\lambda / (\\lambda + \\mu)`, so :math:`E[K] = 1 + \\lambda/\\mu`.
    After an order, the next one comes more than :math:`W` days later (a lapse, then a return:
    a new spell) with probability :math:`\\frac{\\lambda}{\\lambda+\\mu} e^{-(\\lambda+\\mu)W}`,
    so a customer has :math:`E[S] = 1 + \\frac{\\lambda}{\\mu} e^{-(\\lambda+\\mu)W}` spells. In a
    steady state revenue per lost spell is revenue per customer ÷ spells per customer
    (renewal–reward), so the CLV is :math:`m \\cdot a \\cdot E[K] / E[S]`.

    With λ = 1/30, μ = 1/600, W = 90, a = 50, m = 0.3: E[K] = 21,
    E[S] = 1 + 20 e^{-3.15} = 1.857, CLV = 0.3 × 50 × 21 / 1.857 = 169.6.
    """
    per_customer = 1 + order_rate / departure_rate
    spells = 1 + order_rate / departure_rate * math.exp(-(order_rate + departure_rate) * window)
    return margin * mean_amount * per_customer / spells


def stationary_company(seed: int = 7, *, start: pd.Timestamp = LOG_START) -> dict[str, pd.DataFrame]:
    """A transaction log (with a store per line) and survey answers from ``start`` to
    :data:`LOG_END`, in canonical form."""
    rng = np.random.default_rng(seed)
    days = (LOG_END - start).days + 1
    span = BURN_IN_DAYS + days
    customers = rng.poisson(ARRIVALS_PER_DAY * span)
    arrival = rng.uniform(-BURN_IN_DAYS, days, customers)
    departure = arrival + rng.exponential(1 / DEPARTURE_RATE, customers)
    stay = np.minimum(departure, days) - arrival
    repeat_orders = rng.poisson(ORDER_RATE * stay)
    owner = np.concatenate([np.arange(customers), np.repeat(np.arange(customers), repeat_orders)])
    when = np.concatenate(
        [
            arrival,
            np.repeat(arrival, repeat_orders)
            + rng.uniform(0, 1, repeat_orders.sum()) * np.repeat(stay, repeat_orders),
        ]
    )
    in_log = (when >= 0) & (when < days)
    owner, when = owner[in_log], when[in_log]
    store = rng.choice(STORES, customers)
    ids = np.char.add("c", np.arange(customers).astype(str))
    transactions = pd.DataFrame(
        {
            "customer_id": pd.Series(ids[owner], dtype="string"),
            "order_id": pd.Series([f"o{i}" for i in range(len(owner))], dtype="string"),
            "date": (start + pd.to_timedelta(when, unit="D")).astype("datetime64[us]"),
            "amount": rng.gamma(4.0, MEAN_AMOUNT / 4.0, len(owner)).round(2),
            "store": pd.Series(store[owner], dtype="string"),
        }
    )
    responses = rng.poisson(RESPONSES_PER_DAY * days)
    respondent = rng.integers(0, len(owner), responses)
    feedback = pd.DataFrame(
        {
            "customer_id": transactions["customer_id"].to_numpy()[respondent],
            "date": (start + pd.to_timedelta(rng.uniform(0, days, responses), unit="D")).astype(
                "datetime64[us]"
            ),
            "nps": rng.choice(NPS_ANSWERS, responses, p=NPS_WEIGHTS / NPS_WEIGHTS.sum()).astype(float),
            "csat": rng.choice(np.arange(1, 6), responses, p=CSAT_WEIGHTS / CSAT_WEIGHTS.sum()).astype(float),
            "store": transactions["store"].to_numpy()[respondent],
        }
    )
    feedback["customer_id"] = feedback["customer_id"].astype("string")
    feedback["store"] = feedback["store"].astype("string")
    return {"transactions": transactions, "feedback": feedback}

"""The demo company as a whole: the parameters' limits and the order of the random draws.

:func:`generate_company` checks its parameters, splits the seed into one stream per table and
draws the tables in a fixed order, so that the same seed always gives the same tables.
"""

from __future__ import annotations

from datetime import date

import numpy as np
import pandas as pd

from bsc.demo.acquisition import marketing_table
from bsc.demo.customers import customers_table, draw_customers
from bsc.demo.experience import surveys_table, tickets_table
from bsc.demo.orders import orders_table
from bsc.demo.timeline import DEMO_END, Calendar, as_date
from bsc.errors import InputError

__all__ = [
    "DEMO_CURRENCY",
    "MAX_CUSTOMERS",
    "MAX_MONTHS",
    "MIN_CUSTOMERS",
    "MIN_MONTHS",
    "TABLE_NAMES",
    "generate_company",
]

# The demo company trades in euros: its amounts, costs and spend are written as bare numbers, as
# many exports do, so its workspace is given the currency rather than finding it in the files.
DEMO_CURRENCY = "EUR"
TABLE_NAMES = ("customers", "orders", "surveys", "tickets", "marketing")
MIN_CUSTOMERS, MAX_CUSTOMERS = 100, 5_000_000
MIN_MONTHS, MAX_MONTHS = 24, 60


def generate_company(
    customers: int = 3000, months: int = 30, seed: int = 7, end: date = DEMO_END
) -> dict[str, pd.DataFrame]:
    """Draw the demo company's five tables.

    Parameters
    ----------
    customers : int
        Customers in the ``customers`` table (starting base plus newcomers), 100 to 5,000,000.
    months : int
        Months of history, 24 to 60; the first one starts on its first day.
    seed : int
        Seed of the random generator; the same seed gives identical tables.
    end : date
        Last day of the history.

    Returns
    -------
    dict[str, pandas.DataFrame]
        The tables ``customers``, ``orders``, ``surveys``, ``tickets`` and ``marketing``
        (see the package docstring, :mod:`bsc.demo`), dates as ``datetime64[us]``, text as strings.

    Raises
    ------
    InputError
        When a parameter is outside its range.
    """
    customers, months, seed, end = _checked(customers, months, seed, end)
    # One independent stream per table: changing how one table is drawn leaves the others as
    # they were for the same seed.
    streams = [np.random.default_rng(child) for child in np.random.SeedSequence(seed).spawn(5)]
    calendar = Calendar.build(end, months)
    people, plan = draw_customers(streams[0], customers, calendar)
    orders = orders_table(streams[1], people, calendar)
    return {
        "customers": customers_table(people, calendar),
        "orders": orders,
        "surveys": surveys_table(streams[2], people, calendar, end),
        "tickets": tickets_table(streams[3], people, calendar),
        "marketing": marketing_table(streams[4], people, plan, calendar, orders),
    }


def _checked(customers: int, months: int, seed: int, end: date) -> tuple[int, int, int, date]:
    for name, value in (("number of customers", customers), ("number of months", months), ("seed", seed)):
        if isinstance(value, bool) or not isinstance(value, int | np.integer):
            raise InputError(f"The {name} must be a whole number, not {value!r}.")
    if not MIN_CUSTOMERS <= customers <= MAX_CUSTOMERS:
        raise InputError(
            f"The demo company needs between {MIN_CUSTOMERS:,} and {MAX_CUSTOMERS:,} customers; "
            f"{customers:,} were asked for."
        )
    if not MIN_MONTHS <= months <= MAX_MONTHS:
        raise InputError(
            f"The demo company needs between {MIN_MONTHS} and {MAX_MONTHS} months of history for its "
            f"stories to show; {months} were asked for."
        )
    if seed < 0:
        raise InputError(f"The seed must be zero or a positive whole number, not {seed}.")
    return int(customers), int(months), int(seed), as_date(end)

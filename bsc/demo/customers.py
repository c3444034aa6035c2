"""The demo company's customers: traits, the starting base, newcomers and churn.

:func:`draw_customers` draws every customer (region, plan, channel, loyalty, acquisition cost,
hidden satisfaction and service level, churn date) in customer id order, which is signup
order; :func:`customers_table` turns the draws into the ``customers`` table.
"""

from __future__ import annotations

from dataclasses import dataclass

import numpy as np
import pandas as pd

from bsc.demo.acquisition import (
    CHANNEL_CPA,
    CHANNEL_SHARES,
    CHANNELS,
    AcquisitionPlan,
    acquisition_plan,
    planned_spend,
)
from bsc.demo.columns import id_column, id_width, label_column, yes_no_column
from bsc.demo.timeline import DAYS_PER_MONTH, Calendar

__all__ = ["PLANS", "REGIONS", "People", "Traits", "customers_table", "draw_customers"]

REGIONS = ("North", "South", "East", "West", "Central")
REGION_SHARES = (0.22, 0.20, 0.20, 0.20, 0.18)
PLANS = ("Basic", "Plus", "Premium")
PLAN_SHARES = (0.50, 0.32, 0.18)

STARTING_BASE_SHARE = 0.35
STARTING_BASE_YEARS = 3
BASE_CANDIDATES_PER_CUSTOMER = 3

MONTHLY_CHURN_HAZARD = 0.01
MIN_DAYS_BEFORE_CHURN = 14
# Log hazard ratios: per standard deviation of satisfaction and of slow service, for loyalty
# members, and per plan.
CHURN_SATISFACTION = -1.5
CHURN_SLOW_SERVICE = 1.0
CHURN_LOYALTY = -0.4
CHURN_PLAN = (0.2, 0.0, -0.3)


@dataclass(frozen=True)
class People:
    """Per-customer draws, in customer id order (by signup)."""

    customer_id: pd.Series
    signup_day: np.ndarray
    region: np.ndarray
    plan: np.ndarray
    channel: np.ndarray
    loyal: np.ndarray
    acquisition_cost: np.ndarray
    satisfaction: np.ndarray
    slow_service: np.ndarray
    churned: np.ndarray
    churn_day: np.ndarray
    signup_month: np.ndarray  # -1 for the starting base

    @property
    def active_from(self) -> np.ndarray:
        return np.maximum(self.signup_day, 0)

    def active_to(self, calendar: Calendar) -> np.ndarray:
        return np.where(self.churned, self.churn_day, calendar.days - 1)


@dataclass(frozen=True)
class Traits:
    """Hidden and visible traits of a set of customers, and the daily churn hazard they imply."""

    region: np.ndarray
    plan: np.ndarray
    satisfaction: np.ndarray
    slow_service: np.ndarray
    loyal: np.ndarray

    @classmethod
    def draw(cls, rng: np.random.Generator, count: int) -> Traits:
        plan = rng.choice(len(PLANS), size=count, p=PLAN_SHARES)
        satisfaction = rng.standard_normal(count)
        return cls(
            region=rng.choice(len(REGIONS), size=count, p=REGION_SHARES),
            plan=plan,
            satisfaction=satisfaction,
            slow_service=rng.standard_normal(count),
            loyal=rng.random(count) < 0.20 + 0.10 * plan + 0.05 * np.clip(satisfaction, -2, 2),
        )

    def daily_churn_hazard(self) -> np.ndarray:
        log_ratio = (
            CHURN_SATISFACTION * self.satisfaction
            + CHURN_SLOW_SERVICE * self.slow_service
            + CHURN_LOYALTY * self.loyal
            + np.asarray(CHURN_PLAN)[self.plan]
        )
        return MONTHLY_CHURN_HAZARD / DAYS_PER_MONTH * np.exp(log_ratio)

    def take(self, rows: np.ndarray) -> Traits:
        return Traits(*(getattr(self, name)[rows] for name in self.__dataclass_fields__))

    @staticmethod
    def concat(first: Traits, second: Traits) -> Traits:
        return Traits(
            *(
                np.concatenate((getattr(first, name), getattr(second, name)))
                for name in Traits.__dataclass_fields__
            )
        )


def _draw_starting_base(rng: np.random.Generator, count: int) -> tuple[np.ndarray, Traits]:
    """Signup days (negative) and traits of the customers still active on day 0.

    Candidates sign up evenly over the years before the history. ``count`` of them are kept by
    weighted sampling without replacement (Efraimidis–Spirakis: the largest keys log(u) / w),
    the weight w being the chance of surviving to day 0, exp(-h · (d - 14)) for daily hazard h
    and d days since signup. Like a real customer base, the starting base has already lost
    many of its unhappy customers.
    """
    candidates = BASE_CANDIDATES_PER_CUSTOMER * count
    signup_day = -1 - np.floor(rng.random(candidates) * STARTING_BASE_YEARS * 365).astype(np.int64)
    traits = Traits.draw(rng, candidates)
    exposed_days = np.maximum(-signup_day - MIN_DAYS_BEFORE_CHURN, 0)
    survival = np.maximum(np.exp(-traits.daily_churn_hazard() * exposed_days), 1e-300)
    key = np.log(rng.random(candidates)) / survival
    kept = np.sort(np.argpartition(-key, count - 1)[:count])
    return signup_day[kept], traits.take(kept)


def draw_customers(
    rng: np.random.Generator, count: int, calendar: Calendar
) -> tuple[People, AcquisitionPlan]:
    base = round(count * STARTING_BASE_SHARE)
    newcomers = count - base
    plan = acquisition_plan(newcomers, calendar)
    months, channels = plan.expected.shape

    cells = rng.multinomial(newcomers, (plan.expected / plan.expected.sum()).ravel())
    cell = np.repeat(np.arange(months * channels), cells)
    new_month, new_channel = np.divmod(cell, channels)
    new_day = calendar.month_first_day[new_month] + np.floor(
        rng.random(newcomers) * calendar.month_days[new_month]
    ).astype(np.int64)
    base_day, base_traits = _draw_starting_base(rng, base)
    base_channel = rng.choice(channels, size=base, p=CHANNEL_SHARES)

    signup_day = np.concatenate((base_day, new_day))
    channel = np.concatenate((base_channel, new_channel))
    signup_month = np.concatenate((np.full(base, -1), new_month))
    traits = Traits.concat(base_traits, Traits.draw(rng, newcomers))

    # Newcomers share their month and channel's spend in proportion to a random weight, so the
    # acquisition costs of a cell add up to the marketing spend of that cell.
    weight = rng.lognormal(0.0, 0.3, newcomers)
    spend = planned_spend(plan, cells.reshape(months, channels))
    weight_per_cell = np.bincount(cell, weights=weight, minlength=months * channels)
    new_cost = spend.ravel()[cell] * weight / weight_per_cell[cell]
    base_cost = np.asarray(CHANNEL_CPA)[base_channel] * rng.lognormal(0.0, 0.3, base)
    acquisition_cost = np.round(np.concatenate((base_cost, new_cost)), 2)

    # The hazard is constant, so a base customer's time to churn from day 0 is again exponential.
    at_risk_from = np.maximum(signup_day, 0) + np.where(signup_day >= 0, MIN_DAYS_BEFORE_CHURN, 0)
    strata = (traits.region * len(PLANS) + traits.plan) * len(CHANNELS) + channel
    churn_day = _churn_days(rng, traits.daily_churn_hazard(), at_risk_from, strata, calendar)
    churned = churn_day >= 0

    order = np.argsort(signup_day, kind="stable")
    people = People(
        customer_id=id_column("C", count, id_width(count)),
        signup_day=signup_day[order],
        region=traits.region[order],
        plan=traits.plan[order],
        channel=channel[order],
        loyal=traits.loyal[order],
        acquisition_cost=acquisition_cost[order],
        satisfaction=traits.satisfaction[order],
        slow_service=traits.slow_service[order],
        churned=churned[order],
        churn_day=churn_day[order],
        signup_month=signup_month[order],
    )
    return people, plan


def _churn_days(
    rng: np.random.Generator,
    hazard: np.ndarray,
    at_risk_from: np.ndarray,
    strata: np.ndarray,
    calendar: Calendar,
) -> np.ndarray:
    r"""The day each customer churns (-1 for those who stay), month by month.

    A customer still active and at risk for :math:`e` days of a month churns in it with the
    chance :math:`p = 1 - e^{-h e}` of a constant daily hazard :math:`h`, on a day drawn evenly
    among those :math:`e` days. Who churns is drawn by systematic sampling (Madow, 1949) over the
    customers at risk, ordered by region, plan and channel and at random within them: each
    customer keeps exactly the chance :math:`p`, but a month loses within one customer of the
    expected :math:`\sum p`, and each region, plan and channel close to its share. With the
    independent draws of a plain exponential waiting time, a company of a thousand active
    customers losing about ten a month would see its monthly losses, and the CLV that divides
    by them, double or halve from one month to the next for no reason a facilitator could give.
    """
    count = len(hazard)
    churn_day = np.full(count, -1, dtype=np.int64)
    order = np.lexsort((rng.random(count), strata))
    for first, days in zip(calendar.month_first_day, calendar.month_days, strict=True):
        last = first + days - 1
        at_risk = order[(churn_day[order] < 0) & (at_risk_from[order] <= last)]
        start = np.maximum(at_risk_from[at_risk], first)
        exposed = last + 1 - start
        chance = -np.expm1(-hazard[at_risk] * exposed)
        # Customer i is chosen when a point of the grid u, u + 1, u + 2... falls in its share of
        # the running total: each chance is at most 1, so no one is chosen twice.
        steps = np.floor(np.cumsum(chance) - rng.random())
        chosen = steps > np.r_[-1.0, steps[:-1]]
        churn_day[at_risk[chosen]] = start[chosen] + np.floor(
            rng.random(chosen.sum()) * exposed[chosen]
        ).astype(np.int64)
    return churn_day


def customers_table(people: People, calendar: Calendar) -> pd.DataFrame:
    return pd.DataFrame(
        {
            "customer_id": people.customer_id,
            "signup_date": calendar.dates(people.signup_day),
            "region": label_column(people.region, REGIONS),
            "plan": label_column(people.plan, PLANS),
            "channel": label_column(people.channel, CHANNELS),
            "loyalty_member": yes_no_column(people.loyal),
            "acquisition_cost": people.acquisition_cost,
            "churned": yes_no_column(people.churned),
            "churn_date": np.where(
                people.churned, calendar.dates(people.churn_day), np.datetime64("NaT", "us")
            ),
        }
    )

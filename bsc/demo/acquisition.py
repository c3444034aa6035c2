"""How the demo company wins customers: channels, the acquisition plan and the marketing table.

The plan sets the expected newcomers and the cost per acquisition of each month and channel
(Social's CPA story included); :mod:`bsc.demo.customers` draws the newcomers from it, and
:func:`marketing_table` reports spend, leads, conversions and market size per month and channel.
"""

from __future__ import annotations

from dataclasses import dataclass
from typing import TYPE_CHECKING

import numpy as np
import pandas as pd

from bsc.demo.columns import label_column
from bsc.demo.stories import CPA_STORY_CHANNEL, CPA_STORY_MONTHS, CPA_STORY_SPEND_GROWTH
from bsc.demo.timeline import Calendar

if TYPE_CHECKING:
    # Only a type here: bsc.demo.customers draws newcomers from this module's plan.
    from bsc.demo.customers import People

__all__ = [
    "CHANNELS",
    "CHANNEL_CPA",
    "CHANNEL_SHARES",
    "AcquisitionPlan",
    "acquisition_plan",
    "marketing_table",
    "planned_spend",
]

CHANNELS = ("Search", "Social", "Referral", "Partner", "Email")
CHANNEL_SHARES = (0.30, 0.20, 0.15, 0.15, 0.20)
# Cost per acquisition at the start of the history, and the share of leads that convert.
CHANNEL_CPA = (85.0, 60.0, 25.0, 70.0, 30.0)
CHANNEL_LEAD_CONVERSION = (0.06, 0.03, 0.20, 0.10, 0.08)
CPA_INFLATION_PER_MONTH = 0.003

NEW_CUSTOMER_GROWTH_PER_MONTH = 0.015
# January first: signups per calendar month relative to an average month.
SIGNUP_SEASON = (1.20, 1.00, 0.95, 0.95, 0.95, 0.90, 0.85, 0.90, 1.00, 1.00, 1.10, 1.20)

MARKET_SHARE_START, MARKET_SHARE_END = 0.030, 0.036


@dataclass(frozen=True)
class AcquisitionPlan:
    """Expected newcomers and spend per month (rows) and channel (columns)."""

    expected: np.ndarray
    cpa: np.ndarray


def acquisition_plan(newcomers: int, calendar: Calendar) -> AcquisitionPlan:
    months = len(calendar.month_starts)
    step = np.arange(months)
    month_start_days = calendar.month_starts.astype("datetime64[D]")
    full_length = ((calendar.month_starts + 1).astype("datetime64[D]") - month_start_days).astype(float)
    # A last month cut short by ``end`` gets its share of the month's newcomers.
    covered = calendar.month_days / full_length
    trend = (1 + NEW_CUSTOMER_GROWTH_PER_MONTH) ** step
    volume = trend * np.asarray(SIGNUP_SEASON)[calendar.calendar_month] * covered
    weights = volume[:, None] * np.asarray(CHANNEL_SHARES)[None, :]
    story = CHANNELS.index(CPA_STORY_CHANNEL)
    story_from = months - CPA_STORY_MONTHS
    # Social stops growing: a flat, unseasonal volume from the story's first month on.
    weights[story_from:, story] = trend[story_from] * CHANNEL_SHARES[story]
    expected = newcomers * weights / weights.sum()
    cpa = np.asarray(CHANNEL_CPA)[None, :] * (1 + CPA_INFLATION_PER_MONTH) ** step[:, None]
    ramp = np.linspace(1.0, 1.0 + CPA_STORY_SPEND_GROWTH, CPA_STORY_MONTHS)
    cpa[story_from:, story] *= ramp
    return AcquisitionPlan(expected=expected, cpa=cpa)


def planned_spend(plan: AcquisitionPlan, conversions: np.ndarray) -> np.ndarray:
    """Spend per month and channel: the planned CPA times the mean of planned and won volume.

    Tying spend half to the plan and half to the outcome keeps each channel's CPA steady
    without making it exact, and keeps spend positive in a month that won nobody.
    """
    return np.round(plan.cpa * (plan.expected + conversions) / 2, 2)


def marketing_table(
    rng: np.random.Generator,
    people: People,
    plan: AcquisitionPlan,
    calendar: Calendar,
    orders: pd.DataFrame,
) -> pd.DataFrame:
    months, channels = plan.expected.shape
    newcomer = people.signup_month >= 0
    cell = people.signup_month[newcomer] * channels + people.channel[newcomer]
    conversions = np.bincount(cell, minlength=months * channels).reshape(months, channels)
    spend = planned_spend(plan, conversions)
    # Leads follow spend: a channel paid more brings more leads, converting or not.
    cost_per_lead = plan.cpa[0][None, :] * np.asarray(CHANNEL_LEAD_CONVERSION)[None, :]
    leads = np.maximum(np.rint(spend / cost_per_lead * rng.lognormal(0.0, 0.08, spend.shape)), conversions)

    # The market is sized so that the company's net revenue is a slowly growing share of it.
    order_month = (orders["order_date"].to_numpy("datetime64[M]") - calendar.month_starts[0]).astype(np.int64)
    revenue = np.bincount(order_month, weights=orders["amount"].to_numpy(), minlength=months)
    share = np.linspace(MARKET_SHARE_START, MARKET_SHARE_END, months) * rng.lognormal(0.0, 0.03, months)
    market_size = (np.round(np.maximum(revenue, 0.0) / share, -3)).astype(np.int64)

    month_index = np.repeat(np.arange(months), channels)
    return pd.DataFrame(
        {
            "month": calendar.month_starts[month_index].astype("datetime64[us]"),
            "channel": label_column(np.tile(np.arange(channels), months), CHANNELS),
            "spend": spend.ravel(),
            "leads": leads.ravel().astype(np.int64),
            "conversions": conversions.ravel(),
            "market_size": market_size[month_index],
        }
    )

"""The stories hidden in the demo company: where they play, when they start, how strong they are.

See the package docstring (:mod:`bsc.demo`) for the three stories; the draws that carry them
live with their tables (:mod:`bsc.demo.experience` for North's NPS, :mod:`bsc.demo.acquisition`
for Social's cost per acquisition, :mod:`bsc.demo.customers` for churn).
"""

from __future__ import annotations

from dataclasses import dataclass
from datetime import date

import numpy as np

from bsc.demo.timeline import DEMO_END, as_date, to_date

__all__ = [
    "CPA_STORY_CHANNEL",
    "CPA_STORY_MONTHS",
    "CPA_STORY_SPEND_GROWTH",
    "NPS_STORY_LIFT",
    "NPS_STORY_MONTHS",
    "NPS_STORY_REGION",
    "CompanyStories",
    "company_stories",
]

NPS_STORY_REGION = "North"
NPS_STORY_MONTHS = 10
# Added to North's answers on the 0–10 scale (before rounding) from the story's first day.
NPS_STORY_LIFT = 0.6

CPA_STORY_CHANNEL = "Social"
CPA_STORY_MONTHS = 12
# Social's cost per acquisition climbs linearly to (1 + this) times its level over the story's months.
CPA_STORY_SPEND_GROWTH = 1.6


@dataclass(frozen=True)
class CompanyStories:
    """Where the demo company's stories sit in time.

    Attributes
    ----------
    nps_region : str
        The region whose survey answers improve.
    nps_improves_from : date
        First day with improved answers in ``nps_region``.
    cpa_channel : str
        The channel whose cost per acquisition worsens.
    cpa_worsens_from : date
        First day of the first month whose spend is raised in ``cpa_channel``.
    """

    nps_region: str
    nps_improves_from: date
    cpa_channel: str
    cpa_worsens_from: date


def company_stories(end: date = DEMO_END) -> CompanyStories:
    """Return where the stories of a demo company ending at ``end`` begin.

    The NPS story starts on the first day of the month ``NPS_STORY_MONTHS - 1`` months
    before ``end``'s month (so the last ten months are improved); the CPA story on the first
    day of the month ``CPA_STORY_MONTHS - 1`` months before it.
    """
    end = as_date(end)
    last_month = np.datetime64(end, "M")
    return CompanyStories(
        nps_region=NPS_STORY_REGION,
        nps_improves_from=to_date(last_month - (NPS_STORY_MONTHS - 1)),
        cpa_channel=CPA_STORY_CHANNEL,
        cpa_worsens_from=to_date(last_month - (CPA_STORY_MONTHS - 1)),
    )

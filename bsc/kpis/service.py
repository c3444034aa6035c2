"""Service KPIs: first response time and resolution time, median and mean, in hours.

Each KPI is one record of :data:`DEFINITIONS` and a short function over the tickets source
(:attr:`bsc.kpis.sources.Scorecard.tickets`).
"""

from __future__ import annotations

import math
from collections.abc import Callable
from typing import Literal

import numpy as np
import pandas as pd

from bsc import stats
from bsc.kpis.frames import kpi_rows, ratio
from bsc.kpis.record import KpiDef
from bsc.kpis.sources import Scorecard

_FIRST_RESPONSE = (("support.opened_at", "support.first_response_at"), ("support.response_minutes",))
_RESOLUTION = (("support.opened_at", "support.resolved_at"),)


def _ticket_time(measure: str, statistic: Literal["median", "mean"]) -> Callable[[Scorecard], pd.DataFrame]:
    def compute(card: Scorecard) -> pd.DataFrame:
        frame = card.tickets.frame
        total, n = frame[f"{measure}_sum"], frame[f"{measure}_n"]
        if statistic == "median":
            return kpi_rows(frame, frame[f"{measure}_median"], np.nan, np.nan, n)
        error = stats.mean_standard_error(total, frame[f"{measure}_squares"], n)
        return kpi_rows(frame, ratio(total, n), total, n, n, std_error=error)

    return compute


# The records, in the order of the scorecard.
DEFINITIONS: tuple[KpiDef, ...] = (
    KpiDef(
        id="first_response_time",
        name="First response time (median)",
        short_name="First response",
        component="service",
        formula="median hours from a ticket's opening to the first answer",
        requires=_FIRST_RESPONSE,
        unit="hours",
        unit_words="hours",
        step=0.1,
        input_format="%.1f",
        direction="lower",
        compute=_ticket_time("first_response", "median"),
        description="Tickets count in the period they were opened; negative durations are left out.",
        limits=(0.0, math.inf),
        change_test=None,
    ),
    KpiDef(
        id="first_response_time_mean",
        name="First response time (mean)",
        short_name="Avg first response",
        component="service",
        formula="mean hours from a ticket's opening to the first answer",
        requires=_FIRST_RESPONSE,
        unit="hours",
        unit_words="hours",
        step=0.1,
        input_format="%.1f",
        direction="lower",
        compute=_ticket_time("first_response", "mean"),
        description="Pulled up by a few slow tickets; compare with the median.",
        limits=(0.0, math.inf),
        change_test="mean",
    ),
    KpiDef(
        id="resolution_time",
        name="Resolution time (median)",
        short_name="Resolution time",
        component="service",
        formula="median hours from a ticket's opening to its resolution",
        requires=_RESOLUTION,
        unit="hours",
        unit_words="hours",
        step=0.1,
        input_format="%.1f",
        direction="lower",
        compute=_ticket_time("resolution", "median"),
        description="Tickets count in the period they were opened; unresolved tickets are left out.",
        limits=(0.0, math.inf),
        change_test=None,
    ),
    KpiDef(
        id="resolution_time_mean",
        name="Resolution time (mean)",
        short_name="Avg resolution",
        component="service",
        formula="mean hours from a ticket's opening to its resolution",
        requires=_RESOLUTION,
        unit="hours",
        unit_words="hours",
        step=0.1,
        input_format="%.1f",
        direction="lower",
        compute=_ticket_time("resolution", "mean"),
        description="Pulled up by a few long tickets; compare with the median.",
        limits=(0.0, math.inf),
        change_test="mean",
    ),
)

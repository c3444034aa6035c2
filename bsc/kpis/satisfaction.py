"""Satisfaction KPIs: NPS, CSAT, CES, average rating, the satisfaction index, responses.

Each KPI is one record of :data:`DEFINITIONS` and a short function over the surveys source
(:attr:`bsc.kpis.sources.Scorecard.surveys`).

The surveys may be a customers table's score columns (one answer per customer, no dates: see
:meth:`bsc.store.Store.workspace_tables`); each KPI then notes so, since its value covers all
time and rests on one score per customer rather than on survey responses over time.
"""

from __future__ import annotations

import math
from collections.abc import Callable

import numpy as np
import pandas as pd

from bsc import stats
from bsc.columns import stored_columns
from bsc.kpis.frames import kpi_rows, ratio
from bsc.kpis.record import KpiDef
from bsc.kpis.sources import Scorecard, Unavailable

_SCORES = (("feedback.nps",), ("feedback.csat",), ("feedback.ces",), ("feedback.rating",))


def _note_customer_scores(card: Scorecard, kpi: str, roles: tuple[str, ...]) -> None:
    """Say where the scores come from when the surveys are the customers table's score columns."""
    surveys = set(card.paths.get("feedback", []))
    if not surveys or not surveys <= set(card.paths.get("customers", [])):
        return
    sources = stored_columns(card.paths["customers"]).roles
    columns = [repr(sources.get(role, role)) for role in roles if card.has("feedback", role)]
    named = " and ".join(columns) + (
        " columns, which carry" if len(columns) > 1 else " column, which carries"
    )
    card.notes[kpi] = (
        f"From one score per customer: the customers table's {named} no date, so the value covers all "
        "time rather than one period."
    )


def _nps(card: Scorecard) -> pd.DataFrame:
    _note_customer_scores(card, "nps", ("nps",))
    frame = card.surveys.frame
    low, high = stats.nps_interval(
        frame["promoters"], frame["detractors"], frame["nps_n"], card.params.confidence
    )
    net = frame["promoters"] - frame["detractors"]
    error = stats.nps_standard_error(frame["promoters"], frame["detractors"], frame["nps_n"])
    value = 100.0 * ratio(net, frame["nps_n"])
    return kpi_rows(frame, value, net, frame["nps_n"], frame["nps_n"], (low, high), std_error=error)


def _csat(card: Scorecard) -> pd.DataFrame:
    _note_customer_scores(card, "csat", ("csat",))
    frame = card.surveys.frame
    low, high = stats.wilson_interval(frame["satisfied"], frame["csat_n"], card.params.confidence)
    value = 100.0 * ratio(frame["satisfied"], frame["csat_n"])
    return kpi_rows(
        frame, value, frame["satisfied"], frame["csat_n"], frame["csat_n"], (100.0 * low, 100.0 * high)
    )


def _mean_score(score: str) -> Callable[[Scorecard], pd.DataFrame]:
    def compute(card: Scorecard) -> pd.DataFrame:
        frame = card.surveys.frame
        total, squares, n = frame[f"{score}_sum"], frame[f"{score}_squares"], frame[f"{score}_n"]
        low, high = stats.mean_interval(total, squares, n, card.params.confidence)
        error = stats.mean_standard_error(total, squares, n)
        return kpi_rows(frame, ratio(total, n), total, n, n, (low, high), std_error=error)

    return compute


def _csi(card: Scorecard) -> pd.DataFrame:
    """Weighted mean of the available satisfaction KPIs, each rescaled to 0–100."""
    frame = card.surveys.frame
    low, high = card.params.rating_scale
    scores: dict[str, pd.Series] = {}
    if card.has("feedback", "nps"):
        scores["nps"] = (
            100.0 * ratio(frame["promoters"] - frame["detractors"], frame["nps_n"]) + 100.0
        ) / 2.0
    if card.has("feedback", "csat"):
        scores["csat"] = 100.0 * ratio(frame["satisfied"], frame["csat_n"])
    if card.has("feedback", "ces"):
        scores["ces"] = 100.0 * (ratio(frame["ces_sum"], frame["ces_n"]) - 1.0) / 6.0
    if card.has("feedback", "rating"):
        scores["rating"] = 100.0 * (ratio(frame["rating_sum"], frame["rating_n"]) - low) / (high - low)
    weights = {kpi: card.params.csi_weight(kpi) for kpi in scores if card.params.csi_weight(kpi) > 0}
    if not weights:
        raise Unavailable("none of the satisfaction KPIs with a CSI weight above 0 is available")
    weighted = sum(scores[kpi].fillna(0.0) * weight for kpi, weight in weights.items())
    weight_sum = sum(scores[kpi].notna() * weight for kpi, weight in weights.items())
    card.notes["csi"] = (
        "Weighted mean of "
        + ", ".join(f"{kpi.upper()} (weight {weight:g})" for kpi, weight in weights.items())
        + f", each rescaled to 0–100; ratings on a {low:g}–{high:g} scale."
    )
    return kpi_rows(frame, ratio(weighted, weight_sum), weighted, weight_sum, frame["responses"])


def _responses(card: Scorecard) -> pd.DataFrame:
    _note_customer_scores(card, "responses", ("nps", "csat"))
    frame = card.surveys.frame
    return kpi_rows(frame, frame["responses"], frame["responses"], np.nan, frame["responses"])


# The records, in the order of the scorecard.
DEFINITIONS: tuple[KpiDef, ...] = (
    KpiDef(
        id="nps",
        name="Net Promoter Score",
        short_name="NPS",
        component="satisfaction",
        formula="% promoters (9–10) − % detractors (0–6) of NPS responses",
        requires=(("feedback.nps",),),
        unit="points",
        unit_words="points",
        step=0.5,
        input_format="%.1f",
        direction="higher",
        compute=_nps,
        description="From −100 (all detractors) to +100 (all promoters); NaN in a period without responses. "
        "The interval is Rocks' adjusted Wald interval (3/4 of a promoter and of a detractor added to "
        "the answers), which keeps a width when every answer is a promoter.",
        sample_statistic=True,
        parameters=("confidence",),
        limits=(-100.0, 100.0),
        change_test="nps",
    ),
    KpiDef(
        id="csat",
        name="Customer satisfaction (CSAT)",
        short_name="CSAT",
        component="satisfaction",
        formula="responses of 4 or 5 ÷ responses on the 1–5 scale × 100",
        requires=(("feedback.csat",),),
        unit="%",
        unit_words="%",
        step=0.1,
        input_format="%.1f",
        direction="higher",
        compute=_csat,
        description="Share of satisfied answers, with a Wilson interval; NaN without responses.",
        sample_statistic=True,
        parameters=("confidence",),
        limits=(0.0, 100.0),
        change_test="proportion",
    ),
    KpiDef(
        id="ces",
        name="Customer effort score (CES)",
        short_name="Effort (CES)",
        component="satisfaction",
        formula="mean answer to 'the company made it easy for me', 1 (strongly disagree) to 7 (strongly agree)",
        requires=(("feedback.ces",),),
        unit="score",
        unit_words="score 1–7",
        step=0.05,
        input_format="%.2f",
        direction="higher",
        compute=_mean_score("ces"),
        description="On a scale of 1 to 7, higher means less effort for the customer (the CES 2.0 scale), "
        'written "5.3 of 7". Student t interval; none with fewer than two responses.',
        sample_statistic=True,
        parameters=("confidence",),
        limits=(1.0, 7.0),
        change_test="mean",
        out_of=7.0,
    ),
    KpiDef(
        id="rating",
        name="Average rating",
        short_name="Rating",
        component="satisfaction",
        formula="mean rating",
        requires=(("feedback.rating",),),
        unit="score",
        unit_words="score",
        step=0.05,
        input_format="%.2f",
        direction="higher",
        compute=_mean_score("rating"),
        description="Mean of the ratings given in the period, with a Student t interval.",
        sample_statistic=True,
        parameters=("confidence",),
        change_test="mean",
    ),
    KpiDef(
        id="csi",
        name="Customer satisfaction index (CSI)",
        short_name="Satisfaction index",
        component="satisfaction",
        formula="Σ weight × KPI rescaled to 0–100 ÷ Σ weight, over the available NPS, CSAT, CES and rating",
        requires=_SCORES,
        unit="index",
        unit_words="index 0–100",
        step=0.5,
        input_format="%.1f",
        direction="higher",
        compute=_csi,
        description="Rescaling: (NPS + 100) ÷ 2; CSAT as is; (CES − 1) ÷ 6 × 100; "
        "(rating − lowest) ÷ (highest − lowest) × 100. A KPI without responses in a period drops out "
        "of that period's weights.",
        parameters=("csi_weights", "rating_scale"),
        limits=(0.0, 100.0),
        change_test=None,
    ),
    KpiDef(
        id="responses",
        name="Survey responses",
        short_name="Responses",
        component="satisfaction",
        formula="survey responses with at least one score",
        requires=_SCORES,
        unit="count",
        unit_words="responses",
        step=1.0,
        input_format="%.0f",
        direction="higher",
        compute=_responses,
        description="How many answers the satisfaction KPIs rest on.",
        limits=(0.0, math.inf),
        total=True,
        change_test="count",
    ),
)

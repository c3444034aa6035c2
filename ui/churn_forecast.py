"""The predicted churn of the next period, beside the churn KPI and its target on the Scorecard."""

from __future__ import annotations

import math
from collections.abc import Sequence

import pandas as pd
import streamlit as st

from bsc.errors import InputError
from bsc.kpis import KpiParams
from bsc.targets import Target
from ui.slow_extras import Unavailable, kept
from ui.text import literal

# The name of the forecast among the results kept with the workspace's data.
FORECAST = "churn_forecast"


def forecast_churn(
    tables: dict, by: str | None, period: str, params: KpiParams | None = None
) -> pd.DataFrame:
    """The next period's predicted churn per segment of ``by`` (:func:`bsc.churn.predicted_churn`).

    ``params`` are the page's KPI assumptions, so that churn is counted as the tile counts it.
    """
    # Imported here: scikit-learn and the churn models are not needed to draw the Scorecard's tiles.
    from bsc.churn import forecast_data, forecast_include, predicted_churn
    from bsc.churn.analysis import TRAINING_SAMPLE
    from ui.churn_results import churn_analysis

    # From churn dates the analysis is the churn lab's default one, shared with that page: its
    # data prepared as the same sample (the features of the sample and current customers only).
    data = forecast_data(tables, period=period, params=params or KpiParams(), sample=TRAINING_SAMPLE)
    analysis = churn_analysis(data, include=forecast_include(data))
    return predicted_churn(analysis, by=by, period=period)


@st.cache_data(max_entries=16, show_spinner=False)
def _prediction(
    fingerprint: str, tables: dict, by: str | None, period: str, params: KpiParams
) -> pd.DataFrame:
    # Kept with the data under the same key as the Scorecard's background forecast.
    prediction = kept(
        FORECAST, fingerprint, (by, period, params), lambda: forecast_churn(tables, by, period, params)
    )
    if isinstance(prediction, Unavailable):
        raise InputError(prediction.message)
    return prediction


def definition_words(attrs: dict) -> str:
    """The churn definition shared with the tile, in a few words (from a prediction's ``attrs``)."""
    if attrs.get("inactivity_days") is not None:
        return f"no order for {attrs['inactivity_days']} days"
    return f"a churn date in the {attrs.get('period_unit', 'period')}"


def predicted_churn_panel(
    fingerprint: str,
    tables: dict,
    by: str | None,
    segment: str | None,
    period: str,
    targets: Sequence[Target],
    params: KpiParams | None = None,
) -> None:
    """A short block: the next period's predicted churn for the segment shown, against its target.

    ``params`` are the KPI assumptions of the page (its churn method and inactivity window), so
    that the prediction counts churn as the churn-rate tile beside it does; the defaults when None.
    """
    params = params or KpiParams()
    with st.container(border=True):
        try:
            with st.spinner("Predicting next period's churn…"):
                prediction = _prediction(fingerprint, tables, by, period, params)
        except InputError as error:
            st.caption(f"Predicted churn: not available — {literal(error)}")
            return
        rows = (
            prediction[prediction["segment"].isna()]
            if segment is None
            else prediction[prediction["segment"] == segment]
        )
        if rows.empty:
            st.caption("Predicted churn: no active customers in this segment to score.")
            return
        row = rows.iloc[0]
        signal = bool(prediction.attrs.get("signal", True))
        auc = prediction.attrs.get("roc_auc", math.nan)
        target = next(
            (
                t
                for t in targets
                if t.kpi == "churn_rate" and t.segment == segment and (segment is None or t.segment_by == by)
            ),
            None,
        )
        unit = prediction.attrs.get("period_unit", period)
        line = (
            f"**Predicted churn for {row['period']} ({unit}): {row['predicted_churn_rate']:.1f}%** of the "
            f"{row['n']:,} customers {_still_customers(prediction.attrs)}"
        )
        if target is not None:
            goal = target.value_at(row["period"])
            if not math.isnan(goal):
                verdict = "at or below" if row["predicted_churn_rate"] <= goal else "above"
                line += f" — {verdict} the target of {goal:g}%"
        st.markdown(line)
        attrs = prediction.attrs
        if attrs.get("same_definition", False):
            meaning = (
                f"Predicted churn over the next {unit}, same definition as the tile ({definition_words(attrs)}): "
                f"customers expected to churn during {row['period']} ÷ customers active at its start."
            )
        else:
            meaning = (
                "Not the tile's definition: this figure is the chance of no order in the model's window, brought "
                f"to one {unit}. Compare the two with care."
            )
        st.caption(meaning)
        if not signal:
            st.warning(
                "The churn model found no usable signal in this data: read the prediction as the base rate.",
                icon=":material/warning:",
            )
        window, days = attrs["window_days"], attrs["period_days"]
        # Plain words first, the technical term after them.
        skill = f"{auc:.2f}, 0.5 a coin toss and 1 perfect; cross-validated ROC AUC"
        if attrs.get("inactivity_days") is not None:
            caption = (
                f"How: a churn model (how well it ranks churners: {skill}) learned who churned by the tile's rule in the "
                f"{window} days from {attrs['window_start']:%d %b %Y} and scores each customer not yet churned; the "
                f"mean of their chances, set so that it matches the churn seen in those {window} days, is the "
                f"figure. Recency carries most of it: a customer churns {attrs['inactivity_days']} days after "
                "their last order."
            )
        else:
            caption = (
                f"How: the churn lab's model (how well it ranks churners: {skill}) learned from churn in the {window} "
                f"days from {attrs['window_start']:%d %b %Y} (its training window, not the forecast's); a "
                f"customer's {window}-day probability p becomes 1 − (1 − p)^({days}/{window}) for the {days} days "
                f"of {row['period']}, assuming a steady risk."
            )
        if not attrs["same_definition"]:
            caption += f" Training label: {attrs['definition']}"
        if attrs.get("sample_note"):
            caption += f" {attrs['sample_note']}"
        st.caption(literal(caption))
        if by is not None and segment is None and len(prediction) > 1:
            split = prediction[prediction["segment"].notna()]
            st.dataframe(
                pd.DataFrame(
                    {
                        by: split["segment"].astype(str),
                        "Predicted churn (%)": split["predicted_churn_rate"].round(1),
                        "Active customers": split["n"],
                    }
                ),
                hide_index=True,
            )


def _still_customers(attrs: dict) -> str:
    """Who the forecast scores, in words that do not clash with the "Active customers" tile."""
    days = attrs.get("inactivity_days")
    if days:
        # The tile counts customers who ordered in the month; the churn base is wider.
        return f"who ordered in the last {days} days (not yet churned)"
    return "not yet churned"

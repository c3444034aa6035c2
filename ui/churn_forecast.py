"""The predicted churn of the next period, beside the churn KPI and its target on the Scorecard."""

from __future__ import annotations

import math
from collections.abc import Sequence

import pandas as pd
import streamlit as st

from bsc.errors import InputError
from bsc.targets import Target
from ui.slow_extras import Unavailable, kept
from ui.text import literal

# The name of the forecast among the results kept with the workspace's data.
FORECAST = "churn_forecast"


def forecast_churn(tables: dict, by: str | None, period: str) -> pd.DataFrame:
    """The next period's predicted churn per segment of ``by`` (:func:`bsc.churn.predicted_churn`)."""
    # Imported here: scikit-learn and the churn models are not needed to draw the Scorecard's tiles.
    from bsc.churn import forecast_data, predicted_churn
    from ui.churn_results import churn_analysis

    # The analysis is the churn lab's default one, shared with that page.
    analysis = churn_analysis(forecast_data(tables, period=period))
    return predicted_churn(analysis, by=by, period=period)


@st.cache_data(max_entries=16, show_spinner=False)
def _prediction(fingerprint: str, tables: dict, by: str | None, period: str) -> pd.DataFrame:
    # Kept with the data under the same key as the Scorecard's background forecast.
    prediction = kept(FORECAST, fingerprint, (by, period), lambda: forecast_churn(tables, by, period))
    if isinstance(prediction, Unavailable):
        raise InputError(prediction.message)
    return prediction


def predicted_churn_panel(
    fingerprint: str,
    tables: dict,
    by: str | None,
    segment: str | None,
    period: str,
    targets: Sequence[Target],
) -> None:
    """A short block: the next period's predicted churn for the segment shown, against its target."""
    with st.container(border=True):
        try:
            with st.spinner("Predicting next period's churn…"):
                prediction = _prediction(fingerprint, tables, by, period)
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
            f"**Predicted churn for {row['period']} ({unit}): {row['predicted_churn_rate']:.2f}%** of the "
            f"{row['n']:,} customers not yet churned"
        )
        if target is not None:
            goal = target.value_at(row["period"])
            if not math.isnan(goal):
                verdict = "at or below" if row["predicted_churn_rate"] <= goal else "above"
                line += f" — {verdict} the target of {goal:.2f}%"
        st.markdown(line)
        if prediction.attrs.get("same_definition", False):
            meaning = (
                f"Same definition as the Churn rate tile: customers expected to churn during {row['period']} "
                f"÷ customers not yet churned at its start, for one {unit}."
            )
        else:
            meaning = (
                f"Not quite the tile's definition: the tile counts a customer as churned after its own inactivity "
                f"window (see Assumptions); this figure is the chance of no order in the model's window, brought "
                f"to one {unit}. Compare the two with care."
            )
        st.caption(meaning)
        if not signal:
            st.warning(
                "The churn model found no usable signal in this data: read the prediction as the base rate.",
                icon=":material/warning:",
            )
        attrs = prediction.attrs
        window, days = attrs["window_days"], attrs["period_days"]
        caption = (
            f"How: the churn lab's model (cross-validated ROC AUC {auc:.2f}) learned from churn in the {window} days "
            f"from {attrs['window_start']:%d %b %Y} (its training window, not the forecast's); a customer's "
            f"{window}-day probability p becomes 1 − (1 − p)^({days}/{window}) for the {days} days of {row['period']}, "
            "assuming a steady risk."
        )
        if not attrs["same_definition"]:
            caption += f" Training label: {attrs['definition']}"
        st.caption(literal(caption))
        if by is not None and segment is None and len(prediction) > 1:
            split = prediction[prediction["segment"].notna()]
            st.dataframe(
                pd.DataFrame(
                    {
                        by: split["segment"].astype(str),
                        "Predicted churn (%)": split["predicted_churn_rate"].round(2),
                        "Active customers": split["n"],
                    }
                ),
                hide_index=True,
            )

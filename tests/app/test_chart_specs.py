"""The Scorecard's kept chart specs: what st.altair_chart would send, and never an old chart."""

from __future__ import annotations

import json

import pandas as pd
from streamlit.elements.vega_charts import _convert_altair_to_vega_lite_spec
from streamlit.testing.v1 import AppTest

from bsc.kpis import KPIS, KpiParams
from bsc.kpis.compare import compare_segments
from bsc.notes import notes_frame
from bsc.targets import Target, trajectories
from tests.app.test_charts import _note, _nps_rows
from ui.chart_specs import trend_spec, vega_lite_spec
from ui.charts import cohort_heatmap, note_marks, segment_bar_chart, trend_chart


def _draw_both() -> None:
    # Runs as an app script: the same chart drawn by st.altair_chart and from the kept spec.
    import streamlit as st

    from bsc.kpis import KPIS
    from tests.app.test_charts import _nps_rows
    from ui.chart_specs import show_spec, trend_spec
    from ui.charts import trend_chart

    st.altair_chart(trend_chart(KPIS["nps"], _nps_rows()), width="stretch")
    show_spec(trend_spec("nps", _nps_rows(), None, None, (), None, None, None))


def test_a_kept_spec_draws_what_altair_chart_draws():
    at = AppTest.from_function(_draw_both, default_timeout=60).run()
    assert not at.exception
    drawn, kept = at.get("vega_lite_chart")
    assert json.loads(drawn.proto.spec) == json.loads(kept.proto.spec)
    assert [d.data.data for d in drawn.proto.datasets] == [d.data.data for d in kept.proto.datasets]
    assert drawn.proto.theme == kept.proto.theme == "streamlit"


def test_changed_rows_give_a_new_spec():
    rows = _nps_rows()
    first = trend_spec("nps", rows, None, None, (), None, None, None)
    changed = rows.assign(value=[20.0, 22.0, 31.0])
    again = trend_spec("nps", changed, None, None, (), None, None, None)
    assert again == vega_lite_spec(trend_chart(KPIS["nps"], changed))
    assert again["datasets"] != first["datasets"]
    pd.testing.assert_frame_equal(rows, _nps_rows())  # the caller's frame is left as it was


def _paths(goal: float) -> pd.DataFrame:
    target = Target("nps", goal, "2026-08", baseline=20.0, baseline_period="2026-03", id="t", version=1)
    return trajectories([target], _nps_rows())


def test_the_spec_sent_is_the_validated_spec_of_each_chart():
    # Only the schema check is left out of the conversion: the spec and data are those that
    # Streamlit's own conversion of the validated chart gives (trend with target path and note,
    # segment bars, cohort heat map).
    notes = note_marks(notes_frame([_note("2026-05", "Price rise hit promoters", 1)]))
    comparison = compare_segments(
        pd.DataFrame(
            {
                "kpi": "churn_rate",
                "period": "2026-05",
                "segment": pd.array([None, "A", "B"], dtype="string"),
                "value": [10.0, 5.0, 15.0],
                "numerator": [40.0, 10.0, 30.0],
                "denominator": [400.0, 200.0, 200.0],
                "n": pd.array([400, 200, 200], dtype="Int64"),
            }
        )
    )
    cohorts = pd.DataFrame(
        {
            "cohort": ["2026-03", "2026-03", "2026-04", "2026-04"],
            "months_since_first": [1, 2, 1, 2],
            "retention": [61.5, 40.0, 58.0, 39.0],
            "customers": [16, 10, 29, 19],
            "cohort_size": [26, 26, 50, 50],
        }
    )
    charts = [
        trend_chart(KPIS["nps"], _nps_rows(), _paths(30.0), notes=notes),
        segment_bar_chart(KPIS["churn_rate"], comparison, "Plan"),
        cohort_heatmap(cohorts),
    ]
    for chart in charts:
        assert vega_lite_spec(chart) == _convert_altair_to_vega_lite_spec(chart)


def test_a_spec_kept_under_its_kpi_frame_follows_targets_and_options():
    source = ("fingerprint-a", "month", None, KpiParams())
    rows = _nps_rows()
    kept = trend_spec("nps", rows, None, None, (), None, None, None, source=source)
    assert kept == vega_lite_spec(trend_chart(KPIS["nps"], rows))
    # Targets change without the data changing: a new target path gives a new spec.
    with_target = trend_spec("nps", rows, _paths(30.0), None, (), None, None, None, source=source)
    assert with_target == vega_lite_spec(trend_chart(KPIS["nps"], rows, _paths(30.0)))
    moved = trend_spec("nps", rows, _paths(35.0), None, (), None, None, None, source=source)
    assert moved != with_target
    # New data is a new fingerprint, hence a new key: the rows are drawn afresh.
    changed = rows.assign(value=[20.0, 22.0, 31.0])
    again = trend_spec(
        "nps", changed, None, None, (), None, None, None, source=("fingerprint-b", *source[1:])
    )
    assert again == vega_lite_spec(trend_chart(KPIS["nps"], changed))

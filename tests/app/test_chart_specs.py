"""The Scorecard's kept chart specs: what st.altair_chart would send, and never an old chart."""

from __future__ import annotations

import json

import pandas as pd
from streamlit.testing.v1 import AppTest

from bsc.kpis import KPIS
from tests.app.test_charts import _nps_rows
from ui.chart_specs import trend_spec, vega_lite_spec
from ui.charts import trend_chart


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

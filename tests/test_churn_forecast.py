"""The forecast: the demo company's predicted churn of the next month, per plan."""

from __future__ import annotations

from pathlib import Path

import pytest

from bsc.churn import (
    analyse_churn,
    churn_data_from_table,
    churn_data_from_workspace,
    forecast_data,
    predicted_churn,
    predicted_churn_by_segment,
)
from bsc.errors import InputError
from tests.churn_tables import demo_workspace_tables, signal_table

pytestmark = [
    pytest.mark.filterwarnings("ignore:The 'future.infer_string' option is deprecated"),
    pytest.mark.filterwarnings("ignore:fetch_arrow_table\\(\\) is deprecated:DeprecationWarning"),
]


@pytest.fixture(scope="module")
def demo_tables(tmp_path_factory) -> dict[str, list[Path]]:
    return demo_workspace_tables(tmp_path_factory.mktemp("churn"))


class TestNextPeriod:
    def test_predicted_churn_of_the_next_month_per_plan(self, demo_tables):
        frame = predicted_churn_by_segment(demo_tables, by="plan", period="month")
        assert frame.columns.tolist() == ["segment", "period", "predicted_churn_rate", "n"]
        assert frame["period"].unique().tolist() == ["2026-11"]
        overall = frame[frame["segment"].isna()].iloc[0]
        per_plan = frame[frame["segment"].notna()]
        assert set(per_plan["segment"]) == {"Basic", "Plus", "Premium"}
        assert per_plan["n"].sum() == overall["n"]
        # The overall rate is the customers-weighted mean of the plans' rates.
        weighted = (per_plan["predicted_churn_rate"] * per_plan["n"]).sum() / per_plan["n"].sum()
        assert overall["predicted_churn_rate"] == pytest.approx(weighted)
        # A monthly churn hazard of about 1 % (the demo's story) puts the month's rate near 1 %.
        assert 0.3 < overall["predicted_churn_rate"] < 3.0
        assert frame.attrs["signal"]

    def test_the_forecast_learns_from_the_churn_labs_default_data(self, demo_tables):
        # The app keeps analyses by fingerprint: the Scorecard's forecast and the churn lab's
        # default settings share one analysis.
        assert (
            forecast_data(demo_tables).fingerprint() == churn_data_from_workspace(demo_tables).fingerprint()
        )

    def test_the_forecast_needs_a_dated_definition(self):
        analysis = analyse_churn(churn_data_from_table(signal_table(300)))
        with pytest.raises(InputError, match="not the churn flag"):
            predicted_churn(analysis)

    def test_split_by_an_unknown_attribute_is_refused(self, demo_tables):
        with pytest.raises(InputError, match="customers' attributes"):
            predicted_churn_by_segment(demo_tables, by="nope")

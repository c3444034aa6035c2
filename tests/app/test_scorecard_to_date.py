"""The Scorecard on a log that ends mid-month: "to date" tiles, hollow points, "not enough history".

The tile facts and the trend chart are checked as functions; the page runs on a workspace holding
the simulated steady company of ``tests/stationary.py`` (orders and answers to 10 June 2026).
"""

from __future__ import annotations

from pathlib import Path

import pandas as pd
import pytest
from streamlit.testing.v1 import AppTest

from bsc.kpis import KPIS
from bsc.store import Store
from bsc.workspace import import_file
from tests import stationary
from tests.app.conftest import APP_TIMEOUT, ROOT, shown
from ui.charts import trend_chart
from ui.context import CURRENT_WORKSPACE
from ui.tiles import tile_facts

PAGE = "pages/scorecard.py"


def _series(values: list[float | None], complete: list[bool], reasons: list[str | None] | None = None):
    periods = ["2026-03", "2026-04", "2026-05", "2026-06"][-len(values) :]
    return pd.DataFrame(
        {
            "period": periods,
            "segment": [None] * len(values),
            "value": values,
            "n": [900, 950, 1000, 300][-len(values) :],
            "ci_low": [float("nan")] * len(values),
            "ci_high": [float("nan")] * len(values),
            "complete": complete,
            "reason": reasons or [None] * len(values),
        }
    )


COVERAGE = (pd.Timestamp("2024-07-01"), pd.Timestamp("2026-06-10 18:00"))


class TestTileFacts:
    def test_a_partial_period_is_to_date_without_a_change(self):
        facts = tile_facts(
            KPIS["nps"], _series([30.0, 31.0, 32.0, 20.0], [True, True, True, False]), coverage=COVERAGE
        )
        assert facts.value == "20 pts"  # tiles write the unit short
        # A word, not a change: no arrow, no colour.
        assert (facts.delta, facts.delta_arrow, facts.delta_color) == ("to date", "off", "off")
        assert facts.period_note == "10/30 days"
        assert "June 2026 to date, 10 of 30 days" in facts.help
        assert "not comparable with a whole one" in facts.help
        # The sparkline holds the whole months only.
        assert facts.sparkline == [30.0, 31.0, 32.0]

    def test_totals_are_compared_with_the_same_days_before(self):
        same_days = pd.DataFrame(
            {
                "kpi": ["revenue"],
                "segment": [None],
                "period": ["2026-06"],
                "days": [10],
                "period_days": [30],
                "previous_period": ["2026-05"],
                "previous_value": [40_000.0],
            }
        )
        series = _series([120_000.0, 118_000.0, 121_000.0, 42_000.0], [True, True, True, False])
        facts = tile_facts(KPIS["revenue"], series, coverage=COVERAGE, same_days=same_days)
        # 42,000 against 40,000 over 1–10 May: +5 %, not −65 % against the whole of May; no colour. (¤: the data names no currency)
        assert (facts.value, facts.delta, facts.delta_color) == ("42,000 ¤", "+5.0%", "off")
        assert facts.period_note == "to date"
        assert "1–10 June against 1–10 May (40,000 ¤)" in facts.help

    def test_a_value_the_data_cannot_know(self):
        reason = (
            "not enough history: churn by 90 days without an order needs 90 days of log before the period"
        )
        series = _series([None, None], [True, True], [reason, reason])
        facts = tile_facts(KPIS["churn_rate"], series)
        assert (facts.value, facts.delta, facts.delta_arrow) == ("—", "not enough history", "off")
        assert reason in facts.help

    def test_a_partial_first_period_is_no_baseline(self):
        facts = tile_facts(KPIS["revenue"], _series([5_000.0, 120_000.0], [False, True]))
        # One whole month is no trend: no sparkline (a single point draws an empty chart).
        assert facts.delta is None and facts.sparkline == []


def test_trend_chart_draws_a_partial_period_as_a_hollow_point():
    rows = _series([30.0, 31.0, 32.0, 20.0], [True, True, True, False]).assign(kpi="nps")
    spec = trend_chart(KPIS["nps"], rows).to_dict()
    hollow = [layer for layer in spec["layer"] if layer["mark"].get("filled") is False]
    assert len(hollow) == 1
    [line] = [layer for layer in spec["layer"] if layer["mark"]["type"] == "line"]
    datasets = spec["datasets"]
    assert [row["period"] for row in datasets[hollow[0]["data"]["name"]]] == ["2026-06"]
    assert [row["period"] for row in datasets[line["data"]["name"]]] == ["2026-03", "2026-04", "2026-05"]


@pytest.fixture
def steady_data_dir(tmp_path: Path, monkeypatch: pytest.MonkeyPatch) -> tuple[Path, str]:
    folder = tmp_path / "data"
    store = Store(folder)
    workspace = store.create_workspace("Steady company")
    frames = stationary.stationary_company(seed=7)
    for name, frame in frames.items():
        path = tmp_path / f"{name}.csv"
        frame.to_csv(path, index=False)
        stored, refused = import_file(store, workspace.id, path)
        assert stored and not refused
    store.engine.dispose()
    monkeypatch.setenv("BSC_DATA_DIR", str(folder))
    monkeypatch.chdir(ROOT)
    return folder, workspace.id


def test_the_page_on_a_log_ending_mid_month(steady_data_dir):
    _, workspace_id = steady_data_dir
    at = AppTest.from_file(str(ROOT / "app.py"), default_timeout=APP_TIMEOUT)
    at.session_state[CURRENT_WORKSPACE] = workspace_id
    at.run()
    at.switch_page(PAGE).run()
    assert not at.exception
    revenue = next(m for m in at.metric if m.label == "Revenue")
    # Independently: revenue of 1–10 June against 1–10 May in the simulated log.
    log = stationary.stationary_company(seed=7)["transactions"]
    june = log.loc[(log["date"] >= "2026-06-01") & (log["date"] < "2026-06-11"), "amount"].sum()
    may = log.loc[(log["date"] >= "2026-05-01") & (log["date"] < "2026-05-11"), "amount"].sum()
    assert (revenue.proto.delta_description, revenue.delta) == ("to date", f"{june / may - 1:+.1%}")
    nps = next(m for m in at.metric if m.label == "NPS")
    assert (nps.delta, nps.proto.delta_description) == ("to date", "10/30 days")
    # One line says what "to date" means for the whole page.
    assert "June 2026 is covered to 10 June (10 of 30 days)" in " ".join(shown(c.value) for c in at.caption)
    # Nothing changed in this company: no What changed box.
    assert not any("What changed" in m.value for m in at.markdown)
    at.selectbox(key="trend_kpi").set_value("churn_rate").run()
    captions = " ".join(shown(c.value) for c in at.caption)
    assert "hollow point" in captions
    assert "No value for 2024-07, 2024-08, 2024-09: not enough history" in captions

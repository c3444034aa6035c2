"""The Lifetime value page on the demo company, a CDNOW-like log, a telco tenure table and a table without orders."""

from __future__ import annotations

from pathlib import Path

import pandas as pd
import pytest
from streamlit.testing.v1 import AppTest

from bsc.store import Store
from bsc.workspace import import_file
from tests.app.conftest import APP_TIMEOUT, ROOT, open_app, shown
from tests.conftest import FIXTURES, write_cdnow_orders

PAGE = "pages/lifetime.py"

pytestmark = [
    pytest.mark.filterwarnings("ignore:The 'future.infer_string' option is deprecated"),
    pytest.mark.filterwarnings("ignore:fetch_arrow_table\\(\\) is deprecated:DeprecationWarning"),
]


def _open_workspace(data_dir: Path, name: str, path: Path) -> AppTest:
    store = Store(data_dir)
    workspace = store.create_workspace(name)
    stored, refused = import_file(store, workspace.id, path)
    assert stored and not refused
    store.engine.dispose()
    at = AppTest.from_file(str(ROOT / "app.py"), default_timeout=APP_TIMEOUT)
    at.session_state["current_workspace_id"] = workspace.id
    at.run()
    return at.switch_page(PAGE).run()


def _texts(at: AppTest) -> str:
    return " ".join(e.value for kind in ("success", "warning", "info", "error") for e in getattr(at, kind))


def test_demo_company_back_test_values_and_curves(data_dir: Path):
    at = open_app(PAGE)
    assert not at.exception, at.exception
    headers = [h.value for h in at.header]
    assert headers == [
        "How accurate is it? The back-test",
        "Customers' lifetime value",
        "How long customers stay",
        "Subscription retention (shifted beta-geometric)",
    ]
    # The demo's buyers are steady: the model beats their past rates, and says so.
    assert "better than their past rate" in at.success[0].value
    metrics = {m.label: m.value for m in at.metric}
    assert {"Actual repeat purchases", "Predicted by the model", "RMSE per customer", "Mean CLV"} <= set(
        metrics
    )
    # Weekly and per-group back-test, survival curves, the sBG held-out check.
    assert len(at.get("vega_lite_chart")) == 4
    top = next(frame.value for frame in at.dataframe if "clv" in frame.value.columns)
    assert top["clv"].is_monotonic_decreasing and len(top) == 100
    assert any("BG/NBD + Gamma-Gamma, 12 months, margin 30%, discount 10%/yr" in c.value for c in at.caption)


def test_results_are_kept_and_the_margin_changes_only_the_value(data_dir: Path):
    at = open_app(PAGE)
    kept = {path.name.split("-")[0] for path in (data_dir / "results").glob("*.result")}
    assert {"clv_backtest", "clv_models", "survival", "sbg"} <= kept
    # The demo's amounts are in euros: "€93.81".
    mean_at_30 = float(next(m.value for m in at.metric if m.label == "Mean CLV").replace(",", "").lstrip("€"))
    at.number_input(key="clv_margin").set_value(60.0)
    at.button[1].click().run()  # the value form's Apply
    assert not at.exception, at.exception
    mean_at_60 = float(next(m.value for m in at.metric if m.label == "Mean CLV").replace(",", "").lstrip("€"))
    # CLV is proportional to the margin (bsc/clv/value.py): doubling it doubles the mean.
    assert mean_at_60 == pytest.approx(2 * mean_at_30, rel=1e-3)


def test_survival_by_plan_gives_three_curves_and_a_log_rank_sentence(data_dir: Path):
    at = open_app(PAGE)
    at.selectbox(key="clv_survival_by").set_value("plan").run()
    assert not at.exception, at.exception
    table = next(frame.value for frame in at.dataframe if "Segment" in frame.value.columns)
    assert sorted(table["Segment"]) == ["Basic", "Plus", "Premium"]
    assert any("retention differs beyond chance (log-rank test" in shown(m.value) for m in at.markdown)


def test_a_cdnow_like_log(data_dir: Path, tmp_path: Path):
    at = _open_workspace(data_dir, "CDNOW", write_cdnow_orders(tmp_path / "orders.csv"))
    assert not at.exception, at.exception
    # The default split is Fader, Hardie & Lee's: 39 weeks to 1997-09-30, 39 held out.
    assert at.date_input(key="clv_calibration_end").value.isoformat() == "1997-09-30"
    assert "better than their past rate" in at.success[0].value
    assert "No survival curves" in _texts(at) and "No subscription model" in _texts(at)


def test_a_telco_tenure_table_without_dates(data_dir: Path):
    at = _open_workspace(data_dir, "Telco", FIXTURES / "telco_customers.csv")
    assert not at.exception, at.exception
    assert "No purchase model" in at.info[0].value
    table = next(frame.value for frame in at.dataframe if "Segment" in frame.value.columns)
    assert list(table["Segment"]) == ["all customers"]
    assert any("Median lifetime (tenure)" in column for column in table.columns)
    # 40 customers over 72 months: the sBG fits and its held-out check is drawn (with its verdict).
    assert any("Fitted on the first 48 months" in w.value for w in [*at.success, *at.warning])


def test_a_table_without_orders(data_dir: Path, tmp_path: Path):
    path = tmp_path / "survey.csv"
    pd.DataFrame({"respondent": [f"R{i}" for i in range(30)], "nps": [i % 11 for i in range(30)]}).to_csv(
        path, index=False
    )
    at = _open_workspace(data_dir, "Survey", path)
    assert not at.exception, at.exception
    assert not at.error
    texts = _texts(at)
    assert "No purchase model" in texts and "No survival curves" in texts and "No subscription model" in texts


def test_the_page_is_in_the_menu(data_dir: Path):
    from ui.navigation import PAGES

    assert "pages/lifetime.py" in [p.path for p in PAGES]

"""The Churn lab page: the demo company's drivers and customers to call, a noise table, column choices."""

from __future__ import annotations

from pathlib import Path

import numpy as np
import pandas as pd
import pytest
from streamlit.testing.v1 import AppTest

from bsc.churn import churn_data_from_workspace
from bsc.store import Store
from bsc.workspace import import_file
from tests.app.conftest import APP_TIMEOUT, ROOT, open_app

PAGE = "pages/churn.py"

pytestmark = [
    pytest.mark.filterwarnings("ignore:The 'future.infer_string' option is deprecated"),
    pytest.mark.filterwarnings("ignore:fetch_arrow_table\\(\\) is deprecated:DeprecationWarning"),
]


def _metrics(at: AppTest) -> dict[str, str]:
    return {m.label: m.value for m in at.metric}


def _table_with(at: AppTest, column: str) -> pd.DataFrame:
    """The first table (data frame or editor) on the page holding ``column``."""
    return next(frame.value for frame in at.dataframe if column in frame.value.columns)


def test_demo_company_drivers_and_customers_to_call(data_dir: Path):
    at = open_app(PAGE)
    assert not at.exception, at.exception
    assert "Churned = a churn date in the 365 days" in at.info[0].value
    assert "ranks a random churner above a random stayer" in at.success[0].value
    metrics = _metrics(at)
    assert {
        "Customers",
        "Churned",
        "Ranks churners",
        "Top purity",
        "Probability error",
        "Customers to contact",
    } <= set(metrics)
    assert 0.6 < float(metrics["Ranks churners"]) < 0.9
    headers = [h.value for h in at.header]
    assert headers == ["What drives churn", "How good the model is", "Customers to call", "Columns"]
    # Drivers by source and by column, ROC, calibration, gains and the net value curve.
    assert len(at.get("vega_lite_chart")) == 6
    at_risk = _table_with(at, "Churn probability")
    assert list(at_risk.columns[:2]) == ["Customer", "Churn probability"]
    assert at_risk["Churn probability"].is_monotonic_decreasing
    assert len(at.get("download_button")) == 1


def test_pure_noise_is_said_to_hold_no_signal(data_dir: Path, tmp_path: Path):
    rng = np.random.default_rng(11)
    rows = 400
    table = pd.DataFrame(
        {
            "customer_id": [f"Z{i:04d}" for i in range(rows)],
            "spend": rng.gamma(2.0, 50.0, rows).round(2),
            "visits": rng.poisson(4, rows),
            "region": rng.choice(["North", "South", "East"], rows),
            "churned": np.where(rng.random(rows) < 0.3, "Yes", "No"),
        }
    )
    path = tmp_path / "noise_customers.csv"
    table.to_csv(path, index=False)
    store = Store(data_dir)
    workspace = store.create_workspace("Noise")
    stored, refused = import_file(store, workspace.id, path)
    assert stored and not refused
    store.engine.dispose()

    at = AppTest.from_file(str(ROOT / "app.py"), default_timeout=APP_TIMEOUT)
    at.session_state["current_workspace_id"] = workspace.id
    at.run()
    at.switch_page(PAGE).run()
    assert not at.exception, at.exception
    assert "Churned = the customers table's churn flag" in at.info[0].value
    [verdict] = at.error
    assert "no usable signal" in verdict.value
    assert any("No list" in info.value for info in at.info)
    assert "Customers to contact" not in _metrics(at)


def test_a_column_can_be_left_out_by_hand(data_dir: Path):
    at = open_app(PAGE)
    store = Store(data_dir)
    [workspace] = store.list_workspaces()
    data = churn_data_from_workspace(store.workspace_tables(workspace.id))
    store.engine.dispose()
    row = data.customers.columns.get_loc("nps_mean")
    at.session_state["churn_columns_editor_churn_date_0"] = {
        "edited_rows": {row: {"Use": False}},
        "added_rows": [],
        "deleted_rows": [],
    }
    at.run()
    assert not at.exception, at.exception
    assert at.session_state[f"churn_columns_{workspace.id}"]["churn_date"] == {
        "include": [],
        "exclude": ["nps_mean"],
    }
    nps = _table_with(at, "Use").set_index("column").loc["nps_mean"]
    assert not nps["Use"]
    assert nps["How it is read, or why it is left out"] == "left out by you"


def test_model_choice_is_applied(data_dir: Path):
    at = open_app(PAGE)
    at.selectbox(key="churn_model").set_value("gbm")
    at.button(key="churn_analyse").click().run()
    assert not at.exception, at.exception
    assert any("Gradient boosting is used, as chosen" in caption.value for caption in at.caption)


def _workspace_with(data_dir: Path, fixture: str, name: str) -> tuple[AppTest, str]:
    """A workspace holding one of the invented churn fixtures, opened on the Churn lab."""
    store = Store(data_dir)
    workspace = store.create_workspace(name)
    stored, refused = import_file(store, workspace.id, ROOT / "tests" / "fixtures" / fixture)
    assert stored and not refused
    store.engine.dispose()
    at = AppTest.from_file(str(ROOT / "app.py"), default_timeout=APP_TIMEOUT)
    at.session_state["current_workspace_id"] = workspace.id
    at.run()
    at.switch_page(PAGE).run()
    assert not at.exception, at.exception
    return at, workspace.id


def test_a_renamed_churn_score_is_left_out_and_too_good_when_included(data_dir: Path):
    # The IBM telco status layout with its Churn Score renamed "Propensity Score" (alone: AUC 0.94).
    at, workspace_id = _workspace_with(data_dir, "churn_ibm_status_sample.csv", "IBM-like")
    columns = _table_with(at, "Use").set_index("column")
    assert not columns.loc["propensity_score", "Use"]
    assert (
        "predicts churn almost alone (AUC 0.94"
        in columns.loc["propensity_score", "How it is read, or why it is left out"]
    )
    assert not any("Too good to be true" in w.value for w in at.warning)

    store = Store(data_dir)
    data = churn_data_from_workspace(store.workspace_tables(workspace_id))
    store.engine.dispose()
    at.session_state["churn_columns_editor_column_0"] = {
        "edited_rows": {data.customers.columns.get_loc("propensity_score"): {"Use": True}},
        "added_rows": [],
        "deleted_rows": [],
    }
    at.run()
    assert not at.exception, at.exception
    [warning] = [w.value for w in at.warning if "Too good to be true" in w.value]
    assert "“Propensity Score” carries it" in warning  # named as the file names it
    [auc] = [m for m in at.metric if m.label == "Ranks churners"]
    assert float(auc.value) > 0.95
    assert auc.proto.delta == "likely a leak"
    # The verdict is not a green success beside a model too good to be true.
    assert not at.success


def test_drivers_within_noise_are_not_listed(data_dir: Path):
    # The bank churn layout: churn drawn from Age, IsActiveMember and Geography only.
    at, _ = _workspace_with(data_dir, "churn_bank_sample.csv", "Bank-like")
    [caption] = [c.value for c in at.caption if "within the noise" in c.value]
    assert "Only columns whose interval lies above 0 are shown as drivers" in caption
    noise = caption.split("(the interval includes 0): ")[1].rstrip(".").split(", ")
    assert f"{len(noise)} more columns the model saw are within the noise" in caption
    # Age is the strongest effect drawn; the columns drawn independently of churn are noise.
    assert "Age" not in noise
    assert {"CreditScore", "Tenure", "Balance", "EstimatedSalary", "HasCrCard"} <= set(noise)

"""The Scorecard on every table shape: customers alone (undated), transactions alone, surveys
alone, and the demo's five tables; split and not split, never an exception."""

from __future__ import annotations

import json
import re
from pathlib import Path

import pyarrow as pa
import pytest

from bsc.store import Store
from bsc.workspace import import_file
from tests.app.conftest import ROOT, open_app, shown
from tests.fixtures.churn_make_fixtures import telco_contracts_sample

PAGE = "pages/scorecard.py"
FIXTURES = ROOT / "tests" / "fixtures"
DEMO = ROOT / "data" / "demo"


def _only(data_dir: Path, name: str, *files: Path) -> None:
    """Make a workspace holding only ``files`` the one the app opens (the demo is deleted)."""
    store = Store(data_dir)
    for workspace in store.list_workspaces():
        store.delete_workspace(workspace.id)
    workspace = store.create_workspace(name)
    for path in files:
        stored, refused = import_file(store, workspace.id, path)
        assert stored and not refused
    store.engine.dispose()


@pytest.fixture
def telco_csv(tmp_path: Path) -> Path:
    path = tmp_path / "telco_customers.csv"
    telco_contracts_sample().to_csv(path, index=False)
    return path


def _chart_specs(at) -> list[dict]:
    """Each Altair chart's spec, with its datasets (sent beside it as Arrow) as lists of rows."""
    specs = []
    for chart in at.get("vega_lite_chart"):
        spec = json.loads(chart.proto.spec)
        spec["datasets"] = {
            named.name: pa.ipc.open_stream(named.data.data).read_pandas().to_dict("records")
            for named in chart.proto.datasets
        }
        specs.append(spec)
    return specs


def _comparison(at):
    """The segments-side-by-side table (a static table whose segment names are escaped Markdown),
    or None (other tables: unavailable KPIs, definitions)."""
    tables = [t.value for t in at.table if "All customers" in t.value.columns]
    assert len(tables) <= 1
    if not tables:
        return None
    return tables[0].rename(columns=lambda name: re.sub(r"\\(.)", r"\1", str(name)))


def _titles(at) -> list[str]:
    return [spec.get("title", "") for spec in _chart_specs(at)]


class TestCustomersAlone:
    def test_undated_churn_shows_all_time_without_a_trend(self, data_dir: Path, telco_csv: Path):
        _only(data_dir, "Telco", telco_csv)
        at = open_app(PAGE)
        assert not at.exception
        # 1,869 of 7,043 customers churned in the public table: 26.5%.
        assert {m.label: m.value for m in at.metric}["Churn rate"] == "26.5%"
        assert "no dated data" in shown(at.caption[0].value)
        assert any("has no dated values" in shown(c.value) for c in at.caption)
        assert _titles(at) == []  # no empty trend chart

    def test_split_by_contract_compares_the_three_contracts(self, data_dir: Path, telco_csv: Path):
        _only(data_dir, "Telco", telco_csv)
        at = open_app(PAGE)
        at.sidebar.selectbox(key="split_picker").set_value("contract").run()
        assert not at.exception
        cells = _comparison(at)
        # Churned / customers per contract, as the public table has them.
        assert cells.loc["Churn rate", "Month-to-month"] == "42.7% ▲ · n 3,875"
        assert cells.loc["Churn rate", "One year"] == "11.3% ▼ · n 1,473"
        assert cells.loc["Churn rate", "Two year"] == "2.83% ▼ · n 1,695"
        assert cells.loc["Churn rate", "All customers"] == "26.5% · n 7,043"
        caption = next(shown(c.value) for c in at.caption if "rest of the customers" in c.value)
        assert "All-time values" in caption and "6 of 6 tested cells" in caption
        [bars] = _chart_specs(at)
        assert bars["title"] == "Churn rate by Contract, all time (dashed: all customers)"
        [points] = [v for v in bars["datasets"].values() if len(v) == 3]
        assert sorted(round(p["value"], 1) for p in points) == [2.8, 11.3, 42.7]
        assert {p["n"] for p in points} == {3875, 1473, 1695}

    def test_one_contract_as_the_segment(self, data_dir: Path, telco_csv: Path):
        _only(data_dir, "Telco", telco_csv)
        at = open_app(PAGE)
        at.sidebar.selectbox(key="split_picker").set_value("contract").run()
        at.sidebar.selectbox(key="segment_picker").set_value("Two year").run()
        assert not at.exception
        assert {m.label: m.value for m in at.metric}["Churn rate"] == "2.83%"


class TestTransactionsAlone:
    def test_cdnow_log_shows_trends_and_cohorts(self, data_dir: Path):
        _only(data_dir, "CDNOW", FIXTURES / "cdnow_sample.txt")
        at = open_app(PAGE)
        assert not at.exception
        metrics = {m.label: m.value for m in at.metric}
        assert {"Active customers", "Revenue", "Orders"} <= set(metrics)
        titles = _titles(at)
        assert any(t.endswith("per period") for t in titles)
        assert any(t.startswith("Cohort retention") for t in titles)
        assert _comparison(at) is None  # nothing split: no comparison table

    def test_quarterly_and_yearly(self, data_dir: Path):
        _only(data_dir, "CDNOW", FIXTURES / "cdnow_sample.txt")
        at = open_app(PAGE)
        for period in ("quarter", "year"):
            at.sidebar.button_group(key="period_picker").set_value(period).run()
            assert not at.exception


class TestSurveysAlone:
    def test_survey_table_alone_split_by_its_own_column(self, data_dir: Path):
        _only(data_dir, "Surveys", DEMO / "surveys.csv")
        at = open_app(PAGE)
        assert not at.exception
        assert "NPS" in {m.label for m in at.metric}
        options = at.sidebar.selectbox(key="split_picker").options
        if len(options) > 1:  # a categorical column of the survey table itself serves as a segment
            at.sidebar.selectbox(key="split_picker").set_value(
                at.sidebar.selectbox(key="split_picker").options[1]
            ).run()
            assert not at.exception


class TestCombinations:
    def test_customers_and_transactions(self, data_dir: Path):
        _only(data_dir, "Two tables", DEMO / "customers.csv", DEMO / "orders.csv")
        at = open_app(PAGE)
        at.sidebar.selectbox(key="split_picker").set_value("plan").run()
        assert not at.exception
        assert _comparison(at).columns[0] == "All customers"

    def test_demo_split_by_region_draws_a_handful_of_lines(self, data_dir: Path):
        at = open_app(PAGE)
        at.sidebar.selectbox(key="split_picker").set_value("region").run()
        assert not at.exception
        assert list(_comparison(at).columns) == ["All customers", "Central", "East", "North", "South", "West"]
        trend = next(s for s in _chart_specs(at) if s["title"].endswith("per period"))
        drawn = {row["segment"] for rows in trend["datasets"].values() for row in rows if "segment" in row}
        assert drawn == {"All customers"}  # other segments only on request
        at.multiselect(key="trend_others").set_value(["North", "West"]).run()
        assert not at.exception
        trend = next(s for s in _chart_specs(at) if s["title"].endswith("per period"))
        drawn = {row["segment"] for rows in trend["datasets"].values() for row in rows if "segment" in row}
        assert drawn == {"All customers", "North", "West"}

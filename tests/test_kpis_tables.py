"""What a scorecard can be split by: segment attributes named as the user's file names them, and
never a column that restates churn."""

from __future__ import annotations

import pytest

from bsc.errors import InputError
from bsc.kpis import compute_kpis
from bsc.kpis.tables import outcome_columns, resolve_segment_attribute, segment_attributes, segment_labels
from bsc.workspace import files_workspace
from tests.conftest import FIXTURES

pytestmark = [
    pytest.mark.filterwarnings("ignore:The 'future.infer_string' option is deprecated"),
    pytest.mark.filterwarnings("ignore:fetch_arrow_table\\(\\) is deprecated:DeprecationWarning"),
]


@pytest.fixture(scope="module")
def telco():
    with files_workspace([FIXTURES / "telco_customers.csv"]) as (tables, _):
        yield tables


@pytest.fixture(scope="module")
def status():
    with files_workspace([FIXTURES / "telco_status.csv"]) as (tables, _):
        yield tables


class TestLabels:
    def test_attributes_show_the_files_headers(self, telco):
        labels = segment_labels(telco)
        assert labels["contract"] == "Contract"
        assert labels["paymentmethod"] == "PaymentMethod"
        assert labels["seniorcitizen"] == "SeniorCitizen"
        assert list(labels) == segment_attributes(telco)

    def test_a_saved_segmentation_reads_as_its_name(self, tmp_path):
        import pandas as pd

        from bsc.store import Store
        from bsc.workspace import import_file

        store = Store(tmp_path)
        workspace = store.create_workspace("Telco")
        import_file(store, workspace.id, FIXTURES / "telco_customers.csv")
        tables = store.workspace_tables(workspace.id)
        ids = pd.read_parquet(tables["customers"][0], columns=["customer_id"])["customer_id"]
        segments = pd.Series(["A", "B"] * (len(ids) // 2) + ["A"] * (len(ids) % 2), index=ids.to_numpy())
        store.save_segmentation(
            workspace.id, name="Value segments", attribute="value_segments", segments=segments
        )
        labels = segment_labels(store.workspace_tables(workspace.id))
        store.engine.dispose()
        assert labels["value_segments"] == "Value segments"
        assert labels["contract"] == "Contract"

    @pytest.mark.parametrize("typed", ["contract", "Contract", "CONTRACT", " contract "])
    def test_a_user_names_an_attribute_in_any_case(self, telco, typed):
        assert resolve_segment_attribute(telco, typed) == "contract"

    def test_the_split_by_contract_matches_the_file(self, telco):
        values = compute_kpis(telco, period="month", by=resolve_segment_attribute(telco, "Contract")).values
        churn = values[(values["kpi"] == "churn_rate") & values["segment"].notna()]
        # awk -F, 'NR>1{n[$8]++; if($13=="Yes") c[$8]++} END{for(k in n) print k, c[k], n[k]}'
        #   -> Month-to-month 6 of 9, One year 2 of 13, Two year 2 of 18
        assert dict(zip(churn["segment"], churn["value"], strict=True)) == pytest.approx(
            {"Month-to-month": 100 * 6 / 9, "One year": 100 * 2 / 13, "Two year": 100 * 2 / 18}
        )

    def test_an_unknown_attribute_lists_the_headers(self, telco):
        with pytest.raises(InputError, match=r"not a segment attribute.*Contract"):
            resolve_segment_attribute(telco, "shoe_size")


class TestOutcomesAreNotSegments:
    def test_the_status_files_outcomes_are_not_offered(self, status):
        assert outcome_columns(status) == {"customer_status", "churn_value", "churn_category", "churn_reason"}
        assert segment_attributes(status) == []

    @pytest.mark.parametrize("typed", ["Churn Reason", "churn_reason", "CUSTOMER STATUS", "Churn Value"])
    def test_naming_one_says_why_it_is_refused(self, status, typed):
        with pytest.raises(InputError, match=r"says who churned or why.*0% or 100%"):
            resolve_segment_attribute(status, typed)

    def test_the_kpis_refuse_to_split_by_one(self, status):
        with pytest.raises(InputError, match="not a segment attribute"):
            compute_kpis(status, by="churn_reason")

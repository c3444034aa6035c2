"""Column names as the user's file has them: headers kept in the footer, labels and look-ups."""

from __future__ import annotations

from pathlib import Path

import pandas as pd
import pytest

from bsc.columns import TableColumns, column_label, resolve_name, stored_columns, with_headers
from bsc.errors import InputError

LABELS = {
    "contract": "Contract",
    "paymentmethod": "PaymentMethod",
    "deviceprotection": "DeviceProtection",
    "acquisition_channel": "Acquisition channel",
}


class TestResolveName:
    @pytest.mark.parametrize(
        ("typed", "name"),
        [
            ("contract", "contract"),
            ("Contract", "contract"),
            ("CONTRACT", "contract"),
            (" Contract ", "contract"),
            ("PaymentMethod", "paymentmethod"),
            ("payment method", "paymentmethod"),
            ("DeviceProtection", "deviceprotection"),
            ("Acquisition channel", "acquisition_channel"),
            ("ACQUISITION_CHANNEL", "acquisition_channel"),
        ],
    )
    def test_a_name_is_found_by_its_name_or_header_in_any_case(self, typed: str, name: str):
        assert resolve_name(typed, LABELS, "segment attribute") == name

    def test_an_unknown_name_lists_the_headers(self):
        with pytest.raises(InputError, match=r"not a segment attribute.*Contract, PaymentMethod"):
            resolve_name("shoe_size", LABELS, "segment attribute")

    def test_a_name_that_fits_two_columns_is_refused(self):
        with pytest.raises(InputError, match="could be any of Plan, plan"):
            resolve_name("PLAN", {"plan_a": "Plan", "plan_b": "plan"}, "feature")


class TestHeadersInTheFooter:
    def test_they_survive_a_parquet_file(self, tmp_path: Path):
        frame = with_headers(
            pd.DataFrame({"customer_id": ["a"], "totalcharges": [1.0]}),
            TableColumns({"totalcharges": "TotalCharges"}, {"customer_id": "customerID"}, ("churn_reason",)),
        )
        frame.to_parquet(tmp_path / "t.parquet", index=False)
        facts = stored_columns([tmp_path / "t.parquet"])
        assert facts == TableColumns(
            {"totalcharges": "TotalCharges"}, {"customer_id": "customerID"}, ("churn_reason",)
        )

    def test_files_without_them_give_none(self, tmp_path: Path):
        pd.DataFrame({"customer_id": ["a"]}).to_parquet(tmp_path / "old.parquet", index=False)
        assert stored_columns([tmp_path / "old.parquet"]) == TableColumns()

    def test_the_first_file_wins_where_two_files_name_a_column(self, tmp_path: Path):
        for name, header in (("first", "Region"), ("second", "REGION")):
            frame = with_headers(pd.DataFrame({"region": ["x"]}), TableColumns({"region": header}))
            frame.to_parquet(tmp_path / f"{name}.parquet", index=False)
        facts = stored_columns([tmp_path / "first.parquet", tmp_path / "second.parquet"])
        assert facts.headers == {"region": "Region"}


def test_labels_show_the_header_or_the_name_in_words():
    assert column_label("deviceprotection", {"deviceprotection": "DeviceProtection"}) == "DeviceProtection"
    assert column_label("acquisition_channel", {}) == "Acquisition channel"

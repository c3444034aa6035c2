"""The Data page: upload, detected roles, problems, saving, remapping."""

from __future__ import annotations

from pathlib import Path

from bsc.store import Store
from tests.app.conftest import open_app
from tests.conftest import FIXTURES

DATA = "pages/data.py"


def _summary(at):
    return next(d.value for d in at.dataframe if {"Table", "Kind", "Roles found"} <= set(d.value.columns))


def _table_names(at) -> list[str]:
    return list(_summary(at)["Table"])


def test_demo_workspace_tables_are_listed(data_dir: Path):
    at = open_app(DATA)
    assert not at.exception
    assert {"customers.csv", "orders.csv", "surveys.csv", "tickets.csv", "marketing.csv"} <= set(
        _table_names(at)
    )
    kinds = dict(zip(_summary(at)["Table"], _summary(at)["Kind"], strict=True))
    assert kinds["orders.csv"] == "Transactions"
    assert kinds["surveys.csv"] == "Feedback / surveys"


def test_upload_shows_detection_and_saves(data_dir: Path):
    at = open_app(DATA)
    data = (FIXTURES / "cdnow_sample.txt").read_bytes()
    at.file_uploader(key="upload").set_value(("CDNOW_sample.txt", data, "text/plain")).run()
    assert not at.exception
    kind = next(s for s in at.selectbox if s.key.endswith("_kind") and s.key.startswith("new_"))
    assert kind.value == "transactions"
    editor = next(d for d in at.dataframe if d.key == kind.key.replace("_kind", "_roles_transactions"))
    roles = dict(zip(editor.value["Role"], editor.value["Column"], strict=False))
    # CDNOW's log has no header: id, a second id, YYYYMMDD date, CDs bought, dollar value.
    assert roles["Customer ID"] == "column_1"
    assert roles["Order date"] == "column_3"
    assert roles["Amount"] == "column_5"

    save = next(b for b in at.button if b.key.startswith("new_") and b.key.endswith("_save"))
    save.click().run()
    assert not at.exception
    store = Store(data_dir)
    [workspace] = store.list_workspaces()
    saved = [d for d in store.list_datasets(workspace.id) if d.name == "CDNOW_sample.txt"]
    assert len(saved) == 1
    assert saved[0].kind == "transactions"
    assert {"customer_id", "date", "amount"} <= set(saved[0].mapping.roles)
    assert "CDNOW_sample.txt" in _table_names(at)


def test_a_bad_file_gets_a_message_not_a_traceback(data_dir: Path):
    at = open_app(DATA)
    at.file_uploader(key="upload").set_value(("garbage.csv", bytes(range(256)) * 40, "text/csv")).run()
    assert not at.exception
    assert at.error, "a clear error is shown"
    assert "Traceback" not in at.error[0].value
    # The workspace is untouched and still listed.
    assert "orders.csv" in _table_names(at)


def test_editing_a_stored_mapping_is_saved_and_versioned(data_dir: Path):
    at = open_app(DATA)
    store = Store(data_dir)
    [workspace] = store.list_workspaces()
    customers = next(d for d in store.list_datasets(workspace.id) if d.name == "customers.csv")
    at.selectbox(key="inspect_dataset").set_value(customers.id).run()

    editor_key = f"stored_{customers.id}_v{customers.version}_roles_customers"
    assert editor_key in at.session_state, "the stored table's mapping editor is shown"
    columns = list(store.load_raw(customers.id).columns)
    region_row = columns.index("region")
    at.session_state[editor_key] = {
        "edited_rows": {region_row: {"Role": "— not used"}},
        "added_rows": [],
        "deleted_rows": [],
    }
    at.run()
    at.button(key=f"stored_{customers.id}_v{customers.version}_save").click().run()
    assert not at.exception
    updated = store.get_dataset(customers.id)
    assert updated.version == customers.version + 1
    assert "region" not in updated.mapping.segments
    assert "region" not in store.load_canonical(customers.id).columns


def test_blank_numbers_are_reported_at_upload(data_dir: Path):
    at = open_app(DATA)
    data = (FIXTURES / "telco_customers.csv").read_bytes()
    at.file_uploader(key="upload").set_value(("telco_customers.csv", data, "text/csv")).run()
    assert not at.exception
    problems = next(
        d.value for d in at.dataframe if {"Severity", "Problem", "Examples"} <= set(d.value.columns)
    )
    [blank] = problems[problems["Problem"].str.contains("TotalCharges")].itertuples()
    # awk -F, 'NR>1 && $12==" " {print NR-1, $1}' telco_customers.csv -> rows 7, 20, 34
    assert blank.Rows == 3
    assert (
        blank.Examples
        == "row 7 (customer 9134-CFOMR), row 20 (customer 8332-ENDMO), row 34 (customer 8640-YDRGJ)"
    )


def test_churn_outcomes_are_shown_as_such(data_dir: Path):
    at = open_app(DATA)
    data = (FIXTURES / "telco_status.csv").read_bytes()
    at.file_uploader(key="upload").set_value(("telco_status.csv", data, "text/csv")).run()
    assert not at.exception
    kind = next(s for s in at.selectbox if s.key.endswith("_kind") and s.key.startswith("new_"))
    editor = next(d for d in at.dataframe if d.key == kind.key.replace("_kind", "_roles_customers"))
    roles = dict(zip(editor.value["Column"], editor.value["Role"], strict=True))
    assert roles["Satisfaction Score"] == "CSAT (1–5)"
    assert roles["Churn Reason"] == roles["Customer Status"] == "Churn outcome (not a segment)"


def test_the_demo_currency_is_shown_and_can_be_changed(data_dir: Path):
    at = open_app(DATA)
    currency = next(t for t in at.text_input if t.label.startswith("Currency"))
    assert currency.value == "EUR"
    currency.set_value("chf")
    next(b for b in at.button if b.label == "Save currency").click().run()
    assert not at.exception
    store = Store(data_dir)
    assert store.find_workspace("Demo company").currency == "CHF"
    assert any("shown in CHF" in c.value for c in at.caption)


def test_a_wrong_currency_is_refused_with_a_message(data_dir: Path):
    at = open_app(DATA)
    next(t for t in at.text_input if t.label.startswith("Currency")).set_value("1€")
    next(b for b in at.button if b.label == "Save currency").click().run()
    assert not at.exception
    assert any("is not a currency" in e.value for e in at.error)
    assert Store(data_dir).find_workspace("Demo company").currency == "EUR"

"""The Data page's "Import from the server": the folder's files, a streamed import, its checks.

Golden values: the rows of the generated files (written below), the same file imported whole by
:func:`bsc.workspace.import_file` (the upload's path) for the detected mapping and canonical
table, and the store's usual read-only message.
"""

from __future__ import annotations

from pathlib import Path

import pytest

from bsc.store import Store
from bsc.workspace import import_file
from tests.app.conftest import open_app, shown
from ui.tables import IGNORE_LABEL

DATA = "pages/data.py"
HEADER = "Import from the server"


def _orders(path: Path, rows: int) -> Path:
    lines = [
        f"O{i:05d},C{i % 97:03d},2024-{1 + i % 12:02d}-{1 + i % 28:02d},{10 + i % 40}.25" for i in range(rows)
    ]
    if rows > 1_900:
        # Two amounts that are not numbers, far apart (so in different batches): a problem to show.
        lines[50] = "O00050,C050,2024-03-23,twelve"
        lines[1_900] = "O01900,C057,2024-05-25,n/a?"
    path.write_text("order_id,customer_id,order_date,amount\n" + "\n".join(lines) + "\n")
    return path


@pytest.fixture
def import_dir(tmp_path: Path, monkeypatch: pytest.MonkeyPatch) -> Path:
    folder = tmp_path / "imports"
    folder.mkdir()
    _orders(folder / "big_orders.csv", 2_000)  # about 60 kB: above the lowered threshold
    _orders(folder / "small_orders.csv", 10)
    (folder / "picture.csv").write_bytes(b"\x89PNG\r\n\x1a\n" + b"\x00" * 64)
    secret = tmp_path / "secret.csv"
    secret.write_text("password\nhunter2\n")
    (folder / "escape.csv").symlink_to(secret)
    monkeypatch.setenv("BSC_IMPORT_DIR", str(folder))
    # Stream files above 20 kB, in batches of 8 kB, so the test stays fast.
    monkeypatch.setattr("bsc.large_files.STREAM_FROM_BYTES", 20_000)
    monkeypatch.setattr("bsc.ingest.batches.SAMPLE_BYTES", 10_000)
    monkeypatch.setattr("bsc.ingest.batches.BATCH_BYTES", 8_000)
    return folder


def _headers(at) -> list[str]:
    return [header.value for header in at.header]


def _listing(at):
    return next(d.value for d in at.dataframe if {"File", "Size", "Read"} <= set(d.value.columns))


def test_no_section_without_the_setting(data_dir: Path, monkeypatch: pytest.MonkeyPatch):
    monkeypatch.delenv("BSC_IMPORT_DIR", raising=False)
    at = open_app(DATA)
    assert not at.exception
    assert HEADER not in _headers(at)


def test_no_section_when_the_folder_does_not_exist(
    data_dir: Path, tmp_path: Path, monkeypatch: pytest.MonkeyPatch
):
    monkeypatch.setenv("BSC_IMPORT_DIR", str(tmp_path / "nowhere"))
    at = open_app(DATA)
    assert not at.exception
    assert HEADER not in _headers(at)


def test_the_folder_files_are_listed_with_their_size(data_dir: Path, import_dir: Path):
    at = open_app(DATA)
    assert not at.exception
    assert HEADER in _headers(at)
    listing = _listing(at)
    # The link leading out of the folder is not listed.
    assert list(listing["File"]) == ["big_orders.csv", "picture.csv", "small_orders.csv"]
    sizes = dict(zip(listing["File"], listing["Size"], strict=True))
    # The sizes on disk, in kB of 1,024 bytes: 72 bytes of the picture, the orders by stat.
    assert sizes["picture.csv"] == "0.1 kB"
    assert sizes["big_orders.csv"] == f"{(import_dir / 'big_orders.csv').stat().st_size / 1024:,.1f} kB"
    reads = dict(zip(listing["File"], listing["Read"], strict=True))
    assert reads == {"big_orders.csv": "in batches", "picture.csv": "whole", "small_orders.csv": "whole"}


def test_a_large_file_is_streamed_into_the_workspace(
    data_dir: Path, import_dir: Path, tmp_path: Path, monkeypatch: pytest.MonkeyPatch
):
    at = open_app(DATA)
    at.selectbox(key="server_file").set_value("big_orders.csv").run()
    at.button(key="server_import").click().run()
    assert not at.exception
    assert [shown(s.label) for s in at.status] == ["Imported big_orders.csv: 1 table, 2,000 rows."]

    store = Store(data_dir)
    [workspace] = store.list_workspaces()
    [dataset] = [d for d in store.list_datasets(workspace.id) if d.name == "big_orders.csv"]
    assert dataset.streamed and dataset.rows == 2_000
    # The same file read whole (the upload's path) gives the same mapping and table.
    monkeypatch.setattr("bsc.large_files.STREAM_FROM_BYTES", 64 * 2**20)
    golden_store = Store(tmp_path / "golden")
    golden_workspace = golden_store.create_workspace("Golden")
    [golden], _ = import_file(golden_store, golden_workspace.id, import_dir / "big_orders.csv")
    assert not golden.streamed
    # The roles are detected on the first 10 kB (their confidence on those rows alone).
    assert (dataset.kind, dataset.mapping.roles, dataset.mapping.attributes) == (
        golden.kind,
        golden.mapping.roles,
        golden.mapping.attributes,
    )
    assert store.load_canonical(dataset.id).equals(golden_store.load_canonical(golden.id))

    # Shown as an upload is: the table, its detected roles and its problems.
    assert "big_orders.csv · 2,000 rows" in [shown(s.value) for s in at.subheader]
    editor = next(d for d in at.dataframe if d.key and d.key.startswith(f"server_{dataset.id}"))
    roles = dict(zip(editor.value["Role"], editor.value["Column"], strict=False))
    assert (roles["Customer ID"], roles["Order date"], roles["Amount"]) == (
        "customer_id",
        "order_date",
        "amount",
    )
    problems = next(d.value for d in at.dataframe if "Problem" in d.value.columns)
    [amount] = [p for p in problems["Problem"] if "not a number" in p]
    assert amount.startswith("Amount: 2 rows are not a number")
    # The imported table is the one shown under Tables in this workspace.
    assert at.selectbox(key="inspect_dataset").value == dataset.id


def test_a_bad_file_gets_a_message_and_nothing_is_kept(data_dir: Path, import_dir: Path):
    at = open_app(DATA)
    store = Store(data_dir)
    [workspace] = store.list_workspaces()
    before = len(store.list_datasets(workspace.id))
    at.selectbox(key="server_file").set_value("picture.csv").run()
    at.button(key="server_import").click().run()
    assert not at.exception
    assert [shown(s.label) for s in at.status] == ["picture.csv could not be imported."]
    assert any("PNG" in e.value for e in at.error)
    assert len(store.list_datasets(workspace.id)) == before


def test_a_read_only_workspace_cannot_import(data_dir: Path, import_dir: Path):
    store = Store(data_dir)
    [workspace] = store.list_workspaces()
    store.set_read_only(workspace.id, True)
    at = open_app(DATA)
    assert not at.exception
    assert at.button(key="server_import").disabled
    assert any("read-only: no file can be imported" in i.value for i in at.info)


def test_a_streamed_table_is_remapped_from_the_data_page(data_dir: Path, import_dir: Path):
    """A new mapping saved under Tables in this workspace is applied to every row, in batches."""
    at = open_app(DATA)
    at.selectbox(key="server_file").set_value("big_orders.csv").run()
    at.button(key="server_import").click().run()
    store = Store(data_dir)
    [workspace] = store.list_workspaces()
    [dataset] = [d for d in store.list_datasets(workspace.id) if d.name == "big_orders.csv"]
    key = f"stored_{dataset.id}_v1"
    # The stored table's editor shows the columns from the first rows read.
    editor = next(d for d in at.dataframe if d.key == f"{key}_roles_transactions")
    assert list(editor.value["Column"]) == ["order_id", "customer_id", "order_date", "amount"]
    at.session_state[f"{key}_roles_transactions"] = {
        "edited_rows": {0: {"Role": IGNORE_LABEL}},
        "added_rows": [],
        "deleted_rows": [],
    }
    at.run()
    at.button(key=f"{key}_save").click().run()
    assert not at.exception
    remapped = store.get_dataset(dataset.id)
    assert remapped.version == 2 and "order_id" not in remapped.mapping.roles
    canonical = store.load_canonical(dataset.id)
    assert len(canonical) == 2_000 and "order_id" not in canonical.columns

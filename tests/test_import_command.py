"""``python -m bsc import PATH... --workspace NAME``: files of any size into a kept workspace.

Golden values: the rows of the hand-written files below (counted by hand), the demo company's
orders imported whole by :func:`bsc.workspace.import_file` (the upload's path), and the messages
:mod:`bsc.ingest` gives for the same bad files.
"""

from __future__ import annotations

import json
import subprocess
import sys
from pathlib import Path

import pytest

from bsc.cli import main
from bsc.store import Store
from bsc.workspace import import_file
from tests.conftest import FIXTURES

ROOT = Path(__file__).resolve().parents[1]
PNG = b"\x89PNG\r\n\x1a\n" + b"\x00" * 64


def _orders(path: Path, rows: int) -> Path:
    lines = [
        f"O{i:05d},C{i % 97:03d},2024-{1 + i % 12:02d}-{1 + i % 28:02d},{10 + i % 40}.25" for i in range(rows)
    ]
    path.write_text("order_id,customer_id,order_date,amount\n" + "\n".join(lines) + "\n")
    return path


def _run(capsys: pytest.CaptureFixture, *args: str) -> tuple[int, dict, str]:
    code = main(["import", *args, "--json"])
    captured = capsys.readouterr()
    return code, json.loads(captured.out), captured.err


class TestImport:
    def test_good_files_are_kept_and_bad_ones_refused_with_status_2(
        self, tmp_path: Path, capsys: pytest.CaptureFixture, monkeypatch: pytest.MonkeyPatch
    ):
        # A file above the streaming threshold (lowered to keep the test fast), read in batches.
        monkeypatch.setattr("bsc.large_files.STREAM_FROM_BYTES", 20_000)
        monkeypatch.setattr("bsc.ingest.batches.SAMPLE_BYTES", 10_000)
        monkeypatch.setattr("bsc.ingest.batches.BATCH_BYTES", 8_000)
        big = _orders(tmp_path / "big_orders.csv", 2_000)  # about 60 kB
        small = _orders(tmp_path / "small_orders.csv", 5)
        picture = tmp_path / "picture.csv"
        picture.write_bytes(PNG)
        wide = tmp_path / "wide.csv"
        wide.write_text(",".join(f"c{i}" for i in range(1_001)) + "\n" + ",".join("1" * 1_001) + "\n")
        missing = tmp_path / "missing.csv"
        data = tmp_path / "data"

        code, report, err = _run(
            capsys,
            str(big),
            str(missing),
            str(picture),
            str(small),
            str(wide),
            "--workspace",
            "Big  files",
            "--data-dir",
            str(data),
        )
        assert code == 2
        assert report["workspace"] == "Big files"
        kept = {(t["file"], t["kind"], t["rows"], t["streamed"]) for t in report["tables"]}
        assert kept == {
            ("big_orders.csv", "transactions", 2_000, True),
            ("small_orders.csv", "transactions", 5, False),
        }
        assert all(t["problems"] == [] for t in report["tables"])
        [not_found, not_a_csv, too_wide] = report["refused"]
        assert not_found == f"File not found: {missing}"
        assert not_a_csv.startswith("picture.csv") and "PNG" in not_a_csv
        assert too_wide.startswith("wide.csv has 1,001 columns; at most 1,000 can be read.")
        assert "Traceback" not in err and err.count("error: ") == 3
        assert set(report["meaning"]) >= {"rows", "problems", "refused"}

        store = Store(data)
        workspace = store.find_workspace("Big files")
        assert sorted((d.name, d.rows) for d in store.list_datasets(workspace.id)) == [
            ("big_orders.csv", 2_000),
            ("small_orders.csv", 5),
        ]

    def test_the_streamed_table_equals_the_same_file_read_whole(
        self, tmp_path: Path, capsys: pytest.CaptureFixture, monkeypatch: pytest.MonkeyPatch
    ):
        data = tmp_path / "data"
        orders = _orders(tmp_path / "orders.csv", 2_000)
        store = Store(data)
        whole = store.create_workspace("Whole")
        [golden], _ = import_file(store, whole.id, orders)
        monkeypatch.setattr("bsc.large_files.STREAM_FROM_BYTES", 20_000)
        monkeypatch.setattr("bsc.ingest.batches.BATCH_BYTES", 8_000)
        code, report, _ = _run(capsys, str(orders), "--workspace", "Streamed", "--data-dir", str(data))
        assert code == 0 and report["refused"] == []
        [dataset] = store.list_datasets(store.find_workspace("Streamed").id)
        assert dataset.streamed and not golden.streamed
        assert (dataset.kind, dataset.rows, dataset.mapping) == (golden.kind, golden.rows, golden.mapping)
        assert store.load_canonical(dataset.id).equals(store.load_canonical(golden.id))

    def test_an_existing_workspace_receives_the_tables(self, tmp_path: Path, capsys: pytest.CaptureFixture):
        data = tmp_path / "data"
        store = Store(data)
        workspace = store.create_workspace("Telco")
        code, report, _ = _run(
            capsys, str(FIXTURES / "telco_customers.csv"), "--workspace", "Telco", "--data-dir", str(data)
        )
        assert code == 0
        # 40 customers in the fixture (tests/fixtures/README.md).
        assert report["tables"][0]["kind"] == "customers" and report["tables"][0]["rows"] == 40
        assert [w.id for w in store.list_workspaces()] == [workspace.id]

    def test_a_read_only_workspace_is_refused_before_any_file_is_read(
        self, tmp_path: Path, capsys: pytest.CaptureFixture
    ):
        data = tmp_path / "data"
        store = Store(data)
        workspace = store.create_workspace("Locked")
        store.set_read_only(workspace.id, True)
        code = main(
            [
                "import",
                str(FIXTURES / "telco_customers.csv"),
                "--workspace",
                "Locked",
                "--data-dir",
                str(data),
            ]
        )
        assert code == 2
        assert "read-only" in capsys.readouterr().err
        assert store.list_datasets(workspace.id) == []


def test_a_user_sees_one_line_and_status_2_for_a_missing_file(tmp_path: Path):
    """As a user runs it: a fresh process, text output, no traceback."""
    result = subprocess.run(
        [sys.executable, "-m", "bsc", "import", str(tmp_path / "nope.csv"), str(FIXTURES / "cdnow_sample.txt"),
         "--workspace", "CDNOW", "--data-dir", str(tmp_path / "data")],
        cwd=ROOT, capture_output=True, text=True, timeout=120,
    )  # fmt: skip
    assert result.returncode == 2
    assert result.stderr.strip() == f"error: File not found: {tmp_path / 'nope.csv'}"
    # 2,006 lines in the CDNOW excerpt (wc -l), no header.
    assert "cdnow_sample.txt: transactions, 2,006 rows" in result.stdout

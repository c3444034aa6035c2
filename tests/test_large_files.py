"""A file streamed in batches gives the canonical table and the problems of the whole-table path.

The golden values are the whole-table path's own: the same file read by
:func:`bsc.ingest.read_path`, detected by :func:`bsc.detect.detect_mapping` and prepared by
:func:`bsc.prepare.prepare_table`, its canonical table written to Parquet and read back. Tiny
samples and batches (a few hundred bytes) make every fixture span many batches.
"""

from __future__ import annotations

from pathlib import Path

import numpy as np
import pandas as pd
import pyarrow.parquet as pq
import pytest

from bsc import large_files
from bsc.detect import detect_mapping
from bsc.errors import InputError
from bsc.ingest import read_path
from bsc.large_files import is_streamed, stream_to_parquet
from bsc.prepare import prepare_table
from bsc.table_files import write_parquet
from bsc.workspace import files_workspace

SAMPLE_BYTES = 4_000
BATCH_BYTES = 700


def whole_table_path(path: Path, out: Path) -> tuple[pd.DataFrame, list]:
    """The canonical values (written to Parquet and read back) and problems of the upload path."""
    (table,) = read_path(path)
    mapping = detect_mapping(table.frame, table.name)
    prepared = prepare_table(table.frame, mapping)
    write_parquet(prepared.canonical, out)
    return pd.read_parquet(out), [*table.problems, *prepared.problems]


def streamed_path(path: Path, out: Path) -> tuple[pd.DataFrame, list]:
    streamed = stream_to_parquet(path, out, sample_bytes=SAMPLE_BYTES, batch_bytes=BATCH_BYTES)
    return pd.read_parquet(out), streamed.problems


def orders_csv(path: Path, rows: int = 600, seed: int = 3) -> Path:
    """Orders with every kind of bad cell scattered over the file (so over many batches)."""
    rng = np.random.default_rng(seed)
    dates = pd.Timestamp("2024-01-01") + pd.to_timedelta(rng.integers(0, 365, rows), unit="D")
    frame = pd.DataFrame(
        {
            "order_id": [f"O{i:05d}" for i in range(rows)],
            "customer_id": [f"C{value:04d}" for value in rng.integers(0, 150, rows)],
            "order_date": dates.strftime("%Y-%m-%d"),
            "amount": [f"{value:.2f}" for value in rng.gamma(2.0, 20.0, rows)],
            "store": rng.choice(["north", "south", "online"], rows),
        }
    )
    frame.loc[[40, 333, 512], "amount"] = ["n/a?", "twelve", "1.2.3"]  # not numbers
    frame.loc[[7, 250, 401, 590], "amount"] = ["-12.50", "-3.00", "-40.00", "-1.00"]  # returns
    frame.loc[[90, 455], "order_date"] = ["not a date", "31/31/2024"]  # unreadable
    frame.loc[[120], "order_date"] = ["9999-12-31"]  # a placeholder
    frame.loc[[15, 300, 598], "customer_id"] = ""  # missing ids
    frame.to_csv(path, index=False)
    return path


def customers_csv(path: Path, rows: int = 500, seed: int = 5) -> Path:
    """Customers in Windows-1252, some ids repeated far apart, blank numeric attributes."""
    rng = np.random.default_rng(seed)
    ids = [f"K{i:04d}" for i in range(rows)]
    for later, earlier in [(60, 2), (260, 2), (300, 10), (480, 10), (490, 200), (120, 119)]:
        ids[later] = ids[earlier]
    frame = pd.DataFrame(
        {
            "customer_id": ids,
            "signup_date": (
                pd.Timestamp("2022-01-01") + pd.to_timedelta(rng.integers(0, 700, rows), unit="D")
            ).strftime("%Y-%m-%d"),
            "city": rng.choice(["Zürich", "Genève", "Montréal", "Köln"], rows),
            "plan": rng.choice(["Basic", "Plus"], rows),
            "monthly_fee": [f"{value:.1f}" for value in rng.uniform(10, 90, rows)],
            "churned": rng.choice(["Yes", "No"], rows),
        }
    )
    frame.loc[[33, 270, 444], "monthly_fee"] = ""
    frame.to_csv(path, index=False, encoding="cp1252")
    return path


@pytest.mark.parametrize("make", [orders_csv, customers_csv], ids=["orders", "customers-cp1252"])
def test_streamed_file_gives_the_whole_table_values_and_problems(tmp_path: Path, make):
    path = make(tmp_path / "table.csv")
    assert path.stat().st_size > 4 * SAMPLE_BYTES  # detection sees a sample, not the file
    whole, whole_problems = whole_table_path(path, tmp_path / "whole.parquet")
    streamed, streamed_problems = streamed_path(path, tmp_path / "streamed.parquet")

    pd.testing.assert_frame_equal(streamed, whole)
    assert streamed.attrs == whole.attrs
    assert streamed_problems == whole_problems
    assert any(problem.rows > 1 for problem in whole_problems)


def test_counts_are_summed_and_examples_numbered_from_the_start_of_the_file(tmp_path: Path):
    path = orders_csv(tmp_path / "orders.csv")
    _, problems = streamed_path(path, tmp_path / "streamed.parquet")
    by_message = {problem.message: problem for problem in problems}
    # Rows 41, 334 and 513 of the fixture (0-based 40, 333, 512) hold the three non-numbers.
    unreadable = by_message["Amount: 3 rows are not a number; left empty."]
    assert unreadable.examples == ("row 41: n/a?", "row 334: twelve", "row 513: 1.2.3")
    assert by_message["Amount: 4 rows are negative (returns or refunds); kept."].rows == 4


def test_repeated_customers_are_dropped_over_the_whole_file(tmp_path: Path):
    path = customers_csv(tmp_path / "customers.csv")
    streamed, problems = streamed_path(path, tmp_path / "streamed.parquet")
    # Six repeated rows (K0002 three times, K0010 three times, K0200 and K0119 twice each).
    assert len(streamed) == 500 - 6
    assert streamed["customer_id"].is_unique
    (repeated,) = [problem for problem in problems if "appear on more than one row" in problem.message]
    assert repeated.rows == 6
    assert repeated.examples[:2] == ("K0002 (3 rows)", "K0010 (3 rows)")


def test_headerless_semicolon_file_streams_like_the_upload(tmp_path: Path):
    rng = np.random.default_rng(9)
    lines = [
        f"{1000 + int(customer)};2024-{1 + i % 12:02d}-{1 + i % 28:02d};{amount:.2f}"
        for i, (customer, amount) in enumerate(
            zip(rng.integers(0, 80, 400), rng.gamma(2.0, 15.0, 400), strict=True)
        )
    ]
    path = tmp_path / "log.txt"
    path.write_text("\n".join(lines) + "\n")
    whole, whole_problems = whole_table_path(path, tmp_path / "whole.parquet")
    streamed, streamed_problems = streamed_path(path, tmp_path / "streamed.parquet")
    pd.testing.assert_frame_equal(streamed, whole)
    assert streamed_problems == whole_problems
    assert "no header line" in streamed_problems[0].message


def test_a_table_of_no_known_kind_is_refused_before_it_is_read(tmp_path: Path):
    path = tmp_path / "words.csv"
    path.write_text("colour,shape\n" + "red,round\nblue,square\n" * 300)
    with pytest.raises(InputError, match="kind of this table is not known"):
        stream_to_parquet(path, tmp_path / "out.parquet", sample_bytes=SAMPLE_BYTES, batch_bytes=BATCH_BYTES)
    assert not (tmp_path / "out.parquet").exists()


def test_irregular_large_file_is_refused_with_advice(tmp_path: Path):
    path = tmp_path / "ragged.csv"
    path.write_text("a,b,c\n" + "1,2,3\n" * 50 + "1,2,3,4\n" + "1,2,3\n" * 50)
    with pytest.raises(InputError, match="same columns on every line"):
        stream_to_parquet(path, tmp_path / "out.parquet", sample_bytes=SAMPLE_BYTES, batch_bytes=BATCH_BYTES)


def test_a_later_line_with_too_many_fields_is_refused(tmp_path: Path):
    path = tmp_path / "late.csv"
    rows = "".join(f"C{i % 97},{i % 13}.5,2024-01-{1 + i % 28:02d}\n" for i in range(400))
    path.write_text("customer_id,amount,date\n" + rows + "C1,2,2024-01-02,x\n")
    with pytest.raises(InputError, match="could not be read past its first rows"):
        stream_to_parquet(path, tmp_path / "out.parquet", sample_bytes=1_000, batch_bytes=BATCH_BYTES)


def test_command_line_workspace_streams_files_above_the_threshold(
    tmp_path: Path, monkeypatch: pytest.MonkeyPatch
):
    orders = orders_csv(tmp_path / "orders.csv")
    customers = customers_csv(tmp_path / "customers.csv")
    with files_workspace([customers, orders]) as (tables, refused):
        read_whole = {kind: pd.read_parquet(paths[0]) for kind, paths in tables.items()}
    monkeypatch.setattr(large_files, "STREAM_FROM_BYTES", 10_000)
    monkeypatch.setattr("bsc.ingest.batches.SAMPLE_BYTES", SAMPLE_BYTES)
    monkeypatch.setattr("bsc.ingest.batches.BATCH_BYTES", BATCH_BYTES)
    assert is_streamed(orders) and is_streamed(customers)
    with files_workspace([customers, orders]) as (tables, refused):
        assert refused == []
        assert list(tables) == list(read_whole)
        for kind, paths in tables.items():
            pd.testing.assert_frame_equal(pd.read_parquet(paths[0]), read_whole[kind])


class TestBatchSetting:
    """BSC_STREAM_BATCH_MB sets the bytes parsed at a time, the bound on a streamed file's memory."""

    def test_unset_is_the_default(self):
        from bsc.ingest.batches import BATCH_BYTES, stream_batch_bytes

        assert stream_batch_bytes({}) == BATCH_BYTES == 32 * 1024 * 1024

    def test_megabytes(self):
        from bsc.ingest.batches import stream_batch_bytes

        assert stream_batch_bytes({"BSC_STREAM_BATCH_MB": " 8 "}) == 8 * 1024 * 1024

    @pytest.mark.parametrize("text", ["0", "-4", "8.5", "lots"], ids=["zero", "negative", "fraction", "word"])
    def test_a_bad_value_is_refused_with_its_name(self, text: str):
        from bsc.ingest.batches import stream_batch_bytes

        with pytest.raises(InputError, match="BSC_STREAM_BATCH_MB must be a whole number"):
            stream_batch_bytes({"BSC_STREAM_BATCH_MB": text})

    def test_the_setting_sizes_the_batches(self, tmp_path: Path, monkeypatch: pytest.MonkeyPatch):
        path = orders_csv(tmp_path / "orders.csv")
        monkeypatch.setattr("bsc.ingest.batches.MB", 1_000)  # a "megabyte" of 1 kB keeps the file small
        monkeypatch.setenv("BSC_STREAM_BATCH_MB", "2")
        raw = tmp_path / "raw.parquet"
        stream_to_parquet(path, tmp_path / "out.parquet", raw_out=raw, sample_bytes=SAMPLE_BYTES)
        # About 40 bytes a line: 2,000-byte batches of about 50 rows over 600 rows.
        groups = pq.ParquetFile(raw).num_row_groups
        assert 600 // 60 <= groups <= 600 // 40 + 1


def test_restream_gives_the_streamed_table_again(tmp_path: Path):
    """Re-mapping with the same mapping writes the same canonical table and problems."""
    from bsc.large_files import restream_parquet

    path = orders_csv(tmp_path / "orders.csv")
    raw, first, again = tmp_path / "raw.parquet", tmp_path / "first.parquet", tmp_path / "again.parquet"
    streamed = stream_to_parquet(path, first, raw_out=raw, sample_bytes=SAMPLE_BYTES, batch_bytes=BATCH_BYTES)
    done: list[int] = []
    rows, problems = restream_parquet(raw, again, streamed.mapping, progress=done.append)
    assert rows == streamed.rows == 600 and done[-1] == 600
    pd.testing.assert_frame_equal(pd.read_parquet(again), pd.read_parquet(first))
    # The reading notes of the sample are not the mapping's: only the preparation's problems.
    assert problems == streamed.problems[len(streamed.table.problems) :]


def test_command_line_workspace_streams_a_file_with_more_cells_than_a_whole_read_takes(
    tmp_path: Path, monkeypatch: pytest.MonkeyPatch
):
    # 500 customers of 6 columns: 501 lines x 6 fields = 3,006 cells, over a limit of 3,000,
    # though the file (about 25 kB) is far below the streaming size.
    customers = customers_csv(tmp_path / "customers.csv")
    with files_workspace([customers]) as (tables, _):
        read_whole = pd.read_parquet(tables["customers"][0])
    monkeypatch.setattr("bsc.ingest.batches.SAMPLE_BYTES", SAMPLE_BYTES)
    monkeypatch.setattr("bsc.ingest.batches.BATCH_BYTES", BATCH_BYTES)
    monkeypatch.setattr("bsc.ingest.checks.MAX_CELLS", 3_006)
    assert not is_streamed(customers)
    monkeypatch.setattr("bsc.ingest.checks.MAX_CELLS", 3_000)
    assert is_streamed(customers)
    with pytest.raises(InputError, match="cells that can be read at once"):
        read_path(customers)
    with files_workspace([customers]) as (tables, refused):
        assert refused == []
        pd.testing.assert_frame_equal(pd.read_parquet(tables["customers"][0]), read_whole)

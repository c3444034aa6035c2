"""A table's files: the Parquet writes, the content hash and the canonical files by kind."""

from __future__ import annotations

from pathlib import Path

import numpy as np
import pandas as pd
import pyarrow as pa
import pyarrow.parquet as pq
import pytest

import bsc.table_files
from bsc.table_files import (
    arrow_table,
    frame_hash,
    parquet_writer,
    table_hash,
    tables_by_kind,
    write_parquet,
    write_parquet_atomic,
)

CANONICAL = pd.DataFrame(
    {
        "customer_id": pd.array(["001", "002", None, "004"], dtype="string"),
        "date": pd.to_datetime(["2024-01-01", "2024-01-02", None, "2024-02-29"]),
        "amount": [1.5, 2.0, np.nan, -3.25],
        "loyal": pd.array([True, None, False, True], dtype="boolean"),
        "plan": pd.Categorical(["basic", "pro", "basic", None]),
    }
)
CANONICAL.attrs["bsc_columns"] = {"headers": {"plan": "Plan"}}


class TestWrites:
    def test_files_are_those_pandas_writes(self, tmp_path: Path):
        # The store's files stay byte for byte what DataFrame.to_parquet(index=False) wrote before.
        CANONICAL.to_parquet(tmp_path / "pandas.parquet", index=False)
        write_parquet_atomic(CANONICAL, tmp_path / "atomic.parquet")
        expected = (tmp_path / "pandas.parquet").read_bytes()
        assert (tmp_path / "atomic.parquet").read_bytes() == expected

    def test_throw_away_files_hold_the_same_table_uncompressed(self, tmp_path: Path):
        # The command line's files: what pandas writes, read back the same (attrs included),
        # but neither compressed nor dictionary-encoded, in one write or in parts.
        write_parquet(arrow_table(CANONICAL), tmp_path / "plain.parquet")
        table = arrow_table(CANONICAL)
        with parquet_writer(tmp_path / "parts.parquet", table.schema, compressed=False) as writer:
            writer.write_table(table.slice(0, 2))
            writer.write_table(table.slice(2))
        for name in ("plain.parquet", "parts.parquet"):
            back = pd.read_parquet(tmp_path / name)
            pd.testing.assert_frame_equal(back, CANONICAL)
            assert back.attrs == CANONICAL.attrs
            metadata = pq.ParquetFile(tmp_path / name).metadata
            chunks = [
                metadata.row_group(g).column(c)
                for g in range(metadata.num_row_groups)
                for c in range(metadata.num_columns)
            ]
            assert {chunk.compression for chunk in chunks} == {"UNCOMPRESSED"}
            assert not any(chunk.has_dictionary_page for chunk in chunks)
        # The store's files written in parts stay compressed as pandas compresses them.
        with parquet_writer(tmp_path / "kept.parquet", table.schema) as writer:
            writer.write_table(table)
        assert (
            pq.ParquetFile(tmp_path / "kept.parquet").metadata.row_group(0).column(0).compression == "SNAPPY"
        )

    def test_a_frame_reads_back_whole_with_its_attrs(self, tmp_path: Path):
        write_parquet_atomic(CANONICAL, tmp_path / "t.parquet")
        back = pd.read_parquet(tmp_path / "t.parquet")
        pd.testing.assert_frame_equal(back, CANONICAL)
        assert back.attrs == CANONICAL.attrs

    def test_a_failed_write_keeps_the_previous_file(self, tmp_path: Path, monkeypatch: pytest.MonkeyPatch):
        path = tmp_path / "t.parquet"
        write_parquet_atomic(CANONICAL, path)

        def crash(*args, **kwargs):
            raise OSError("disk full")

        monkeypatch.setattr(bsc.table_files.pq, "write_table", crash)
        with pytest.raises(OSError):
            write_parquet_atomic(CANONICAL.head(1), path)
        monkeypatch.undo()
        pd.testing.assert_frame_equal(pd.read_parquet(path), CANONICAL, check_dtype=False)
        assert [p.name for p in tmp_path.iterdir()] == ["t.parquet"]


class TestContentHash:
    def test_every_row_counts(self):
        # pandas' own hashing in st.cache_data samples big frames; ours must not.
        big = pd.DataFrame({"x": range(60_000), "name": [f"c{i}" for i in range(60_000)]})
        changed = big.copy()
        changed.loc[59_999, "x"] = -1
        renamed = big.copy()
        renamed.loc[59_999, "name"] = "c"
        assert len({frame_hash(big), frame_hash(changed), frame_hash(renamed)}) == 3
        assert frame_hash(big) == frame_hash(big.copy())

    def test_the_same_after_a_parquet_round_trip(self, tmp_path: Path):
        # The store hashes the frame it writes; a reader hashing the file's frame gets the same.
        write_parquet_atomic(CANONICAL, tmp_path / "t.parquet")
        assert frame_hash(pd.read_parquet(tmp_path / "t.parquet")) == frame_hash(CANONICAL)

    def test_arrow_layout_does_not_count(self):
        table = arrow_table(CANONICAL)
        chunked = pa.Table.from_batches(table.to_batches(max_chunksize=1))
        wide = table.set_column(0, "customer_id", table["customer_id"].cast(pa.large_string()))
        encoded = table.set_column(0, "customer_id", table["customer_id"].dictionary_encode())
        sliced = pa.concat_tables([table, table]).slice(len(table))
        assert {table_hash(t) for t in (chunked, wide, encoded, sliced)} == {table_hash(table)}

    def test_what_a_null_slot_holds_does_not_count(self):
        # Two Arrow arrays [7, null, 9] whose null slot holds 0 in one and 42 in the other.
        validity = pa.py_buffer(np.packbits([1, 0, 1], bitorder="little").tobytes())
        arrays = [
            pa.Array.from_buffers(pa.int64(), 3, [validity, pa.py_buffer(np.array([7, slot, 9]).tobytes())])
            for slot in (0, 42)
        ]
        tables = [pa.table({"x": array}) for array in arrays]
        assert table_hash(tables[0]) == table_hash(tables[1])
        assert table_hash(tables[0]) != table_hash(pa.table({"x": [7, 0, 9]}))

    @pytest.mark.parametrize(
        ("one", "other"),
        [
            (pd.DataFrame({"x": [1, 2]}), pd.DataFrame({"x": [1.0, 2.0]})),
            (pd.DataFrame({"x": ["a", None]}), pd.DataFrame({"x": ["a", ""]})),
            (pd.DataFrame({"x": ["ab", "c"]}), pd.DataFrame({"x": ["a", "bc"]})),
            (pd.DataFrame({"x": [1], "y": [2]}), pd.DataFrame({"y": [1], "x": [2]})),
        ],
        ids=["int-or-float", "null-or-empty", "where-strings-split", "column-names"],
    )
    def test_different_contents_differ(self, one: pd.DataFrame, other: pd.DataFrame):
        assert frame_hash(one) != frame_hash(other)


class TestTablesByKind:
    def test_a_customers_table_with_scores_is_the_survey_when_there_is_none(self):
        customers, orders = Path("c.parquet"), Path("o.parquet")
        tables = tables_by_kind(
            [
                ("customers", {"customer_id": "ID", "csat": "Satisfaction"}, customers),
                ("transactions", {"customer_id": "ID"}, orders),
            ]
        )
        assert tables == {"customers": [customers], "transactions": [orders], "feedback": [customers]}

    def test_a_real_survey_takes_precedence(self):
        customers, survey = Path("c.parquet"), Path("s.parquet")
        tables = tables_by_kind(
            [("customers", {"nps": "NPS"}, customers), ("feedback", {"nps": "Score"}, survey)]
        )
        assert tables == {"customers": [customers], "feedback": [survey]}


def test_file_hash_reads_in_chunks_and_equals_sha256(tmp_path: Path):
    """Golden: hashlib's SHA-256 of the whole file at once."""
    import hashlib

    from bsc.table_files import file_hash

    path = tmp_path / "bytes.bin"
    path.write_bytes(bytes(range(256)) * 1_000)
    assert file_hash(path, chunk_bytes=1_000) == hashlib.sha256(path.read_bytes()).hexdigest()

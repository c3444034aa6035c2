"""Reading Parquet files through Arrow: one raw table, columns keeping their own types.

The file's size once unpacked is checked on its metadata before any column is read, and again
once text stored in a dictionary is known to decode to (see :func:`_decoded_bytes`). Columns
holding lists or records are left out and reported.
"""

from __future__ import annotations

import pyarrow as pa
import pyarrow.compute as pc
import pyarrow.parquet as pq

from bsc.errors import InputError
from bsc.ingest.checks import _check_expanded, _check_shape
from bsc.ingest.tables import RawTable, _count, _settle_column_type, _tidy_columns
from bsc.mapping import Problem


def _read_parquet(name: str, data: bytes) -> RawTable:
    damaged = f"{name} is not a readable Parquet file: it is damaged or incomplete."
    try:
        parquet = pq.ParquetFile(pa.BufferReader(data))
        metadata, schema = parquet.metadata, parquet.schema_arrow
    except Exception:  # a damaged footer can fail in many ways
        raise InputError(damaged) from None
    if len(schema) == 0:
        raise InputError(f"{name} has no columns.")
    # Checked on the metadata, before any column is read.
    _check_shape(name, metadata.num_rows, len(schema))
    expanded = sum(metadata.row_group(i).total_byte_size for i in range(metadata.num_row_groups))
    _check_expanded(name, expanded)
    flat = [f for f in schema if not pa.types.is_nested(f.type)]
    nested = [f.name for f in schema if pa.types.is_nested(f.type)]
    if not flat:
        raise InputError(f"{name} holds only lists or records, no column a table can show.")
    # Text stored once in a dictionary can decode to far more than the file says it unpacks to:
    # it is read as a dictionary first and decoded only when its decoded size is known.
    texts = [f.name for f in flat if pa.types.is_string(f.type) or pa.types.is_binary(f.type)]
    try:
        table = pq.read_table(pa.BufferReader(data), columns=[f.name for f in flat], read_dictionary=texts)
        table.validate(full=True)  # Arrow does not check text is valid UTF-8 when it reads it
        _check_expanded(name, expanded + sum(_decoded_bytes(table.column(text)) for text in texts))
        table = pa.table(
            [_decoded(table.column(i)) for i in range(table.num_columns)], names=table.column_names
        )
        frame = table.to_pandas()
    except InputError:
        raise
    except Exception:  # damaged pages, or types pandas cannot hold
        raise InputError(damaged) from None
    if frame.empty:
        raise InputError(f"{name} has column names but no rows of data.")
    frame = frame.reset_index(drop=True)
    names = [str(label).strip() for label in frame.columns]
    frame.columns = range(frame.shape[1])
    problems = []
    if nested:
        problems.append(
            Problem(
                "warning",
                f"{_count(len(nested), 'column')} {'holds' if len(nested) == 1 else 'hold'} lists or records, which a table cannot show; "
                f"{'it was' if len(nested) == 1 else 'they were'} left out: " + ", ".join(nested[:5]) + ".",
                examples=tuple(nested[:5]),
            )
        )
    frame, problems = _tidy_columns(frame, names, problems)
    frame = frame.apply(lambda column: _settle_column_type(column) if column.dtype == object else column)
    return RawTable(name, name, None, frame, problems)


def _decoded_bytes(column: pa.ChunkedArray) -> int:
    """Bytes a dictionary-encoded text column takes once decoded."""
    total = 0
    for chunk in column.chunks:
        if pa.types.is_dictionary(chunk.type):
            lengths = pc.binary_length(chunk.dictionary)
            total += pc.sum(pc.take(lengths, chunk.indices)).as_py() or 0
    return total


def _decoded(column: pa.ChunkedArray) -> pa.ChunkedArray:
    if not pa.types.is_dictionary(column.type):
        return column
    return pa.chunked_array([chunk.dictionary_decode() for chunk in column.chunks], column.type.value_type)

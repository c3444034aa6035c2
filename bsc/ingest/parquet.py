"""Reading Parquet files through Arrow: one raw table, columns keeping their own types.

The file's shape (rows times the columns read) and its size once unpacked are checked on its
metadata before any column is read. Row groups are then read one at a time, so that reading costs
one row group beyond the cells kept; the size once unpacked is checked again after each, once the
text it stores in a dictionary is known to decode to (see :func:`_decoded_bytes`). Columns holding
lists or records are left out and reported.
"""

from __future__ import annotations

import pyarrow as pa
import pyarrow.compute as pc
import pyarrow.parquet as pq

from bsc.errors import InputError
from bsc.ingest.checks import MAX_COLUMNS, _check_expanded, _check_shape
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
    flat = [f for f in schema if not pa.types.is_nested(f.type)]
    nested = [f.name for f in schema if pa.types.is_nested(f.type)]
    # Checked on the metadata, before any column is read: the cells are those of the columns read.
    if len(schema) > MAX_COLUMNS:
        _check_shape(name, metadata.num_rows, len(schema))
    _check_shape(name, metadata.num_rows, len(flat))
    expanded = sum(metadata.row_group(i).total_byte_size for i in range(metadata.num_row_groups))
    _check_expanded(name, expanded)
    _check_repeated_names(name, schema)
    if not flat:
        raise InputError(f"{name} holds only lists or records, no column a table can show.")
    try:
        # Read through ParquetFile, which takes a repeated column name as all its columns (the
        # dataset reader refuses it): the repeats are renamed below, as in a CSV file.
        reader = pq.ParquetFile(pa.BufferReader(data), read_dictionary=_text_leaves(schema))
        table = _read_row_groups(name, reader, list(dict.fromkeys(f.name for f in flat)), expanded)
        labels = list(table.column_names)
        # Converted under unique names: pandas would turn columns sharing a name into text.
        table = pa.table(
            [_decoded(table.column(i)) for i in range(table.num_columns)],
            names=[str(i) for i in range(table.num_columns)],
        )
        frame = table.to_pandas()
    except InputError:
        raise
    except Exception:  # damaged pages, or types pandas cannot hold
        raise InputError(damaged) from None
    if frame.empty:
        raise InputError(f"{name} has column names but no rows of data.")
    frame = frame.reset_index(drop=True)
    names = [str(label).strip() for label in labels]
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


def _read_row_groups(name: str, reader: pq.ParquetFile, columns: list[str], expanded: int) -> pa.Table:
    """The columns of every row group, read one row group at a time.

    Text stored once in a dictionary can decode to far more than the file says it unpacks to: it
    is read as a dictionary, and the size it decodes to is added to ``expanded`` and checked
    after each row group, so that a file is refused before the rest of it is read.
    """
    groups: list[pa.Table] = []
    decoded = 0
    for index in range(reader.num_row_groups):
        group = reader.read_row_group(index, columns=columns)
        group.validate(full=True)  # Arrow does not check text is valid UTF-8 when it reads it
        decoded += sum(_decoded_bytes(group.column(i)) for i in range(group.num_columns))
        _check_expanded(name, expanded + decoded)
        groups.append(group)
    if not groups:  # a file without row groups: its columns, without rows
        return reader.read(columns=columns)
    # Dictionaries differ between row groups: each chunk keeps its own until it is decoded.
    return pa.concat_tables(groups)


def _check_repeated_names(name: str, schema: pa.Schema) -> None:
    """Refuse a list or record column that shares its name with another column: Arrow selects
    columns by name, so the plain one could not be read without it. Other repeated names are
    read, and renamed as in a CSV file."""
    nested = {f.name for f in schema if pa.types.is_nested(f.type)}
    clashing = sorted(n for n in nested if len(schema.get_all_field_indices(n)) > 1)
    if clashing:
        raise InputError(
            f"{name} has more than one column named {', '.join(map(repr, clashing[:5]))}, one of them "
            "holding lists or records, which cannot be told apart. Give each column its own name and "
            "save the file again."
        )


def _leaves(field: pa.Field) -> int:
    """The number of Parquet leaf columns behind an Arrow field (1 for a flat column)."""
    kind = field.type
    if pa.types.is_struct(kind):
        return sum(_leaves(kind.field(i)) for i in range(kind.num_fields))
    if pa.types.is_map(kind):
        return _leaves(kind.key_field) + _leaves(kind.item_field)
    if pa.types.is_list(kind) or pa.types.is_large_list(kind) or pa.types.is_fixed_size_list(kind):
        return _leaves(kind.value_field)
    return 1


def _text_leaves(schema: pa.Schema) -> list[int]:
    """Leaf column numbers of the flat text columns: what is read as a dictionary is chosen by
    number, since a name may belong to several columns."""
    leaves, start = [], 0
    for field in schema:
        if pa.types.is_string(field.type) or pa.types.is_binary(field.type):
            leaves.append(start)
        start += _leaves(field)
    return leaves


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

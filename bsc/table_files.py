"""A table's files on disk: its Arrow form, Parquet writes, its content hash, its kind's files.

The store (:mod:`bsc.store`) and the command line's throw-away workspace
(:func:`bsc.workspace.files_workspace`) both write tables through here. A frame is converted to
Arrow once; the same Arrow table is written to Parquet and hashed, so that neither the write nor
the hash converts text columns to Python objects.

This module imports neither SQLAlchemy nor the KPI engine, so the command line can use it
without paying for them.
"""

from __future__ import annotations

import hashlib
import json
import os
import uuid
from collections.abc import Iterable, Mapping
from pathlib import Path

import numpy as np
import pandas as pd
import pyarrow as pa
import pyarrow.compute as pc
import pyarrow.parquet as pq

from bsc.schema import CUSTOMER_SURVEY_ROLES

__all__ = [
    "arrow_table",
    "file_hash",
    "frame_hash",
    "parquet_writer",
    "table_hash",
    "tables_by_kind",
    "write_parquet",
    "write_parquet_atomic",
]

# The compression pandas' ``DataFrame.to_parquet`` uses, kept so that files stay as they were.
_COMPRESSION = "snappy"


def arrow_table(frame: pd.DataFrame) -> pa.Table:
    """``frame`` as the Arrow table ``DataFrame.to_parquet(index=False)`` would write.

    The frame's ``attrs`` go into the schema's metadata under ``PANDAS_ATTRS`` as pandas does,
    so that reading the file with pandas gives them back (see :mod:`bsc.columns`).
    """
    table = pa.Table.from_pandas(frame, preserve_index=False)
    if frame.attrs:
        metadata = {**(table.schema.metadata or {}), b"PANDAS_ATTRS": json.dumps(frame.attrs).encode()}
        table = table.replace_schema_metadata(metadata)
    return table


def write_parquet(table: pa.Table | pd.DataFrame, path: Path) -> None:
    """Write a table (or frame) to ``path`` as Parquet, in one write, without a temporary file.

    For files nobody else reads while they are written (the command line's throw-away tables);
    the store uses :func:`write_parquet_atomic`. Such a file lives for one command, on the same
    disk: it is written neither compressed nor dictionary-encoded, which halves the cost of
    writing it (the 1M order lines of the 100k-customer company: 0.07 s of CPU instead of
    0.15 s) and costs the queries that read it nothing measurable.
    """
    if isinstance(table, pd.DataFrame):
        table = arrow_table(table)
    pq.write_table(table, path, compression="none", use_dictionary=False)


def write_parquet_atomic(table: pa.Table | pd.DataFrame, path: Path) -> None:
    """Write a table (or frame) to ``path`` through a temporary file and an atomic rename.

    The Parquet file is built in memory and written with one call, flushed to disk, then
    renamed into place: a crash at any moment leaves the old file or the new one, whole.
    """
    if isinstance(table, pd.DataFrame):
        table = arrow_table(table)
    path.parent.mkdir(parents=True, exist_ok=True)
    buffer = pa.BufferOutputStream()
    pq.write_table(table, buffer, compression=_COMPRESSION)
    contents = buffer.getvalue()
    tmp = path.with_name(f".{path.name}.{uuid.uuid4().hex}.tmp")
    try:
        with open(tmp, "wb") as handle:
            handle.write(memoryview(contents))
            handle.flush()
            os.fsync(handle.fileno())
        os.replace(tmp, path)
    finally:
        tmp.unlink(missing_ok=True)


def frame_hash(frame: pd.DataFrame) -> str:
    """A content hash of a whole frame (every row, not a sample), stable across runs.

    The hash of :func:`arrow_table` of the frame (see :func:`table_hash`).
    """
    return table_hash(arrow_table(frame))


def file_hash(path: Path, chunk_bytes: int = 8 * 1024 * 1024) -> str:
    """The SHA-256 of a file's bytes, read ``chunk_bytes`` at a time (for files of any size)."""
    digest = hashlib.sha256()
    with open(path, "rb") as handle:
        while chunk := handle.read(chunk_bytes):
            digest.update(chunk)
    return digest.hexdigest()


def table_hash(table: pa.Table) -> str:
    """A SHA-256 content hash of an Arrow table: column names, types, nulls and values.

    Every row counts. The hash depends on what the table holds, not on how Arrow lays it out:
    chunking, slicing, 32- or 64-bit string offsets and dictionary encoding give the same hash,
    and whatever a null slot's memory holds is ignored. So a frame hashes the same before it
    is written to Parquet and after it is read back.
    """
    digest = hashlib.sha256()
    digest.update("\x1f".join(table.column_names).encode())
    for column in table.columns:
        array = column.combine_chunks() if column.num_chunks != 1 else column.chunk(0)
        _hash_array(digest, array)
    return digest.hexdigest()


def _hash_array(digest, array: pa.Array) -> None:
    if pa.types.is_dictionary(array.type):
        array = array.dictionary_decode()
    kind = array.type
    if pa.types.is_large_string(kind):
        kind = pa.string()
    elif pa.types.is_large_binary(kind):
        kind = pa.binary()
    digest.update(f"\x1e{kind}\x1d{len(array)}\x1d{array.null_count}".encode())
    valid = None
    if array.null_count:
        valid = array.is_valid().to_numpy(zero_copy_only=False)
        digest.update(valid.tobytes())
    if pa.types.is_null(kind) or len(array) == 0:
        return
    if pa.types.is_boolean(kind):
        digest.update(pc.fill_null(array, False).to_numpy(zero_copy_only=False).tobytes())
    elif pa.types.is_string(kind) or pa.types.is_binary(kind):
        if valid is not None:
            # A null slot's bytes are undefined in Arrow: make them empty.
            array = pc.fill_null(array, pa.scalar(b"" if pa.types.is_binary(kind) else "", array.type))
        wide = pa.types.is_large_string(array.type) or pa.types.is_large_binary(array.type)
        _, offsets_buffer, data_buffer = array.buffers()
        offsets = np.frombuffer(
            offsets_buffer, dtype=np.int64 if wide else np.int32, count=len(array) + 1, offset=0
        )[array.offset : array.offset + len(array) + 1].astype(np.int64)
        digest.update((offsets - offsets[0]).tobytes())
        if data_buffer is not None:
            digest.update(memoryview(data_buffer)[int(offsets[0]) : int(offsets[-1])])
    elif _fixed_width(kind):
        width = kind.bit_width // 8
        values = np.frombuffer(
            array.buffers()[1], dtype=np.uint8, count=len(array) * width, offset=array.offset * width
        ).reshape(len(array), width)
        if valid is not None:
            # A null slot's value is undefined in Arrow: count it as zeros.
            values = values.copy()
            values[~valid] = 0
        digest.update(values.tobytes())
    else:
        # Nested and other rare types: their values as text (never in a canonical table).
        digest.update(json.dumps(array.to_pylist(), default=str).encode())


def _fixed_width(kind: pa.DataType) -> bool:
    try:
        return kind.bit_width % 8 == 0 and kind.bit_width > 0
    except ValueError:
        return False


def tables_by_kind(tables: Iterable[tuple[str, Mapping[str, str], Path]]) -> dict[str, list[Path]]:
    """A workspace's canonical files by table kind, for the KPI engine.

    ``tables`` holds each stored table's kind, its roles (role -> source column) and its
    canonical file, in the workspace's order. In a workspace without a feedback table, a
    customers table holding survey scores (one answer per customer, see
    :data:`bsc.schema.CUSTOMER_SURVEY_ROLES`) is also listed as the feedback table: its
    ``customer_id``, ``nps`` and ``csat`` columns are a survey without dates. A real survey,
    with its dates, takes precedence over it.
    """
    by_kind: dict[str, list[Path]] = {}
    scored: list[Path] = []
    for kind, roles, path in tables:
        by_kind.setdefault(kind, []).append(path)
        if kind == "customers" and set(CUSTOMER_SURVEY_ROLES) & set(roles):
            scored.append(path)
    if scored and "feedback" not in by_kind:
        by_kind["feedback"] = scored
    return by_kind


def parquet_writer(path: Path, schema: pa.Schema, *, compressed: bool = True) -> pq.ParquetWriter:
    """A Parquet writer for a table written in parts (one row group per part), compressed as
    the store compresses whole tables; with ``compressed`` False, neither compressed nor
    dictionary-encoded, as :func:`write_parquet` writes the command line's throw-away tables."""
    if not compressed:
        return pq.ParquetWriter(path, schema, compression="none", use_dictionary=False)
    return pq.ParquetWriter(path, schema, compression=_COMPRESSION)

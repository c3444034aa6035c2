"""Reading a text file too large to hold at once: a sample read as an upload is, then batches.

The command line (and whoever imports files on the server) may take CSV files of any size the
disk holds. Such a file is never read whole:

- its first :data:`SAMPLE_BYTES` (cut at a line end) are read exactly as an uploaded file is
  (:func:`bsc.ingest.read_tables`): the encoding, the delimiter, the header and the column
  names come from there, and so does the detection of what the columns mean;
- the whole file is then parsed by Arrow's streaming CSV reader, every cell as text, missing
  cells as :data:`~bsc.ingest.text.MISSING_TEXT`, :func:`stream_batch_bytes` of the file at a time
  (:data:`BATCH_BYTES`, or the ``BSC_STREAM_BATCH_MB`` setting),
  and each batch is handed over as a frame with the sample's column names.

Memory is bounded by the batch size, not by the file. A batch's frame holds what the
upload path's frame would hold for those rows, so preparing the batches one by one gives what
preparing the whole table gives (see :mod:`bsc.large_files`).

Files that the upload path reads only through pandas are refused here with a message saying
how to save them: mixed UTF-8 and Windows-1252 text, UTF-16, NUL characters, columns split on
runs of spaces, lines of another number of fields than the first, a single column.
"""

from __future__ import annotations

import os
from collections.abc import Iterator, Mapping
from dataclasses import dataclass
from pathlib import Path

import pandas as pd
import pyarrow as pa
import pyarrow.csv as pa_csv

from bsc.errors import InputError
from bsc.ingest.checks import MAX_COLUMNS, MB, TEXT_EXTENSIONS, _identify, _misnamed_text
from bsc.ingest.tables import RawTable, _first_row_is_data, _header_text
from bsc.ingest.text import (
    _UTF8_SEQUENCE,
    _WHITESPACE,
    MISSING_TEXT,
    _decode,
    _first_lines,
    _parse_with_arrow,
    _sniff_delimiter,
    _utf16_encoding,
)

__all__ = [
    "BATCH_BYTES",
    "BATCH_SETTING",
    "SAMPLE_BYTES",
    "TextBatches",
    "read_text_batches",
    "stream_batch_bytes",
]

# The head of the file read as an upload is read, for the header and the detection of roles.
SAMPLE_BYTES = 16 * MB
# Bytes of the file parsed at a time: the bound on memory (a batch's frame and its prepared
# form take about ten times the bytes). Arrow needs a whole line in a block. Whoever runs the
# server or the command line may set it in megabytes (:data:`BATCH_SETTING`, read by
# `stream_batch_bytes` and nowhere else); this is the default.
BATCH_BYTES = 32 * MB
BATCH_SETTING = "BSC_STREAM_BATCH_MB"


def stream_batch_bytes(environ: Mapping[str, str] | None = None) -> int:
    """Bytes parsed at a time: :data:`BATCH_SETTING` megabytes when set, else :data:`BATCH_BYTES`.

    Raises InputError when the setting is not a whole number of megabytes of at least 1.
    """
    text = (os.environ if environ is None else environ).get(BATCH_SETTING, "").strip()
    if not text:
        return BATCH_BYTES
    megabytes = int(text) if text.isdigit() else 0
    if megabytes < 1:
        raise InputError(f"{BATCH_SETTING} must be a whole number of megabytes, at least 1, not {text!r}.")
    return megabytes * MB


@dataclass(frozen=True)
class TextBatches:
    """A large text file: its sample, read as an upload, and its rows in batches.

    Attributes
    ----------
    sample : RawTable
        The first rows (up to :data:`SAMPLE_BYTES` of the file), read by
        :func:`bsc.ingest.read_tables`, with what reading them noticed (encoding, header).
    path : Path
        The file.
    """

    sample: RawTable
    path: Path
    _delimiter: str
    _encoding: str
    _quoted_lines: bool
    _header: bool
    _keep: tuple[int, ...]
    _fields: int
    _batch_bytes: int

    def frames(self) -> Iterator[pd.DataFrame]:
        """Every row of the file, as frames of text cells with the sample's column names.

        Rows come in file order, without the header and without blank lines; each frame's index
        starts at 0. Raises InputError when a line cannot be read (another number of fields, a
        cell in another encoding than the sample's, a line longer than a batch).
        """
        name = self.sample.name
        reader = pa_csv.open_csv(
            self.path,
            read_options=pa_csv.ReadOptions(
                autogenerate_column_names=True, block_size=self._batch_bytes, encoding=self._encoding
            ),
            parse_options=pa_csv.ParseOptions(
                delimiter=self._delimiter, newlines_in_values=self._quoted_lines
            ),
            convert_options=_TEXT_CELLS,
        )
        header_to_skip = self._header
        columns = list(self.sample.frame.columns)
        while True:
            try:
                batch = reader.read_next_batch()
            except StopIteration:
                return
            except (pa.ArrowException, ValueError) as error:
                raise InputError(f"{name} could not be read past its first rows: {error}") from None
            if batch.num_columns != self._fields:
                raise InputError(
                    f"{name}: a part of the file has {batch.num_columns} columns, not {self._fields}."
                )
            cells = batch.to_pandas()
            cells.columns = range(batch.num_columns)
            cells = cells.dropna(how="all")
            if header_to_skip and not cells.empty:
                cells = cells.iloc[1:]
                header_to_skip = False
            if cells.empty:
                continue
            frame = cells.iloc[:, list(self._keep)].reset_index(drop=True)
            frame.columns = columns
            yield frame


_TEXT_CELLS = pa_csv.ConvertOptions(
    column_types={f"f{i}": pa.string() for i in range(MAX_COLUMNS)},
    null_values=list(MISSING_TEXT),
    strings_can_be_null=True,
    quoted_strings_can_be_null=True,
)


def read_text_batches(
    path: str | Path, *, sample_bytes: int = SAMPLE_BYTES, batch_bytes: int | None = None
) -> TextBatches:
    """Open a CSV, TSV or text file of any size for reading in batches (see the module's notes).

    Parameters
    ----------
    path
        The file.
    sample_bytes
        Bytes read as an upload is read, for the header and the detection.
    batch_bytes
        Bytes parsed at a time; at least the longest line. Default: :func:`stream_batch_bytes`.

    Raises
    ------
    InputError
        When the file is missing, is not a text file, or is a text file that only the upload
        path can read (see the module's notes); the message says how to save it instead.
    """
    path = Path(path)
    name = path.name
    if not path.is_file():
        raise InputError(f"File not found: {path}")
    if path.suffix.lower() not in TEXT_EXTENSIONS:
        raise InputError(f"{name}: only CSV, TSV and text files can be read in parts.")
    with open(path, "rb") as handle:
        head = handle.read(sample_bytes + 1)
    if len(head) > sample_bytes:
        cut = head.rfind(b"\n", 0, sample_bytes)
        if cut <= 0:
            raise InputError(
                f"{name}: its first line is longer than {sample_bytes // MB:,} MB; it cannot be read."
            )
        head = head[: cut + 1]
    found = _identify(head)
    if found is not None:
        raise InputError(_misnamed_text(name, *found))
    encoding = _stream_encoding(name, head)
    # Imported here: bsc.ingest imports this module's package first.
    from bsc.ingest import read_tables

    sample = read_tables(name, head, max_bytes=len(head))[0]
    text, _ = _decode(name, head)
    delimiter = _sniff_delimiter(_first_lines(text))
    cells = None if delimiter == _WHITESPACE else _parse_with_arrow(text, delimiter)
    if cells is None:
        raise InputError(
            f"{name} is too large to be read whole, and its lines are irregular (fields split by "
            "spaces, lines with another number of fields than the first, or a single column). "
            "Save it as a CSV file with one delimiter and the same columns on every line."
        )
    cells = cells.dropna(how="all")
    first, body = cells.iloc[0], cells.iloc[1:]
    header = not _first_row_is_data(first, body)
    # The columns the upload path keeps: named ones, and unnamed ones holding a value.
    names = [_header_text(value) for value in first] if header else ["named"] * cells.shape[1]
    keep = tuple(i for i, label in enumerate(names) if label or body.iloc[:, i].notna().any())
    if len(keep) != sample.frame.shape[1]:  # pragma: no cover - the same rules as _tidy_columns
        raise InputError(f"{name}: its columns could not be matched with its first rows.")
    return TextBatches(
        sample=sample,
        path=path,
        _delimiter=delimiter,
        _encoding=encoding,
        _quoted_lines=b'"' in head,
        _header=header,
        _keep=keep,
        _fields=cells.shape[1],
        _batch_bytes=stream_batch_bytes() if batch_bytes is None else batch_bytes,
    )


def _stream_encoding(name: str, head: bytes) -> str:
    """The encoding Arrow reads the file in, as the upload path decodes its first bytes."""
    advice = "Save it as UTF-8 text (in Excel: CSV UTF-8) and try again."
    if _utf16_encoding(head) is not None or b"\x00" in head:
        raise InputError(f"{name} is too large to be read whole in UTF-16 or with NUL characters. {advice}")
    try:
        head.decode("utf-8-sig")
        return "utf8"
    except UnicodeDecodeError:
        pass
    if _UTF8_SEQUENCE.search(head):
        raise InputError(
            f"{name} is too large to be read whole and mixes UTF-8 and Windows-1252 text. {advice}"
        )
    try:
        head.decode("cp1252")
        return "cp1252"
    except UnicodeDecodeError:
        return "latin-1"

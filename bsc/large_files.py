"""Big files in: a text file too large to read whole, streamed into its canonical Parquet file.

The browser upload keeps its limits (:data:`bsc.ingest.MAX_UPLOAD_BYTES`); the command line's
files (:func:`bsc.workspace.files_workspace`) may be as large as the disk holds. A CSV, TSV or
text file larger than :data:`STREAM_FROM_BYTES` is read in batches (:mod:`bsc.ingest.batches`):

1. its first rows are read as an upload is read, and the mapping is detected on them
   (:func:`bsc.detect.detect_mapping`);
2. each batch is prepared with that mapping (:func:`bsc.prepare.prepare_table`) and appended
   to the canonical Parquet file, one row group per batch;
3. the batches' problems are merged: the rows each problem touches are summed, its examples
   kept from the first batches (with row numbers counted from the start of the file); a
   customers table's repeated ids are dropped over the whole file, as one table's would be.

Memory is bounded by the batch size (:func:`bsc.ingest.batches.stream_batch_bytes`: the
``BSC_STREAM_BATCH_MB`` setting, default 32 MB), not by the file. A kept workspace also keeps
the table as read, streamed into a raw Parquet file beside the canonical one, so that a new
mapping is applied to it in the same batches (:func:`restream_parquet`). On a file both paths can read, the canonical values and the problems are those of the
whole-table path, with two limits that only a file larger than the sample can meet: the roles
are detected on the sample (a column changing character after the first rows keeps the role
the sample gave it), and where a date column's day/month order or formats must be worked out,
each batch works them out on its own rows.
"""

from __future__ import annotations

import re
from collections.abc import Callable, Iterable, Iterator
from dataclasses import dataclass
from pathlib import Path

import pandas as pd
import pyarrow.parquet as pq

from bsc import schema
from bsc.detect import detect_mapping
from bsc.ingest import MB, RawTable, checks
from bsc.ingest import batches as batches_module
from bsc.ingest.batches import read_text_batches
from bsc.ingest.checks import TEXT_EXTENSIONS, DateBounds
from bsc.mapping import Problem, TableMapping
from bsc.prepare import MAX_EXAMPLES, prepare_table, repeated_customers_problem
from bsc.table_files import arrow_table, parquet_writer

__all__ = ["STREAM_FROM_BYTES", "StreamedTable", "is_streamed", "restream_parquet", "stream_to_parquet"]

# Text files larger than this are streamed rather than read whole: below it, the whole table
# decides detection as before; above it, reading whole would hold several times the file in
# memory (and past the upload limit it is refused).
STREAM_FROM_BYTES = 64 * MB

# The count at the head of a counted problem ("Amount: 1,234 rows are not a number; ..."),
# as bsc.prepare writes it.
_COUNTED = re.compile(r": (1 row is|[\d,]+ rows are) ")
_ROW_NUMBER = re.compile(r"^row (\d+)")
# The order in which bsc.prepare checks a column, by words of each check's message: a column's
# problems first met in different batches are put back in this order.
_CHECK_ORDER = (
    "too large or infinite",
    "empty; kept",
    "not a readable date",
    "not a number",
    "not a yes/no value",
    "outside",
    "negative",
    "date formats",
    "day and month could be",
    "blank: value unknown",
)


@dataclass(frozen=True)
class StreamedTable:
    """A text file streamed into its canonical Parquet file.

    Attributes
    ----------
    table : RawTable
        The file's first rows, read as an upload is read (the source of the mapping and of the
        currency named by its money column).
    mapping : TableMapping
        Detected on those rows.
    rows : int
        Data rows read from the whole file.
    problems : list of Problem
        What reading noticed, then the preparation's problems over the whole file.
    """

    table: RawTable
    mapping: TableMapping
    rows: int
    problems: list[Problem]


def is_streamed(path: str | Path, threshold: int | None = None) -> bool:
    """True for a text file that :func:`stream_to_parquet` reads: larger than ``threshold``
    bytes (default :data:`STREAM_FROM_BYTES`), or of a shape that reading it whole refuses.

    The shape is that of :func:`bsc.ingest.checks._check_shape`: more than
    :data:`~bsc.ingest.checks.MAX_ROWS` lines, or more than :data:`~bsc.ingest.checks.MAX_CELLS`
    cells (lines times the fields of the first line), counted cheaply on the bytes (see
    :func:`_too_many_cells_to_read_whole`). The 1M-customer company's customers file (55 MB,
    1 million rows of 9 columns) is such a file: below the size, over the cells.
    """
    path = Path(path)
    if path.suffix.lower() not in TEXT_EXTENSIONS or not path.is_file():
        return False
    size = path.stat().st_size
    if size > (STREAM_FROM_BYTES if threshold is None else threshold):
        return True
    # Every line and every cell takes at least one byte: a smaller file cannot be over the shape.
    return size > min(checks.MAX_ROWS, checks.MAX_CELLS) and _too_many_cells_to_read_whole(path)


def _too_many_cells_to_read_whole(path: Path) -> bool:
    """Lines over MAX_ROWS, or lines times the fields of the first line over MAX_CELLS. The fields are the first line's commas, semicolons, tabs or bars (the most
    frequent) plus one: a quoted delimiter or line break counts too much, never too little,
    so a file read whole is never one that the whole-file reader would refuse by its shape."""
    feeds = returns = 0
    last = b""
    with path.open("rb") as stream:
        first = stream.readline(checks.MAX_LINE_BYTES)
        stream.seek(0)
        while block := stream.read(8 * MB):
            feeds, returns, last = feeds + block.count(b"\n"), returns + block.count(b"\r"), block[-1:]
    # Lines end at a line feed, or at a lone carriage return (old Macs): the larger count, plus
    # an unfinished last line.
    lines = max(feeds, returns) + (last not in (b"\n", b"\r"))
    fields = 1 + max(first.count(delimiter) for delimiter in (b",", b";", b"\t", b"|"))
    return lines > checks.MAX_ROWS or lines * fields > checks.MAX_CELLS


def stream_to_parquet(
    path: str | Path,
    out: Path,
    *,
    raw_out: Path | None = None,
    progress: Callable[[int], None] | None = None,
    sample_bytes: int | None = None,
    batch_bytes: int | None = None,
    date_bounds: DateBounds | None = None,
    compressed: bool = True,
) -> StreamedTable:
    """Read a text file in batches, prepare each and write the canonical table to ``out``.

    ``raw_out``, when given, receives the table as read (every cell as text, the sample's column
    names), one row group per batch: what a kept workspace re-maps from
    (:func:`restream_parquet`). ``progress`` is called after each batch with the rows read so
    far. ``sample_bytes`` and ``batch_bytes`` default to :data:`bsc.ingest.batches.SAMPLE_BYTES`
    and :func:`bsc.ingest.batches.stream_batch_bytes`. ``compressed`` False writes the files
    neither compressed nor dictionary-encoded (:func:`bsc.table_files.parquet_writer`): for
    files that live as long as one command.

    Raises
    ------
    InputError
        When the file cannot be read in batches (see :func:`bsc.ingest.batches.read_text_batches`)
        or its detected mapping cannot work (as :func:`bsc.prepare.prepare_table` says). ``out``
        and ``raw_out`` may then hold part of the table.
    """
    batches = read_text_batches(
        path,
        sample_bytes=batches_module.SAMPLE_BYTES if sample_bytes is None else sample_bytes,
        batch_bytes=batches_module.stream_batch_bytes() if batch_bytes is None else batch_bytes,
    )
    mapping = detect_mapping(batches.sample.frame, batches.sample.name)
    # A mapping that cannot work is refused before the file is read, as the whole table would be.
    prepare_table(batches.sample.frame.iloc[:0], mapping)
    rows, problems = _write_prepared(
        batches.frames(),
        mapping,
        out,
        raw_out=raw_out,
        progress=progress,
        date_bounds=date_bounds,
        compressed=compressed,
    )
    return StreamedTable(batches.sample, mapping, rows, [*batches.sample.problems, *problems])


def restream_parquet(
    raw_path: Path,
    out: Path,
    mapping: TableMapping,
    *,
    progress: Callable[[int], None] | None = None,
    date_bounds: DateBounds | None = None,
) -> tuple[int, list[Problem]]:
    """Prepare a streamed table's raw Parquet file (``raw_out`` of :func:`stream_to_parquet`)
    again with ``mapping``, one row group at a time, into ``out``.

    Memory is bounded by a row group, that is by the batch size the file was streamed with.
    Returns the rows read and the preparation's problems over the whole table.

    Raises
    ------
    InputError
        When the mapping cannot work (as :func:`bsc.prepare.prepare_table` says).
    """
    raw = pq.ParquetFile(raw_path)
    prepare_table(raw.schema_arrow.empty_table().to_pandas(), mapping)

    def frames() -> Iterator[pd.DataFrame]:
        for group in range(raw.num_row_groups):
            yield raw.read_row_group(group).to_pandas()

    return _write_prepared(frames(), mapping, out, progress=progress, date_bounds=date_bounds)


def _write_prepared(
    frames: Iterable[pd.DataFrame],
    mapping: TableMapping,
    out: Path,
    *,
    raw_out: Path | None = None,
    progress: Callable[[int], None] | None = None,
    date_bounds: DateBounds | None = None,
    compressed: bool = True,
) -> tuple[int, list[Problem]]:
    """Prepare each frame with ``mapping`` and append it to ``out`` (and the frame as read to
    ``raw_out``); the rows read and the merged problems."""
    merged = _MergedProblems(mapping)
    repeats = _RepeatedCustomers(mapping.roles["customer_id"]) if mapping.kind == "customers" else None
    rows = 0
    writers: dict[Path, pq.ParquetWriter] = {}

    def append(frame: pd.DataFrame, path: Path) -> None:
        table = arrow_table(frame)
        if path not in writers:
            writers[path] = parquet_writer(path, table.schema, compressed=compressed)
        else:
            table = table.cast(writers[path].schema)
        writers[path].write_table(table)

    try:
        for frame in frames:
            prepared = prepare_table(frame, mapping, date_bounds=date_bounds, drop_repeated_customers=False)
            canonical = prepared.canonical if repeats is None else repeats.drop(prepared.canonical)
            merged.add(prepared.problems, rows_before=rows)
            rows += len(frame)
            append(canonical, out)
            if raw_out is not None:
                append(frame, raw_out)
            if progress is not None:
                progress(rows)
    finally:
        for writer in writers.values():
            writer.close()
    problems = merged.problems()
    if repeats is not None:
        problems += repeats.problems()
    return rows, problems


class _MergedProblems:
    """The problems of the batches as one table's: counted ones summed, the rest kept once.

    Preparation reports column by column (the roles in their kind's order, then derived roles,
    then the attributes), so the merged problems are ordered by column first. Within a column,
    a problem first met in a later batch goes before the next problem that batch shares with
    the earlier ones (else last), so that the whole table's order is kept.
    """

    def __init__(self, mapping: TableMapping) -> None:
        roles = [mapping.roles[role] for role in schema.kind(mapping.kind).role_ids if role in mapping.roles]
        later = [*mapping.segments, *mapping.outcomes, *mapping.attributes]
        self._rank: dict[str | None, float] = {column: i for i, column in enumerate(roles)}
        # Problems about no column (a derived role) come between the roles and the attributes.
        self._rank[None] = len(roles) - 0.5
        for i, column in enumerate(later):
            self._rank.setdefault(column, len(roles) + i)
        self._order: list[tuple] = []
        self._merged: dict[tuple, Problem] = {}

    def add(self, problems: list[Problem], rows_before: int) -> None:
        keys = [self._key(problem) for problem in problems]
        for position, (key, problem) in enumerate(zip(keys, problems, strict=True)):
            problem = _shifted(problem, rows_before)
            if key in self._merged:
                self._merged[key] = _summed(self._merged[key], problem)
                continue
            self._merged[key] = problem
            later = [k for k in keys[position + 1 :] if k in self._merged and k != key]
            self._order.insert(self._order.index(later[0]) if later else len(self._order), key)

    def problems(self) -> list[Problem]:
        return [self._merged[key] for key in sorted(self._order, key=self._place)]

    def _place(self, key: tuple) -> tuple[float, int, int]:
        message = key[3]
        if "says who churned or why" in message:  # reported after every attribute's checks
            return len(self._rank) + 1, 0, self._order.index(key)
        check = next((i for i, words in enumerate(_CHECK_ORDER) if words in message), len(_CHECK_ORDER))
        if message.endswith(": {rows} empty."):  # a required date left blank: its column's last check
            check = len(_CHECK_ORDER) - 1
        return self._rank.get(key[1], len(self._rank)), check, self._order.index(key)

    @staticmethod
    def _key(problem: Problem) -> tuple:
        counted = _COUNTED.search(problem.message) is not None and problem.rows > 0
        message = _COUNTED.sub(": {rows} ", problem.message, count=1) if counted else problem.message
        return problem.severity, problem.column, counted, message


def _shifted(problem: Problem, rows_before: int) -> Problem:
    """The problem with its example rows numbered from the start of the file."""
    if not rows_before or not problem.examples:
        return problem
    examples = tuple(
        _ROW_NUMBER.sub(lambda match: f"row {int(match.group(1)) + rows_before}", example)
        for example in problem.examples
    )
    return Problem(problem.severity, problem.message, problem.rows, examples, problem.column)


def _summed(first: Problem, later: Problem) -> Problem:
    if first.rows <= 0 or _COUNTED.search(first.message) is None:
        return first
    rows = first.rows + later.rows
    phrase = "1 row is" if rows == 1 else f"{rows:,} rows are"
    message = _COUNTED.sub(lambda _: f": {phrase} ", first.message, count=1)
    examples = (first.examples + later.examples)[:MAX_EXAMPLES]
    return Problem(first.severity, message, rows, examples, first.column)


class _RepeatedCustomers:
    """A customers table's ids over all batches: later rows repeating an id are dropped, and the
    warning is the one :func:`bsc.prepare.prepare_table` gives for a whole table."""

    def __init__(self, source: str) -> None:
        self._source = source
        self._first_seen: dict[str, int] = {}  # id -> order of first appearance
        self._rows: dict[str, int] = {}  # repeated id -> rows holding it
        self._dropped = 0

    def drop(self, canonical: pd.DataFrame) -> pd.DataFrame:
        ids = canonical["customer_id"]
        filled = ids.notna()
        repeated = filled & (ids.duplicated(keep="first") | ids.isin(self._first_seen.keys()))
        # Each batch's new ids are distinct and unseen: numbered in one update rather than one
        # by one (a million customers took seconds of Python's loop).
        new = ids[filled & ~repeated].tolist()
        seen = len(self._first_seen)
        self._first_seen.update(zip(new, range(seen, seen + len(new)), strict=True))
        for value in ids[repeated].tolist():
            self._rows[value] = self._rows.get(value, 1) + 1
        self._dropped += int(repeated.sum())
        return canonical[~repeated.to_numpy(dtype=bool)] if repeated.any() else canonical

    def problems(self) -> list[Problem]:
        if not self._dropped:
            return []
        ordered = sorted(self._rows, key=self._first_seen.__getitem__)
        # In order of first appearance, sorted as value_counts sorts (most rows first).
        counts = pd.Series([self._rows[value] for value in ordered], index=ordered, name="count")
        counts = counts.sort_values(ascending=False)
        return [repeated_customers_problem(counts, self._dropped, self._source)]

"""Reading CSV, TSV and text files: the encoding, the delimiter, then every cell as text.

Text files are read entirely as text, so that zero-padded ids such as CDNOW's ``00001`` survive;
typing the columns is the job of :mod:`bsc.prepare`. The steps, in order:

- the line lengths are checked on the bytes (see :mod:`bsc.ingest.checks`);
- the bytes are decoded (:func:`_decode`): UTF-16, UTF-8, UTF-8 mixed with Windows-1252, or
  Windows-1252 / Latin-1, refusing binary content;
- the delimiter is sniffed from the first lines (:func:`_sniff_delimiter`), then the shape is
  checked before the whole file is parsed;
- the cells are parsed (:func:`_parse_delimited`), by Arrow when the lines are regular, else by
  pandas, leaving out and reporting lines with too many fields and naming the line of a quote
  mark that is never closed.
"""

from __future__ import annotations

import csv
import io
import re
from collections import Counter
from collections.abc import Sequence

import numpy as np
import pandas as pd
import pyarrow as pa
import pyarrow.csv as pa_csv

from bsc.errors import InputError
from bsc.ingest.checks import MAX_COLUMNS, MAX_LINE_BYTES, _check_shape, _count_lines
from bsc.ingest.tables import RawTable, _count, _frame_with_header, _were
from bsc.mapping import Problem

__all__ = ["MISSING_TEXT"]


# Cells read as missing in text files. "None" and "NA" are left alone: they can be real values
# (a discount tier called None, Namibia's country code).
MISSING_TEXT = ("", "#N/A", "N/A", "n/a", "NULL", "null", "NaN", "nan", "<NA>")
_DELIMITERS = (",", ";", "\t", "|")
_WHITESPACE = "whitespace"
_SNIFF_LINES = 200
# Most quote marks followed to check that a file's quoted cells are closed before Arrow reads it.
_MAX_QUOTES_FOLLOWED = 200_000
# Bytes Arrow parses at a time: a line must fit in one block, and lines may be MAX_LINE_BYTES long.
_ARROW_BLOCK_BYTES = 4 * MAX_LINE_BYTES
_UTF8_SEQUENCE = re.compile(rb"[\xc2-\xdf][\x80-\xbf]|[\xe0-\xef][\x80-\xbf]{2}|[\xf0-\xf4][\x80-\xbf]{3}")
_ESCAPED_BYTES = re.compile("[\udc80-\udcff]+")


def _read_text(name: str, data: bytes) -> RawTable:
    lines = _count_lines(name, data)
    text, encoding_problems = _decode(name, data)
    sniffed = _first_lines(text)
    delimiter = _sniff_delimiter(sniffed)
    _check_shape(name, lines, _widest(sniffed, delimiter))
    # Plain UTF-8 without a byte-order mark decodes to a text whose UTF-8 is the file's bytes:
    # Arrow reads those rather than a copy encoded again.
    utf8 = (
        None
        if encoding_problems or _utf16_encoding(data) is not None or data.startswith(b"\xef\xbb\xbf")
        else data
    )
    cells, skipped = _parse_delimited(name, text, delimiter, utf8=utf8)
    del text
    problems = list(encoding_problems)
    if skipped:
        problems.append(
            Problem(
                "warning",
                f"{_count(len(skipped), 'line')} had more fields than the first line and {_were(len(skipped))} left out.",
                rows=len(skipped),
                examples=tuple(skipped[:5]),
            )
        )
    cells = cells.dropna(how="all")
    if cells.empty:
        raise InputError(f"{name} is empty.")
    frame, header_problems = _frame_with_header(name, cells)
    return RawTable(name, name, None, frame, problems + header_problems)


def _first_lines(text: str) -> list[str]:
    """The first non-blank lines of a text, the ones its delimiter is sniffed from."""
    head = text[: 2 * MAX_LINE_BYTES].splitlines()[: _SNIFF_LINES * 2]
    return [line for line in head if line.strip()][:_SNIFF_LINES]


def _widest(lines: Sequence[str], delimiter: str) -> int:
    if delimiter == _WHITESPACE:
        return max((len(line.split()) for line in lines), default=0)
    try:
        return max((len(row) for row in csv.reader(lines, delimiter=delimiter)), default=0)
    except csv.Error:
        return max((line.count(delimiter) + 1 for line in lines), default=0)


def _decode(name: str, data: bytes) -> tuple[str, list[Problem]]:
    """Decode text and refuse binary content.

    UTF-16 with a byte-order mark, or without one when every other byte is NUL; else UTF-8
    (with or without byte-order mark); else, when the file holds valid UTF-8 sequences and
    invalid bytes, UTF-8 with the invalid bytes read as Windows-1252 (files pasted together from
    different systems); else Windows-1252 / Latin-1. A few stray NUL characters (left by some
    broken exports) are removed; many mean binary content.
    """
    utf16 = _utf16_encoding(data)
    if utf16 is not None:
        try:
            text = data.decode(utf16)
        except UnicodeDecodeError:
            raise InputError(f"{name} does not look like a text table: it contains binary data.") from None
        problems = (
            [] if data.startswith((b"\xff\xfe", b"\xfe\xff")) else [_info("It was read as UTF-16 text.")]
        )
        return _refuse_control_characters(name, text.removeprefix("\ufeff")), problems
    problems: list[Problem] = []
    nul = data.count(b"\x00") if b"\x00" in data else 0  # a search is ten times cheaper than a count
    if nul:
        if nul > len(data) // 100:
            raise InputError(f"{name} does not look like a text table: it contains binary data.")
        data = data.replace(b"\x00", b"")
        problems.append(
            Problem(
                "warning",
                f"The file holds {nul:,} NUL characters (often left by a broken export); they were removed.",
            )
        )
    try:
        text = data.decode("utf-8-sig")
    except UnicodeDecodeError:
        if _UTF8_SEQUENCE.search(data):
            text, mixed = _decode_mixed(data)
            problems.append(mixed)
        else:
            text, encoding = _decode_single_byte(data)
            problems.append(_info(f"The file is not UTF-8; it was read as {encoding} text."))
    return _refuse_control_characters(name, text), problems


def _info(message: str) -> Problem:
    return Problem("info", message)


def _utf16_encoding(data: bytes) -> str | None:
    if data.startswith((b"\xff\xfe", b"\xfe\xff")):
        return "utf-16"
    head = data[:4096]
    if len(head) < 4:
        return None
    even, odd = head[0::2], head[1::2]
    if odd.count(0) > 0.4 * len(odd) and even.count(0) < 0.05 * len(even):
        return "utf-16-le"
    if even.count(0) > 0.4 * len(even) and odd.count(0) < 0.05 * len(odd):
        return "utf-16-be"
    return None


def _decode_single_byte(data: bytes) -> tuple[str, str]:
    try:
        return data.decode("cp1252"), "Windows-1252"
    except UnicodeDecodeError:
        return data.decode("latin-1"), "Latin-1"


def _decode_mixed(data: bytes) -> tuple[str, Problem]:
    """UTF-8 text in which the bytes that are not UTF-8 are read as Windows-1252."""
    text = data.decode("utf-8", errors="surrogateescape").removeprefix("\ufeff")
    touched = [line for line in text.splitlines() if _ESCAPED_BYTES.search(line)]

    def single_byte(match: re.Match) -> str:
        return _decode_single_byte(bytes(ord(ch) - 0xDC00 for ch in match.group()))[0]

    examples = tuple(_ESCAPED_BYTES.sub(single_byte, line)[:80] for line in touched[:5])
    problem = Problem(
        "warning",
        f"The file mixes UTF-8 and Windows-1252 text: {len(touched):,} lines are not UTF-8 and were "
        "read as Windows-1252. Check the accented letters in those lines.",
        rows=len(touched),
        examples=examples,
    )
    return _ESCAPED_BYTES.sub(single_byte, text), problem


# The control characters counted as signs of binary content: below 32, but for tab, line feed,
# vertical tab, form feed and carriage return (found by one search rather than a loop in Python).
_CONTROL_CHARACTERS = re.compile("[\x00-\x08\x0e-\x1f]")


def _refuse_control_characters(name: str, text: str) -> str:
    head = text[:65536]
    control = len(_CONTROL_CHARACTERS.findall(head))
    if control > max(2, len(head) // 200):
        raise InputError(f"{name} does not look like a text table: it contains binary data.")
    return text


def _sniff_delimiter(lines: Sequence[str]) -> str:
    """The delimiter giving the most consistent number of fields (at least two) per line.

    Candidates are ``, ; tab |``; runs of spaces count only when none of them splits the lines.
    A line count is consistent when it equals the most common count; the best candidate has the
    highest share of consistent lines, then the most fields.
    """
    best: tuple[float, int, str] | None = None
    for delimiter in _DELIMITERS:
        try:
            counts = [len(row) for row in csv.reader(lines, delimiter=delimiter)]
        except csv.Error:  # a cell longer than the csv module's field limit
            counts = [line.count(delimiter) + 1 for line in lines]
        score = _consistency(counts)
        if score is not None and (best is None or score > best[:2]):
            best = (*score, delimiter)
    if best is not None and best[0] >= 0.8:
        return best[2]
    score = _consistency([len(line.split()) for line in lines])
    if score is not None and score[0] >= 0.9:
        return _WHITESPACE
    return best[2] if best is not None else ","


def _consistency(counts: Sequence[int]) -> tuple[float, int] | None:
    if not counts:
        return None
    fields, hits = Counter(counts).most_common(1)[0]
    if fields < 2:
        return None
    return hits / len(counts), fields


def _parse_delimited(
    name: str, text: str, delimiter: str, *, utf8: bytes | None = None
) -> tuple[pd.DataFrame, list[str]]:
    """All cells as text, without treating any line as the header; lines with too many fields
    are left out and returned.

    Arrow reads the file when it can (:func:`_parse_with_arrow`, several times faster); pandas
    reads the rest, and says what is wrong with a file that cannot be read. ``utf8``, when
    given, is ``text`` encoded as UTF-8 already (the file's own bytes).
    """
    cells = _parse_with_arrow(text, delimiter, utf8=utf8)
    if cells is not None:
        return cells, []
    options: dict = {
        "header": None,
        "dtype": str,
        "keep_default_na": False,
        "na_values": list(MISSING_TEXT),
        "skip_blank_lines": True,
        "sep": r"\s+" if delimiter == _WHITESPACE else delimiter,
    }
    try:
        return pd.read_csv(io.StringIO(text), **options), []
    except pd.errors.ParserError as error:
        if "EOF inside string" in str(error):
            raise _unclosed_quote(name, text) from None
    except (ValueError, csv.Error) as error:
        raise _unreadable_text(name, error) from None
    # Rare path: some lines have more fields than the first. Keep the good lines and say so.
    skipped: list[str] = []

    def skip(fields: list[str]) -> None:
        skipped.append(" ".join(fields)[:80])

    options.update(engine="python", on_bad_lines=skip)
    try:
        return pd.read_csv(io.StringIO(text), **options), skipped
    except (ValueError, csv.Error) as error:
        raise _unreadable_text(name, error) from None


def _parse_with_arrow(text: str, delimiter: str, *, utf8: bytes | None = None) -> pd.DataFrame | None:
    """The cells as pandas reads them (see :func:`_parse_delimited`), read by Arrow; None when
    Arrow cannot be sure to read them the same way.

    Arrow reads the same CSV dialect (quote ``"``, doubled to escape it, no escape character,
    quoted line breaks, blank lines skipped, :data:`MISSING_TEXT` as missing) but refuses any line
    with another number of fields than the first, where pandas fills short lines with missing
    cells and leaves long ones out: such files, files of one column (pandas also skips lines of
    spaces there) and files split on runs of spaces go to pandas.
    """
    if delimiter == _WHITESPACE:
        return None
    data = utf8
    if data is None:
        try:
            data = text.encode("utf-8")
        except UnicodeEncodeError:  # lone surrogates: leave them to pandas
            return None
    if not _quotes_closed(data, delimiter):
        return None
    try:
        table = pa_csv.read_csv(
            io.BytesIO(data),
            read_options=pa_csv.ReadOptions(autogenerate_column_names=True, block_size=_ARROW_BLOCK_BYTES),
            parse_options=pa_csv.ParseOptions(delimiter=delimiter, newlines_in_values='"' in text),
            convert_options=pa_csv.ConvertOptions(
                column_types={f"f{i}": pa.string() for i in range(MAX_COLUMNS)},
                null_values=list(MISSING_TEXT),
                strings_can_be_null=True,
                quoted_strings_can_be_null=True,
            ),
        )
    except (pa.ArrowException, ValueError):
        return None
    if table.num_columns < 2 or any(field.type != pa.string() for field in table.schema):
        return None
    frame = table.to_pandas()
    frame.columns = range(table.num_columns)
    return frame


def _quotes_closed(data: bytes, delimiter: str) -> bool:
    """True when every quoted cell of ``data`` is closed, as pandas reads quotes.

    Arrow reads a quote that is never closed up to the end of the file, where pandas refuses the
    file (see :func:`_unclosed_quote`). A quote opens a cell at the start of a field only, is
    doubled inside one to stand for itself, and closes the cell otherwise. Files with more than
    :data:`_MAX_QUOTES_FOLLOWED` quote marks are not followed (False): pandas reads those.
    """
    if b'"' not in data:  # most files: one byte search, where the array below costs 25 times more
        return True
    quotes = np.flatnonzero(np.frombuffer(data, dtype=np.uint8) == ord('"'))
    if quotes.size > _MAX_QUOTES_FOLLOWED:
        return False
    boundaries = {ord(delimiter), ord("\n"), ord("\r")}
    positions = quotes.tolist()
    inside = False
    i = 0
    while i < len(positions):
        at = positions[i]
        if not inside:
            inside = at == 0 or data[at - 1] in boundaries
        elif i + 1 < len(positions) and positions[i + 1] == at + 1:
            i += 1  # a doubled quote inside a quoted cell
        else:
            inside = False
        i += 1
    return not inside


def _unclosed_quote(name: str, text: str) -> InputError:
    """The error for a quote mark that is never closed, naming the line it is on.

    Each line with an odd number of quote marks opens or closes a quoted cell; the quote that
    is never closed is on the last line that opened one.
    """
    opened_on: int | None = None
    for number, line in enumerate(text.splitlines(), start=1):
        if line.count('"') % 2:
            opened_on = number if opened_on is None else None
    where = f"on line {opened_on:,}" if opened_on is not None else "in the file"
    return InputError(
        f'{name}: the quote mark (") {where} is never closed, so the rest of the file would be read '
        "as one cell. Remove that quote mark or close it, and upload the file again."
    )


def _unreadable_text(name: str, error: Exception) -> InputError:
    if "field larger than field limit" in str(error):
        return InputError(
            f"{name} has a cell longer than {csv.field_size_limit():,} characters; it cannot be read."
        )
    return InputError(f"{name} could not be read as a table: {error}")

"""Property-based tests of reading files: whatever the bytes, the only exception that leaves bsc is
InputError, and every table that is read can be detected, prepared and stored.

The number of examples is bounded and the examples are derived from the test (``derandomize``), so
a run in CI is fast and repeatable; raise ``BSC_HYPOTHESIS_EXAMPLES`` to search longer by hand.
"""

from __future__ import annotations

import csv
import io
import os
import tempfile
from contextlib import redirect_stderr, redirect_stdout
from datetime import date, timedelta
from pathlib import Path

import openpyxl
import pandas as pd
from hypothesis import HealthCheck, given, settings
from hypothesis import strategies as st

from bsc.cli import main
from bsc.detect import detect_mapping
from bsc.errors import InputError
from bsc.ingest import read_tables
from bsc.prepare import prepare_table

EXAMPLES = int(os.environ.get("BSC_HYPOTHESIS_EXAMPLES", "60"))
bounded = settings(
    max_examples=EXAMPLES,
    deadline=None,
    derandomize=True,
    database=None,
    suppress_health_check=[HealthCheck.too_slow, HealthCheck.data_too_large],
)

NAMES = st.sampled_from(["upload.csv", "upload.tsv", "upload.txt", "upload.xlsx", "upload.parquet"])
# First bytes of real formats, so that random tails reach the readers behind the type checks.
PREFIXES = st.sampled_from(
    [
        b"",
        b"PK\x03\x04",
        b"PK\x05\x06",
        b"PAR1",
        b"\xff\xfe",
        b"\xfe\xff",
        b"\xef\xbb\xbf",
        b"\x80\x04",
        b"%PDF",
    ]
)


def ingest_everything(name: str, data: bytes) -> None:
    """Read, detect, prepare and write to Parquet, as saving an upload does; InputError is allowed."""
    try:
        tables = read_tables(name, data)
    except InputError:
        return
    for table in tables:
        mapping = detect_mapping(table.frame, table.name)
        table.frame.to_parquet(io.BytesIO(), index=False)
        try:
            prepared = prepare_table(table.frame, mapping)
        except InputError:
            continue
        prepared.canonical.to_parquet(io.BytesIO(), index=False)


def run_cli(name: str, data: bytes) -> int:
    with tempfile.TemporaryDirectory() as folder:
        path = Path(folder) / name
        path.write_bytes(data)
        with redirect_stdout(io.StringIO()), redirect_stderr(io.StringIO()):
            return main(["inspect", str(path)])


@bounded
@given(name=NAMES, prefix=PREFIXES, tail=st.binary(max_size=3000))
def test_random_bytes(name: str, prefix: bytes, tail: bytes):
    ingest_everything(name, prefix + tail)


# --- well-formed but odd text tables ----------------------------------------------------------

ODD_TEXT = st.text(
    alphabet=st.characters(codec="utf-8", exclude_categories=["Cs"])
    | st.sampled_from(list(',;\t|"\n\r =+-@#$€')),
    max_size=12,
)
DAY = st.dates(min_value=date(1, 1, 1), max_value=date(9999, 12, 31))
CELLS = st.one_of(
    ODD_TEXT,
    st.integers(min_value=-(10**20), max_value=10**20).map(str),
    st.floats(allow_nan=True, allow_infinity=True).map(repr),
    st.floats(allow_nan=False, allow_infinity=False, width=32).map(lambda x: f"{x:,.2f}"),
    st.decimals(places=2, allow_nan=False, allow_infinity=False, min_value=-(10**9), max_value=10**9).map(
        lambda x: f"€ {x}".replace(".", ",")
    ),
    DAY.map(lambda d: d.isoformat()),
    DAY.map(lambda d: d.strftime("%d/%m/%Y")),
    DAY.map(lambda d: d.strftime("%b %d, %Y")),
    st.integers(min_value=0, max_value=2_958_465).map(str),  # Excel day numbers up to 9999-12-31
    st.sampled_from(
        ["", " ", "NaN", "inf", "-inf", "#N/A", "#DIV/0!", "NULL", "yes", "no", "True", "0", "1"]
    ),
)
HEADER_NAMES = st.one_of(
    ODD_TEXT,
    st.sampled_from(
        ["customer_id", "Customer ID", "order_date", "date", "amount", "nps", "churn", "signup_date", "email"]
    ),
)


@st.composite
def odd_tables(draw) -> tuple[str, bytes]:
    width = draw(st.integers(min_value=1, max_value=8))
    header = draw(st.lists(HEADER_NAMES, min_size=width, max_size=width))
    rows = draw(
        st.lists(
            st.lists(CELLS, min_size=max(0, width - 2), max_size=width + 2),
            max_size=25,
        )
    )
    delimiter = draw(st.sampled_from([",", ";", "\t", "|"]))
    buffer = io.StringIO()
    writer = csv.writer(
        buffer, delimiter=delimiter, lineterminator=draw(st.sampled_from(["\n", "\r\n", "\r"]))
    )
    if draw(st.booleans()):
        writer.writerow(header)
    writer.writerows(rows)
    encoding = draw(st.sampled_from(["utf-8", "utf-8-sig", "utf-16", "utf-16-le", "cp1252", "latin-1"]))
    data = buffer.getvalue().encode(encoding, errors="replace")
    return draw(st.sampled_from(["table.csv", "table.txt", "table.tsv"])), data


@bounded
@given(table=odd_tables())
def test_odd_but_well_formed_text_tables(table: tuple[str, bytes]):
    ingest_everything(*table)


@bounded
@given(table=odd_tables())
def test_the_command_line_answers_every_text_table(table: tuple[str, bytes]):
    assert run_cli(*table) in (0, 2)


# --- workbooks and Parquet files, whole and damaged ------------------------------------------

EXCEL_CELLS = st.one_of(
    CELLS,
    st.integers(min_value=-(10**12), max_value=10**12),
    st.floats(allow_nan=False, allow_infinity=False),
    st.datetimes(
        min_value=pd.Timestamp("1900-03-01").to_pydatetime(),
        max_value=pd.Timestamp("9999-01-01").to_pydatetime(),
    ),
    st.booleans(),
    st.none(),
)


@st.composite
def workbooks(draw) -> bytes:
    workbook = openpyxl.Workbook()
    workbook.remove(workbook.active)
    for number in range(draw(st.integers(min_value=1, max_value=3))):
        sheet = workbook.create_sheet(f"Sheet{number}")
        for row in draw(st.lists(st.lists(EXCEL_CELLS, max_size=6), max_size=12)):
            # openpyxl refuses control characters in cells; Excel cannot hold them either.
            sheet.append([_printable(cell) for cell in row])
    buffer = io.BytesIO()
    workbook.save(buffer)
    return buffer.getvalue()


def _printable(cell: object) -> object:
    if isinstance(cell, str):
        return "".join(ch for ch in cell if ch.isprintable() or ch in "\t\n")
    return cell


@st.composite
def damaged(draw, files: st.SearchStrategy[bytes]) -> bytes:
    """A file, cut short or with some bytes overwritten (or left whole)."""
    data = bytearray(draw(files))
    # Positions are drawn as shares of the length: a workbook's length varies with the clock
    # (zip timestamps), and the drawing must not.
    share = st.floats(min_value=0, max_value=1)
    how = draw(st.sampled_from(["whole", "cut", "flip"]))
    if how == "cut":
        return bytes(data[: int(draw(share) * len(data))])
    if how == "flip":
        for _ in range(draw(st.integers(min_value=1, max_value=20))):
            data[int(draw(share) * (len(data) - 1))] = draw(st.integers(min_value=0, max_value=255))
    return bytes(data)


@bounded
@given(data=damaged(workbooks()))
def test_workbooks_whole_or_damaged(data: bytes):
    ingest_everything("upload.xlsx", data)


@st.composite
def parquet_files(draw) -> bytes:
    rows = draw(st.integers(min_value=0, max_value=20))
    columns = {
        f"c{i}": draw(
            st.lists(
                EXCEL_CELLS.filter(lambda c: not isinstance(c, bool)).map(str), min_size=rows, max_size=rows
            )
        )
        for i in range(draw(st.integers(min_value=1, max_value=4)))
    }
    frame = pd.DataFrame(columns)
    if draw(st.booleans()) and rows:
        frame["number"] = draw(
            st.lists(st.floats(allow_nan=True, allow_infinity=True), min_size=rows, max_size=rows)
        )
    buffer = io.BytesIO()
    frame.to_parquet(buffer)
    return buffer.getvalue()


@bounded
@given(data=damaged(parquet_files()))
def test_parquet_files_whole_or_damaged(data: bytes):
    ingest_everything("upload.parquet", data)


def test_day_numbers_cover_the_dates_they_stand_for():
    # The strategy's top Excel day number is 9999-12-31: days since 1899-12-30.
    assert date(1899, 12, 30) + timedelta(days=2_958_465) == date(9999, 12, 31)

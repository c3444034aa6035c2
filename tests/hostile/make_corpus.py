"""Write the binary and the large files of the hostile corpus (the small text files are committed).

Usage: ``python tests/hostile/make_corpus.py FOLDER`` writes every generated file into FOLDER, so
that each can be opened by hand (in the app, or with ``python -m bsc inspect``). The tests call
:func:`write_corpus` into a temporary folder. What each file is and what the user must see is
listed in ``tests/hostile/README.md``.

Nothing here needs the network. The largest files are sparse or made of repeated bytes: the
file over the upload limit takes no disk space, the zip bomb is 0.6 MB on disk and 600 MB inflated.
Three files are large for what they cost once read rather than for their size: 10 million
distinct ids in one Parquet row group (6 MB), a 1.6 MB workbook of 30 million cells and a 150 MB
CSV file; together they take about ten seconds to write.
"""

from __future__ import annotations

import io
import math
import os
import pickle
import random
import sys
import zipfile
from collections.abc import Callable
from datetime import datetime, timedelta
from pathlib import Path

import numpy as np
import openpyxl
import pyarrow as pa
import pyarrow.compute as pc
import pyarrow.csv as pa_csv
import pyarrow.parquet as pq

from bsc.ingest import MAX_UPLOAD_BYTES

MB = 1024 * 1024
# A pickle that would create this folder next to the corpus if anything ever unpickled it.
UNPICKLED_MARKER = "UNPICKLED"

Writer = Callable[[Path], None]
WRITERS: dict[str, Writer] = {}


def corpus_file(name: str) -> Callable[[Writer], Writer]:
    def register(writer: Writer) -> Writer:
        WRITERS[name] = writer
        return writer

    return register


def write_corpus(folder: Path) -> dict[str, Path]:
    """Write every generated file into ``folder``; returns their paths by file name."""
    folder.mkdir(parents=True, exist_ok=True)
    written = {}
    for name, writer in WRITERS.items():
        path = folder / name
        writer(path)
        written[name] = path
    return written


# --- helpers ----------------------------------------------------------------------------------


class _Payload:
    """Unpickling this creates the marker folder: proof that a file was unpickled."""

    def __init__(self, marker: Path) -> None:
        self.marker = marker

    def __reduce__(self):
        return (os.mkdir, (str(self.marker),))


def pickle_bytes(folder: Path) -> bytes:
    return pickle.dumps(_Payload(folder / UNPICKLED_MARKER), protocol=4)


def workbook_bytes(sheets: dict[str, list[list[object]]]) -> bytes:
    workbook = openpyxl.Workbook()
    workbook.remove(workbook.active)
    for title, rows in sheets.items():
        sheet = workbook.create_sheet(title)
        for row in rows:
            sheet.append(row)
    buffer = io.BytesIO()
    workbook.save(buffer)
    return buffer.getvalue()


ORDERS = [
    ["customer_id", "order_date", "amount"],
    ["C1", datetime(2024, 1, 5), 10.0],
    ["C2", datetime(2024, 1, 6), 12.5],
    ["C3", datetime(2024, 1, 7), 14.0],
]
CUSTOMERS = [
    ["customer_id", "signup_date", "plan"],
    ["C1", datetime(2023, 3, 1), "Basic"],
    ["C2", datetime(2023, 4, 1), "Pro"],
    ["C3", datetime(2023, 5, 1), "Basic"],
]


def replace_parts(data: bytes, parts: dict[str, bytes]) -> bytes:
    """The workbook ``data`` with some of its zip parts replaced (or added)."""
    buffer = io.BytesIO()
    with (
        zipfile.ZipFile(io.BytesIO(data)) as source,
        zipfile.ZipFile(buffer, "w", zipfile.ZIP_DEFLATED) as out,
    ):
        for item in source.infolist():
            out.writestr(item.filename, parts.pop(item.filename, None) or source.read(item.filename))
        for name, content in parts.items():
            out.writestr(name, content)
    return buffer.getvalue()


SHEET_NS = "http://schemas.openxmlformats.org/spreadsheetml/2006/main"


def sheet_xml(rows: str, dimension: str = "A1:D6") -> bytes:
    return (
        f'<?xml version="1.0" encoding="UTF-8" standalone="yes"?>\n<worksheet xmlns="{SHEET_NS}">'
        f'<dimension ref="{dimension}"/><sheetData>{rows}</sheetData></worksheet>'
    ).encode()


def text_cell(ref: str, text: str) -> str:
    return f'<c r="{ref}" t="inlineStr"><is><t>{text}</t></is></c>'


# --- text files -------------------------------------------------------------------------------


@corpus_file("nul_bytes.csv")
def _nul_bytes(path: Path) -> None:
    rows = [b"customer_id,signup_date,plan"] + [b"C%d,2024-01-%02d,Basic" % (i, i) for i in range(1, 21)]
    rows[3] += b"\x00\x00"
    rows[7] = rows[7].replace(b"Basic", b"Ba\x00sic")
    path.write_bytes(b"\n".join(rows) + b"\n")


@corpus_file("binary_noise.csv")
def _binary_noise(path: Path) -> None:
    noise = random.Random(7).randbytes(20_000)
    path.write_bytes(noise.lstrip(b"PK%\x89\xff\x1f\x80"))


@corpus_file("utf16_no_bom.txt")
def _utf16_no_bom(path: Path) -> None:
    path.write_bytes("customer_id\tname\tcity\nC1\tZoë\tGenève\nC2\tJosé\tSão Paulo\n".encode("utf-16-le"))


@corpus_file("utf16_bom.csv")
def _utf16_bom(path: Path) -> None:
    path.write_bytes("customer_id,name,city\nC1,Zoë,Genève\nC2,José,São Paulo\n".encode("utf-16"))


@corpus_file("one_10mb_line.csv")
def _one_line(path: Path) -> None:
    path.write_bytes(b"customer_id," + b"x" * (10 * MB))


@corpus_file("wide_10000_columns.csv")
def _wide_csv(path: Path) -> None:
    header = ",".join(f"c{i}" for i in range(10_000))
    path.write_text(header + "\n" + ",".join("1" for _ in range(10_000)) + "\n")


@corpus_file("over_the_limit.csv")
def _over_the_limit(path: Path) -> None:
    with path.open("wb") as handle:
        handle.write(b"customer_id,amount\nC1,1\n")
        handle.truncate(MAX_UPLOAD_BYTES + MB)  # sparse: takes no disk space


@corpus_file("cr_only_with_lf.csv")
def _cr_only_with_lf(path: Path) -> None:
    # 1.4 MB of old-Mac line ends (a lone CR) with one LF inside a quoted note: no line is long,
    # though a reader splitting at LF alone sees one line of 1.4 MB.
    lines = ["customer_id,order_date,amount,note"]
    lines += [f"C{i % 500:04d},2024-{1 + i % 12:02d}-{1 + i % 28:02d},{i % 97}.25," for i in range(60_000)]
    lines[3] = 'C0002,2024-03-04,12.25,"two\nlines"'
    path.write_bytes("\r".join(lines).encode() + b"\r")


@corpus_file("orders_150mb.csv")
def _orders_150mb(path: Path) -> None:
    # 5,000,000 orders of 200,000 customers over 1,000 days, about 31 bytes a line: within the
    # upload limit, 20 million cells. Written by Arrow, unquoted, like a CRM export.
    rows = 5_000_000
    rng = np.random.default_rng(17)
    number = pc.cast(pa.array(rng.integers(0, 200_000, rows)), pa.string())
    table = pa.table(
        {
            "customer_id": pc.binary_join_element_wise("C", pc.utf8_lpad(number, 7, "0"), ""),
            "order_date": pa.array(np.datetime64("2022-01-01") + rng.integers(0, 1_000, rows)),
            "amount": pa.array(np.round(rng.gamma(2.0, 40.0, rows), 2)),
            "channel": pa.array(np.array(["web", "shop", "phone"])[rng.integers(0, 3, rows)]),
        }
    )
    pa_csv.write_csv(table, path, pa_csv.WriteOptions(quoting_style="none"))


@corpus_file("workbook_named.csv")
def _workbook_named_csv(path: Path) -> None:
    path.write_bytes(workbook_bytes({"Orders": ORDERS}))


@corpus_file("pdf_named.csv")
def _pdf(path: Path) -> None:
    path.write_bytes(
        b"%PDF-1.4\n%\xe2\xe3\xcf\xd3\n1 0 obj << /Type /Catalog >> endobj\ntrailer << >>\n%%EOF\n"
    )


@corpus_file("pickle_named.csv")
def _pickle_csv(path: Path) -> None:
    path.write_bytes(pickle_bytes(path.parent))


@corpus_file("pickle_named.parquet")
def _pickle_parquet(path: Path) -> None:
    path.write_bytes(pickle_bytes(path.parent))


@corpus_file("pickle_named.xlsx")
def _pickle_xlsx(path: Path) -> None:
    path.write_bytes(pickle_bytes(path.parent))


# --- workbooks --------------------------------------------------------------------------------


@corpus_file("truncated.xlsx")
def _truncated(path: Path) -> None:
    data = workbook_bytes({"Orders": ORDERS})
    path.write_bytes(data[: len(data) // 2])


@corpus_file("corrupt.xlsx")
def _corrupt(path: Path) -> None:
    data = workbook_bytes({"Orders": ORDERS})
    with zipfile.ZipFile(io.BytesIO(data)) as archive:
        sheet = archive.getinfo("xl/worksheets/sheet1.xml")
    # Overwrite the compressed sheet data (after its 30-byte local header and name) with noise.
    start = sheet.header_offset + 30 + len(sheet.filename) + 8
    noise = random.Random(3).randbytes(40)
    path.write_bytes(data[:start] + noise + data[start + len(noise) :])


@corpus_file("zip_bomb.xlsx")
def _zip_bomb(path: Path) -> None:
    # A real workbook whose sheet is 600 MB of spaces: 0.6 MB on disk.
    data = workbook_bytes({"Orders": ORDERS})
    with zipfile.ZipFile(io.BytesIO(data)) as source, zipfile.ZipFile(path, "w", zipfile.ZIP_DEFLATED) as out:
        for item in source.infolist():
            if item.filename != "xl/worksheets/sheet1.xml":
                out.writestr(item.filename, source.read(item.filename))
        with out.open("xl/worksheets/sheet1.xml", "w", force_zip64=True) as sheet:
            sheet.write(f'<worksheet xmlns="{SHEET_NS}"><sheetData>'.encode())
            block = b" " * MB
            for _ in range(600):
                sheet.write(block)
            sheet.write(b"</sheetData></worksheet>")


@corpus_file("many_parts.xlsx")
def _many_parts(path: Path) -> None:
    path.write_bytes(
        replace_parts(
            workbook_bytes({"Orders": ORDERS}), {f"xl/media/image{i}.png": b"" for i in range(20_000)}
        )
    )


@corpus_file("xml_entity_bomb.xlsx")
def _entity_bomb(path: Path) -> None:
    entities = '<!ENTITY lol0 "lollollollollollollollollollol">' + "".join(
        f'<!ENTITY lol{i} "{f"&lol{i - 1};" * 10}">' for i in range(1, 10)
    )
    sheet = (
        f'<?xml version="1.0"?><!DOCTYPE worksheet [{entities}]><worksheet xmlns="{SHEET_NS}">'
        f'<sheetData><row r="1">{text_cell("A1", "&lol9;")}</row></sheetData></worksheet>'
    ).encode()
    path.write_bytes(replace_parts(workbook_bytes({"Orders": ORDERS}), {"xl/worksheets/sheet1.xml": sheet}))


@corpus_file("encrypted.xlsx")
def _encrypted(path: Path) -> None:
    # Excel saves a password-protected workbook as an OLE compound file, not a zip.
    path.write_bytes(b"\xd0\xcf\x11\xe0\xa1\xb1\x1a\xe1" + bytes(504) + b"EncryptedPackage" + bytes(1000))


@corpus_file("plain_zip.xlsx")
def _plain_zip(path: Path) -> None:
    with zipfile.ZipFile(path, "w", zipfile.ZIP_DEFLATED) as archive:
        archive.writestr("customers.csv", "customer_id,plan\nC1,Basic\n")


@corpus_file("formulas_and_errors.xlsx")
def _formulas_and_errors(path: Path) -> None:
    # As Excel saves it: each formula with its last value, errors with t="e".
    rows = [
        ("C1", "2024-01-05", 100, 60, "<v>0.4</v>", ""),
        ("C2", "2024-01-06", 0, 10, "<v>#DIV/0!</v>", ' t="e"'),
        ("C3", "2024-01-07", 50, 25, "<v>0.5</v>", ""),
        ("C4", "2024-01-08", 80, 20, "<v>#N/A</v>", ' t="e"'),
        ("C5", "2024-01-09", 0, 5, "<v>#DIV/0!</v>", ' t="e"'),
    ]
    header = "".join(
        text_cell(f"{col}1", name)
        for col, name in zip("ABCDE", ["customer_id", "order_date", "amount", "cost", "margin"], strict=True)
    )
    body = "".join(
        f'<row r="{n}">{text_cell(f"A{n}", cid)}{text_cell(f"B{n}", day)}<c r="C{n}"><v>{amount}</v></c>'
        f'<c r="D{n}"><v>{cost}</v></c><c r="E{n}"{kind}><f>(C{n}-D{n})/C{n}</f>{value}</c></row>'
        for n, (cid, day, amount, cost, value, kind) in enumerate(rows, start=2)
    )
    sheet = sheet_xml(f'<row r="1">{header}</row>{body}', "A1:E6")
    path.write_bytes(replace_parts(workbook_bytes({"Orders": ORDERS}), {"xl/worksheets/sheet1.xml": sheet}))


@corpus_file("uncalculated_formulas.xlsx")
def _uncalculated(path: Path) -> None:
    # Written by a program: formulas without the value Excel would have saved.
    rows = [["customer_id", "order_date", "amount", "with_tax"]]
    rows += [[f"C{n}", datetime(2024, 1, n), 10.0 * n, f"=C{n + 1}*1.2"] for n in range(1, 4)]
    path.write_bytes(workbook_bytes({"Orders": rows}))


@corpus_file("empty_sheet_between.xlsx")
def _empty_between(path: Path) -> None:
    path.write_bytes(workbook_bytes({"Customers": CUSTOMERS, "Notes": [], "Orders": ORDERS}))


@corpus_file("excel_dates.xlsx")
def _excel_dates(path: Path) -> None:
    # signup_date holds real Excel dates; churn_date mixes a date, day numbers and written dates.
    rows = [
        ["customer_id", "signup_date", "churn_date"],
        ["C1", datetime(2023, 1, 31), datetime(2024, 1, 31)],
        ["C2", datetime(2023, 2, 15), 45337],
        ["C3", datetime(2023, 3, 1), "31/01/2024"],
        ["C4", datetime(2023, 4, 1), "2024-02-15"],
        ["C5", datetime(2023, 5, 1), None],
    ]
    path.write_bytes(workbook_bytes({"Customers": rows}))


@corpus_file("wide_10000_columns.xlsx")
def _wide_xlsx(path: Path) -> None:
    path.write_bytes(workbook_bytes({"Wide": [[f"c{i}" for i in range(10_000)], list(range(10_000))]}))


@corpus_file("stray_far_cell.xlsx")
def _stray_far_cell(path: Path) -> None:
    data = workbook_bytes({"Customers": CUSTOMERS, "Scratch": ORDERS})
    rows = "".join(
        f'<row r="{n}">{text_cell(f"A{n}", f"C{n}")}<c r="B{n}"><v>{n}</v></c></row>' for n in range(2, 5)
    )
    scratch = sheet_xml(
        f'<row r="1">{text_cell("A1", "customer_id")}{text_cell("B1", "amount")}</row>{rows}'
        f'<row r="5">{text_cell("XFD5", "note to self")}</row>',
        "A1:XFD5",
    )
    path.write_bytes(replace_parts(data, {"xl/worksheets/sheet2.xml": scratch}))


@corpus_file("huge_dimension.xlsx")
def _huge_dimension(path: Path) -> None:
    # A small table whose sheet claims to fill every row and column Excel has.
    data = workbook_bytes({"Customers": CUSTOMERS})
    with zipfile.ZipFile(io.BytesIO(data)) as archive:
        sheet = archive.read("xl/worksheets/sheet1.xml").replace(b'ref="A1:C4"', b'ref="A1:XFD1048576"')
    path.write_bytes(replace_parts(data, {"xl/worksheets/sheet1.xml": sheet}))


@corpus_file("title_rows.xlsx")
def _title_rows(path: Path) -> None:
    # A report title merged over A1:C1 with its export date in D1, a blank row, then the header on
    # row 3: two filled cells above a header of four are a title, not column names.
    workbook = openpyxl.Workbook()
    sheet = workbook.active
    sheet.title = "Orders"
    sheet["A1"], sheet["D1"] = "Sales report Q1 2024", "Exported 2024-04-02"
    sheet.merge_cells("A1:C1")
    sheet.append([])
    sheet.append(["customer_id", "order_date", "amount", "channel"])
    for i in range(30):
        sheet.append([f"C{i % 7:03d}", datetime(2024, 1 + i % 3, 1 + i), 10.5 + i, ("web", "shop")[i % 2]])
    buffer = io.BytesIO()
    workbook.save(buffer)
    path.write_bytes(buffer.getvalue())


@corpus_file("thirty_million_cells.xlsx")
def _thirty_million_cells(path: Path) -> None:
    # 1,000,000 rows of 30 cells holding 1: 440 MB of sheet XML, under the 512 MB a workbook may
    # unpack to, deflated to 1.6 MB. Streamed into the zip, never held whole.
    row = b"<row>" + b"<c><v>1</v></c>" * 30 + b"</row>"
    source = zipfile.ZipFile(io.BytesIO(workbook_bytes({"Cells": [["n"]]})))
    with zipfile.ZipFile(path, "w", zipfile.ZIP_DEFLATED) as out:
        for item in source.infolist():
            if item.filename != "xl/worksheets/sheet1.xml":
                out.writestr(item, source.read(item.filename))
                continue
            with out.open(item.filename, "w", force_zip64=True) as sheet:
                sheet.write(sheet_xml("").split(b"<sheetData>")[0] + b"<sheetData>")
                for _ in range(100):
                    sheet.write(row * 10_000)
                sheet.write(b"</sheetData></worksheet>")


# --- Parquet ----------------------------------------------------------------------------------


@corpus_file("ten_million_ids.parquet")
def _ten_million_ids(path: Path) -> None:
    # 10,000,000 distinct customer ids C00000000 to C09999999 in one row group: 6 MB on disk.
    rows = 10_000_000
    number = pc.cast(pa.array(np.arange(rows)), pa.string())
    ids = pc.binary_join_element_wise("C", pc.utf8_lpad(number, 8, "0"), "")
    pq.write_table(pa.table({"customer_id": ids}), path, row_group_size=rows, compression="zstd")


@corpus_file("null_rows.parquet")
def _null_rows(path: Path) -> None:
    # 31 million rows of nothing: 5 KB on disk, 250 MB as pandas objects.
    pq.write_table(pa.table({"customer_id": pa.nulls(31_000_000)}), path)


@corpus_file("dictionary_bomb.parquet")
def _dictionary_bomb(path: Path) -> None:
    # 600 rows sharing one 1 MB text: stored once in the dictionary, 600 MB once decoded.
    value = pa.array(["customer note " + "x" * MB])
    notes = pa.DictionaryArray.from_arrays(pa.array([0] * 600, pa.int32()), value)
    table = pa.table({"customer_id": [f"C{i}" for i in range(600)], "note": notes})
    pq.write_table(table, path, store_schema=False)


@corpus_file("damaged.parquet")
def _damaged_parquet(path: Path) -> None:
    buffer = io.BytesIO()
    pq.write_table(pa.table({"customer_id": ["C1", "C2"], "amount": [1.0, 2.0]}), buffer)
    data = buffer.getvalue()
    path.write_bytes(data[: len(data) - 40])


@corpus_file("nested_columns.parquet")
def _nested(path: Path) -> None:
    table = pa.table(
        {
            "customer_id": ["C1", "C2", "C3"],
            "plan": ["Basic", "Pro", "Basic"],
            "tags": [["vip"], [], ["new", "web"]],
            "address": [{"city": "Genève"}, {"city": "Köln"}, {"city": "Lyon"}],
        }
    )
    pq.write_table(table, path)


@corpus_file("duplicate_columns.parquet")
def _duplicate_parquet_columns(path: Path) -> None:
    # Arrow writes two columns of one name; its dataset reader then refuses to select either.
    table = pa.Table.from_arrays(
        [pa.array(["C1", "C2", "C3"]), pa.array([1.5, 2.0, 3.0]), pa.array([4.0, 5.0, 6.5])],
        names=["customer_id", "amount", "amount"],
    )
    pq.write_table(table, path)


@corpus_file("float_ids.parquet")
def _float_ids(path: Path) -> None:
    # Customer ids stored as float64: 31 ordinary ones, 8 of 1e20 to 8e20 (past 2**63, where an
    # integer cast wraps them all to -9223372036854775808) and one infinity.
    ids = [100_000.0 + i for i in range(31)] + [1e20 * (i + 1) for i in range(8)] + [math.inf]
    signup = [datetime(2023, 1, 1) + timedelta(days=i) for i in range(len(ids))]
    plans = [("basic", "plus")[i % 2] for i in range(len(ids))]
    pq.write_table(pa.table({"customer_id": ids, "signup_date": signup, "plan": plans}), path)


class _SmuggledType(pa.ExtensionType):
    """A column type named like Arrow's old pickled Python type, carrying a pickle."""

    def __init__(self, payload: bytes = b"") -> None:
        self.payload = payload
        super().__init__(pa.binary(), "arrow.py_extension_type")

    def __arrow_ext_serialize__(self) -> bytes:
        return self.payload

    @classmethod
    def __arrow_ext_deserialize__(cls, storage_type, serialized):
        return cls(serialized)


@corpus_file("pickled_extension.parquet")
def _pickled_extension(path: Path) -> None:
    smuggled = pa.ExtensionArray.from_storage(
        _SmuggledType(pickle_bytes(path.parent)), pa.array([b"a", b"b"])
    )
    pq.write_table(pa.table({"customer_id": ["C1", "C2"], "blob": smuggled}), path)


if __name__ == "__main__":
    if len(sys.argv) != 2:
        sys.exit("usage: python tests/hostile/make_corpus.py FOLDER")
    for written in write_corpus(Path(sys.argv[1])).values():
        print(written)

"""Reading files into raw tables: text encodings and delimiters, workbooks, Parquet, refusals."""

from __future__ import annotations

import io
from datetime import datetime
from pathlib import Path
from typing import ClassVar

import openpyxl
import pandas as pd
import pytest

from bsc.errors import InputError
from bsc.ingest import MAX_UPLOAD_BYTES, RawTable, excel, read_path, read_tables
from bsc.ingest import text as ingest_text
from bsc.ingest.checks import _count_lines

FIXTURES = Path(__file__).parent / "fixtures"
TEXT_FIXTURES = [
    "bom_utf8.csv",
    "semicolons.csv",
    "latin1.csv",
    "blank_numbers.csv",
    "mixed_dates.csv",
    "crlf.csv",
    "telco_customers.csv",
    "cdnow_sample.txt",
]


def read_one(name: str, data: bytes) -> RawTable:
    tables = read_tables(name, data)
    assert len(tables) == 1
    return tables[0]


def parquet_round_trip(frame: pd.DataFrame) -> pd.DataFrame:
    buffer = io.BytesIO()
    frame.to_parquet(buffer, engine="pyarrow")
    return pd.read_parquet(io.BytesIO(buffer.getvalue()), engine="pyarrow")


class TestTextFiles:
    def test_utf8_with_byte_order_mark(self):
        table = read_path(FIXTURES / "bom_utf8.csv")
        assert list(table[0].frame.columns) == ["customer_id", "name", "city", "signup_date"]
        assert table[0].frame["name"].tolist() == ["Zoë Müller", "André Côté", "Ana Núñez"]
        assert table[0].problems == []
        assert (table[0].name, table[0].source, table[0].sheet) == ("bom_utf8.csv", "bom_utf8.csv", None)

    def test_semicolons_keep_decimal_commas_as_text(self):
        frame = read_path(FIXTURES / "semicolons.csv")[0].frame
        assert list(frame.columns) == ["Kundennummer", "Bestelldatum", "Betrag", "Menge"]
        assert frame["Betrag"].tolist() == ["12,50", "1.234,00", "-5,25", "99,99"]

    def test_windows_1252_fallback(self):
        table = read_path(FIXTURES / "latin1.csv")[0]
        assert table.frame["city"].tolist() == ["Genève", "München", "Köln"]
        assert table.frame["revenue"].tolist() == ["€1,200", "€ 80", "€ 455.50"]
        assert [p.severity for p in table.problems] == ["info"]
        assert "Windows-1252" in table.problems[0].message

    def test_crlf_line_endings_leave_no_carriage_returns(self):
        frame = read_path(FIXTURES / "crlf.csv")[0].frame
        assert list(frame.columns) == ["ticket_id", "customer_id", "opened_at", "resolved_at"]
        assert frame.shape == (3, 4)
        assert frame["resolved_at"].tolist()[:2] == ["2024-05-01 17:30", "2024-05-03 08:00"]
        assert pd.isna(frame["resolved_at"].iloc[2])

    def test_blank_cells_in_a_numeric_column_stay_text(self):
        frame = read_path(FIXTURES / "blank_numbers.csv")[0].frame
        values = frame["total_charges"].tolist()
        assert values[0] == "29.85"
        assert values[1] == " "  # a cell holding one space is kept as written
        assert pd.isna(values[2]) and pd.isna(values[4])  # empty and "n/a"
        assert values[3] == "1,840.75"

    def test_headerless_cdnow_log(self):
        table = read_path(FIXTURES / "cdnow_sample.txt")[0]
        assert list(table.frame.columns) == [f"column_{i}" for i in range(1, 6)]
        # `wc -l tests/fixtures/cdnow_sample.txt` -> 2006 lines, none of them a header
        assert table.frame.shape == (2006, 5)
        # first line of the file: " 00004 0001 19970101  2   29.33"
        assert table.frame.iloc[0].tolist() == ["00004", "0001", "19970101", "2", "29.33"]
        assert any("no header" in p.message for p in table.problems)

    def test_header_over_numbers_is_a_header(self):
        frame = read_one("x.csv", b"id,amount\n1,2.5\n2,3.5\n").frame
        assert list(frame.columns) == ["id", "amount"]
        assert frame["amount"].tolist() == ["2.5", "3.5"]

    @pytest.mark.parametrize(
        ("delimiter", "extension"),
        [("\t", ".tsv"), ("\t", ".txt"), ("|", ".txt"), (";", ".csv"), (",", ".csv")],
        ids=["tab-tsv", "tab-txt", "pipe", "semicolon", "comma"],
    )
    def test_delimiters(self, delimiter: str, extension: str):
        text = delimiter.join(["customer", "order date", "amount"]) + "\n"
        text += delimiter.join(["C1", "2024-01-02", "1,5" if delimiter == ";" else "1.5"]) + "\n"
        text += delimiter.join(["C2", "2024-01-03", "2"]) + "\n"
        frame = read_one("orders" + extension, text.encode()).frame
        assert list(frame.columns) == ["customer", "order date", "amount"]
        assert frame["customer"].tolist() == ["C1", "C2"]

    def test_quoted_commas_stay_in_their_cell(self):
        data = b'name,method\n"Smith, Ann","Bank transfer (automatic)"\n"Lee, Bo",Mailed check\n'
        frame = read_one("x.csv", data).frame
        assert frame["name"].tolist() == ["Smith, Ann", "Lee, Bo"]

    def test_duplicate_column_names_are_made_unique(self):
        table = read_one("x.csv", b"a,a,b,a\n1,2,3,4\n")
        assert list(table.frame.columns) == ["a", "a.1", "b", "a.2"]
        assert [p.severity for p in table.problems] == ["warning"]
        assert "a → a.1" in table.problems[0].message

    def test_unnamed_empty_trailing_column_is_dropped(self):
        table = read_one("x.csv", b"a,b,\n1,2,\n3,4,\n")
        assert list(table.frame.columns) == ["a", "b"]

    def test_line_with_too_many_fields_is_left_out_and_reported(self):
        table = read_one("x.csv", b"a,b\n1,2\n3,4,5\n6,7\n")
        assert table.frame["a"].tolist() == ["1", "6"]
        warning = next(p for p in table.problems if p.severity == "warning")
        assert warning.rows == 1

    def test_utf16_with_byte_order_mark(self):
        data = "customer\tamount\nC1\t3\nC2\t4\n".encode("utf-16")
        frame = read_one("export.txt", data).frame
        assert frame["customer"].tolist() == ["C1", "C2"]


class TestRefusals:
    @pytest.mark.parametrize(
        ("name", "data", "message"),
        [
            ("empty.csv", b"", "is empty"),
            ("blank.csv", b"  \r\n\n", "is empty"),
            ("header_only.csv", (FIXTURES / "header_only.csv").read_bytes(), "no rows of data"),
            ("report.pdf", b"%PDF-1.4", r"type \.pdf cannot be read"),
            ("noextension", b"a,b\n1,2\n", "without an extension"),
            ("garbage.csv", (FIXTURES / "garbage.csv").read_bytes(), "is a PNG picture, not a text table"),
            ("noise.csv", bytes(range(1, 256)) * 8, "binary data"),
            ("broken.xlsx", b"PK\x03\x04 this is not really a zip", "not a readable Excel workbook"),
            ("text.xlsx", b"customer,amount\nC1,3\n", "not a readable Excel workbook"),
            ("broken.parquet", b"PAR1 nothing here", "not a readable Parquet file"),
        ],
        ids=[
            "empty",
            "only-blank-lines",
            "header-only",
            "unsupported-extension",
            "no-extension",
            "picture-named-csv",
            "binary-without-nul",
            "corrupt-xlsx",
            "csv-named-xlsx",
            "corrupt-parquet",
        ],
    )
    def test_refused_with_a_clear_message(self, name: str, data: bytes, message: str):
        with pytest.raises(InputError, match=message) as caught:
            read_tables(name, data)
        assert "\n" not in str(caught.value)

    def test_over_the_size_limit(self):
        with pytest.raises(InputError, match="larger than the limit of 0 MB"):
            read_tables("big.csv", b"a,b\n1,2\n", max_bytes=5)

    def test_default_limit_is_200_mb(self):
        assert MAX_UPLOAD_BYTES == 200 * 1024 * 1024

    def test_missing_path(self, tmp_path: Path):
        with pytest.raises(InputError, match="File not found"):
            read_path(tmp_path / "nothing.csv")


def write_workbook(path: Path, sheets: dict[str, list[list[object]]]) -> bytes:
    workbook = openpyxl.Workbook()
    workbook.remove(workbook.active)
    for title, rows in sheets.items():
        sheet = workbook.create_sheet(title)
        for row in rows:
            sheet.append(row)
    workbook.save(path)
    return path.read_bytes()


CUSTOMER_ROWS = [
    ["Customer ID", "Joined", "Plan"],
    ["00017", datetime(2023, 1, 5), "Basic"],
    ["00018", datetime(2023, 2, 7), "Pro"],
]
ORDER_ROWS = [
    ["order_id", "customer_id", "order_date", "amount", "note"],
    [1, "00017", datetime(2023, 3, 1), 19.9, "first"],
    [2, "00018", datetime(2023, 3, 2), 5, 42],
    [3, "00017", datetime(2023, 4, 1), 7.5, datetime(2023, 4, 2)],
]
NOTES_ROWS = [["This workbook was exported from the shop."], ["Amounts are in euros."]]


class TestWorkbooks:
    @pytest.fixture
    def workbook(self, tmp_path: Path) -> bytes:
        return write_workbook(
            tmp_path / "shop.xlsx",
            {"Customers": CUSTOMER_ROWS, "Empty": [], "Orders": ORDER_ROWS, "Notes": NOTES_ROWS},
        )

    def test_every_non_empty_sheet_is_a_table(self, workbook: bytes):
        tables = read_tables("shop.xlsx", workbook)
        assert [t.name for t in tables] == [
            "shop.xlsx / Customers",
            "shop.xlsx / Orders",
            "shop.xlsx / Notes",
        ]
        assert [t.sheet for t in tables] == ["Customers", "Orders", "Notes"]
        assert {t.source for t in tables} == {"shop.xlsx"}

    def test_empty_sheet_is_reported_as_info(self, workbook: bytes):
        first = read_tables("shop.xlsx", workbook)[0]
        info = [p for p in first.problems if "'Empty'" in p.message]
        assert [p.severity for p in info] == ["info"]

    def test_cell_types_are_kept(self, workbook: bytes):
        customers, orders, _notes = read_tables("shop.xlsx", workbook)
        assert customers.frame["Customer ID"].tolist() == ["00017", "00018"]
        assert customers.frame["Joined"].dtype == "datetime64[us]"
        assert orders.frame["order_id"].tolist() == [1, 2, 3]
        assert orders.frame["amount"].tolist() == [19.9, 5.0, 7.5]
        # a column mixing text, a whole number and a date becomes text
        assert orders.frame["note"].tolist() == ["first", "42", "2023-04-02T00:00:00"]

    def test_sheets_can_be_written_to_parquet(self, workbook: bytes):
        for table in read_tables("shop.xlsx", workbook):
            back = parquet_round_trip(table.frame)
            assert back.shape == table.frame.shape

    def test_a_broken_sheet_does_not_lose_the_others(self, workbook: bytes, monkeypatch: pytest.MonkeyPatch):
        read_sheet = excel._read_sheet

        def failing_on_orders(name, sheet, budget):
            if sheet.title == "Orders":
                raise ValueError("unreadable cell")
            return read_sheet(name, sheet, budget)

        monkeypatch.setattr(excel, "_read_sheet", failing_on_orders)
        tables = read_tables("shop.xlsx", workbook)
        assert [t.sheet for t in tables] == ["Customers", "Notes"]
        warning = next(p for p in tables[0].problems if p.severity == "warning")
        assert "'Orders' could not be read" in warning.message

    def test_workbook_without_data(self, tmp_path: Path):
        data = write_workbook(tmp_path / "blank.xlsx", {"One": [], "Two": [[None, " "]]})
        with pytest.raises(InputError, match="no sheet with data"):
            read_tables("blank.xlsx", data)

    def test_title_line_above_the_header_is_skipped(self, tmp_path: Path):
        data = write_workbook(
            tmp_path / "report.xlsx",
            {"Sales": [["Sales report 2023"], [], ["customer", "amount"], ["A", 1.5], ["B", 2.5]]},
        )
        table = read_tables("report.xlsx", data)[0]
        assert list(table.frame.columns) == ["customer", "amount"]
        assert table.frame["amount"].tolist() == [1.5, 2.5]

    def test_sheet_with_header_only(self, tmp_path: Path):
        data = write_workbook(tmp_path / "h.xlsx", {"Data": [["a", "b"]], "More": [["c"], [1]]})
        tables = read_tables("h.xlsx", data)
        assert [t.sheet for t in tables] == ["More"]
        assert any("no rows of data" in p.message for p in tables[0].problems)


class TestParquet:
    def test_zero_padded_ids_and_types_survive(self):
        frame = pd.DataFrame(
            {
                "customer_id": ["00001", "00002"],
                "amount": [1.5, 2.0],
                "when": pd.to_datetime(["2024-01-01", None]),
            }
        )
        buffer = io.BytesIO()
        frame.to_parquet(buffer)
        table = read_one("orders.parquet", buffer.getvalue())
        assert table.frame["customer_id"].tolist() == ["00001", "00002"]
        assert table.frame["amount"].tolist() == [1.5, 2.0]
        assert table.frame["when"].dtype.kind == "M"

    def test_parquet_without_rows(self):
        buffer = io.BytesIO()
        pd.DataFrame({"a": pd.Series([], dtype="float64")}).to_parquet(buffer)
        with pytest.raises(InputError, match="no rows of data"):
            read_tables("empty.parquet", buffer.getvalue())


@pytest.mark.parametrize("fixture", TEXT_FIXTURES, ids=TEXT_FIXTURES)
def test_raw_frames_can_be_written_to_parquet(fixture: str):
    frame = read_path(FIXTURES / fixture)[0].frame
    back = parquet_round_trip(frame)
    assert list(back.columns) == list(frame.columns)
    assert back.shape == frame.shape


class TestArrowReadsAsPandas:
    """Arrow reads regular CSV text into the very cells pandas' parser gives (the reference), and
    leaves the files it could read otherwise to pandas."""

    CASES: ClassVar[dict[str, str]] = {
        "plain": "a,b\n1,2\n3,4\n",
        "CRLF": "a,b\r\n1,2\r\n3,4\r\n",
        "CR only": "a,b\r1,2\r3,4\r",
        "quoted line break": 'a,b\n"x\ny",2\n"q""r",3\n',
        "quote inside a cell": 'a,b\nx"y,2\n"ab"c,3\n',
        "missing markers": 'a,b\n,NULL\nnan,#N/A\n"",None\nNA,n/a\n',
        "blank lines": "a,b\n\n1,2\n\n\n3,4\n",
        "spaces kept": "a , b\n 1 , 2 \n",
        "trailing delimiter": "a,b,\n1,2,\n",
        "only delimiters": "a,b\n,\n1,2\n",
        "accents": "nom,ville\nJosé,Zürich\n",
        "quoted delimiter": 'a,b\n"1,5",2\n',
        "no final line break": "a,b\n1,2",
    }

    @pytest.mark.parametrize("text", CASES.values(), ids=CASES.keys())
    def test_same_cells_as_pandas(self, text):
        reference = pd.read_csv(
            io.StringIO(text),
            header=None,
            dtype=str,
            keep_default_na=False,
            na_values=list(ingest_text.MISSING_TEXT),
            skip_blank_lines=True,
        )
        pd.testing.assert_frame_equal(ingest_text._parse_with_arrow(text, ","), reference)

    DECLINED: ClassVar[dict[str, str]] = {
        "short line": "a,b,c\n1,2\n3,4,5\n",
        "long line": "a,b\n1,2,3\n4,5\n",
        "line of spaces": "a,b\n   \n1,2\n",
        "one column": "a\n1\n  \n2\n",
        "unclosed quote": 'a,b\n1,"2\n3,4\n',
        "unclosed quote on the last line": 'a,b\n1,2\n3,"4',
        "quote opened after a literal one": 'a,b\nx",y\n"1,2\n',
    }

    @pytest.mark.parametrize("text", DECLINED.values(), ids=DECLINED.keys())
    def test_irregular_files_are_left_to_pandas(self, text):
        assert ingest_text._parse_with_arrow(text, ",") is None

    def test_an_unclosed_quote_is_still_refused_with_its_line(self):
        with pytest.raises(InputError, match="on line 2 is never closed"):
            read_tables("orders.csv", b'customer_id,amount\nC1,"12\nC2,14\n')


class TestLineEnds:
    @pytest.mark.parametrize(
        ("data", "lines"),
        [
            (b"a\nb\nc\n", 3),
            (b"a\r\nb\r\nc", 3),
            (b"a\rb\rc\r", 3),
            (b'a\r"b\nc"\rd\r', 4),  # lone CRs with one LF inside a quoted cell
        ],
        ids=["lf", "crlf", "cr", "cr-with-one-lf"],
    )
    def test_every_line_end_counts(self, data: bytes, lines: int):
        assert _count_lines("t.csv", data) == lines

    def test_a_long_cr_file_with_one_lf_is_no_long_line(self):
        # 2 MB of 20-byte lines ending in CR, one LF inside: split at LF alone, one 2 MB line.
        data = b"\r".join([b"C0001,2024-01-01,1.5"] * 100_000) + b"\n"
        assert _count_lines("t.csv", data) == 100_000


def test_the_100k_company_order_lines_are_within_the_read_bounds() -> None:
    # The generated 100k-customer company writes 1,000,280 order lines of 5 columns (bench/README.md):
    # they must be read, while a table one row past MAX_ROWS or one cell past MAX_CELLS is refused.
    from bsc.ingest.checks import MAX_CELLS, MAX_ROWS, _check_shape

    _check_shape("orders.csv", 1_000_281, 5)
    with pytest.raises(InputError, match="rows that can be read at once"):
        _check_shape("long.csv", MAX_ROWS + 1, 1)
    with pytest.raises(InputError, match="million cells that can be read at once"):
        _check_shape("wide.csv", MAX_CELLS // 4 + 1, 4)


class TestTextShortcuts:
    """The file's own bytes go to Arrow when they are plain UTF-8; control characters are
    counted by one search. References: the same cells read from an equivalent file that takes
    the other path, and counts made by hand."""

    def test_plain_utf8_reads_as_the_same_text_with_a_byte_order_mark(self):
        body = 'customer_id,city,amount\n00012,Zürich,12.50\n00013,"São Paulo, BR",7\n'.encode()
        plain = read_tables("plain.csv", body)[0]
        marked = read_tables("marked.csv", b"\xef\xbb\xbf" + body)[0]
        pd.testing.assert_frame_equal(plain.frame, marked.frame)
        assert plain.frame["customer_id"].tolist() == ["00012", "00013"]  # by hand
        assert plain.frame["city"].tolist() == ["Zürich", "São Paulo, BR"]

    def test_control_characters_are_counted_as_before(self):
        # 200 bytes of a small table allow max(2, 200 // 200) = 2 control characters; tab, line
        # feed, carriage return, vertical tab and form feed are never counted.
        row = "a,b\n1,2\n"
        padded = row + "x" * (200 - len(row) - 3)
        assert read_tables("two.csv", (padded + "\x07\x07\n").encode())[0].frame.shape[1] == 2
        assert read_tables("spaces.csv", (padded + "\x0b\x0c\x0b\n").encode())[0].frame.shape[1] == 2
        with pytest.raises(InputError, match="binary data"):
            read_tables("three.csv", (padded + "\x07\x1f\x01").encode())

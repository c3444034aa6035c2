"""Building canonical tables from raw tables and mappings, with the problems they report."""

from __future__ import annotations

import io
from datetime import datetime
from pathlib import Path

import openpyxl
import pandas as pd
import pytest

from bsc.detect import detect_mapping
from bsc.errors import InputError
from bsc.ingest import read_path
from bsc.ingest.checks import DateBounds
from bsc.mapping import Problem, TableMapping
from bsc.prepare import PreparedTable, clean_column_name, inspect_file, prepare_table

FIXTURES = Path(__file__).parent / "fixtures"


def text(*values: object) -> pd.Series:
    return pd.Series(values, dtype="str")


def prepared_fixture(name: str) -> PreparedTable:
    frame = read_path(FIXTURES / name)[0].frame
    return prepare_table(frame, detect_mapping(frame, name))


def only(problems: list[Problem], word: str) -> Problem:
    found = [p for p in problems if word in p.message]
    assert len(found) == 1, problems
    return found[0]


@pytest.fixture(scope="module")
def canonical() -> pd.DataFrame:
    """The CDNOW log excerpt, prepared (used by TestCdnow)."""
    prepared = prepared_fixture("cdnow_sample.txt")
    assert prepared.problems == []
    return prepared.canonical


@pytest.fixture(scope="module")
def prepared() -> PreparedTable:
    """The telco-style customers, prepared (used by TestTelco)."""
    return prepared_fixture("telco_customers.csv")


class TestCdnow:
    def test_columns_and_types(self, canonical: pd.DataFrame):
        assert list(canonical.columns) == ["customer_id", "date", "amount", "quantity"]
        assert canonical["customer_id"].dtype == "string"
        assert canonical["date"].dtype == "datetime64[us]"
        assert canonical["amount"].dtype == "float64"
        assert canonical["quantity"].dtype == "float64"

    def test_values_match_the_file(self, canonical: pd.DataFrame):
        # Golden values from the file itself:
        #   wc -l cdnow_sample.txt                                   -> 2006
        #   awk '{print $1}' cdnow_sample.txt | sort -u | wc -l      -> 681
        #   awk '{s+=$5; q+=$4} END {printf "%.2f %d", s, q}'        -> 69840.28 4691
        #   awk '{print $3}' | sort | sed -n '1p;$p'                 -> 19970101, 19980630
        assert len(canonical) == 2006
        assert canonical["customer_id"].nunique() == 681
        assert canonical["amount"].sum() == pytest.approx(69840.28)
        assert canonical["quantity"].sum() == 4691
        assert canonical["date"].min() == pd.Timestamp("1997-01-01")
        assert canonical["date"].max() == pd.Timestamp("1998-06-30")

    def test_zero_padding_is_kept(self, canonical: pd.DataFrame):
        # awk '$1=="00004"' cdnow_sample.txt | wc -l -> 4
        assert canonical["customer_id"].iloc[0] == "00004"
        assert (canonical["customer_id"] == "00004").sum() == 4


class TestTelco:
    def test_columns_and_types(self, prepared: PreparedTable):
        canonical = prepared.canonical
        assert list(canonical.columns) == [
            "customer_id",
            "churn",
            "gender",
            "seniorcitizen",
            "partner",
            "dependents",
            "phoneservice",
            "contract",
            "paperlessbilling",
            "paymentmethod",
            "tenure",
            "monthlycharges",
            "totalcharges",
        ]
        assert canonical["churn"].dtype == "boolean"
        assert canonical["contract"].dtype == "string"
        assert canonical["totalcharges"].dtype == "float64"

    def test_values_match_the_file(self, prepared: PreparedTable):
        canonical = prepared.canonical
        # awk -F, 'NR>1 && $NF=="Yes"' telco_customers.csv | wc -l        -> 10
        # awk -F, 'NR>1 && $12==" "' telco_customers.csv | wc -l          -> 3
        # awk -F, 'NR>1{t+=$6} END{print t}'                               -> 1524
        # awk -F, 'NR>1 && $12!=" " {s+=$12} END {printf "%.2f", s}'       -> 105526.33
        # cut -d, -f8 | sort | uniq -c                                     -> 9 / 13 / 18
        assert len(canonical) == 40
        assert int(canonical["churn"].sum()) == 10
        assert int(canonical["totalcharges"].isna().sum()) == 3
        assert canonical["tenure"].sum() == 1524
        assert canonical["totalcharges"].sum() == pytest.approx(105526.33)
        assert canonical["contract"].value_counts().to_dict() == {
            "Two year": 18,
            "One year": 13,
            "Month-to-month": 9,
        }

    def test_blank_totals_are_reported_with_their_customers(self, prepared: PreparedTable):
        # awk -F, 'NR>1 && $12==" " {print NR-1, $1}' telco_customers.csv
        #   -> 7 9134-CFOMR, 20 8332-ENDMO, 34 8640-YDRGJ (data rows counted from 1)
        [problem] = prepared.problems
        assert problem.severity == "warning"
        assert problem.column == "TotalCharges"
        assert problem.rows == 3
        assert "TotalCharges" in problem.message and "3 rows are blank" in problem.message
        assert problem.examples == (
            "row 7 (customer 9134-CFOMR)",
            "row 20 (customer 8332-ENDMO)",
            "row 34 (customer 8640-YDRGJ)",
        )
        # Reported, and still kept as missing values (not zeros, not dropped rows).
        assert int(prepared.canonical["totalcharges"].isna().sum()) == 3

    def test_original_headers_travel_with_the_table(self, prepared: PreparedTable, tmp_path: Path):
        from bsc.columns import stored_columns

        path = tmp_path / "telco.parquet"
        prepared.canonical.to_parquet(path, index=False)
        facts = stored_columns([path])
        assert facts.headers["contract"] == "Contract"
        assert facts.headers["totalcharges"] == "TotalCharges"
        assert facts.headers["paymentmethod"] == "PaymentMethod"
        assert facts.roles == {"customer_id": "customerID", "churn": "Churn"}
        assert facts.outcomes == ()


class TestNastyFiles:
    def test_mixed_date_formats(self):
        prepared = prepared_fixture("mixed_dates.csv")
        assert prepared.canonical["date"].tolist()[4:6] == [
            pd.Timestamp("2023-03-20"),
            pd.Timestamp("2023-04-02"),
        ]
        assert pd.isna(prepared.canonical["date"].iloc[6])
        assert len(prepared.canonical) == 8  # the row with the unreadable date is kept
        unreadable = only(prepared.problems, "not a readable date")
        assert (unreadable.severity, unreadable.rows, unreadable.examples) == ("warning", 1, ("row 7: soon",))
        assert unreadable.column == "order_date"
        formats = only(prepared.problems, "date formats")
        assert formats.severity == "info"
        assert "YYYY-MM-DD, DD/MM/YYYY, Mon DD, YYYY" in formats.message

    def test_day_month_order_that_cannot_be_told(self):
        frame = pd.DataFrame({"id": text("A", "B"), "joined": text("03/04/2023", "11/12/2023")})
        mapping = TableMapping("customers", roles={"customer_id": "id", "signup_date": "joined"})
        prepared = prepare_table(frame, mapping)
        # day first on a tie: 3 April and 11 December
        assert prepared.canonical["signup_date"].tolist() == [
            pd.Timestamp("2023-04-03"),
            pd.Timestamp("2023-12-11"),
        ]
        problem = only(prepared.problems, "either order")
        assert problem.severity == "info"
        assert "DD/MM/YYYY" in problem.message

    def test_day_month_order_told_by_a_late_day(self):
        frame = pd.DataFrame({"id": text("A", "B"), "joined": text("03/04/2023", "11/13/2023")})
        mapping = TableMapping("customers", roles={"customer_id": "id", "signup_date": "joined"})
        prepared = prepare_table(frame, mapping)
        assert prepared.canonical["signup_date"].tolist() == [
            pd.Timestamp("2023-03-04"),
            pd.Timestamp("2023-11-13"),
        ]
        assert prepared.problems == []

    def test_decimal_commas_and_a_return(self):
        prepared = prepared_fixture("semicolons.csv")
        assert prepared.canonical["amount"].tolist() == [12.5, 1234.0, -5.25, 99.99]
        assert prepared.canonical["date"].tolist()[0] == pd.Timestamp("2023-01-03")
        negative = only(prepared.problems, "negative")
        assert (negative.severity, negative.rows, negative.examples) == ("info", 1, ("row 3: -5,25",))

    def test_currency_signs_and_latin1(self):
        canonical = prepared_fixture("latin1.csv").canonical
        assert canonical["customer_id"].tolist() == ["K-01", "K-02", "K-03"]
        assert canonical["revenue"].tolist() == [1200.0, 80.0, 455.5]

    def test_blank_strings_in_numbers(self):
        canonical = prepared_fixture("blank_numbers.csv").canonical
        assert canonical["total_charges"].tolist()[0] == 29.85
        assert canonical["total_charges"].isna().tolist() == [False, True, True, False, True]
        assert canonical["total_charges"].iloc[3] == 1840.75

    def test_crlf_support_tickets(self):
        canonical = prepared_fixture("crlf.csv").canonical
        assert canonical["opened_at"].tolist()[0] == pd.Timestamp("2024-05-01 09:00")
        assert canonical["resolved_at"].isna().tolist() == [False, False, True]


def feedback(column: str, *scores: str) -> PreparedTable:
    frame = pd.DataFrame(
        {"customer_id": text(*[f"C{i}" for i in range(len(scores))]), "score": text(*scores)}
    )
    return prepare_table(
        frame, TableMapping("feedback", roles={"customer_id": "customer_id", column: "score"})
    )


class TestValidation:
    @pytest.mark.parametrize(
        ("role", "scores", "kept", "outside"),
        [
            ("nps", ("0", "10", "11", "-1", "7"), [0.0, 10.0, None, None, 7.0], 2),
            ("csat", ("1", "5", "0", "6", "3"), [1.0, 5.0, None, None, 3.0], 2),
            ("ces", ("1", "7", "8", "0", "4"), [1.0, 7.0, None, None, 4.0], 2),
        ],
        ids=["nps-0-10", "csat-1-5", "ces-1-7"],
    )
    def test_scores_out_of_range(self, role: str, scores: tuple[str, ...], kept: list, outside: int):
        prepared = feedback(role, *scores)
        values = prepared.canonical[role].astype(object).where(prepared.canonical[role].notna(), None)
        assert values.tolist() == kept
        problem = only(prepared.problems, "outside")
        assert (problem.severity, problem.rows) == ("warning", outside)
        assert problem.examples == (f"row 3: {scores[2]}", f"row 4: {scores[3]}")

    def test_numbers_that_do_not_parse(self):
        prepared = feedback("nps", "9", "n.a.", "", "eight")
        assert prepared.canonical["nps"].isna().tolist() == [False, True, True, True]
        problem = only(prepared.problems, "not a number")
        assert (problem.rows, problem.examples) == (2, ("row 2: n.a.", "row 4: eight"))

    def test_at_most_five_examples(self):
        prepared = feedback("csat", *["bad"] * 8)
        problem = only(prepared.problems, "not a number")
        assert problem.rows == 8
        assert len(problem.examples) == 5
        assert problem.message == "CSAT (1–5): 8 rows are not a number; left empty."

    def test_duplicate_customers_keep_the_first_row(self):
        frame = pd.DataFrame({"id": text("A", "B", "A", "C", "A"), "plan": text("x", "y", "z", "x", "y")})
        mapping = TableMapping("customers", roles={"customer_id": "id"}, segments=["plan"])
        prepared = prepare_table(frame, mapping)
        assert prepared.canonical["customer_id"].tolist() == ["A", "B", "C"]
        assert prepared.canonical["plan"].tolist() == ["x", "y", "x"]
        problem = only(prepared.problems, "more than one row")
        assert (problem.severity, problem.rows, problem.examples) == ("warning", 2, ("A (3 rows)",))

    def test_missing_customer_ids_are_kept_and_reported(self):
        frame = pd.DataFrame(
            {
                "cust": text("A", " ", None),
                "day": text("2024-01-01", "2024-01-02", "2024-01-03"),
                "eur": text("1", "2", "3"),
            }
        )
        mapping = TableMapping("transactions", roles={"customer_id": "cust", "date": "day", "amount": "eur"})
        prepared = prepare_table(frame, mapping)
        assert len(prepared.canonical) == 3
        problem = only(prepared.problems, "Customer ID")
        assert (problem.severity, problem.rows) == ("warning", 2)
        assert "cannot be linked" in problem.message
        assert problem.examples == ("row 2: (empty)", "row 3: (empty)")

    def test_unreadable_flags(self):
        frame = pd.DataFrame({"id": text("A", "B", "C"), "left": text("Yes", "maybe", "No")})
        prepared = prepare_table(
            frame, TableMapping("customers", roles={"customer_id": "id", "churn": "left"})
        )
        assert prepared.canonical["churn"].tolist() == [True, pd.NA, False]
        problem = only(prepared.problems, "yes/no")
        assert (problem.rows, problem.examples) == (1, ("row 2: maybe",))

    def test_negative_spend_is_a_warning(self):
        frame = pd.DataFrame({"month": text("2024-01", "2024-02"), "spend": text("100", "-20")})
        prepared = prepare_table(frame, TableMapping("marketing", roles={"date": "month", "spend": "spend"}))
        assert prepared.canonical["spend"].tolist() == [100.0, -20.0]
        assert only(prepared.problems, "negative").severity == "warning"


class TestCanonicalForm:
    def test_amount_from_quantity_and_unit_price(self):
        frame = pd.DataFrame(
            {
                "c": text("A", "B"),
                "d": text("2024-01-01", "2024-01-02"),
                "q": text("2", "3"),
                "p": text("1.5", "10"),
            }
        )
        mapping = TableMapping(
            "transactions", roles={"customer_id": "c", "date": "d", "quantity": "q", "unit_price": "p"}
        )
        prepared = prepare_table(frame, mapping)
        # 2 × 1.5 = 3.0 and 3 × 10 = 30.0
        assert prepared.canonical["amount"].tolist() == [3.0, 30.0]
        assert list(prepared.canonical.columns) == ["customer_id", "date", "amount", "quantity", "unit_price"]
        assert "order_id" not in prepared.canonical

    def test_churn_from_churn_date(self):
        frame = pd.DataFrame({"id": text("A", "B"), "cancelled_on": text("2024-03-01", "")})
        prepared = prepare_table(
            frame, TableMapping("customers", roles={"customer_id": "id", "churn_date": "cancelled_on"})
        )
        assert prepared.canonical["churn"].tolist() == [True, False]
        assert prepared.canonical["churn"].dtype == "boolean"

    def test_whole_number_ids_lose_the_decimal_point(self):
        # an Excel column of whole numbers with a gap arrives as float64
        frame = pd.DataFrame({"id": [1001.0, 1002.0, None]})
        prepared = prepare_table(frame, TableMapping("customers", roles={"customer_id": "id"}))
        assert prepared.canonical["customer_id"].tolist() == ["1001", "1002", pd.NA]
        assert only(prepared.problems, "Customer ID").rows == 1

    def test_text_ids_keep_their_padding(self):
        frame = pd.DataFrame({"id": text(" 0042 ", "1003.0", "007")})
        prepared = prepare_table(frame, TableMapping("customers", roles={"customer_id": "id"}))
        assert prepared.canonical["customer_id"].tolist() == ["0042", "1003", "007"]

    def test_attribute_names(self):
        frame = pd.DataFrame(
            {
                "id": text("A", "B"),
                "Payment Method": text("Card", "Cash"),
                "churn": text("x", "y"),
                "Monthly €": text("1", "2"),
            }
        )
        mapping = TableMapping(
            "customers",
            roles={"customer_id": "id"},
            segments=["Payment Method", "churn"],
            attributes=["Monthly €"],
        )
        canonical = prepare_table(frame, mapping).canonical
        assert list(canonical.columns) == ["customer_id", "payment_method", "churn_attr", "monthly"]
        assert canonical["churn_attr"].dtype == "string"
        assert canonical["monthly"].dtype == "float64"

    @pytest.mark.parametrize(
        ("name", "cleaned"),
        [
            ("Payment Method", "payment_method"),
            ("  TotalCharges ", "totalcharges"),
            ("Ümsatz-Gruppe", "ümsatz_gruppe"),
            ("€", "column"),
        ],
        ids=["space", "camel-case", "umlaut", "no-letters"],
    )
    def test_clean_column_name(self, name: str, cleaned: str):
        assert clean_column_name(name) == cleaned

    def test_canonical_tables_survive_parquet(self):
        for fixture in ("cdnow_sample.txt", "telco_customers.csv", "crlf.csv"):
            canonical = prepared_fixture(fixture).canonical
            buffer = io.BytesIO()
            canonical.to_parquet(buffer)
            back = pd.read_parquet(io.BytesIO(buffer.getvalue()))
            assert back.dtypes.astype(str).tolist() == canonical.dtypes.astype(str).tolist()
            pd.testing.assert_frame_equal(back, canonical)


class TestMappingThatCannotWork:
    frame = pd.DataFrame({"c": text("A"), "d": text("2024-01-01"), "a": text("1")})

    def test_unknown_kind(self):
        with pytest.raises(InputError, match="kind of this table is not known"):
            prepare_table(self.frame, TableMapping("unknown"))

    def test_required_role_missing(self):
        mapping = TableMapping("transactions", roles={"customer_id": "c", "date": "d"})
        with pytest.raises(InputError, match="missing: Amount"):
            prepare_table(self.frame, mapping)

    def test_column_not_in_the_table(self):
        mapping = TableMapping("transactions", roles={"customer_id": "c", "date": "d", "amount": "Revenue"})
        with pytest.raises(InputError, match="no column named 'Revenue'"):
            prepare_table(self.frame, mapping)

    def test_segment_not_in_the_table(self):
        mapping = TableMapping("customers", roles={"customer_id": "c"}, segments=["Region"])
        with pytest.raises(InputError, match="'Region'"):
            prepare_table(self.frame, mapping)

    def test_role_of_another_kind(self):
        mapping = TableMapping("customers", roles={"customer_id": "c", "amount": "a"})
        with pytest.raises(InputError, match="amount is not a column role of a Customers table"):
            prepare_table(self.frame, mapping)


class TestInspectFile:
    def test_workbook_with_a_notes_sheet(self, tmp_path: Path):
        workbook = openpyxl.Workbook()
        orders = workbook.active
        orders.title = "Orders"
        orders.append(["customer_id", "order_date", "amount"])
        orders.append(["00017", datetime(2023, 3, 1), 19.9])
        orders.append(["00018", datetime(2023, 3, 2), 5])
        orders.append(["00017", datetime(2023, 4, 1), 7.5])
        workbook.create_sheet("Empty")
        notes = workbook.create_sheet("Notes")
        notes.append(["Exported from the shop."])
        notes.append(["Amounts in euros."])
        workbook.save(tmp_path / "shop.xlsx")

        inspected = inspect_file("shop.xlsx", (tmp_path / "shop.xlsx").read_bytes())
        assert [t.raw.sheet for t in inspected] == ["Orders", "Notes"]
        orders_table, notes_table = inspected
        assert orders_table.mapping.kind == "transactions"
        assert orders_table.error is None
        assert orders_table.prepared.canonical["customer_id"].tolist() == ["00017", "00018", "00017"]
        assert orders_table.prepared.canonical["amount"].sum() == pytest.approx(32.4)  # 19.9 + 5 + 7.5
        assert notes_table.prepared is None
        assert "not known" in notes_table.error

    def test_text_file(self):
        inspected = inspect_file("cdnow_sample.txt", (FIXTURES / "cdnow_sample.txt").read_bytes())
        assert len(inspected) == 1
        assert inspected[0].mapping.kind == "transactions"
        assert len(inspected[0].prepared.canonical) == 2006

    def test_unreadable_file_raises(self):
        with pytest.raises(InputError, match="no rows of data"):
            inspect_file("header_only.csv", (FIXTURES / "header_only.csv").read_bytes())


class TestOutcomesAndScores:
    """The IBM telco status layout: a CSAT score per customer and columns that restate churn."""

    def test_ibm_telco_status_layout(self, tmp_path: Path):
        from bsc.columns import stored_columns

        prepared = prepared_fixture("telco_status.csv")
        canonical = prepared.canonical
        # awk -F, 'NR>1{print $4}' telco_status.csv | sort | uniq -c -> 1: 2, 2: 5, 3: 11, 4: 6
        assert canonical["csat"].dtype == "float64"
        assert canonical["csat"].value_counts().sort_index().to_dict() == {1.0: 2, 2.0: 5, 3.0: 11, 4.0: 6}
        # The outcome columns are kept as text, for the churn lab.
        assert {"customer_status", "churn_value", "churn_category", "churn_reason"} <= set(canonical.columns)
        assert canonical["customer_status"].dtype == "string"
        path = tmp_path / "status.parquet"
        canonical.to_parquet(path, index=False)
        facts = stored_columns([path])
        assert facts.outcomes == ("customer_status", "churn_value", "churn_category", "churn_reason")
        assert facts.headers["customer_status"] == "Customer Status"
        assert facts.roles["csat"] == "Satisfaction Score"
        said = [p for p in prepared.problems if "says who churned" in p.message]
        assert [p.column for p in said] == [
            "Customer Status",
            "Churn Value",
            "Churn Category",
            "Churn Reason",
        ]
        assert all(p.severity == "info" for p in said)

    def test_a_churn_reason_chosen_as_a_segment_is_kept_as_an_outcome(self):
        frame = pd.DataFrame(
            {
                "id": text(*(f"C{i}" for i in range(8))),
                "Churn Reason": text("Price", "", "Moved", "", "Price", "", "", "Moved"),
                "Plan": text("A", "B", "A", "B", "A", "B", "A", "B"),
            }
        )
        mapping = TableMapping("customers", roles={"customer_id": "id"}, segments=["Churn Reason", "Plan"])
        prepared = prepare_table(frame, mapping)
        assert prepared.canonical.attrs["bsc_columns"]["outcomes"] == ["churn_reason"]
        assert only(prepared.problems, "says who churned").column == "Churn Reason"

    def test_customer_scores_outside_their_scale_are_left_empty(self):
        frame = pd.DataFrame({"id": text("A", "B", "C"), "Satisfaction": text("5", "9", "1")})
        mapping = TableMapping("customers", roles={"customer_id": "id", "csat": "Satisfaction"})
        prepared = prepare_table(frame, mapping)
        assert prepared.canonical["csat"].tolist()[0] == 5.0 and pd.isna(prepared.canonical["csat"].iloc[1])
        problem = only(prepared.problems, "outside 1–5")
        assert problem.examples == ("row 2: 9",)


class TestBlankNumbers:
    def test_blank_cells_of_numeric_attributes_are_reported(self):
        frame = pd.DataFrame(
            {
                "id": text("A1", "A2", "A3", "A4"),
                "TotalCharges": text("29.85", " ", "", "1840.75"),
                "tenure": text("1", "2", "3", "4"),
            }
        )
        mapping = TableMapping(
            "customers", roles={"customer_id": "id"}, attributes=["TotalCharges", "tenure"]
        )
        prepared = prepare_table(frame, mapping)
        problem = only(prepared.problems, "blank")
        assert (problem.rows, problem.column, problem.severity) == (2, "TotalCharges", "warning")
        assert problem.examples == ("row 2 (customer A2)", "row 3 (customer A3)")

    def test_without_customer_ids_the_rows_are_named(self):
        frame = pd.DataFrame(
            {"date": text("2024-01-01", "2024-02-01"), "spend": text("10", "20"), "clicks": text("", "7")}
        )
        mapping = TableMapping("marketing", roles={"date": "date", "spend": "spend"}, attributes=["clicks"])
        assert only(prepare_table(frame, mapping).problems, "blank").examples == ("row 1",)


class TestImplausibleDatesAndIds:
    def test_dates_outside_the_bounds_are_empty_and_their_rows_kept(self):
        frame = pd.DataFrame(
            {
                "customer_id": ["C1", "C2", "C3", "C4"],
                "order_date": ["2024-01-05", "9999-12-31", "1899-12-31", "2025-06-30"],
                "amount": ["10", "20", "30", "40"],
            }
        )
        mapping = TableMapping(
            "transactions", {"customer_id": "customer_id", "date": "order_date", "amount": "amount"}
        )
        # Today fixed at 2024-06-30 with the default margin of 366 days: the last real day is
        # 2025-07-01, so 2025-06-30 is kept; 1899-12-31 is a day before 1900-01-01.
        bounds = DateBounds(today="2024-06-30")
        prepared = prepare_table(frame, mapping, date_bounds=bounds)
        dates = prepared.canonical["date"]
        assert dates.isna().tolist() == [False, True, True, False]
        assert prepared.canonical["amount"].tolist() == [10.0, 20.0, 30.0, 40.0]
        problem = only(prepared.problems, "outside")
        assert (problem.severity, problem.rows) == ("warning", 2)
        assert problem.examples == ("row 2: 9999-12-31", "row 3: 1899-12-31")
        assert "outside 1900-01-01 to 2025-07-01" in problem.message

    def test_float_ids_that_cannot_be_exact_are_empty(self):
        # 2**53 = 9007199254740992 is the last whole float every integer below reaches.
        ids = pd.Series([1001.0, 2.0**53, 2.0**53 + 2, 1e20, float("inf"), float("nan")])
        frame = pd.DataFrame({"customer_id": ids, "plan": ["a", "b", "a", "b", "a", "b"]})
        prepared = prepare_table(frame, TableMapping("customers", {"customer_id": "customer_id"}))
        assert prepared.canonical["customer_id"].astype(object).where(
            prepared.canonical["customer_id"].notna(), None
        ).tolist() == ["1001", "9007199254740992", None, None, None, None]
        problem = only(prepared.problems, "exact ID")
        assert problem.rows == 3
        assert problem.examples == ("row 3: 9007199254740994.0", "row 4: 1e+20", "row 5: inf")

    def test_ids_in_scientific_notation_are_empty(self):
        frame = pd.DataFrame({"customer_id": ["C1", "1.23457E+17", "1.23457E+17", "inf"]})
        prepared = prepare_table(frame, TableMapping("customers", {"customer_id": "customer_id"}))
        assert prepared.canonical["customer_id"].notna().tolist() == [True, False, False, False]
        assert only(prepared.problems, "exact ID").rows == 3

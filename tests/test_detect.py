"""Detection of table kinds, roles, segments and attributes, and the value parsers behind it."""

from __future__ import annotations

from pathlib import Path

import numpy as np
import pandas as pd
import pytest

from bsc.detect import (
    DETECTION_ROWS,
    clean_text,
    date_formats,
    describe_date_format,
    detect_mapping,
    detect_value_type,
    detection_rows,
    name_key,
    parse_dates,
    parse_flags,
    parse_numbers,
    uses_decimal_comma,
)
from bsc.detect.values import blank_mask, may_contain
from bsc.ingest import read_path

FIXTURES = Path(__file__).parent / "fixtures"


def text(*values: object) -> pd.Series:
    return pd.Series(values, dtype="str")


class TestNameKey:
    @pytest.mark.parametrize(
        ("name", "key"),
        [
            ("customerID", "customer_id"),
            ("CustomerId", "customer_id"),
            ("Customer ID", "customer_id"),
            ("cust_no", "cust_no"),
            ("MonthlyCharges", "monthly_charges"),
            ("SeniorCitizen", "senior_citizen"),
            ("  Order-Date (UTC) ", "order_date_utc"),
            ("NPSScore", "nps_score"),
        ],
        ids=lambda value: value.strip(),
    )
    def test_name_key(self, name: str, key: str):
        assert name_key(name) == key


class TestParseNumbers:
    @pytest.mark.parametrize(
        ("cell", "number"),
        [
            ("12.5", 12.5),
            (" 7 ", 7.0),
            ("1,234.50", 1234.5),
            ("€ 80", 80.0),
            ("$1,200", 1200.0),
            ("CHF 99.90", 99.9),
            ("(12.50)", -12.5),
            ("-3", -3.0),
            ("1'250.75", 1250.75),
        ],
        ids=lambda value: str(value),
    )
    def test_single_cells(self, cell: str, number: float):
        assert parse_numbers(text(cell)).tolist() == [number]

    def test_blanks_and_words_become_missing(self):
        result = parse_numbers(text("", " ", None, "abc", "5"))
        assert result.isna().tolist() == [True, True, True, True, False]
        assert result.dtype == "float64"

    def test_decimal_comma_column(self):
        # a European export: 12,50 is twelve and a half, 1.234,00 is one thousand two hundred ...
        column = text("12,50", "1.234,00", "-5,25", "99,99")
        assert uses_decimal_comma(column)
        assert parse_numbers(column).tolist() == [12.5, 1234.0, -5.25, 99.99]

    def test_thousands_comma_is_not_a_decimal_comma(self):
        column = text("1,234", "12,000", "5")
        assert not uses_decimal_comma(column)
        assert parse_numbers(column).tolist() == [1234.0, 12000.0, 5.0]

    def test_typed_numbers_pass_through(self):
        assert parse_numbers(pd.Series([1, 2], dtype="Int64")).tolist() == [1.0, 2.0]

    @pytest.mark.parametrize(
        "values",
        [
            text("inf", "-inf", "Infinity", "1e400", "5"),
            pd.Series([np.inf, -np.inf, np.inf, np.inf, 5.0]),
        ],
        ids=["text", "typed"],
    )
    def test_infinite_numbers_are_unreadable(self, values: pd.Series):
        result = parse_numbers(values)
        assert result.isna().tolist() == [True, True, True, True, False]
        assert result.iloc[4] == 5.0


class TestParseFlags:
    @pytest.mark.parametrize(
        ("cells", "flags"),
        [
            (("Yes", "No", "yes "), [True, False, True]),
            (("True", "False"), [True, False]),
            (("1", "0", "1.0"), [True, False, True]),
            (("Churned", "Stayed"), [True, False]),
            (("Attrited Customer", "Existing Customer"), [True, False]),
            (("Exited", "Retained"), [True, False]),
        ],
        ids=["yes-no", "true-false", "one-zero", "churned-stayed", "attrited-existing", "exited-retained"],
    )
    def test_words(self, cells: tuple[str, ...], flags: list[bool]):
        assert parse_flags(text(*cells)).tolist() == flags

    def test_unknown_words_become_missing(self):
        result = parse_flags(text("maybe", "", "No"))
        assert result.dtype == "boolean"
        assert result.isna().tolist() == [True, True, False]


class TestDates:
    def test_yyyymmdd_text(self):
        dates, formats = parse_dates(text("19970101", "19980630"))
        assert dates.tolist() == [pd.Timestamp("1997-01-01"), pd.Timestamp("1998-06-30")]
        assert formats == ["%Y%m%d"]

    def test_day_first_when_a_day_is_over_twelve(self):
        dates, _ = parse_dates(text("03/04/2023", "25/12/2023"))
        assert dates.tolist() == [pd.Timestamp("2023-04-03"), pd.Timestamp("2023-12-25")]

    def test_month_first_when_a_day_is_over_twelve_in_second_place(self):
        dates, _ = parse_dates(text("03/04/2023", "12/25/2023", "01/31/2024"))
        assert dates.tolist() == [
            pd.Timestamp("2023-03-04"),
            pd.Timestamp("2023-12-25"),
            pd.Timestamp("2024-01-31"),
        ]

    def test_month_first_found_late_in_a_long_column(self):
        # 2,400 cells with day <= 12 come first; only the last 600 show the month comes first
        cells = [f"12/{1 + i // 200}/2010 8:{i % 60:02d}" for i in range(3000)]
        dates, formats = parse_dates(text(*cells))
        assert formats == ["%m/%d/%Y %H:%M"]
        assert dates.iloc[0] == pd.Timestamp("2010-12-01 08:00")
        assert dates.iloc[2999] == pd.Timestamp("2010-12-15 08:59")  # i = 2999: day 1 + 14, minute 59
        assert dates.notna().all()

    def test_long_column_read_once_per_distinct_value(self):
        # 30,000 cells (over the 10,000 where distinct values are read once), 3 distinct
        # readable dates, blanks and one unreadable cell; expected values written out by hand
        cells = ["05/01/2024", "17/02/2024", "", "31/12/2023", "later"] * 6000
        dates, formats = parse_dates(text(*cells))
        assert formats == ["%d/%m/%Y"]
        assert dates.iloc[:2].tolist() == [pd.Timestamp("2024-01-05"), pd.Timestamp("2024-02-17")]
        assert dates.iloc[3] == pd.Timestamp("2023-12-31")
        assert dates.notna().sum() == 18000
        assert dates.iloc[-2] == pd.Timestamp("2023-12-31")  # the last cycle: ..., "31/12/2023", "later"
        assert dates.dtype == "datetime64[us]"

    def test_excel_serials(self):
        # Excel counts days from 1899-12-30: 44927 is 2023-01-01 and 45000 is 73 days later,
        # 2023-03-15 (31 days of January + 28 of February + 14).
        dates, formats = parse_dates(pd.Series([44927, 45000]), excel_serials=True)
        assert dates.tolist() == [pd.Timestamp("2023-01-01"), pd.Timestamp("2023-03-15")]
        assert formats == ["excel serial"]

    def test_excel_serials_among_written_dates(self):
        # 45322 is 2024-01-31 (2024-01-01 is 45292, 30 days earlier); a column typed partly as
        # dates in Excel and exported as text.
        dates, formats = parse_dates(text("2024-01-15", "2024-01-20", "45322", "later"), excel_serials=True)
        assert dates.iloc[:3].tolist() == [
            pd.Timestamp("2024-01-15"),
            pd.Timestamp("2024-01-20"),
            pd.Timestamp("2024-01-31"),
        ]
        assert pd.isna(dates.iloc[3])
        assert formats[-1] == "excel serial"
        assert describe_date_format(formats[-1]) == "Excel day numbers"

    def test_several_formats_in_one_column(self):
        cells = text("2023-01-05", "2023-01-17", "20/03/2023", "Apr 2, 2023", "soon", "")
        dates, formats = parse_dates(cells)
        assert dates.tolist()[:4] == [
            pd.Timestamp("2023-01-05"),
            pd.Timestamp("2023-01-17"),
            pd.Timestamp("2023-03-20"),
            pd.Timestamp("2023-04-02"),
        ]
        assert dates.isna().tolist()[4:] == [True, True]
        assert formats == ["%Y-%m-%d", "%d/%m/%Y", "%b %d, %Y"]

    def test_time_zones_become_naive_utc(self):
        dates, _ = parse_dates(text("2024-05-01T10:00:00+02:00", "2024-05-01T10:00:00Z"))
        assert dates.tolist() == [pd.Timestamp("2024-05-01 08:00"), pd.Timestamp("2024-05-01 10:00")]
        assert dates.dtype == "datetime64[us]"

    def test_amounts_are_not_dates(self):
        assert date_formats(text("12.50", "3.99", "100.00")) == []

    def test_described_format(self):
        assert describe_date_format("%d/%m/%Y %H:%M") == "DD/MM/YYYY hh:mm"


class TestValueType:
    @pytest.mark.parametrize(
        ("values", "value_type"),
        [
            (text("Yes", "No", "No"), "flag"),
            (text("0", "1", "1"), "flag"),
            (text("2024-01-01", "2024-02-01", "2024-03-01"), "date"),
            (text("00001", "00002", "00003"), "id"),
            (text("29.85", " ", "1,840.75", "56.95"), "number"),
            (text(*(["Month-to-month", "One year", "Two year"] * 10)), "category"),
            (text(*[f"{i:04d}-ABCDE{i}" for i in range(40)]), "id"),
            (text(*[f"I had problem number {i} with the delivery" for i in range(40)]), "text"),
            (text(None, "", " "), "empty"),
        ],
        ids=[
            "yes-no",
            "zero-one",
            "iso-dates",
            "zero-padded",
            "blank-numbers",
            "category",
            "codes",
            "text",
            "empty",
        ],
    )
    def test_value_types(self, values: pd.Series, value_type: str):
        assert detect_value_type(values) == value_type


def transactions_with_id_column(id_name: str) -> pd.DataFrame:
    return pd.DataFrame(
        {
            id_name: text("A1", "A2", "A1", "A3", "A2", "A1"),
            "date": text("2024-01-01", "2024-01-02", "2024-01-05", "2024-02-01", "2024-02-03", "2024-03-01"),
            "amount": text("10.00", "12.50", "7.25", "99.00", "3.10", "15.00"),
        }
    )


class TestDetectMapping:
    def test_headerless_cdnow_log_is_transactions(self):
        mapping = detect_mapping(read_path(FIXTURES / "cdnow_sample.txt")[0].frame, "cdnow_sample.txt")
        assert mapping.kind == "transactions"
        # columns of the file: customer id, sample id, YYYYMMDD, number of CDs, dollar value
        assert mapping.roles == {
            "customer_id": "column_1",
            "date": "column_3",
            "quantity": "column_4",
            "amount": "column_5",
        }
        assert mapping.segments == []
        assert mapping.attributes == []
        assert 0 < mapping.kind_confidence <= 1

    def test_headerless_log_is_found_from_values_alone(self):
        frame = read_path(FIXTURES / "cdnow_sample.txt")[0].frame
        mapping = detect_mapping(frame)  # no name to hint at orders
        assert mapping.kind == "transactions"
        assert mapping.roles["date"] == "column_3"
        assert mapping.roles["amount"] == "column_5"
        # taken on values alone: confidence at most 0.5 (see the formula in bsc.detect)
        assert all(0 < c <= 0.5 for c in mapping.confidence.values())

    def test_telco_customers(self):
        mapping = detect_mapping(read_path(FIXTURES / "telco_customers.csv")[0].frame, "telco_customers.csv")
        assert mapping.kind == "customers"
        assert mapping.roles == {"customer_id": "customerID", "churn": "Churn"}
        assert mapping.segments == [
            "gender",
            "SeniorCitizen",
            "Partner",
            "Dependents",
            "PhoneService",
            "Contract",
            "PaperlessBilling",
            "PaymentMethod",
        ]
        assert mapping.attributes == ["tenure", "MonthlyCharges", "TotalCharges"]
        assert mapping.confidence == {"customer_id": 1.0, "churn": 1.0}
        assert mapping.kind_confidence == 1.0

    def test_ids_and_free_text_are_neither_segments_nor_attributes(self):
        frame = read_path(FIXTURES / "telco_customers.csv")[0].frame
        frame["Email"] = [f"person{i}@example.org" for i in range(len(frame))]
        frame["Remarks"] = [f"Called on day {i} about the bill" for i in range(len(frame))]
        frame["zip_code"] = [str(10000 + 7 * i) for i in range(len(frame))]
        mapping = detect_mapping(frame, "customers.csv")
        for column in ("Email", "Remarks", "zip_code"):
            assert column not in mapping.segments
            assert column not in mapping.attributes

    @pytest.mark.parametrize(
        "id_name",
        [
            "customerID",
            "CustomerId",
            "Customer ID",
            "cust_no",
            "client",
            "member",
            "customer_number",
            "Kunde",
        ],
    )
    def test_customer_id_names(self, id_name: str):
        mapping = detect_mapping(transactions_with_id_column(id_name), "export.csv")
        assert mapping.kind == "transactions"
        assert mapping.roles["customer_id"] == id_name
        assert mapping.confidence["customer_id"] >= 0.7

    @pytest.mark.parametrize(
        ("name", "values"),
        [
            ("Churn", ["Yes", "No", "No", "Yes"]),
            ("Exited", ["1", "0", "0", "1"]),
            ("churned", ["True", "False", "False", "True"]),
            (
                "Attrition_Flag",
                ["Attrited Customer", "Existing Customer", "Existing Customer", "Attrited Customer"],
            ),
            ("status", ["Churned", "Stayed", "Stayed", "Churned"]),
        ],
        ids=["yes-no", "exited-0-1", "true-false", "attrition-flag", "status-words"],
    )
    def test_churn_flags(self, name: str, values: list[str]):
        frame = pd.DataFrame({"customer_id": text("C1", "C2", "C3", "C4"), name: text(*values)})
        mapping = detect_mapping(frame)
        assert mapping.kind == "customers"
        assert mapping.roles["churn"] == name

    def test_excel_serial_signup_dates(self):
        frame = pd.DataFrame(
            {
                "customer_id": ["C1", "C2", "C3"],
                "signup_date": pd.Series([44927, 45000, 45100], dtype="Int64"),
            }
        )
        mapping = detect_mapping(frame)
        assert mapping.roles == {"customer_id": "customer_id", "signup_date": "signup_date"}

    def test_feedback(self):
        frame = pd.DataFrame(
            {
                "respondent": text("C1", "C2", "C3", "C4"),
                "response_date": text("2024-01-03", "2024-01-04", "2024-01-04", "2024-02-01"),
                "How likely are you to recommend us?": text("10", "9", "3", "7"),
                "comment": text("Great", "Fast delivery, thanks", "", "Too slow"),
            }
        )
        mapping = detect_mapping(frame, "survey.csv")
        assert mapping.kind == "feedback"
        assert mapping.roles["nps"] == "How likely are you to recommend us?"
        assert mapping.roles["date"] == "response_date"
        assert mapping.roles["comment"] == "comment"

    def test_support_tickets(self):
        mapping = detect_mapping(read_path(FIXTURES / "crlf.csv")[0].frame, "crlf.csv")
        assert mapping.kind == "support"
        assert mapping.roles == {
            "ticket_id": "ticket_id",
            "customer_id": "customer_id",
            "opened_at": "opened_at",
            "resolved_at": "resolved_at",
        }

    def test_marketing(self):
        frame = pd.DataFrame(
            {
                "month": text("2024-01", "2024-01", "2024-02", "2024-02"),
                "channel": text("Search", "Social", "Search", "Social"),
                "spend": text("1200", "800", "1300", "750"),
                "leads": text("140", "90", "150", "85"),
            }
        )
        mapping = detect_mapping(frame, "marketing.xlsx / Spend")
        assert mapping.kind == "marketing"
        assert mapping.roles == {"date": "month", "channel": "channel", "spend": "spend", "leads": "leads"}

    def test_german_export_with_decimal_commas(self):
        mapping = detect_mapping(read_path(FIXTURES / "semicolons.csv")[0].frame, "semicolons.csv")
        assert mapping.kind == "transactions"
        assert mapping.roles == {
            "customer_id": "Kundennummer",
            "date": "Bestelldatum",
            "amount": "Betrag",
            "quantity": "Menge",
        }

    def test_mixed_date_formats_still_a_date(self):
        mapping = detect_mapping(read_path(FIXTURES / "mixed_dates.csv")[0].frame, "mixed_dates.csv")
        assert mapping.kind == "transactions"
        assert mapping.roles["date"] == "order_date"
        # 7 of the 8 cells are readable dates ("soon" is not)
        assert mapping.confidence["date"] == pytest.approx(7 / 8)

    def test_notes_are_unknown(self):
        frame = pd.DataFrame(
            {"column_1": text("This workbook was exported from the shop.", "Amounts are in euros.")}
        )
        mapping = detect_mapping(frame, "shop.xlsx / Notes")
        assert mapping.kind == "unknown"
        assert mapping.roles == {}
        assert mapping.kind_confidence == 0.0

    def test_typed_excel_columns(self):
        frame = pd.DataFrame(
            {
                "order_id": pd.Series([1, 2, 3, 4], dtype="Int64"),
                "customer_id": ["00017", "00018", "00017", "00019"],
                "order_date": pd.to_datetime(["2023-03-01", "2023-03-02", "2023-04-01", "2023-04-03"]),
                "amount": [19.9, 5.0, 7.5, 12.0],
                "store": ["North", "South", "North", "North"],
            }
        )
        mapping = detect_mapping(frame, "shop.xlsx / Orders")
        assert mapping.kind == "transactions"
        assert mapping.roles == {
            "order_id": "order_id",
            "customer_id": "customer_id",
            "date": "order_date",
            "amount": "amount",
        }
        assert mapping.segments == ["store"]

    def test_confidences_are_between_zero_and_one(self):
        for fixture in ("telco_customers.csv", "cdnow_sample.txt", "mixed_dates.csv", "crlf.csv"):
            mapping = detect_mapping(read_path(FIXTURES / fixture)[0].frame, fixture)
            assert all(0 <= c <= 1 for c in mapping.confidence.values())
            assert 0 <= mapping.kind_confidence <= 1

    def test_large_numeric_ids_are_not_attributes(self):
        rng = np.random.default_rng(3)
        frame = pd.DataFrame(
            {
                "customer_id": [str(i) for i in rng.permutation(np.arange(100000, 100200))],
                "age": [str(a) for a in rng.integers(18, 80, 200)],
                "churn": rng.choice(["Yes", "No"], 200),
            }
        )
        mapping = detect_mapping(frame)
        assert mapping.kind == "customers"
        assert mapping.roles == {"customer_id": "customer_id", "churn": "churn"}
        assert mapping.attributes == ["age"]


class TestChurnOutcomes:
    """Columns that say who churned or why are outcomes, never segments (split by them, churn is
    0% or 100% by construction)."""

    def test_ibm_telco_status_layout(self):
        frame = read_path(FIXTURES / "telco_status.csv")[0].frame
        mapping = detect_mapping(frame, "telco_status.csv")
        assert mapping.kind == "customers"
        # "Satisfaction Score" (1–5) is the customers' CSAT; "Churn Label" the churn flag.
        assert mapping.roles == {
            "customer_id": "Customer ID",
            "csat": "Satisfaction Score",
            "churn": "Churn Label",
        }
        assert mapping.outcomes == ["Customer Status", "Churn Value", "Churn Category", "Churn Reason"]
        assert mapping.segments == []
        # Count (always 1) and Quarter (always Q3) have one value: neither segment nor attribute.
        assert mapping.attributes == ["Churn Score", "CLTV"]

    def test_bank_churn_layout(self):
        frame = read_path(FIXTURES / "bank_churn.csv")[0].frame
        mapping = detect_mapping(frame, "bank_churn.csv")
        assert mapping.kind == "customers"
        assert mapping.roles == {"customer_id": "CustomerId", "churn": "Exited"}
        assert mapping.segments == ["Geography", "Gender", "HasCrCard", "IsActiveMember"]
        assert mapping.outcomes == []
        # RowNumber is a row id; Surname has a value per customer: neither is a segment.
        assert mapping.attributes == [
            "CreditScore",
            "Age",
            "Tenure",
            "Balance",
            "NumOfProducts",
            "EstimatedSalary",
        ]

    @pytest.mark.parametrize(
        ("name", "values"),
        [
            ("Churn Reason", ["Price too high", "Moved", "Price too high", ""]),
            ("Churn Category", ["Competitor", "Price", "Competitor", ""]),
            ("Exited", ["1", "0", "0", "1"]),
            (
                "Attrition_Flag",
                ["Existing Customer", "Attrited Customer", "Existing Customer", "Existing Customer"],
            ),
            ("Customer Status", ["Churned", "Stayed", "Joined", "Stayed"]),
            ("account_status", ["open", "closed", "open", "open"]),
            ("reason_for_churn", ["price", "service", "price", ""]),
        ],
    )
    def test_outcomes_are_found_by_name_and_values(self, name: str, values: list[str]):
        rows = 40
        frame = pd.DataFrame(
            {
                "customer_id": [f"C{i:03d}" for i in range(rows)],
                "churned": ["yes" if i % 4 == 1 else "no" for i in range(rows)],
                name: [values[i % 4] for i in range(rows)],
                "plan": [["Basic", "Plus"][i % 2] for i in range(rows)],
            }
        )
        mapping = detect_mapping(frame, "customers.csv")
        assert mapping.roles["churn"] == "churned"
        assert mapping.outcomes == [name]
        assert mapping.segments == ["plan"]

    def test_a_status_without_churn_values_is_a_segment(self):
        frame = pd.DataFrame(
            {
                "customer_id": [f"C{i:03d}" for i in range(40)],
                "Customer Status": [["Gold", "Silver", "Bronze"][i % 3] for i in range(40)],
            }
        )
        mapping = detect_mapping(frame, "customers.csv")
        assert mapping.segments == ["Customer Status"]
        assert mapping.outcomes == []


class TestSurveyScoresOnCustomers:
    def test_likelihood_to_recommend_is_nps(self):
        frame = pd.DataFrame(
            {
                "Customer ID": [f"C{i:03d}" for i in range(30)],
                "Likelihood to recommend": [str(i % 11) for i in range(30)],
                "Plan": [["Basic", "Plus"][i % 2] for i in range(30)],
            }
        )
        mapping = detect_mapping(frame, "customers.csv")
        assert mapping.kind == "customers"
        assert mapping.roles == {"customer_id": "Customer ID", "nps": "Likelihood to recommend"}

    def test_a_score_outside_its_scale_is_an_attribute(self):
        # A 0–100 "satisfaction" is not a 1–5 CSAT answer.
        frame = pd.DataFrame(
            {"customer_id": [f"C{i:03d}" for i in range(30)], "satisfaction": [str(3 * i) for i in range(30)]}
        )
        mapping = detect_mapping(frame, "customers.csv")
        assert "csat" not in mapping.roles
        assert mapping.attributes == ["satisfaction"]

    def test_a_survey_with_one_answer_per_customer_stays_a_survey(self):
        frame = pd.DataFrame(
            {
                "customer_id": [f"C{i:03d}" for i in range(30)],
                "nps": [str(i % 11) for i in range(30)],
                "csat": [str(1 + i % 5) for i in range(30)],
                "comment": [f"Answer number {i} about the service" for i in range(30)],
            }
        )
        mapping = detect_mapping(frame, "answers.csv")
        assert mapping.kind == "feedback"


class TestFastPaths:
    def test_plain_numbers_read_by_arrow_equal_pandas(self):
        # pandas' to_numeric is the reference; 80,000 random amounts written with 0 to 7 decimals.
        rng = np.random.default_rng(3)
        cells = [f"{value:.{rng.integers(0, 8)}f}" for value in rng.uniform(-1e6, 1e6, 80_000)]
        cells += ["1e5", "+4", ".5", "5.", "nan", "inf", "9007199254740993"]
        text = pd.Series(cells, dtype="string")
        expected = pd.to_numeric(text, errors="coerce").astype("float64").mask(np.isinf)
        pd.testing.assert_series_equal(parse_numbers(text), expected)

    def test_a_column_with_words_is_still_read_cell_by_cell(self):
        values = pd.Series(["12", "twelve", "€ 1,200.50", None], dtype="string")
        assert parse_numbers(values).tolist()[:3] == [12.0, pytest.approx(float("nan"), nan_ok=True), 1200.5]

    def test_detection_looks_at_a_bounded_spread_of_rows(self):
        frame = pd.DataFrame({"n": np.arange(DETECTION_ROWS * 3)})
        rows = detection_rows(frame)
        assert len(rows) == DETECTION_ROWS
        # first and last rows included, evenly spread in between
        assert rows["n"].iloc[0] == 0 and rows["n"].iloc[-1] == DETECTION_ROWS * 3 - 1
        assert detection_rows(frame.iloc[:10]) is not None and len(detection_rows(frame.iloc[:10])) == 10

    def test_detection_rows_are_the_rows_iloc_takes(self):
        # The reference is pandas' iloc on the evenly spread positions (what detection_rows
        # computed before it took Arrow columns with Arrow's take); duplicate names included.
        n = DETECTION_ROWS * 3 + 7
        frame = pd.DataFrame(
            {
                "id": pd.Series([f"C{i:07d}" if i % 11 else None for i in range(n)], dtype="str"),
                "amount": np.arange(n) * 0.5,
                "when": pd.date_range("2024-01-01", periods=n, freq="min"),
                "word": pd.Series(["a", None, 3] * (n // 3) + ["b"] * (n % 3), dtype=object),
            }
        )
        frame.columns = ["id", "amount", "when", "id"]
        positions = np.unique(np.linspace(0, n - 1, DETECTION_ROWS).astype(np.int64))
        pd.testing.assert_frame_equal(detection_rows(frame), frame.iloc[positions].reset_index(drop=True))

    def test_blank_cells_of_arrow_text_are_those_the_strip_empties(self):
        # Reference: the strip-based definition (pandas' strip, Arrow's Unicode spaces).
        cells = ["", " ", "\t\n", "\u00a0", "\u2003\u3000", "\u200b", " a ", "x", None, "\u00a0b"]
        for dtype in ("str", "string", object):
            values = pd.Series(cells, dtype=dtype, name="c")
            expected = values.isna() | (values.astype("string").str.strip() == "")
            pd.testing.assert_series_equal(blank_mask(values), expected)

    def test_decimal_comma_with_digits_beyond_ascii(self):
        # Python's \d takes Arabic-Indic digits (as float() does): "١٢,٥٠" fits the comma
        # convention only, like "12,50"; such samples keep Python's patterns.
        assert uses_decimal_comma(text("١٢,٥٠", "٣,٢٥", "12,50"))
        assert not uses_decimal_comma(text("١,٢٣٤", "12"))

    def test_a_column_without_the_letters_is_known_to_lack_them(self):
        ids = pd.Series(["C0001", "C0002", None], dtype="string")
        assert not may_contain(ids, "eEnN")
        assert may_contain(pd.Series(["C0001", "1.23457E+17"], dtype="string"), "eEnN")
        assert may_contain(pd.Series(["-inf"], dtype="str"), "eEnN")
        assert may_contain(pd.Series(["x"], dtype=object), "eEnN")  # not Arrow: cannot tell


class TestOneBadValueKeepsTheRole:
    def test_one_nps_of_eleven_among_300(self):
        scores = [str(i % 11) for i in range(300)]
        scores[150] = "11"
        frame = pd.DataFrame(
            {
                "customer_id": [f"C{i}" for i in range(300)],
                "response_date": ["2024-05-10"] * 300,
                "nps": scores,
            }
        )
        mapping = detect_mapping(frame, "survey")
        assert (mapping.kind, mapping.roles.get("nps")) == ("feedback", "nps")

    def test_a_score_column_mostly_outside_the_scale_is_no_score(self):
        # Percentages named like CSAT: 1 answer in 100 within 1–5 is not a CSAT column.
        frame = pd.DataFrame(
            {"customer_id": [f"C{i}" for i in range(100)], "response_date": ["2024-05-10"] * 100,
             "csat": [str(5 + i) for i in range(100)]}
        )  # fmt: skip
        assert "csat" not in detect_mapping(frame, "survey").roles

    def test_one_churn_flag_maybe_among_100(self):
        flags = ["yes" if i % 5 == 0 else "no" for i in range(100)]
        flags[50] = "maybe"
        frame = pd.DataFrame({"customer_id": [f"C{i}" for i in range(100)], "churned": flags})
        assert detect_mapping(frame, "customers").roles.get("churn") == "churned"

    def test_counts_with_a_few_twos_are_no_flag(self):
        # 0/1 with 2% of 2s is a count, not yes/no with stray words.
        counts = pd.Series(["0", "1"] * 49 + ["2", "2"])
        assert detect_value_type(counts) != "flag"


def test_float_ids_past_two_to_the_63_keep_their_text():
    # int64 would wrap 1e20 to -9223372036854775808: two ids would become one.
    text = clean_text(pd.Series([1e20, 2e20, 1001.0, float("inf")]))
    assert text.tolist() == ["1e+20", "2e+20", "1001", "inf"]


class TestRestatesChurn:
    @pytest.mark.parametrize(
        ("column", "cells"),
        [
            ("region", ["North", "South"] * 20),
            ("churn_reason", ["Price", "Moved", None] * 20),
            ("Customer Status", ["Churned", "Stayed", "Joined"] * 20),
            ("status", ["Gold", "Silver"] * 20),
            ("Exited", ["1", "0"] * 20),
        ],
    )
    def test_only_columns_named_like_an_outcome_are_measured(self, column, cells):
        # Reference: the rule applied to the column's full profile, as before the name was
        # looked at first.
        from bsc.detect import restates_churn
        from bsc.detect.profiles import profile_column
        from bsc.detect.rules import _is_churn_outcome

        frame = pd.DataFrame(
            {"customer_id": text(*[f"C{i}" for i in range(len(cells))]), column: text(*cells)}
        )
        expected = _is_churn_outcome(profile_column(frame, 1))
        assert restates_churn(frame, column) is expected
        assert expected is (column in ("churn_reason", "Customer Status", "Exited"))

"""The workspace currency (bsc.currency): found in the data or typed, and written with every amount."""

from __future__ import annotations

import pandas as pd
import pytest

from bsc.currency import currency_code, detect_currency, excel_money_format, money_text
from bsc.errors import InputError
from bsc.kpis import KPIS


class TestCurrencyCode:
    @pytest.mark.parametrize(
        ("typed", "code"),
        [("EUR", "EUR"), (" eur ", "EUR"), ("€", "EUR"), ("$", "USD"), ("£", "GBP"), ("chf", "CHF")],
        ids=["code", "lower case", "euro sign", "dollar sign", "pound sign", "code without sign"],
    )
    def test_codes_and_signs(self, typed: str, code: str):
        assert currency_code(typed) == code

    @pytest.mark.parametrize("typed", [None, "", "   "], ids=["none", "empty", "spaces"])
    def test_blank_is_unknown(self, typed: str | None):
        assert currency_code(typed) is None

    @pytest.mark.parametrize("typed", ["euro", "E1", "€€"], ids=["word", "digit", "two signs"])
    def test_anything_else_is_refused(self, typed: str):
        with pytest.raises(InputError, match="is not a currency"):
            currency_code(typed)


class TestDetectCurrency:
    def test_signs_in_cells(self):
        assert detect_currency(pd.Series(["€12.50", "€ 3", "€1.234,50", None])) == "EUR"

    def test_codes_in_cells(self):
        assert detect_currency(pd.Series(["12.50 USD", "3 usd", "99"])) == "USD"

    def test_header_names_it(self):
        assert detect_currency(pd.Series([12.5, 3.0]), "amount_eur") == "EUR"
        assert detect_currency(pd.Series(["12"]), "Spend (£)") == "GBP"
        assert detect_currency(pd.Series(["12"]), "Revenue (CHF)") == "CHF"

    def test_a_word_holding_letters_of_a_code_is_no_currency(self):
        # "cadence" holds CAD, "seking" SEK: only a code standing on its own counts.
        assert detect_currency(pd.Series([1.0]), "cadence_days") is None
        assert detect_currency(pd.Series([1.0]), "amountusd") is None

    def test_bare_numbers_say_nothing(self):
        assert detect_currency(pd.Series(["12.50", "3"]), "amount") is None
        assert detect_currency(pd.Series([12.5, 3.0]), "amount") is None

    def test_mixed_currencies_say_nothing(self):
        # tests/hostile/money_formats.csv: $, USD, £ and € in one column: no single currency.
        cells = pd.Series(["$1,234.50", "USD 99", "(12.50)", "1,000", "£7.25", "€ 80", "2,500.00", "-3.5"])
        assert detect_currency(cells) is None

    def test_a_few_signs_among_bare_numbers_are_not_enough(self):
        # One cell in four names euros: under half, so the column is not said to be in euros.
        assert detect_currency(pd.Series(["€12", "3", "4", "5"])) is None


class TestMoneyText:
    @pytest.mark.parametrize(
        ("number", "currency", "text"),
        [
            ("12,346", "EUR", "€12,346"),
            ("-12.5", "EUR", "-€12.5"),
            ("+120", "USD", "+$120"),
            ("12,346", "CHF", "12,346 CHF"),
            ("12,346", None, "12,346 ¤"),
            ("—", "EUR", "—"),
        ],
        ids=["sign before", "negative", "signed change", "code after", "unknown", "no value"],
    )
    def test_amounts(self, number: str, currency: str | None, text: str):
        assert money_text(number, currency) == text

    def test_excel_formats_follow_the_same_rule(self):
        assert excel_money_format("#,##0.00", "EUR") == '"€"#,##0.00'
        assert excel_money_format("#,##0.00", "CHF") == '#,##0.00" CHF"'
        assert excel_money_format("#,##0.00", None) == '#,##0.00" ¤"'


class TestKpiValues:
    """Every money KPI goes through money_text; other units are untouched by the currency."""

    def test_money_kpis_carry_the_currency(self):
        for kpi in ("revenue", "clv", "cpa", "average_order_value", "revenue_per_customer"):
            assert KPIS[kpi].format_value(12345.6, currency="EUR") == "€12,346", kpi
            assert KPIS[kpi].format_value(12345.6) == "12,346 ¤", kpi
            assert KPIS[kpi].unit_title("EUR") == "EUR"

    def test_a_money_change_without_a_base_carries_it_too(self):
        # No previous value to take a percentage of: the amount itself, with its currency.
        assert KPIS["revenue"].format_change(120.0, 0.0, "EUR") == "+€120"
        assert KPIS["revenue"].format_change(-5.0, 100.0, "EUR") == "-5.0%"

    def test_other_units_ignore_it(self):
        assert KPIS["churn_rate"].format_value(1.38, currency="EUR") == "1.38%"
        assert KPIS["orders"].format_value(1559, currency="EUR") == "1,559"

    def test_ces_is_written_on_its_scale(self):
        assert KPIS["ces"].format_value(5.27) == "5.27 of 7"
        assert KPIS["ces"].format_value(5.27, unit=False) == "5.27"
        assert KPIS["ces"].excel_format == '0.00" of 7"'
        assert "1 to 7, higher means less effort" in KPIS["ces"].description

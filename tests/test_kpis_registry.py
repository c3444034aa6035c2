"""The KPI registry: the records' facts, how values are written, and the KPI assumptions.

Mirrors :mod:`bsc.kpis.record` (the record type, value formatting, :class:`KpiParams`) and
:mod:`bsc.kpis.registry` (the records of every component).
"""

from __future__ import annotations

import dataclasses
import math
import re

import numpy as np
import pandas as pd
import pytest

from bsc.errors import InputError
from bsc.kpis.record import COMPONENT_NAMES, COMPONENTS, KpiParams, format_number
from bsc.kpis.registry import KPIS
from bsc.schema import KINDS


class TestRegistry:
    def test_ids_match_keys_and_are_the_specified_set(self):
        assert all(definition.id == key for key, definition in KPIS.items())
        assert set(KPIS) == {
            "nps", "csat", "ces", "rating", "csi", "responses",
            "active_customers", "churn_rate", "retention_rate", "repeat_purchase_rate", "loyalty_engagement",
            "new_customers", "cpa", "conversion_rate", "market_share", "customer_growth",
            "revenue", "orders", "average_order_value", "purchase_frequency", "revenue_per_customer", "clv",
            "first_response_time", "first_response_time_mean", "resolution_time", "resolution_time_mean",
        }  # fmt: skip

    @pytest.mark.parametrize("kpi", list(KPIS))
    def test_definition_is_complete_and_consistent(self, kpi: str):
        definition = KPIS[kpi]
        assert definition.component in COMPONENTS
        assert definition.direction in ("higher", "lower")
        assert definition.split in ("customer", "channel", "none")
        assert definition.name and definition.formula and definition.description
        assert definition.format_value(1234.5)
        fields = {field.name for field in dataclasses.fields(KpiParams)}
        assert set(definition.parameters) <= fields
        for option in definition.requires:
            for role in option:
                kind, role_id = role.split(".")
                assert role_id in KINDS[kind].role_ids

    def test_sample_statistics_are_the_survey_scores(self):
        assert {kpi for kpi, definition in KPIS.items() if definition.sample_statistic} == {
            "nps",
            "csat",
            "ces",
            "rating",
        }

    def test_lower_is_better_for_churn_cost_and_waiting(self):
        lower = {kpi for kpi, definition in KPIS.items() if definition.direction == "lower"}
        assert lower == {
            "churn_rate",
            "cpa",
            "first_response_time",
            "first_response_time_mean",
            "resolution_time",
            "resolution_time_mean",
        }

    def test_missing_roles_reason_names_the_roles_in_words(self):
        reason = KPIS["cpa"].missing_roles({"marketing": {"date", "spend"}})
        assert reason == (
            "needs Spend (Marketing) and Customer ID (Customers) and Signup date (Customers); "
            "or Spend (Marketing) and Customer ID (Transactions) and Order date (Transactions)"
        )
        assert (
            KPIS["cpa"].missing_roles({"marketing": {"spend"}, "customers": {"customer_id", "signup_date"}})
            is None
        )


class TestRecordFacts:
    """Every fact the screens, the workbook and the CLI need comes from the KPI's record."""

    @pytest.mark.parametrize("kpi", list(KPIS))
    def test_every_record_has_the_facts(self, kpi: str):
        definition = KPIS[kpi]
        # A tile is a fifth of a projector-wide page: 18 characters fit beside the status mark.
        assert definition.short_name and len(definition.short_name) <= 18
        assert "…" not in definition.short_name
        assert definition.unit in ("%", "points", "score", "index", "count", "money", "orders", "hours")
        assert definition.unit_words
        assert definition.step > 0
        assert definition.input_format % definition.step
        low, high = definition.limits
        assert low < high
        assert not (definition.total and definition.period_rate)
        assert definition.excel_format

    def test_short_names_are_distinct(self):
        assert len({definition.short_name for definition in KPIS.values()}) == len(KPIS)

    def test_component_names(self):
        assert tuple(COMPONENT_NAMES) == COMPONENTS
        assert COMPONENT_NAMES["loyalty"] == "Loyalty and value"

    def test_totals_and_rates_over_the_period(self):
        totals = {kpi for kpi, definition in KPIS.items() if definition.total}
        assert totals == {"responses", "active_customers", "new_customers", "revenue", "orders"}
        by_length = {kpi for kpi, definition in KPIS.items() if definition.depends_on_period_length}
        assert by_length == totals | {
            "churn_rate",
            "retention_rate",
            "repeat_purchase_rate",
            "customer_growth",
            "purchase_frequency",
            "revenue_per_customer",
        }

    @pytest.mark.parametrize(
        ("kpi", "limits"),
        [
            ("nps", (-100.0, 100.0)),
            ("csat", (0.0, 100.0)),
            ("ces", (1.0, 7.0)),
            ("csi", (0.0, 100.0)),
            ("customer_growth", (-100.0, math.inf)),
            ("revenue", (0.0, math.inf)),
            ("first_response_time", (0.0, math.inf)),
            ("rating", (-math.inf, math.inf)),  # the scale is a setting
        ],
        ids=lambda value: value if isinstance(value, str) else "",
    )
    def test_limits(self, kpi: str, limits: tuple[float, float]):
        assert KPIS[kpi].limits == limits

    def test_a_value_outside_the_limits_is_refused_in_words(self):
        KPIS["nps"].check_limits(100.0, "The goal")
        with pytest.raises(
            InputError, match=r"The goal for Net Promoter Score must be between -100 and 100, not 120\."
        ):
            KPIS["nps"].check_limits(120.0, "The goal")
        with pytest.raises(InputError, match=r"A target for Revenue must be at least 0, not -5\."):
            KPIS["revenue"].check_limits(-5.0, "A target")


class TestFormatChange:
    @pytest.mark.parametrize(
        ("kpi", "change", "previous", "text"),
        [
            ("nps", -4.2, 31.4, "-4.2 pts"),  # points change by points
            ("csat", 3.6, 70.5, "+3.6 pts"),  # so do percentages
            ("ces", -0.004, 5.22, "0.00"),  # rounds to zero: no sign, never "-0.00"
            ("ces", 0.5, 5.0, "+0.50"),
            ("first_response_time", -0.08, 2.81, "-0.08 h"),
            ("revenue", 1_400.0, 10_000.0, "+14.0%"),  # totals by their relative change
            ("new_customers", 12.0, 0.0, "+12"),  # from zero: the number itself
            ("orders", -0.0001, 250.0, "0.0%"),
        ],
    )
    def test_changes_are_signed_in_the_kpis_unit(self, kpi, change, previous, text):
        assert KPIS[kpi].format_change(change, previous) == text

    def test_compact_values_for_tiles(self):
        assert KPIS["nps"].format_value(27.2, compact=True) == "27.2 pts"
        assert KPIS["nps"].format_value(27.2) == "27.2 points"
        assert KPIS["csat"].format_value(74.1, compact=True) == "74.1%"


class TestFormatValue:
    """One way to write a value: about three significant digits and the unit's suffix."""

    @pytest.mark.parametrize(
        ("kpi", "value", "text"),
        [
            # NPS runs from -100 to 100: unsigned like any level, "points" says it is not a %.
            ("nps", 35.0, "35 points"),
            ("nps", 34.66, "34.7 points"),
            ("nps", -12.0, "-12 points"),
            ("nps", 100.0, "100 points"),
            # Percentages on 0–100; trailing zeros dropped.
            ("csat", 74.5, "74.5%"),
            ("csat", 74.0, "74%"),
            ("churn_rate", 1.234, "1.23%"),
            ("churn_rate", 0.0456, "0.046%"),
            # Customer growth is a change: signed.
            ("customer_growth", 2.5, "+2.5%"),
            ("customer_growth", -3.0, "-3%"),
            ("customer_growth", 0.0, "0%"),
            # Hours.
            ("first_response_time", 2.5, "2.5 h"),
            ("resolution_time", 28.04, "28 h"),
            # Money: no currency is known, so the sign of an unnamed currency follows (see
            # tests/test_currency.py for known ones); whole from 1,000.
            ("revenue", 12345.678, "12,346 ¤"),
            ("revenue", 1234567.0, "1,234,567 ¤"),
            ("cpa", 45.5, "45.5 ¤"),
            ("average_order_value", 0.05, "0.05 ¤"),
            # Counts, scores, orders.
            ("active_customers", 1234.0, "1,234"),
            ("responses", 523.0, "523"),
            # The CES on its 1–7 scale.
            ("ces", 5.234, "5.23 of 7"),
            ("purchase_frequency", 1.5, "1.5"),
        ],
        ids=lambda value: str(value),
    )
    def test_values(self, kpi: str, value: float, text: str):
        assert KPIS[kpi].format_value(value) == text

    @pytest.mark.parametrize("missing", [None, math.nan, np.nan, np.float64("nan"), pd.NA], ids=repr)
    def test_missing_values_are_a_dash(self, missing):
        for definition in KPIS.values():
            assert definition.format_value(missing) == "—"

    @pytest.mark.parametrize("value", [-0.0, -0.0004, -1e-12, np.float64(-0.0)], ids=repr)
    def test_negative_zero_is_zero(self, value: float):
        assert KPIS["nps"].format_value(value) == "0 points"
        assert KPIS["churn_rate"].format_value(value) == "0%"
        assert KPIS["customer_growth"].format_value(value) == "0%"
        assert KPIS["revenue"].format_value(value) == "0 ¤"
        assert format_number(value, signed=True) == "0"

    def test_no_value_reads_minus_zero(self):
        for value in np.linspace(-0.01, 0.01, 201):
            for definition in KPIS.values():
                text = definition.format_value(float(value))
                assert not re.fullmatch(r"-0(\.0*)?(%| points| h)?", text), (definition.id, value, text)

    def test_unit_can_be_left_to_the_label(self):
        assert KPIS["nps"].format_value(35.0, unit=False) == "35"
        assert KPIS["customer_growth"].format_value(2.5, unit=False) == "+2.5"
        assert KPIS["csat"].format_value(None, unit=False) == "—"

    def test_numbers_alone(self):
        assert format_number(35.0) == "35"
        assert format_number(0.1234) == "0.12"
        assert format_number(9.996) == "10"
        assert format_number(2.5, signed=True) == "+2.5"
        assert format_number(-2.5, signed=True) == "-2.5"

    def test_workbook_number_formats_follow_the_unit(self):
        assert KPIS["churn_rate"].excel_format == '0.0"%"'
        assert KPIS["nps"].excel_format == "0.0"
        assert KPIS["first_response_time"].excel_format == '0.0" h"'
        assert KPIS["customer_growth"].excel_format == '+0.0"%";-0.0"%";0.0"%"'


class TestKpiParams:
    def test_defaults(self):
        params = KpiParams()
        assert params.inactivity_days == 90
        assert params.margin == 0.30
        assert params.csi_weight("nps") == 1.0
        assert params.confidence == 0.95

    def test_weights_given_as_a_mapping_are_stored_as_sorted_pairs(self):
        params = KpiParams(csi_weights={"nps": 2, "csat": 1})
        assert params.csi_weights == (("csat", 1.0), ("nps", 2.0))
        assert params.csi_weight("ces") == 0.0

    def test_frozen_and_hashable(self):
        params = KpiParams()
        with pytest.raises(dataclasses.FrozenInstanceError):
            params.margin = 0.5  # type: ignore[misc]
        assert hash(params) == hash(KpiParams())
        assert dataclasses.replace(params, margin=0.5).margin == 0.5

    @pytest.mark.parametrize(
        ("changes", "message"),
        [
            ({"inactivity_days": 0}, "inactivity window"),
            ({"margin": 1.5}, "margin"),
            ({"csi_weights": {"loyalty": 1}}, "CSI weights can only"),
            ({"csi_weights": {"nps": 0}}, "at least one above 0"),
            ({"rating_scale": (5, 1)}, "rating scale"),
            ({"market_size_unit": "units"}, "market size unit"),
            ({"churn_method": "guess"}, "churn method"),
            ({"confidence": 1.0}, "confidence"),
        ],
        ids=[
            "window",
            "margin",
            "weight-kpi",
            "weights-zero",
            "rating-scale",
            "market-unit",
            "churn",
            "conf",
        ],
    )
    def test_invalid_settings_raise_input_error(self, changes: dict, message: str):
        with pytest.raises(InputError, match=message):
            KpiParams(**changes)

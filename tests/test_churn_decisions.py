"""Decisions: the value of contacting the riskiest customers, the at-risk list, the customer value."""

from __future__ import annotations

from pathlib import Path

import numpy as np
import pandas as pd
import pytest

from bsc.churn import (
    analyse_churn,
    at_risk_customers,
    churn_data_from_table,
    churn_data_from_workspace,
    plan_contacts,
    reason_text,
    scored_customers,
    typical_customer_value,
)
from bsc.errors import InputError
from bsc.kpis import compute_kpis
from tests.churn_tables import demo_workspace_tables, signal_table

pytestmark = [
    pytest.mark.filterwarnings("ignore:The 'future.infer_string' option is deprecated"),
    pytest.mark.filterwarnings("ignore:fetch_arrow_table\\(\\) is deprecated:DeprecationWarning"),
]


class TestPlanContacts:
    def test_net_value_by_hand(self):
        # Offer 10, half of contacted churners saved, value 100: gains p × 50 − 10 = 15, 0, −5.
        plan = plan_contacts(np.array([0.2, 0.5, 0.1]), offer_cost=10, save_rate=0.5, customer_value=100)
        assert plan.curve["expected_net_value"].tolist() == [0.0, 15.0, 15.0, 10.0]
        assert plan.contacted == 1
        assert plan.threshold == 0.5
        assert plan.expected_net_value == 15.0
        assert plan.expected_saved == pytest.approx(0.25)
        # Break-even: 10 / (0.5 × 100) = 0.2.
        assert plan.break_even == pytest.approx(0.2)

    def test_nobody_is_contacted_when_no_contact_pays(self):
        plan = plan_contacts(np.array([0.01, 0.02]), offer_cost=50, save_rate=0.5, customer_value=100)
        assert plan.contacted == 0 and plan.expected_net_value == 0.0

    def test_customer_values_order_the_contacts(self):
        # Expected losses p × v: 0.5 × 10 = 5 and 0.2 × 1000 = 200: the second is called first.
        plan = plan_contacts(
            np.array([0.5, 0.2]), offer_cost=1, save_rate=1.0, customer_value=np.array([10.0, 1000.0])
        )
        assert plan.curve["expected_net_value"].tolist() == [0.0, 199.0, 203.0]

    @pytest.mark.parametrize(
        ("cost", "rate", "value", "message"),
        [
            (-1, 0.5, 100, "offer cost"),
            (1, 0, 100, "stay must be above 0"),
            (1, 0.5, 0, "value must be above 0"),
        ],
        ids=["negative-cost", "zero-save-rate", "zero-value"],
    )
    def test_bad_settings_are_refused(self, cost, rate, value, message):
        with pytest.raises(InputError, match=message):
            plan_contacts(np.array([0.5]), offer_cost=cost, save_rate=rate, customer_value=value)


class TestAtRisk:
    def test_riskiest_stayers_with_their_reasons(self):
        analysis = analyse_churn(churn_data_from_table(signal_table()))
        at_risk = at_risk_customers(analysis, top=20)
        assert len(at_risk) == 20
        assert at_risk["churn_probability"].is_monotonic_decreasing
        stayers = set(analysis.data.customers.loc[~analysis.data.churned, "customer_id"])
        assert set(at_risk["customer"]) <= stayers
        # The riskiest customers are the least satisfied: satisfaction is their first reason.
        assert at_risk["reason_1"].str.startswith("Satisfaction:").all()


def _effort_table(rows: int = 600, seed: int = 3) -> pd.DataFrame:
    """Churn more likely for customers who never answered the effort survey (a blank CES)."""
    rng = np.random.default_rng(seed)
    satisfaction = rng.normal(0, 1, rows)
    unanswered = rng.random(rows) < 0.4
    risk = -1.5 - 1.5 * satisfaction + 2.0 * unanswered
    churn = rng.random(rows) < 1 / (1 + np.exp(-risk))
    return pd.DataFrame(
        {
            "customer_id": [f"E{i:04d}" for i in range(rows)],
            "satisfaction": satisfaction.round(3),
            "effort": np.where(unanswered, np.nan, rng.integers(1, 8, rows).astype(float)),
            "Churn": np.where(churn, "Yes", "No"),
        }
    )


class TestReasons:
    @pytest.mark.parametrize(
        ("args", "expected"),
        [
            # 212 ÷ 70 = 3.03: "3×".
            (
                ("Recency", "number", 212.0, 70.0, "days"),
                "No order for 212 days, 3× the typical customer's 70 days",
            ),
            # 2 ÷ 5 = 40 %.
            (
                ("Frequency", "number", 2.0, 5.0, "orders"),
                "Frequency: 2 orders, 40% of the typical customer's 5 orders",
            ),
            # 30 ÷ 12 = 2.5.
            (
                ("Mean first response", "number", 30.0, 12.0, "hours"),
                "Mean first response: 30 hours, 2.5× the typical customer's 12 hours",
            ),
            # 2.0 − 3.5 = −1.5 points on the 1–5 scale.
            (
                ("Mean CSAT", "number", 2.0, 3.5, "1–5"),
                "Mean CSAT: 2 points (1–5), 1.5 points below the typical customer's 3.5",
            ),
            # 1,200 ÷ 1,000 = 1.2: near, so "above".
            (
                ("Monetary value", "number", 1200.0, 1000.0, "money"),
                "Monetary value: 1,200 (currency), above the typical customer's 1,000 (currency)",
            ),
            (("Loyalty member", "flag", 0.0, 1.0, "0/1"), "Loyalty member: no (most customers: yes)"),
            (
                ("Contract", "category", "Month-to-month", "Two year", ""),
                "Contract: Month-to-month (most customers: Two year)",
            ),
            (
                ("Signup date", "date", 40.0, 800.0, ""),
                "Signup date: 40 days ago (the typical customer: 800 days ago)",
            ),
        ],
        ids=["recency", "orders", "hours", "points", "currency", "flag", "category", "date"],
    )
    def test_each_reason_has_its_unit_and_a_plain_comparison(self, args, expected):
        label, kind, value, typical, unit = args
        column = "recency_days" if label == "Recency" else label
        assert reason_text(label, kind, value, typical, unit, column=column) == expected

    def test_a_missing_value_is_refused_as_a_reason(self):
        with pytest.raises(ValueError, match="missing value is not a reason"):
            reason_text("Mean CES", "number", np.nan, 4.0, "1–7")

    def test_a_missing_value_is_never_listed(self):
        analysis = analyse_churn(churn_data_from_table(_effort_table()))
        at_risk = at_risk_customers(analysis, top=60)
        customers = analysis.data.customers.set_index("customer_id")
        blank = customers.loc[at_risk["customer"], "effort"].isna().to_numpy()
        # The test bites: most of the riskiest customers left the effort survey blank...
        assert blank.sum() > 20
        reasons = at_risk[["reason_1", "reason_2", "reason_3"]]
        # ...yet none of them has "effort" as a reason, and no reason reads "none" or "nan".
        assert not reasons[blank].apply(lambda c: c.str.startswith("effort")).to_numpy().any()
        text = " ".join(reasons.to_numpy().ravel())
        assert "none" not in text and "nan" not in text.lower()


@pytest.fixture(scope="module")
def demo_tables(tmp_path_factory) -> dict[str, list[Path]]:
    return demo_workspace_tables(tmp_path_factory.mktemp("churn"))


class TestCustomerValue:
    def test_customer_value_is_the_median_yearly_clv(self, demo_tables):
        values = compute_kpis(demo_tables, period="year", kpis=["clv"]).values
        yearly = values.loc[values["segment"].isna(), "value"]
        assert typical_customer_value(demo_tables) == pytest.approx(float(np.median(yearly)))


def test_current_customers_are_scored_a_slice_at_a_time_as_all_at_once(demo_tables, monkeypatch):
    # The demo's 2,292 current customers scored 500 at a time (five slices, the last of 292)
    # get the probabilities of one call of the model on all of them.
    from dataclasses import replace

    analysis = analyse_churn(churn_data_from_workspace(demo_tables), n_jobs=1)
    plan = replace(
        analysis.plan, reference_date=analysis.data.current_reference_date or analysis.plan.reference_date
    )
    features = plan.features(analysis.data.current)[plan.numbers + plan.categories]
    at_once = analysis.model.predict_proba(features)[:, 1]
    monkeypatch.setattr("bsc.churn.decisions.SCORED_AT_ONCE", 500)
    customers, sliced = scored_customers(analysis)
    assert len(customers) == len(sliced) == 2292
    np.testing.assert_array_equal(sliced, at_once)

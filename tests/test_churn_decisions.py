"""Decisions: the value of contacting the riskiest customers, the at-risk list, the customer value."""

from __future__ import annotations

from pathlib import Path

import numpy as np
import pytest

from bsc.churn import (
    analyse_churn,
    at_risk_customers,
    churn_data_from_table,
    plan_contacts,
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


@pytest.fixture(scope="module")
def demo_tables(tmp_path_factory) -> dict[str, list[Path]]:
    return demo_workspace_tables(tmp_path_factory.mktemp("churn"))


class TestCustomerValue:
    def test_customer_value_is_the_median_yearly_clv(self, demo_tables):
        values = compute_kpis(demo_tables, period="year", kpis=["clv"]).values
        yearly = values.loc[values["segment"].isna(), "value"]
        assert typical_customer_value(demo_tables) == pytest.approx(float(np.median(yearly)))

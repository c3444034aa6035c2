"""Tests of bsc.links.customer: the built-in links on the IBM telco pair, hand-made and simulated data."""

from pathlib import Path

import numpy as np
import pandas as pd
import pytest

from bsc.links.customer import CUSTOMER_LINKS, HORIZON_DAYS, customer_links
from bsc.links.result import NO_DATA, NOT_SUPPORTED, SUPPORTED, TOO_LITTLE
from bsc.workspace import files_workspace

FIXTURES = Path(__file__).parent / "fixtures"
PAIR = [FIXTURES / "links_telco_customers.csv", FIXTURES / "links_telco_status.csv"]


def _link(results, cause, effect):
    [found] = [r for r in results if (r.cause, r.effect) == (cause, effect)]
    return found


def _write(folder: Path, **frames: pd.DataFrame) -> dict[str, list[Path]]:
    """Canonical tables by kind, one Parquet file each, as a workspace stores them."""
    tables = {}
    for kind, frame in frames.items():
        path = folder / f"{kind}.parquet"
        frame.to_parquet(path, index=False)
        tables[kind] = [path]
    return tables


@pytest.fixture(scope="module")
def results():
    with files_workspace(PAIR) as (tables, refused):
        assert not refused
        return customer_links(tables)


class TestIbmTelcoPair:
    """tests/fixtures/links_telco_*.csv: churn in the customers file, a 1–5 score in the status file."""

    def test_satisfaction_to_churn_is_supported(self, results):
        link = _link(results, "csat", "churn_rate")
        assert link.verdict == SUPPORTED
        assert link.n == 400
        assert "not lagged" in link.method

    def test_estimate_matches_pandas_by_hand(self, results):
        # Independent computation: join the two files on the customer id, churn share of scores 1–3
        # minus scores 4–5, Wald interval with z = 1.959964.
        customers = pd.read_csv(PAIR[0])
        status = pd.read_csv(PAIR[1])
        joined = status.merge(customers, left_on="Customer ID", right_on="customerID")
        churned = joined["Churn"].eq("Yes")
        low, high = churned[joined["Satisfaction Score"] <= 3], churned[joined["Satisfaction Score"] >= 4]
        difference = low.mean() - high.mean()
        se = np.sqrt(low.mean() * (1 - low.mean()) / len(low) + high.mean() * (1 - high.mean()) / len(high))
        link = _link(results, "csat", "churn_rate")
        assert link.estimate == pytest.approx(100 * difference)
        assert link.ci_low == pytest.approx(100 * (difference - 1.959964 * se), abs=1e-4)
        assert link.ci_high == pytest.approx(100 * (difference + 1.959964 * se), abs=1e-4)

    def test_links_without_their_tables_have_no_data(self, results):
        for cause, effect in [
            ("nps", "churn_rate"),
            ("first_response_time", "csat"),
            ("retention_rate", "revenue"),
        ]:
            assert _link(results, cause, effect).verdict == NO_DATA


def test_a_table_with_no_survey_has_no_data():
    with files_workspace([PAIR[0]]) as (tables, _):
        results = customer_links(tables)
    link = _link(results, "csat", "churn_rate")
    assert link.verdict == NO_DATA
    assert link.n == 0 and np.isnan(link.estimate)
    assert "survey answers" in link.meaning


def test_few_customers_are_too_little_data(tmp_path):
    ids = [f"C{i}" for i in range(40)]
    tables = _write(
        tmp_path,
        customers=pd.DataFrame({"customer_id": ids, "churn": [i % 2 == 0 for i in range(40)]}),
        feedback=pd.DataFrame({"customer_id": ids, "csat": [1.0 if i < 20 else 5.0 for i in range(40)]}),
    )
    link = _link(customer_links(tables), "csat", "churn_rate")
    assert link.verdict == TOO_LITTLE  # 20 in each group, under the 30 asked for
    assert link.n == 40


def test_nps_churn_counts_only_the_90_days_after_the_answer(tmp_path):
    # Detractor D1 churns 30 days after answering (counted), D2 120 days after (not within 90),
    # promoter P1 stays, promoter P2 churned before answering (left out). Churn of detractors
    # 1 of 2 = 50%, promoters 0 of 1: +50 points.
    day = pd.Timestamp("2024-01-01")
    customers = pd.DataFrame(
        {
            "customer_id": ["D1", "D2", "P1", "P2", "X"],
            "churn_date": [day + pd.Timedelta(days=30), day + pd.Timedelta(days=120), pd.NaT, day, pd.NaT],
        }
    )
    feedback = pd.DataFrame(
        {
            "customer_id": ["D1", "D2", "P1", "P2"],
            "date": [day, day, day, day + pd.Timedelta(days=10)],
            "nps": [3.0, 5.0, 10.0, 9.0],
        }
    )
    # X's late answer sets the end of the data a year on, so every answer has its 90 days.
    feedback.loc[4] = ["X", day + pd.Timedelta(days=365), 8.0]
    link = _link(
        customer_links(_write(tmp_path, customers=customers, feedback=feedback)), "nps", "churn_rate"
    )
    assert link.estimate == pytest.approx(50.0)
    assert link.n == 3
    assert f"{HORIZON_DAYS} days" in link.method


def test_satisfaction_without_effect_is_not_supported_in_about_95_percent_of_seeds(tmp_path):
    # Under no effect the one-sided 2.5% tail of a 95% interval is the only way to "supported":
    # "not supported" should come out in about 97.5% of 200 seeds; we accept 90% to 99.5%.
    [satisfaction_to_churn] = [
        link for link in CUSTOMER_LINKS if (link.cause, link.effect) == ("csat", "churn_rate")
    ]
    not_supported = 0
    for seed in range(200):
        rng = np.random.default_rng(seed)
        ids = [f"C{i}" for i in range(400)]
        tables = _write(
            tmp_path,
            customers=pd.DataFrame({"customer_id": ids, "churn": rng.random(400) < 0.25}),
            feedback=pd.DataFrame({"customer_id": ids, "csat": rng.integers(1, 6, 400).astype(float)}),
        )
        link = satisfaction_to_churn.test(tables)
        assert link.verdict in (SUPPORTED, NOT_SUPPORTED)
        not_supported += link.verdict == NOT_SUPPORTED
    assert 180 <= not_supported <= 199

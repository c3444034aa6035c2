"""``python -m bsc clv`` and ``python -m bsc survival``: run as a user would, in a subprocess."""

from __future__ import annotations

import json

import pandas as pd
import pytest

from bsc.clv import kaplan_meier
from tests.conftest import FIXTURES
from tests.test_cli import run_cli

CDNOW = str(FIXTURES / "cdnow_sample.txt")


class TestClv:
    @pytest.fixture(scope="class")
    @staticmethod
    def report():
        result = run_cli(
            "clv", CDNOW, "--calibration-end", "1997-09-30", "--holdout-end", "1998-06-30", "--json"
        )
        assert result.returncode == 0, result.stderr
        return json.loads(result.stdout)

    def test_exactly_the_documented_keys(self, report):
        assert set(report) == {"bg_nbd", "gamma_gamma", "holdout", "customers"}
        assert set(report["bg_nbd"]) == {"r", "alpha", "a", "b"}
        assert set(report["gamma_gamma"]) == {"p", "q", "v"}
        assert set(report["holdout"]) == {"actual", "predicted", "rmse", "naive_rmse"}

    def test_figures_match_an_independent_count(self, report):
        # Independent reading of the excerpt: 681 customers, all first buying in early 1997; their
        # distinct purchase days from 1997-10-01 to 1998-06-30.
        log = pd.read_csv(CDNOW, sep=r"\s+", header=None, names=["id", "sample_id", "date", "cds", "dollars"])
        log["date"] = pd.to_datetime(log["date"].astype(str), format="%Y%m%d")
        later = log[(log["date"] > "1997-09-30") & (log["date"] <= "1998-06-30")]
        assert report["customers"] == log["id"].nunique() == 681
        assert report["holdout"]["actual"] == later.drop_duplicates(["id", "date"]).shape[0]
        assert report["holdout"]["rmse"] < report["holdout"]["naive_rmse"]

    def test_text_says_whether_the_model_beats_the_past_rate(self):
        result = run_cli("clv", CDNOW, "--calibration-end", "1997-09-30")
        assert result.returncode == 0, result.stderr
        assert "better than their past rate" in result.stdout
        assert "times in weeks" in result.stdout

    @pytest.mark.parametrize(
        ("args", "message"),
        [
            (["--calibration-end", "sometime"], "is not a date"),
            (["--calibration-end", "1999-01-01"], "no later purchases"),
            (["--calibration-end", "1997-09-30", "--holdout-end", "1997-01-01"], "must come after"),
        ],
        ids=["unreadable-date", "calibration-after-the-data", "holdout-before-calibration"],
    )
    def test_bad_input_exits_2_with_a_message(self, args, message):
        result = run_cli("clv", CDNOW, *args)
        assert result.returncode == 2
        assert message in result.stderr and "Traceback" not in result.stderr

    def test_no_transactions(self):
        result = run_cli(
            "clv",
            str(FIXTURES / "telco_customers.csv"),
            "--calibration-end",
            "2024-01-01",
            "--model",
            "bg_nbd",
        )
        assert result.returncode == 2 and "needs a transactions table" in result.stderr

    def test_bg_nbd_needs_a_calibration_end(self):
        result = run_cli("clv", CDNOW)
        assert result.returncode == 2 and "needs --calibration-end" in result.stderr


TELCO = str(FIXTURES / "telco_customers.csv")


class TestSubscriptions:
    @pytest.fixture(scope="class")
    @staticmethod
    def report():
        result = run_cli("clv", TELCO, "--json")
        assert result.returncode == 0, result.stderr
        assert "BG/NBD not fitted" in result.stderr
        return json.loads(result.stdout)

    def test_a_tenure_table_gets_the_sbg_block_only(self, report):
        assert set(report) == {"sbg"}
        sbg = report["sbg"]
        assert set(sbg) == {
            "alpha",
            "beta",
            "customers",
            "period",
            "periods_observed",
            "projection",
            "held_out",
        }
        assert set(sbg["held_out"]) == {
            "calibration_periods",
            "periods",
            "actual",
            "projected",
            "error",
            "constant_rate_error",
        }

    def test_figures_match_an_independent_count(self, report):
        # Independent reading: customers with a tenure of 1 month or more (those with 0 add nothing),
        # the longest tenure, and the default calibration of two thirds of it.
        telco = pd.read_csv(TELCO)
        assert report["sbg"]["customers"] == int(
            (telco["tenure"] > 0).sum() + ((telco["tenure"] == 0) & (telco["Churn"] == "Yes")).sum()
        )
        assert report["sbg"]["periods_observed"] == telco["tenure"].max()
        assert report["sbg"]["held_out"]["calibration_periods"] == round(2 * telco["tenure"].max() / 3)
        assert report["sbg"]["projection"]["survival"][0] == 1.0

    def test_calibration_periods_and_text(self):
        result = run_cli("clv", TELCO, "--model", "sbg", "--calibration-periods", "24")
        assert result.returncode == 0, result.stderr
        assert "Shifted beta-geometric" in result.stdout
        assert "Fitted on the first 24 months" in result.stdout

    def test_dates_are_cut_into_months(self, tmp_path):
        path = tmp_path / "customers.csv"
        path.write_text(CUSTOMERS)
        result = run_cli("clv", str(path), "--model", "sbg", "--json")
        assert result.returncode == 0, result.stderr
        sbg = json.loads(result.stdout)["sbg"]
        # By hand: the data end on 2024-03-01; C1 left after 30 days (month 1), C3 after 20 (month 1),
        # C6 after 29 (month 1); C2, C4, C5 are still here after 50, 60 and 56 days (1 month survived).
        assert sbg["customers"] == 6
        assert sbg["periods_observed"] == 1
        assert sbg["held_out"] is None

    def test_no_subscription_data_with_model_sbg(self):
        result = run_cli("clv", CDNOW, "--model", "sbg")
        assert result.returncode == 2 and "customers table" in result.stderr


CUSTOMERS = """customer_id,signup_date,churn_date,plan
C1,2024-01-01,2024-01-31,basic
C2,2024-01-11,,basic
C3,2024-01-21,2024-02-10,basic
C4,2024-01-01,,premium
C5,2024-01-05,,premium
C6,2024-02-01,2024-03-01,premium
"""


class TestSurvival:
    def test_dates_in_days_censored_at_the_data_end(self, tmp_path):
        path = tmp_path / "customers.csv"
        path.write_text(CUSTOMERS)
        result = run_cli("survival", str(path), "--by", "plan", "--json")
        assert result.returncode == 0, result.stderr
        report = json.loads(result.stdout)
        assert set(report) == {"curves", "logrank_p"}
        basic, premium = report["curves"]
        assert set(basic) == {"segment", "times", "survival", "ci_low", "ci_high", "median"}
        # By hand, the data end at 2024-03-01. basic: 30 days (left), 50 days (here), 20 days (left):
        # S = 2/3 after day 20, 1/3 after day 30; median 30. premium: 60, 56 (here), 29 (left): S = 2/3.
        assert basic["segment"] == "basic" and basic["times"] == [0, 20, 30]
        assert basic["survival"] == pytest.approx([1, 2 / 3, 1 / 3])
        assert basic["median"] == 30
        assert premium["times"] == [0, 29] and premium["median"] is None
        assert 0 < report["logrank_p"] < 1

    def test_tenure_months_match_the_library(self):
        # telco_customers.csv: tenure in months and a Yes/No churn column.
        result = run_cli("survival", str(FIXTURES / "telco_customers.csv"), "--json")
        assert result.returncode == 0, result.stderr
        report = json.loads(result.stdout)
        table = pd.read_csv(FIXTURES / "telco_customers.csv")
        expected = kaplan_meier(table["tenure"], table["Churn"] == "Yes")
        (curve,) = report["curves"]
        assert curve["times"] == expected.times and curve["survival"] == pytest.approx(expected.survival)
        assert report["logrank_p"] is None

    def test_text_output(self):
        result = run_cli("survival", str(FIXTURES / "telco_customers.csv"), "--by", "Contract")
        assert result.returncode == 0, result.stderr
        assert "Month-to-month" in result.stdout and "Log-rank test: p =" in result.stdout

    @pytest.mark.parametrize(
        ("args", "message"),
        [
            ([CDNOW], "need a customers table"),
            ([str(FIXTURES / "telco_customers.csv"), "--by", "planet"], "planet"),
        ],
        ids=["no-customers-table", "unknown-segment"],
    )
    def test_bad_input_exits_2_with_a_message(self, args, message):
        result = run_cli("survival", *args)
        assert result.returncode == 2
        assert message in result.stderr and "Traceback" not in result.stderr

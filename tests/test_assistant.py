"""The target assistant and the what-if model, against values worked out by hand.

The trend examples use 2 degrees of freedom, where Student's t has a closed form:
F(t) = 1/2 + t / (2 √(2 + t²)) (e.g. Abramowitz & Stegun 26.7.3), and t(0.975, 2) = 4.302653
(statistical tables). The regression formulas are those of Montgomery, Peck & Vining,
*Introduction to Linear Regression Analysis*, §2.5.
"""

from __future__ import annotations

import math

import pandas as pd
import pytest

from bsc.assistant import (
    Levers,
    NpsChurnLink,
    WhatIfBase,
    assess_target,
    chance_text,
    nps_churn_link,
    project_whatif,
    whatif_base,
)
from bsc.errors import InputError

T975_DF2 = 4.302652729911275


def t2_cdf(t: float) -> float:
    return 0.5 + t / (2.0 * math.sqrt(2.0 + t * t))


def series(values: list[float | None], start: str = "2026-01", n: list[float] | None = None) -> pd.DataFrame:
    periods = pd.period_range(start, periods=len(values), freq="M").strftime("%Y-%m")
    return pd.DataFrame(
        {
            "period": list(periods),
            "value": [math.nan if v is None else v for v in values],
            "n": n or [100] * len(values),
        }
    )


# y = 10, 12, 11, 15 at x = 0..3: x̄ = 1.5, ȳ = 12, Sxx = 5, Sxy = 7, so b = 1.4 and a = 9.9.
# Fitted 9.9, 11.3, 12.7, 14.1; residuals 0.1, 0.7, −1.7, 0.9; SSE = 4.2, s² = 2.1.
# Due 2026-06 is x0 = 5: ŷ = 16.9, s0 = s √(1 + 1/4 + 3.5²/5) = √2.1 · √3.7.
FOUR = series([10.0, 12.0, 11.0, 15.0])
S0 = math.sqrt(2.1) * math.sqrt(3.7)


class TestAssessTarget:
    def test_a_period_to_date_is_left_out_of_the_trend(self):
        # FOUR plus May "to date" at 3.0: the fit, the last value and the horizon are FOUR's.
        partial = pd.concat(
            [FOUR.assign(complete=True), series([3.0], start="2026-05").assign(complete=False)]
        )
        assessment = assess_target(partial, kpi="csat", due_period="2026-06")
        assert assessment.slope == pytest.approx(1.4)
        assert assessment.projection == pytest.approx(16.9)
        assert (assessment.last_period, assessment.last_value, assessment.horizon) == ("2026-04", 15.0, 2)

    def test_trend_projection_and_prediction_interval(self):
        assessment = assess_target(FOUR, kpi="csat", due_period="2026-06")
        assert assessment.slope == pytest.approx(1.4)
        assert assessment.projection == pytest.approx(16.9)
        assert assessment.interval == pytest.approx((16.9 - T975_DF2 * S0, 16.9 + T975_DF2 * S0))
        assert assessment.interval == pytest.approx((4.906476, 28.893524))
        assert (assessment.last_period, assessment.last_value, assessment.horizon) == ("2026-04", 15.0, 2)
        assert (assessment.low, assessment.low_period, assessment.high, assessment.high_period) == (
            10.0,
            "2026-01",
            15.0,
            "2026-04",
        )
        assert assessment.verdict == "unknown" and assessment.probability is None
        # The path: four months of history, then the projection from the last month to the due one.
        assert assessment.path["kind"].tolist() == ["history"] * 4 + ["projection"] * 3
        assert assessment.path["value"].iloc[-1] == pytest.approx(16.9)

    def test_probability_when_higher_is_better(self):
        assessment = assess_target(FOUR, kpi="csat", due_period="2026-06", proposed=18.0)
        # P(Y ≥ 18) = 1 − F((18 − 16.9) / s0) = 0.365614.
        assert assessment.probability == pytest.approx(1.0 - t2_cdf(1.1 / S0))
        assert assessment.probability == pytest.approx(0.365614, abs=1e-6)
        assert assessment.verdict == "stretch"
        assert "the chance of reaching 18% is about 37%" in assessment.reasons[0]
        # A rise of 3 in 2 months has been seen (12 → 15), so only the record is mentioned.
        assert assessment.reasons[1:] == ("No month so far has been above 15% (2026-04).",)

    def test_beyond_the_record_and_any_change_seen_is_implausible(self):
        # 20 needs +5 in 2 months; the largest 2-month rise was 3 (12 → 15) and 15 is the record,
        # so the target is implausible although the wide interval leaves a chance of 19 %.
        assessment = assess_target(FOUR, kpi="csat", due_period="2026-06", proposed=20.0)
        assert assessment.probability == pytest.approx(1.0 - t2_cdf(3.1 / S0))
        assert assessment.verdict == "implausible"
        assert "the largest rise over 2 months so far was 3.0 points" in assessment.warning

    def test_probability_when_lower_is_better(self):
        assessment = assess_target(FOUR, kpi="churn_rate", due_period="2026-06", proposed=10.0)
        # Churn: P(Y ≤ 10) = F((10 − 16.9) / s0) = 0.065857.
        assert assessment.probability == pytest.approx(t2_cdf(-6.9 / S0))
        assert assessment.probability == pytest.approx(0.065857, abs=1e-6)
        assert assessment.verdict == "stretch"

    def test_implausible_target_gets_a_warning_with_reasons(self):
        # A straight line 10, 11, ..., 14: zero residuals, so the projection 16 for 2026-07 is
        # certain. 17 needs a rise of 3 in 2 months; the largest rise over 2 months was 2.
        line = series([10.0, 11.0, 12.0, 13.0, 14.0])
        assessment = assess_target(line, kpi="csat", due_period="2026-07", proposed=17.0)
        assert assessment.probability == 0.0
        assert assessment.verdict == "implausible"
        assert "the largest rise over 2 months so far was 2.0 points" in assessment.warning
        assert "It needs a rise of 3.0 points in 2 months" in assessment.warning
        assert "No month so far has been above 14%" in assessment.warning

    def test_beyond_history_and_best_is_implausible_whatever_the_noise(self):
        # Noisy flat history between 20 and 40; 95 in a month needs a rise no month pair has shown.
        noisy = series([20.0, 40.0, 22.0, 38.0, 21.0, 39.0])
        assessment = assess_target(noisy, kpi="nps", due_period="2026-07", proposed=95.0)
        assert assessment.verdict == "implausible"
        assert "largest rise over 1 month so far was 20.0 points" in assessment.warning

    def test_easy_target(self):
        line = series([10.0, 11.0, 12.0, 13.0, 14.0])
        assessment = assess_target(line, kpi="csat", due_period="2026-07", proposed=12.0)
        assert assessment.probability == 1.0 and assessment.verdict == "easy"
        assert assessment.warning is None
        assert "bolder" in assessment.reasons[-1]

    def test_projection_stays_within_the_kpi_range(self):
        rising = series([80.0, 90.0, 99.0])
        assessment = assess_target(rising, kpi="nps", due_period="2026-12")
        assert assessment.projection == 100.0 and assessment.interval[1] == 100.0

    def test_too_little_history(self):
        assessment = assess_target(
            series([10.0, None, 12.0]), kpi="csat", due_period="2026-06", proposed=13.0
        )
        assert assessment.verdict == "unknown" and assessment.probability is None
        assert assessment.reasons[0].startswith("Only 2 months with data")
        # Months without a value: said so, not "0" and not a chance of 0%.
        empty = assess_target(series([None, None]), kpi="csat", due_period="2026-06", proposed=13.0)
        assert empty.verdict == "unknown" and empty.probability is None
        assert empty.reasons[0].startswith("No month has a value for this KPI and segment")
        assert math.isnan(empty.projection) and math.isnan(empty.last_value)

    def test_undated_data_says_why_there_is_no_projection(self):
        # A customers table without dates gives only an all-time churn rate.
        undated = pd.DataFrame({"period": ["all"], "value": [26.5], "n": [7043]})
        assessment = assess_target(undated, kpi="churn_rate", due_period="2026-12", proposed=20.0)
        assert assessment.verdict == "unknown" and assessment.probability is None
        assert assessment.reasons[0].startswith(
            "This data has no dates for this KPI (only an all-time value)"
        )
        nothing = assess_target(undated.iloc[:0], kpi="churn_rate", due_period="2026-12")
        assert "no dated history" in nothing.reasons[0]

    def test_last_three_months_pools_ratios_by_n_and_averages_totals(self):
        # NPS 20 (n 10), 40 (n 30), 10 (n 60): (200 + 1200 + 600) ÷ 100 = 20.
        monthly = series([50.0, 20.0, 40.0, 10.0], n=[5, 10, 30, 60])
        assessment = assess_target(monthly, kpi="nps", due_period="2026-06")
        assert assessment.last_three_months == pytest.approx(20.0)
        assert assessment.three_months == ("2026-02", "2026-03", "2026-04")
        revenue = assess_target(monthly, kpi="revenue", due_period="2026-06")
        assert revenue.last_three_months == pytest.approx((20.0 + 40.0 + 10.0) / 3)

    def test_quarters_with_monthly_baseline(self):
        quarters = pd.DataFrame(
            {"period": ["2025-Q4", "2026-Q1", "2026-Q2"], "value": [30.0, 31.0, 32.0], "n": 300}
        )
        assessment = assess_target(
            quarters, kpi="nps", due_period="2026-Q4", monthly=series([30.0, 30.0, 36.0], start="2026-04")
        )
        assert assessment.horizon == 2 and assessment.projection == pytest.approx(34.0)
        assert assessment.last_three_months == pytest.approx(32.0)

    @pytest.mark.parametrize(
        ("kwargs", "message"),
        [
            ({"due_period": "2026-03"}, "must come after the latest data"),
            ({"due_period": "2026-Q4"}, "is a quarter"),
            ({"due_period": "2026-06", "proposed": 150.0}, "between 0 and 100"),
            ({"due_period": "2026-06", "kpi": "speed"}, "is not a KPI"),
        ],
        ids=["due-too-early", "unit-mismatch", "out-of-range", "unknown-kpi"],
    )
    def test_bad_requests(self, kwargs, message):
        with pytest.raises(InputError, match=message):
            assess_target(FOUR, **{"kpi": "csat", **kwargs})

    @pytest.mark.parametrize(
        ("probability", "text"),
        [(0.004, "below 1%"), (0.374, "about 37%"), (0.996, "above 99%")],
        ids=["low", "mid", "high"],
    )
    def test_chance_text(self, probability, text):
        assert chance_text(probability) == text


def monthly_kpis() -> pd.DataFrame:
    """Three months of all-customer KPIs, with the sums behind them."""
    rows = []
    for month, churned in zip(("2026-08", "2026-09", "2026-10"), (10, 12, 14), strict=True):
        rows += [
            ("churn_rate", month, 100.0 * churned / 1000, churned, 1000),
            ("new_customers", month, 20.0, 20, math.nan),
            ("revenue", month, 50_000.0, 50_000, math.nan),
            ("active_customers", month, 400.0, 400, math.nan),
            ("cpa", month, 150.0, 3000, 20),
            ("conversion_rate", month, 3.0, 30, 1000),
            ("nps", month, 25.0, 25, 100),
        ]
    frame = pd.DataFrame(rows, columns=["kpi", "period", "value", "numerator", "denominator"])
    return frame.assign(segment=pd.NA, n=100, ci_low=math.nan, ci_high=math.nan)


class TestWhatIf:
    def test_base_from_the_last_three_months(self):
        base = whatif_base(monthly_kpis(), margin=0.3)
        assert base.months == ("2026-08", "2026-09", "2026-10")
        assert base.churn_rate == pytest.approx(1.2)  # (10 + 12 + 14) ÷ 3000
        assert base.customers == 1006.0  # 1000 at the start of October − 14 churned + 20 new
        assert (base.new_customers, base.revenue_per_customer, base.ordering_share) == (20.0, 50.0, 0.4)
        assert base.revenue_per_ordering_customer == 125.0
        assert (base.cpa, base.spend, base.conversion_rate, base.nps) == (150.0, 3000.0, 3.0, 25.0)

    def test_projection_today_and_with_levers(self):
        base = whatif_base(monthly_kpis(), margin=0.3)
        link = NpsChurnLink(math.nan, math.nan, math.nan, 0, 0, 0.02, "0.02 points of churn per NPS point.")
        levers = Levers(retention_points=0.2, nps_points=5, cpa_cut_percent=20, conversion_points=1)
        result = project_whatif(base, levers, link=link)
        summary = result.summary.set_index("measure")
        # Today: C_t = C* + (C0 − C*)(1 − c)^t with C* = N ÷ c = 20 ÷ 0.012; revenue = 50 Σ C_0..C_11.
        c_star = 20 / 0.012
        assert summary.loc["Customers in the base after 12 months", "today"] == pytest.approx(
            c_star + (1006 - c_star) * 0.988**12
        )
        assert summary.loc["Revenue over 12 months", "today"] == pytest.approx(
            50 * (12 * c_star + (1006 - c_star) * (1 - 0.988**12) / 0.012)
        )
        assert summary.loc["Revenue over 12 months", "today"] == pytest.approx(628_743.62, abs=0.01)
        # Levers: churn 1.2 − 0.2 − 5 × 0.02 = 0.9 %; new 20 × 4/3 (conversion 3 → 4 %) × 1/0.8 (CPA −20 %).
        assert summary.loc["Monthly churn (%)", "scenario"] == pytest.approx(0.9)
        assert summary.loc["New customers a month", "scenario"] == pytest.approx(100 / 3)
        assert summary.loc["Revenue over 12 months", "scenario"] == pytest.approx(681_366.13, abs=0.01)
        # CLV = 0.3 × 125 ÷ 0.012 = 3125 today, ÷ 0.009 = 4166.67 with the levers.
        assert summary.loc["CLV", ["today", "scenario"]].tolist() == pytest.approx([3125.0, 4166.6667])
        assert summary.loc["Active customers in month 12", "today"] == pytest.approx(
            0.4 * (c_star + (1006 - c_star) * 0.988**11)
        )
        assert len(result.months) == 24
        text = " ".join(result.assumptions)
        for expected in (
            "1.20% → 0.90%",
            "× 1.33",
            "× 1.25",
            "held at 3,000 a month",
            "margin 30%",
            "no discounting",
        ):
            assert expected in text

    def test_levers_without_data_are_stated(self):
        frame = monthly_kpis()
        frame = frame[~frame["kpi"].isin(["cpa", "conversion_rate"])]
        base = whatif_base(frame, margin=0.3)
        result = project_whatif(base, Levers(cpa_cut_percent=10, conversion_points=2, nps_points=5))
        assert result.summary.set_index("measure").loc["New customers a month", "scenario"] == 20.0
        text = " ".join(result.assumptions)
        assert "Conversion has no data here" in text and "CPA has no data here" in text

    def test_churn_never_falls_below_the_floor(self):
        base = whatif_base(monthly_kpis(), margin=0.3)
        result = project_whatif(base, Levers(retention_points=5))
        assert result.summary.set_index("measure").loc["Monthly churn (%)", "scenario"] == 0.1

    def test_needs_churn_and_revenue(self):
        with pytest.raises(InputError, match="needs monthly churn and revenue"):
            whatif_base(monthly_kpis().query("kpi != 'churn_rate'"), margin=0.3)


class TestNpsChurnLink:
    def test_churn_per_group_over_customer_months(self, tmp_path):
        # A detractor (3) from 1 Jan, churns 1 Mar: 60 days, 1 churn.
        # B passive (8) 1 Jan → next answer 31 Mar: 90 days; then passive (7) for 0 days.
        # D detractor (5) 1 Feb → end of data 31 Mar: 59 days.
        # E detractor (2) 1 Jan → 1 Feb: 31 days; promoter (10) 1 Feb → churn 1 Mar: 29 days, 1 churn.
        # Detractors: 1 churn in 150 days = 150 ÷ 30.4375 months → 20.2917 % a month.
        answers = pd.DataFrame(
            {
                "customer_id": pd.array(["A", "B", "B", "D", "E", "E"], dtype="string"),
                "date": pd.to_datetime(
                    ["2024-01-01", "2024-01-01", "2024-03-31", "2024-02-01", "2024-01-01", "2024-02-01"]
                ).astype("datetime64[us]"),
                "nps": [3.0, 8.0, 7.0, 5.0, 2.0, 10.0],
            }
        )
        customers = pd.DataFrame(
            {
                "customer_id": pd.array(["A", "B", "D", "E"], dtype="string"),
                "churn_date": pd.to_datetime(["2024-03-01", None, None, "2024-03-01"]).astype(
                    "datetime64[us]"
                ),
            }
        )
        answers.to_parquet(tmp_path / "answers.parquet")
        customers.to_parquet(tmp_path / "customers.parquet")
        link = nps_churn_link(
            {"feedback": [tmp_path / "answers.parquet"], "customers": [tmp_path / "customers.parquet"]}
        )
        assert link.detractor_churn == pytest.approx(100 * 30.4375 / 150)
        assert link.passive_churn == 0.0
        assert link.promoter_churn == pytest.approx(100 * 30.4375 / 29)
        assert (link.churned, link.customers) == (2, 4)
        assert link.churn_points_per_nps_point == pytest.approx(30.4375 / 150)
        assert "Detractors churned 20.29% a month" in link.note

    def test_without_churn_dates_the_lever_has_no_effect(self, tmp_path):
        answers = pd.DataFrame({"customer_id": ["A"], "date": pd.to_datetime(["2024-01-01"]), "nps": [3.0]})
        answers.to_parquet(tmp_path / "answers.parquet")
        link = nps_churn_link({"feedback": [tmp_path / "answers.parquet"]})
        assert link.churn_points_per_nps_point == 0.0
        assert "no customers with churn dates" in link.note


class TestWhatIfWithNoChurn:
    def test_clv_is_unknown_not_a_crash_when_no_customer_was_lost(self):
        # A log where every customer orders every month: churn 0%, so margin × revenue ÷ churn
        # has no finite value. Today's CLV is unknown; the levers' floor churn gives a number.
        base = WhatIfBase(
            months=("2026-04", "2026-05", "2026-06"),
            customers=60.0,
            churn_rate=0.0,
            new_customers=0.0,
            ordering_share=1.0,
            revenue_per_customer=49.5,
            revenue_per_ordering_customer=49.5,
            margin=0.3,
            nps=float("nan"),
            conversion_rate=float("nan"),
            cpa=float("nan"),
            spend=float("nan"),
        )
        result = project_whatif(base, Levers())
        clv = result.summary.set_index("measure").loc["CLV"]
        assert math.isnan(clv["today"])
        assert any("CLV cannot be estimated" in line for line in result.assumptions)
        # 60 customers, none lost, none new: 60 × 49.5 a month for 12 months = 35,640.
        revenue = result.summary.set_index("measure").loc["Revenue over 12 months"]
        assert revenue["today"] == pytest.approx(35_640.0)

"""Tests for the demo company generator: shape, value ranges, consistency and its three stories."""

from __future__ import annotations

import logging
from datetime import date
from pathlib import Path

import numpy as np
import openpyxl
import pandas as pd
import pytest
from sklearn.linear_model import LogisticRegression
from sklearn.metrics import roc_auc_score
from sklearn.model_selection import cross_val_predict

from bsc.demo import TABLE_NAMES, company_stories, generate_company, write_company
from bsc.demo import files as demo_files
from bsc.errors import InputError

# 30 months ending in October 2026 are May 2024 .. October 2026 (8 + 12 + 10 months).
HISTORY_START = pd.Timestamp("2024-05-01")
HISTORY_END = pd.Timestamp("2026-10-31")
LAST_MINUTE = pd.Timestamp("2026-10-31 23:59")

COLUMNS = {
    "customers": [
        "customer_id",
        "signup_date",
        "region",
        "plan",
        "channel",
        "loyalty_member",
        "acquisition_cost",
        "churned",
        "churn_date",
    ],
    "orders": ["order_id", "customer_id", "order_date", "amount", "quantity"],
    "surveys": [
        "response_id",
        "customer_id",
        "response_date",
        "nps",
        "csat",
        "ces",
        "delivery_rating",
        "price_rating",
        "support_rating",
        "quality_rating",
        "comment",
    ],
    "tickets": ["ticket_id", "customer_id", "opened_at", "first_response_at", "resolved_at"],
    "marketing": ["month", "channel", "spend", "leads", "conversions", "market_size"],
}


@pytest.fixture(scope="module")
def company() -> dict[str, pd.DataFrame]:
    return generate_company(customers=3000)


@pytest.fixture(scope="module")
def large_company() -> dict[str, pd.DataFrame]:
    # Per-region NPS before and after a date rests on a few hundred answers in a 3000-customer
    # company, a standard error of about 4 points; 40,000 customers bring it near 1.5 points,
    # so "flat within 5 points" tests the design, not the luck of the draw. Still under a second.
    return generate_company(customers=40_000, seed=11)


def net_promoter_score(scores: pd.Series) -> float:
    """NPS = % promoters (9–10) − % detractors (0–6), Reichheld (2003), in points."""
    return 100.0 * ((scores >= 9).mean() - (scores <= 6).mean())


def churn_dates(customers: pd.DataFrame) -> pd.Series:
    churned = customers[customers["churned"] == "Yes"]
    return churned.set_index("customer_id")["churn_date"]


def active_months(customers: pd.DataFrame) -> float:
    """Customer-months between max(signup, history start) and churn date or history end."""
    first = customers["signup_date"].clip(lower=HISTORY_START)
    last = customers["churn_date"].fillna(HISTORY_END)
    return float(((last - first).dt.days + 1).sum() / (365.25 / 12))


class TestDeterminism:
    def test_same_seed_gives_identical_tables(self) -> None:
        first = generate_company(customers=2000, seed=3)
        second = generate_company(customers=2000, seed=3)
        for name in TABLE_NAMES:
            pd.testing.assert_frame_equal(first[name], second[name])

    def test_another_seed_gives_other_tables(self) -> None:
        first = generate_company(customers=2000, seed=3)
        second = generate_company(customers=2000, seed=4)
        assert not first["orders"].equals(second["orders"])
        assert not first["customers"]["region"].equals(second["customers"]["region"])


class TestShape:
    def test_tables_and_columns(self, company: dict[str, pd.DataFrame]) -> None:
        assert tuple(company) == TABLE_NAMES
        for name, columns in COLUMNS.items():
            assert list(company[name].columns) == columns, name

    def test_row_counts_as_designed(self, company: dict[str, pd.DataFrame]) -> None:
        customers = company["customers"]
        assert len(customers) == 3000
        # Designed: 10 order lines and 2 survey answers per customer over the history (totals are
        # Poisson, so within a few percent), 0.1 tickets per active customer-month with a little
        # more from unhappy customers, one marketing row per month and channel.
        assert 9.5 <= len(company["orders"]) / 3000 <= 10.5
        assert 1.9 <= len(company["surveys"]) / 3000 <= 2.1
        assert 0.09 <= len(company["tickets"]) / active_months(customers) <= 0.12
        assert len(company["marketing"]) == 30 * 5

    def test_starting_base_and_newcomers(self, company: dict[str, pd.DataFrame]) -> None:
        signed_before = (company["customers"]["signup_date"] < HISTORY_START).mean()
        assert signed_before == pytest.approx(0.35, abs=0.001)

    def test_ids_are_unique_business_codes(self, company: dict[str, pd.DataFrame]) -> None:
        for name, column, pattern in [
            ("customers", "customer_id", r"C\d{6}"),
            ("orders", "order_id", r"O\d{6,}"),
            ("surveys", "response_id", r"R\d{6}"),
            ("tickets", "ticket_id", r"T\d{6}"),
        ]:
            ids = company[name][column]
            assert ids.str.fullmatch(pattern).all(), column
            assert ids.is_unique, column

    def test_facts_refer_to_known_customers(self, company: dict[str, pd.DataFrame]) -> None:
        known = set(company["customers"]["customer_id"])
        for name in ("orders", "surveys", "tickets"):
            assert set(company[name]["customer_id"]) <= known, name


class TestValues:
    def test_scores_within_their_scales(self, company: dict[str, pd.DataFrame]) -> None:
        surveys = company["surveys"]
        for column, low, high in [("nps", 0, 10), ("csat", 1, 5), ("ces", 1, 7)]:
            assert surveys[column].between(low, high).all(), column
            # The whole scale is in use, not a narrow band.
            assert surveys[column].min() <= low + 1 and surveys[column].max() == high, column

    def test_categories(self, company: dict[str, pd.DataFrame]) -> None:
        customers = company["customers"]
        assert set(customers["region"]) == {"North", "South", "East", "West", "Central"}
        assert set(customers["plan"]) == {"Basic", "Plus", "Premium"}
        assert set(customers["channel"]) == {"Search", "Social", "Referral", "Partner", "Email"}
        assert set(customers["loyalty_member"]) == {"Yes", "No"}
        assert set(company["marketing"]["channel"]) == set(customers["channel"])

    def test_churn_date_set_exactly_for_churned_customers(self, company: dict[str, pd.DataFrame]) -> None:
        customers = company["customers"]
        churned = customers["churned"] == "Yes"
        assert (customers["churn_date"].notna() == churned).all()
        assert (customers.loc[churned, "churn_date"] > customers.loc[churned, "signup_date"]).all()
        assert 0.1 < churned.mean() < 0.4

    def test_returns_exist_with_negative_amount_and_quantity(self, company: dict[str, pd.DataFrame]) -> None:
        orders = company["orders"]
        returns = orders["amount"] < 0
        # Designed: 3 % of about 30,000 lines, a standard error near 0.1 %.
        assert 0.025 < returns.mean() < 0.035
        assert (np.sign(orders["quantity"]) == np.sign(orders["amount"])).all()
        assert (orders["quantity"] != 0).all()

    def test_acquisition_costs_positive(self, company: dict[str, pd.DataFrame]) -> None:
        assert (company["customers"]["acquisition_cost"] > 0).all()

    def test_dates_within_history(self, company: dict[str, pd.DataFrame]) -> None:
        customers, tickets = company["customers"], company["tickets"]
        assert customers["signup_date"].max() <= HISTORY_END
        assert customers["churn_date"].max() <= HISTORY_END
        for name, column in [("orders", "order_date"), ("surveys", "response_date")]:
            dates = company[name][column]
            assert dates.min() >= HISTORY_START and dates.max() <= HISTORY_END, name
        for column in ("opened_at", "first_response_at", "resolved_at"):
            assert tickets[column].min() >= HISTORY_START and tickets[column].max() <= LAST_MINUTE, column
        answered = tickets[tickets["first_response_at"].notna()]
        assert (answered["first_response_at"] > answered["opened_at"]).all()
        resolved = tickets[tickets["resolved_at"].notna()]
        assert (resolved["resolved_at"] > resolved["first_response_at"]).all()
        months = company["marketing"]["month"].drop_duplicates()
        expected = pd.date_range(HISTORY_START, HISTORY_END, freq="MS")
        assert list(months) == list(expected)

    def test_no_activity_before_signup(self, company: dict[str, pd.DataFrame]) -> None:
        signup = company["customers"].set_index("customer_id")["signup_date"]
        for name, column in [
            ("orders", "order_date"),
            ("surveys", "response_date"),
            ("tickets", "opened_at"),
        ]:
            facts = company[name]
            assert (facts[column] >= facts["customer_id"].map(signup)).all(), name

    def test_some_tickets_still_open(self, company: dict[str, pd.DataFrame]) -> None:
        unresolved = company["tickets"]["resolved_at"].isna().mean()
        assert 0.005 < unresolved < 0.1

    def test_some_comments_blank(self, company: dict[str, pd.DataFrame]) -> None:
        blank = company["surveys"]["comment"].isna().mean()
        assert 0.4 < blank < 0.6

    def test_december_peak(self, company: dict[str, pd.DataFrame]) -> None:
        # About 33 lines a day, so every day has orders and the mean over days is per calendar day.
        daily = company["orders"].groupby("order_date").size()
        per_day = daily.groupby(daily.index.to_period("M")).mean()
        # Designed December intensity 1.60 against 1.00 and 1.05 in September and October.
        autumn = per_day[[pd.Period("2025-09", "M"), pd.Period("2025-10", "M")]].mean()
        assert per_day[pd.Period("2025-12", "M")] > 1.3 * autumn

    def test_saturday_busiest_sunday_quietest(self, company: dict[str, pd.DataFrame]) -> None:
        by_weekday = company["orders"]["order_date"].dt.day_of_week.value_counts()
        assert by_weekday.idxmax() == 5
        assert by_weekday.idxmin() == 6


class TestNoActivityAfterChurn:
    @pytest.mark.parametrize(
        ("table", "column"),
        [("orders", "order_date"), ("surveys", "response_date"), ("tickets", "opened_at")],
        ids=["orders", "surveys", "tickets"],
    )
    def test_nothing_after_churn_date(
        self, company: dict[str, pd.DataFrame], table: str, column: str
    ) -> None:
        churn_date = churn_dates(company["customers"])
        facts = company[table]
        leaving = facts["customer_id"].map(churn_date)
        after_churn = facts[column].dt.normalize() > leaving
        assert not after_churn.any()
        # Churned customers did buy before leaving: the check above is not vacuous.
        assert leaving.notna().sum() > 100


class TestMarketing:
    def test_conversions_are_the_customers_won(self, company: dict[str, pd.DataFrame]) -> None:
        customers = company["customers"]
        newcomers = customers[customers["signup_date"] >= HISTORY_START]
        won = newcomers.groupby([newcomers["signup_date"].dt.to_period("M").dt.start_time, "channel"]).size()
        marketing = company["marketing"].set_index(["month", "channel"])["conversions"]
        won = won.reindex(marketing.index, fill_value=0)
        assert (won.to_numpy() == marketing.to_numpy()).all()
        assert marketing.sum() == len(newcomers)

    def test_spend_is_the_acquisition_cost_of_customers_won(self, company: dict[str, pd.DataFrame]) -> None:
        customers = company["customers"]
        newcomers = customers[customers["signup_date"] >= HISTORY_START]
        cost = newcomers.groupby([newcomers["signup_date"].dt.to_period("M").dt.start_time, "channel"])[
            "acquisition_cost"
        ].sum()
        marketing = company["marketing"].set_index(["month", "channel"])
        won = marketing[marketing["conversions"] > 0]
        # Each cost is rounded to the cent: at most half a cent off per customer.
        gap = (cost.reindex(won.index) - won["spend"]).abs()
        assert (gap <= 0.005 * won["conversions"] + 1e-9).all()

    def test_leads_at_least_conversions(self, company: dict[str, pd.DataFrame]) -> None:
        marketing = company["marketing"]
        assert (marketing["leads"] >= marketing["conversions"]).all()
        assert (marketing["spend"] > 0).all()

    def test_market_size_one_value_per_month(self, company: dict[str, pd.DataFrame]) -> None:
        marketing = company["marketing"]
        assert (marketing.groupby("month")["market_size"].nunique() == 1).all()
        # Designed: net revenue is 3.0 % to 3.6 % of the market (with 3 % noise).
        orders = company["orders"]
        revenue = orders.groupby(orders["order_date"].dt.to_period("M").dt.start_time)["amount"].sum()
        share = revenue / marketing.groupby("month")["market_size"].first()
        assert share.between(0.027, 0.040).all()


class TestStories:
    def test_company_stories_dates(self) -> None:
        # Ten months to October 2026 start in January 2026; twelve months start in November 2025.
        stories = company_stories()
        assert stories.nps_region == "North"
        assert stories.nps_improves_from == date(2026, 1, 1)
        assert stories.cpa_channel == "Social"
        assert stories.cpa_worsens_from == date(2025, 11, 1)
        assert company_stories(date(2025, 3, 15)).nps_improves_from == date(2024, 6, 1)

    def test_satisfaction_and_response_time_predict_churn(self, company: dict[str, pd.DataFrame]) -> None:
        customers, surveys, tickets = company["customers"], company["surveys"], company["tickets"]
        response_hours = (tickets["first_response_at"] - tickets["opened_at"]).dt.total_seconds() / 3600
        features = pd.DataFrame(
            {
                "mean_nps": surveys.groupby("customer_id")["nps"].mean(),
                "mean_response_hours": response_hours.groupby(tickets["customer_id"]).mean(),
            }
        )
        features = features.join(customers.set_index("customer_id")["churned"] == "Yes", how="inner")
        # Customers who answered at least one survey; no ticket means the median response time.
        features = features[features["mean_nps"].notna()]
        features["mean_response_hours"] = features["mean_response_hours"].fillna(
            features["mean_response_hours"].median()
        )
        x, churned = features[["mean_nps", "mean_response_hours"]], features["churned"]
        scores = cross_val_predict(LogisticRegression(), x, churned, cv=5, method="predict_proba")[:, 1]
        assert roc_auc_score(churned, scores) > 0.7

    def test_detractors_churn_more_than_promoters(self, company: dict[str, pd.DataFrame]) -> None:
        customers, surveys = company["customers"], company["surveys"]
        mean_nps = surveys.groupby("customer_id")["nps"].mean()
        churned = customers.set_index("customer_id")["churned"].reindex(mean_nps.index) == "Yes"
        assert churned[mean_nps <= 6].mean() > 2 * churned[mean_nps >= 9].mean()

    def test_north_nps_improves_others_flat(self, large_company: dict[str, pd.DataFrame]) -> None:
        surveys = large_company["surveys"].merge(
            large_company["customers"][["customer_id", "region"]], on="customer_id"
        )
        after = surveys["response_date"] >= pd.Timestamp(company_stories().nps_improves_from)
        change = {
            region: net_promoter_score(answers["nps"][after[answers.index]])
            - net_promoter_score(answers["nps"][~after[answers.index]])
            for region, answers in surveys.groupby("region")
        }
        assert change["North"] > 10
        for region in ("South", "East", "West", "Central"):
            assert abs(change[region]) < 5, region

    def test_social_cpa_worsens_others_steady(self, company: dict[str, pd.DataFrame]) -> None:
        marketing = company["marketing"]
        months = sorted(marketing["month"].unique())
        first_half_year, last_half_year = months[:6], months[-6:]
        for channel, rows in marketing.groupby("channel"):
            early = rows[rows["month"].isin(first_half_year)]
            late = rows[rows["month"].isin(last_half_year)]
            ratio = (late["spend"].sum() / late["conversions"].sum()) / (
                early["spend"].sum() / early["conversions"].sum()
            )
            if channel == "Social":
                assert ratio > 1.5
            else:
                assert 0.8 < ratio < 1.5, channel

    def test_social_conversions_flat_while_spend_grows(self, company: dict[str, pd.DataFrame]) -> None:
        social = company["marketing"][company["marketing"]["channel"] == "Social"].tail(12)
        first_half, second_half = social.head(6), social.tail(6)
        assert second_half["spend"].sum() > 1.4 * first_half["spend"].sum()
        assert second_half["conversions"].sum() == pytest.approx(first_half["conversions"].sum(), rel=0.25)


class TestInputErrors:
    @pytest.mark.parametrize(
        ("arguments", "message"),
        [
            ({"customers": 10}, "between 100 and 5,000,000 customers"),
            ({"customers": 2.5}, "number of customers must be a whole number"),
            ({"customers": True}, "number of customers must be a whole number"),
            ({"months": 12}, "between 24 and 60 months"),
            ({"months": 61}, "between 24 and 60 months"),
            ({"seed": -1}, "seed must be zero or a positive"),
            ({"end": "2026-10-31"}, "must be a date"),
        ],
        ids=[
            "too-few-customers",
            "fractional-customers",
            "bool-customers",
            "short",
            "long",
            "seed",
            "end-text",
        ],
    )
    def test_bad_parameters(self, arguments: dict, message: str) -> None:
        with pytest.raises(InputError, match=message):
            generate_company(**arguments)

    @pytest.mark.parametrize(
        ("formats", "message"),
        [(("csv", "json"), "Unknown output format 'json'"), ((), "Choose at least one output format")],
        ids=["unknown", "none"],
    )
    def test_bad_formats(self, tmp_path, formats: tuple[str, ...], message: str) -> None:
        with pytest.raises(InputError, match=message):
            write_company(tmp_path, customers=100, months=24, formats=formats)
        assert not list(tmp_path.iterdir())


class TestWriteCompany:
    def test_writes_csv_files_and_workbook(self, tmp_path) -> None:
        written = write_company(tmp_path, customers=200, months=24, seed=5)
        assert [path.name for path in written] == [f"{name}.csv" for name in TABLE_NAMES] + [
            "demo_company.xlsx"
        ]
        assert all(path.exists() for path in written)

    def test_csv_dates_are_iso_text(self, tmp_path) -> None:
        write_company(tmp_path, customers=200, months=24, seed=5, xlsx=False)
        customers = pd.read_csv(tmp_path / "customers.csv", dtype=str, keep_default_na=False)
        assert customers["signup_date"].str.fullmatch(r"\d{4}-\d{2}-\d{2}").all()
        churned = customers["churned"] == "Yes"
        assert customers.loc[churned, "churn_date"].str.fullmatch(r"\d{4}-\d{2}-\d{2}").all()
        assert (customers.loc[~churned, "churn_date"] == "").all()
        tickets = pd.read_csv(tmp_path / "tickets.csv", dtype=str, keep_default_na=False)
        assert tickets["opened_at"].str.fullmatch(r"\d{4}-\d{2}-\d{2} \d{2}:\d{2}").all()
        resolved = tickets["resolved_at"]
        assert resolved[resolved != ""].str.fullmatch(r"\d{4}-\d{2}-\d{2} \d{2}:\d{2}").all()
        marketing = pd.read_csv(tmp_path / "marketing.csv", dtype=str)
        assert marketing["month"].iloc[0] == "2024-11-01"

    def test_csv_holds_the_generated_values(self, tmp_path) -> None:
        write_company(tmp_path, customers=200, months=24, seed=5, xlsx=False)
        tables = generate_company(customers=200, months=24, seed=5)
        orders = pd.read_csv(tmp_path / "orders.csv", parse_dates=["order_date"])
        pd.testing.assert_frame_equal(orders, tables["orders"], check_dtype=False)
        tickets = pd.read_csv(tmp_path / "tickets.csv", parse_dates=["opened_at", "resolved_at"])
        assert (tickets["resolved_at"].isna() == tables["tickets"]["resolved_at"].isna()).all()
        assert (tickets["opened_at"] == tables["tickets"]["opened_at"]).all()

    def test_workbook_has_a_sheet_per_table_with_dates(self, tmp_path) -> None:
        target = tmp_path / "elsewhere" / "company.xlsx"
        written = write_company(tmp_path / "csv", customers=200, months=24, seed=5, xlsx_path=target)
        assert written[-1] == target
        book = openpyxl.load_workbook(target, read_only=True)
        assert book.sheetnames == list(TABLE_NAMES)
        tables = generate_company(customers=200, months=24, seed=5)
        for name in TABLE_NAMES:
            rows = list(book[name].iter_rows(values_only=True))
            assert list(rows[0]) == list(tables[name].columns), name
            assert len(rows) - 1 == len(tables[name]), name
        orders = pd.read_excel(target, sheet_name="orders")
        pd.testing.assert_frame_equal(orders, tables["orders"], check_dtype=False)
        first_order = next(book["orders"].iter_rows(min_row=2, max_row=2))
        assert first_order[2].number_format == "yyyy-mm-dd"
        first_ticket = next(book["tickets"].iter_rows(min_row=2, max_row=2))
        assert first_ticket[2].number_format == "yyyy-mm-dd hh:mm"

    def test_workbook_skipped_when_too_large(
        self, tmp_path, monkeypatch: pytest.MonkeyPatch, caplog: pytest.LogCaptureFixture
    ) -> None:
        # 200 customers give about 2,000 order lines, over a limit lowered to 1,000 rows.
        monkeypatch.setattr(demo_files, "XLSX_MAX_ROWS", 1000)
        with caplog.at_level(logging.WARNING, logger="bsc.demo"):
            written = write_company(tmp_path, customers=200, months=24, seed=5)
        assert [path.suffix for path in written] == [".csv"] * 5
        assert not (tmp_path / "demo_company.xlsx").exists()
        assert "Skipped the Excel workbook: the orders table has" in caplog.text

    def test_parquet_keeps_types(self, tmp_path) -> None:
        written = write_company(tmp_path, customers=200, months=24, seed=5, xlsx=False, formats="parquet")
        assert [path.name for path in written] == [f"{name}.parquet" for name in TABLE_NAMES]
        tables = generate_company(customers=200, months=24, seed=5)
        for name in TABLE_NAMES:
            pd.testing.assert_frame_equal(pd.read_parquet(tmp_path / f"{name}.parquet"), tables[name])


class TestShippedDemo:
    """The committed files in data/ are what the generator writes with its defaults."""

    DATA = Path(__file__).resolve().parents[1] / "data"

    @pytest.mark.parametrize("name", TABLE_NAMES)
    def test_csv_matches_generator(self, company: dict[str, pd.DataFrame], name: str) -> None:
        dates = [column for column in COLUMNS[name] if column.endswith(("_date", "_at")) or column == "month"]
        shipped = pd.read_csv(self.DATA / "demo" / f"{name}.csv", parse_dates=dates)
        pd.testing.assert_frame_equal(shipped, company[name], check_dtype=False)

    def test_workbook_has_every_table(self, company: dict[str, pd.DataFrame]) -> None:
        book = openpyxl.load_workbook(self.DATA / "demo_company.xlsx", read_only=True)
        assert book.sheetnames == list(TABLE_NAMES)
        for name in TABLE_NAMES:
            # Headers only: row by row content is checked on a small company in TestWriteCompany.
            header = next(book[name].iter_rows(max_row=1, values_only=True))
            assert list(header) == list(company[name].columns), name


@pytest.fixture(scope="module")
def company_kpis(company: dict[str, pd.DataFrame], tmp_path_factory) -> dict[str | None, pd.DataFrame]:
    """The monthly KPIs of the default company as the app computes them: all customers, by region
    and by acquisition channel."""
    from bsc.kpis import compute_kpis
    from bsc.workspace import files_workspace

    folder = tmp_path_factory.mktemp("demo_kpis")
    for name, table in company.items():
        table.to_csv(folder / f"{name}.csv", index=False)
    with files_workspace(sorted(str(path) for path in folder.glob("*.csv"))) as (tables, _):
        return {by: compute_kpis(tables, period="month", by=by).values for by in (None, "region", "channel")}


class TestPlausibleStories:
    """What a facilitator would otherwise have to explain away."""

    MONEY = ("revenue", "clv", "cpa", "average_order_value", "revenue_per_customer")

    def test_a_return_sends_back_the_line_before_it(self, company: dict[str, pd.DataFrame]) -> None:
        lines = company["orders"].sort_values(["customer_id", "order_date"], kind="stable")
        previous = lines.groupby("customer_id")[["amount", "quantity"]].shift(1)
        returns = lines["amount"] < 0
        assert returns.any()
        assert (lines.loc[returns, "amount"] == -previous.loc[returns, "amount"]).all()
        assert (lines.loc[returns, "quantity"] == -previous.loc[returns, "quantity"]).all()
        # Hence no customer's spend, summed line by line, ever falls below zero.
        running = lines.groupby("customer_id")["amount"].cumsum()
        assert running.min() >= -1e-9

    def test_no_negative_money_in_any_kpi(self, company_kpis: dict[str | None, pd.DataFrame]) -> None:
        for values in company_kpis.values():
            money = values[values["kpi"].isin(list(self.MONEY)) & values["value"].notna()]
            assert len(money) and (money["value"] >= 0).all()

    @staticmethod
    def _clv_changes(values: pd.DataFrame) -> pd.Series:
        """Relative CLV changes between consecutive whole months that both show a value."""
        clv = values[(values["kpi"] == "clv") & values["complete"].astype(bool)]
        clv = clv.assign(who=clv["segment"].astype(object).fillna("all")).sort_values("period")
        return clv.groupby("who")["value"].pct_change(fill_method=None).dropna()

    def test_clv_moves_steadily_month_to_month(self, company_kpis: dict[str | None, pd.DataFrame]) -> None:
        """Bound: no month-to-month CLV change beyond ±50% wherever a value is shown.

        The CLV divides by the customers lost in the period, so its noise is about 1 ÷ √lost. A
        region or channel loses about 5 customers a month: there the CLV jumped by +80% or more in
        23 of 173 segment-months (Email: +458% from 1 loss to 4), by chance alone. The KPI now
        shows no value under 15 losses (KpiParams.clv_min_lost), with a reason instead, so every
        monthly segment value is now a reason. Measured on the shipped demo: all customers change
        by -44% (January, after the December peak of orders) to +29%.
        """
        everyone = self._clv_changes(company_kpis[None])
        assert len(everyone) >= 24
        assert everyone.abs().max() < 0.5
        for by in ("region", "channel"):
            changes = self._clv_changes(company_kpis[by])
            assert changes.empty or changes.abs().max() < 0.5, by

    def test_a_segment_month_with_few_losses_says_why_it_has_no_clv(
        self, company_kpis: dict[str | None, pd.DataFrame]
    ) -> None:
        values = company_kpis["channel"]
        clv = values[(values["kpi"] == "clv") & values["segment"].notna() & values["complete"].astype(bool)]
        blank = clv[clv["value"].isna() & clv["reason"].fillna("").str.contains("too few for a steady CLV")]
        # Each channel loses about 2–8 customers a month (3,000 customers, about a quarter churning
        # over 30 months, split five ways): well under 15, so most segment-months say why.
        assert len(blank) >= 0.8 * len(clv)

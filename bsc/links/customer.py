"""The customer perspective's cause-and-effect links, each tested customer by customer.

Each test reads the columns it needs from the workspace's stored tables (the survey answers
and the customers' churn through :func:`bsc.assistant.nps_churn.recorded_columns`, as the
NPS–churn link of the what-if does; the order log stays in the engine, which sums each
customer's spend: :mod:`bsc.links.spend`) and, wherever the data have dates, looks forward from the
cause: churn or spend in the :data:`HORIZON_DAYS` days *after* a survey answer, the satisfaction
answer given *after* a support ticket. The links, in :data:`CUSTOMER_LINKS` order:

- NPS → churn: detractors' (0–6) churn in the next 90 days minus promoters' (9–10);
- CSAT → churn: unsatisfied customers' (1–3) churn minus satisfied customers' (4–5);
- first response time → CSAT: Spearman's rho between a ticket's first response time and the
  CSAT its customer gave within 30 days after it;
- CSAT → revenue per customer: spend in the next 90 days, satisfied minus unsatisfied;
- retention → revenue: first-year revenue of customers kept the year minus customers lost in it;
- acquisition cost → CLV: Spearman's rho between what a customer cost to win and their
  first-year revenue (the part of their lifetime value the data have seen);
- loyalty programme → churn: non-members' churn share minus members'.

Every group comparison needs :data:`MIN_PER_GROUP` customers in each group, every correlation
:data:`MIN_PAIRS` pairs; below that the verdict is "too little data".
"""

from __future__ import annotations

from collections.abc import Callable, Mapping, Sequence
from dataclasses import dataclass
from pathlib import Path

import pandas as pd

from bsc.assistant.nps_churn import nps_groups, recorded_columns
from bsc.engine import read_columns
from bsc.links.result import (
    LinkResult,
    difference_of_means,
    difference_of_proportions,
    judged,
    no_data,
    rank_correlation,
)
from bsc.links.spend import order_log

__all__ = ["CUSTOMER_LINKS", "HORIZON_DAYS", "MIN_PAIRS", "MIN_PER_GROUP", "CustomerLink", "customer_links"]

Tables = Mapping[str, Sequence[Path | str]]

HORIZON_DAYS = 90
TICKET_TO_ANSWER_DAYS = 30
YEAR_DAYS = 365
MIN_PER_GROUP = 30
MIN_PAIRS = 30


@dataclass(frozen=True)
class CustomerLink:
    """One built-in arrow: its cause and effect KPI ids and the test that judges it."""

    cause: str
    effect: str
    test: Callable[[Tables], LinkResult]


# -- reading -----------------------------------------------------------------------------


def _customers(tables: Tables) -> pd.DataFrame:
    """One row per customer id, each column's first value across the customers files (several
    files of customers, such as a churn table and a status table, are read as one)."""
    wanted = ["customer_id", "signup_date", "churn", "churn_date", "acquisition_cost", "loyalty_member"]
    frame = read_columns(tables, "customers", wanted)
    if "customer_id" not in frame.columns or frame.empty:
        return pd.DataFrame(columns=["customer_id"])
    frame = frame.dropna(subset=["customer_id"])
    frame["customer_id"] = frame["customer_id"].astype(str)
    return frame.groupby("customer_id", sort=False).first().reset_index()


def _churn_known(customers: pd.DataFrame) -> pd.Series | None:
    """Whether each customer has left (a churn flag, or a churn date), or None when neither is recorded."""
    flag = customers["churn"].astype("boolean") if "churn" in customers.columns else None
    dated = customers["churn_date"].notna() if "churn_date" in customers.columns else None
    if flag is None and dated is None:
        return None
    if flag is None:
        return dated
    left = flag.fillna(False).astype(bool)
    return left | dated if dated is not None else left.where(flag.notna())


def _answers(tables: Tables, score: str) -> pd.DataFrame | None:
    """Survey answers with a customer id and ``score``; with their dates where the survey has them."""
    dated = recorded_columns(tables, "feedback", ["customer_id", "date", score])
    if dated is not None:
        answers = dated.dropna(subset=["customer_id", "date", score])
    else:
        undated = recorded_columns(tables, "feedback", ["customer_id", score])
        if undated is None:
            return None
        answers = undated.dropna(subset=["customer_id", score])
    if answers.empty:
        return None
    answers = answers.copy()
    answers["customer_id"] = answers["customer_id"].astype(str)
    return answers


def _data_end(*dates: pd.Series) -> pd.Timestamp:
    return max(series.max() for series in dates if len(series) and pd.notna(series.max()))


# -- the tests ---------------------------------------------------------------------------


def _score_to_churn(score: str) -> Callable[[Tables], LinkResult]:
    low_words, high_words = (
        ("detractors (0–6)", "promoters (9–10)")
        if score == "nps"
        else ("unsatisfied (1–3)", "satisfied (4–5)")
    )

    def test(tables: Tables) -> LinkResult:
        lagged_method = (
            f"Each customer's latest answer with {HORIZON_DAYS} days of data after it; churn within those "
            f"{HORIZON_DAYS} days of {low_words} minus {high_words}, in percentage points, with a 95% "
            f"interval (difference of proportions); at least {MIN_PER_GROUP} customers in each group."
        )
        flag_method = (
            f"Customers' churn (flag) of {low_words} minus {high_words}, in percentage points, with a 95% "
            f"interval (difference of proportions); not lagged, the answers or churn have no dates; at "
            f"least {MIN_PER_GROUP} customers in each group."
        )
        answers = _answers(tables, score)
        if answers is None:
            return no_data(
                score, "churn_rate", lagged_method, f"survey answers with customer ids and {score.upper()}"
            )
        customers = _customers(tables)
        left = _churn_known(customers) if not customers.empty else None
        if left is None:
            return no_data(score, "churn_rate", lagged_method, "customers with a churn flag or churn dates")
        churn_dates = customers.set_index("customer_id")["churn_date"] if "churn_date" in customers else None
        if "date" in answers.columns and churn_dates is not None and churn_dates.notna().any():
            method = lagged_method
            answers["churn_date"] = answers["customer_id"].map(churn_dates)
            end = _data_end(answers["date"], churn_dates)
            horizon = pd.Timedelta(days=HORIZON_DAYS)
            # Still a customer when answering, and the whole window after the answer is in the data.
            open_answers = answers[
                (answers["date"] <= end - horizon)
                & ~(answers["churn_date"] < answers["date"])
                & answers["customer_id"].isin(customers["customer_id"])
            ]
            latest = open_answers.sort_values("date").groupby("customer_id").tail(1)
            outcome = latest["churn_date"].notna() & (latest["churn_date"] <= latest["date"] + horizon)
            scores = latest[score]
            span = f"within {HORIZON_DAYS} days of answering"
        else:
            method = flag_method
            answers = answers.groupby("customer_id").tail(1)
            churned = pd.Series(left.to_numpy(), index=customers["customer_id"])
            answers = answers[answers["customer_id"].map(churned).notna()]
            outcome = answers["customer_id"].map(churned).astype(bool)
            scores = answers[score]
            span = "by the end of the data"
        low, high = _low_high(score, scores)
        found = difference_of_proportions(outcome[low], outcome[high])
        meaning = (
            f"{low_words.capitalize()} churned {found.value:.1f} points more often than {high_words} {span}."
            if found.value >= 0
            else f"{low_words.capitalize()} churned {-found.value:.1f} points less often than {high_words} {span}."
        )
        return judged(
            score,
            "churn_rate",
            found,
            expected=+1,
            minimum=MIN_PER_GROUP,
            method=method,
            meaning=meaning,
            unit="points",
        )

    return test


def _low_high(score: str, scores: pd.Series) -> tuple[pd.Series, pd.Series]:
    """The worse and the better group of answers: detractors and promoters, or CSAT 1–3 and 4–5."""
    if score == "nps":
        groups = pd.Series(nps_groups(scores), index=scores.index)
        return groups == "detractor", groups == "promoter"
    return scores <= 3, scores >= 4


def _response_to_csat(tables: Tables) -> LinkResult:
    method = (
        f"Each support ticket's first response time (hours) against the CSAT (1–5) its customer gave within "
        f"{TICKET_TO_ANSWER_DAYS} days after it (one ticket per answer: the latest before it); Spearman's rank "
        f"correlation with a 95% interval (Fisher z); at least {MIN_PAIRS} pairs."
    )
    tickets = recorded_columns(tables, "support", ["customer_id", "opened_at"])
    answers = _answers(tables, "csat")
    if tickets is None:
        return no_data("first_response_time", "csat", method, "support tickets with customer ids and dates")
    if answers is None or "date" not in answers.columns:
        return no_data(
            "first_response_time", "csat", method, "dated survey answers with customer ids and CSAT"
        )
    support = read_columns(
        tables, "support", ["customer_id", "opened_at", "first_response_at", "response_minutes"]
    )
    hours = pd.Series(float("nan"), index=support.index)
    if "response_minutes" in support.columns:
        hours = support["response_minutes"] / 60.0
    if "first_response_at" in support.columns:
        timed = (support["first_response_at"] - support["opened_at"]).dt.total_seconds() / 3600.0
        hours = hours.fillna(timed)
    support = support.assign(hours=hours, customer_id=support["customer_id"].astype(str))
    support = support.dropna(subset=["customer_id", "opened_at", "hours"])
    support = support[support["hours"] >= 0]
    if support.empty:
        return no_data("first_response_time", "csat", method, "first response times of support tickets")
    pairs = pd.merge_asof(
        answers.sort_values("date"),
        support[["customer_id", "opened_at", "hours"]].sort_values("opened_at"),
        left_on="date",
        right_on="opened_at",
        by="customer_id",
        direction="backward",
        tolerance=pd.Timedelta(days=TICKET_TO_ANSWER_DAYS),
    ).dropna(subset=["hours"])
    # A ticket followed by several answers counts once, with the first of them.
    pairs = pairs.sort_values("date").drop_duplicates(["customer_id", "opened_at"])
    found = rank_correlation(pairs["hours"], pairs["csat"])
    meaning = (
        f"Across {found.n:,} tickets, slower first responses went with "
        f"{'lower' if found.value < 0 else 'higher'} CSAT afterwards (rank correlation {found.value:+.2f})."
    )
    return judged(
        "first_response_time",
        "csat",
        found,
        expected=-1,
        minimum=MIN_PAIRS,
        method=method,
        meaning=meaning,
        unit="rho",
    )


def _csat_to_spend(tables: Tables) -> LinkResult:
    method = (
        f"Each customer's latest CSAT answer with {HORIZON_DAYS} days of orders after it; spend in those "
        f"{HORIZON_DAYS} days of satisfied (4–5) minus unsatisfied (1–3) customers, with a 95% interval "
        f"(Welch); at least {MIN_PER_GROUP} customers in each group."
    )
    answers = _answers(tables, "csat")
    orders = order_log(tables)
    if answers is None or "date" not in answers.columns:
        return no_data(
            "csat", "revenue_per_customer", method, "dated survey answers with customer ids and CSAT"
        )
    if orders is None:
        return no_data(
            "csat", "revenue_per_customer", method, "transactions with customer ids, dates and amounts"
        )
    latest = answers[answers["date"] <= orders.end - pd.Timedelta(days=HORIZON_DAYS)]
    latest = latest.sort_values("date").groupby("customer_id").tail(1).rename(columns={"date": "start"})
    spend = orders.spend_after(latest, HORIZON_DAYS)
    found = difference_of_means(spend[latest["csat"] >= 4], spend[latest["csat"] <= 3])
    meaning = (
        f"Satisfied customers spent {abs(found.value):,.2f} {'more' if found.value >= 0 else 'less'} each than "
        f"unsatisfied ones in the {HORIZON_DAYS} days after answering."
    )
    return judged(
        "csat",
        "revenue_per_customer",
        found,
        expected=+1,
        minimum=MIN_PER_GROUP,
        method=method,
        meaning=meaning,
        unit="money",
    )


def _first_years(tables: Tables) -> tuple[pd.DataFrame | None, str]:
    """Customers who signed up at least a year before the last order, with their first-year spend."""
    customers = _customers(tables)
    orders = order_log(tables)
    if customers.empty or "signup_date" not in customers.columns or customers["signup_date"].isna().all():
        return None, "customers with signup dates"
    if orders is None:
        return None, "transactions with customer ids, dates and amounts"
    seen = customers[customers["signup_date"] <= orders.end - pd.Timedelta(days=YEAR_DAYS)]
    seen = seen.assign(start=seen["signup_date"] - pd.Timedelta(days=1))
    return seen.assign(first_year=orders.spend_after(seen, YEAR_DAYS + 1).to_numpy()), ""


def _retention_to_revenue(tables: Tables) -> LinkResult:
    method = (
        "Customers who signed up at least a year before the last order: first-year revenue of those still "
        "customers a year after signing up minus those lost within the year, with a 95% interval (Welch); "
        f"at least {MIN_PER_GROUP} customers in each group."
    )
    seen, missing = _first_years(tables)
    if seen is None:
        return no_data("retention_rate", "revenue", method, missing)
    if "churn_date" not in seen.columns or seen["churn_date"].isna().all():
        return no_data("retention_rate", "revenue", method, "churn dates of customers")
    lost = seen["churn_date"].notna() & (
        seen["churn_date"] <= seen["signup_date"] + pd.Timedelta(days=YEAR_DAYS)
    )
    found = difference_of_means(seen.loc[~lost, "first_year"], seen.loc[lost, "first_year"])
    meaning = (
        f"A customer kept for the year brought {abs(found.value):,.2f} {'more' if found.value >= 0 else 'less'} "
        "revenue in it than one lost within it."
    )
    return judged(
        "retention_rate",
        "revenue",
        found,
        expected=+1,
        minimum=MIN_PER_GROUP,
        method=method,
        meaning=meaning,
        unit="money",
    )


def _cost_to_value(tables: Tables) -> LinkResult:
    method = (
        "Customers who signed up at least a year before the last order: their acquisition cost against their "
        "first-year revenue (the part of their lifetime value seen so far); Spearman's rank correlation with a "
        f"95% interval (Fisher z); at least {MIN_PAIRS} customers."
    )
    seen, missing = _first_years(tables)
    if seen is None:
        return no_data("cpa", "clv", method, missing)
    if "acquisition_cost" not in seen.columns or seen["acquisition_cost"].isna().all():
        return no_data("cpa", "clv", method, "acquisition costs per customer")
    seen = seen.dropna(subset=["acquisition_cost"])
    found = rank_correlation(seen["acquisition_cost"], seen["first_year"])
    meaning = (
        f"Customers who cost more to win were worth {'more' if found.value >= 0 else 'less'} in their first year "
        f"(rank correlation {found.value:+.2f})."
    )
    return judged(
        "cpa", "clv", found, expected=+1, minimum=MIN_PAIRS, method=method, meaning=meaning, unit="rho"
    )


def _loyalty_to_churn(tables: Tables) -> LinkResult:
    method = (
        "Churn share (flag or churn date) of customers outside the loyalty programme minus members, in "
        "percentage points, with a 95% interval (difference of proportions); not lagged, membership has no "
        f"date; at least {MIN_PER_GROUP} customers in each group."
    )
    customers = _customers(tables)
    if (
        customers.empty
        or "loyalty_member" not in customers.columns
        or customers["loyalty_member"].isna().all()
    ):
        return no_data(
            "loyalty_engagement", "churn_rate", method, "loyalty programme membership of customers"
        )
    left = _churn_known(customers)
    if left is None:
        return no_data(
            "loyalty_engagement", "churn_rate", method, "customers with a churn flag or churn dates"
        )
    known = customers.assign(left=left)[customers["loyalty_member"].notna() & left.notna()]
    member = known["loyalty_member"].astype(bool)
    outcome = known["left"].astype(bool)
    found = difference_of_proportions(outcome[~member], outcome[member])
    meaning = (
        f"Customers outside the loyalty programme churned {abs(found.value):.1f} points "
        f"{'more' if found.value >= 0 else 'less'} often than members."
    )
    return judged(
        "loyalty_engagement",
        "churn_rate",
        found,
        expected=+1,
        minimum=MIN_PER_GROUP,
        method=method,
        meaning=meaning,
        unit="points",
    )


CUSTOMER_LINKS: tuple[CustomerLink, ...] = (
    CustomerLink("nps", "churn_rate", _score_to_churn("nps")),
    CustomerLink("csat", "churn_rate", _score_to_churn("csat")),
    CustomerLink("first_response_time", "csat", _response_to_csat),
    CustomerLink("csat", "revenue_per_customer", _csat_to_spend),
    CustomerLink("retention_rate", "revenue", _retention_to_revenue),
    CustomerLink("cpa", "clv", _cost_to_value),
    CustomerLink("loyalty_engagement", "churn_rate", _loyalty_to_churn),
)


def customer_links(tables: Tables) -> list[LinkResult]:
    """Every built-in link of :data:`CUSTOMER_LINKS`, tested on the workspace's tables."""
    return [link.test(tables) for link in CUSTOMER_LINKS]

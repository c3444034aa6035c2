"""The sections of the Lifetime value page: the back-test, the customers' value, survival curves and
subscription retention.

Every fit is a slow extra (:func:`ui.slow_extras.later`): kept with the workspace's data under its
fingerprint and the settings, computed in the background on a first visit while a note stands in
its place, and read back on every later visit. Each section returns the :class:`Pending` results
it waits for, so that the page can rerun once they have arrived.
"""

from __future__ import annotations

import datetime as dt
from collections.abc import Mapping, Sequence
from pathlib import Path

import pandas as pd
import streamlit as st

from bsc.clv import (
    life_table_from_survival,
    subscription_retention,
    survival_from_tables,
)
from bsc.clv.report import (
    FittedLifetimes,
    PurchaseBackTest,
    calibration_window_of_tables,
    customer_values,
    fit_lifetimes_of_tables,
    logrank_words,
    purchase_back_test_of_tables,
    survival_report,
)
from bsc.clv.sbg import SubscriptionRetention
from bsc.currency import UNKNOWN_CURRENCY_SIGN, money_text
from bsc.errors import InputError
from bsc.exports import safe_csv_bytes
from bsc.results_cache import Pending
from ui.context import show_input_error
from ui.lifetime_charts import (
    group_back_test_chart,
    retention_projection_chart,
    survival_chart,
    weekly_back_test_chart,
)
from ui.slow_extras import Unavailable, job, later, pending_note
from ui.text import literal

Tables = Mapping[str, Sequence[Path | str]]
TOP_CUSTOMERS = 100
MONTHS = 12


@st.cache_data(max_entries=16, show_spinner=False)
def purchase_window(fingerprint: str, _tables: Tables) -> tuple[dt.date, dt.date, dt.date] | str:
    """The first and last purchase days and the default calibration end; the reason when none."""
    try:
        first, last, default = calibration_window_of_tables(_tables)
    except InputError as error:
        return str(error)
    return first.date(), last.date(), default.date()


@st.cache_data(max_entries=16, show_spinner=False)
def survival_attributes(fingerprint: str, _tables: Tables) -> dict[str, str]:
    """The segment attributes of the customers table (the ones survival curves can split by), with labels."""
    from bsc.engine import table_columns
    from bsc.kpis.tables import segment_labels

    files = _tables.get("customers", [])
    if not files:
        return {}
    columns = set(table_columns(files))
    if "channel" in columns or "acquisition_channel" in columns:
        columns.add("acquisition_channel")
    return {name: label for name, label in segment_labels(_tables).items() if name in columns}


def back_test_section(fingerprint: str, tables: Tables, workspace_id: str) -> list[Pending]:
    """Choose the calibration end, then the back-test: the verdict, week by week, by group."""
    st.header("How accurate is it? The back-test", divider="gray")
    window = purchase_window(fingerprint, tables)
    if isinstance(window, str):
        st.info(
            f"No purchase model: {literal(window)} Retention below uses the customers table.",
            icon=":material/info:",
        )
        return []
    first, last, default = window
    kept_key = f"clv_calibration_end_{workspace_id}"
    chosen = st.session_state.get(kept_key)
    if not isinstance(chosen, dt.date) or not first + dt.timedelta(days=28) <= chosen <= last - dt.timedelta(
        days=7
    ):
        chosen = default
    with st.form("clv_back_test"):
        left, right = st.columns([3, 2], vertical_alignment="bottom")
        calibration_end = left.date_input(
            "Calibration end",
            value=chosen,
            min_value=first + dt.timedelta(days=28),
            max_value=last - dt.timedelta(days=7),
            key="clv_calibration_end",
            help="The models see the purchases up to this day only, and predict each customer's purchases "
            f"from the next day to the data's end ({last:%d %b %Y}). Default: half the span, at most 52 weeks, "
            "held out.",
        )
        right.form_submit_button("Fit and test", type="primary", icon=":material/model_training:")
    st.session_state[kept_key] = calibration_end
    result = later(
        "clv_backtest",
        fingerprint,
        (calibration_end.isoformat(),),
        lambda: purchase_back_test_of_tables(tables, pd.Timestamp(calibration_end)),
    )
    if isinstance(result, Pending):
        pending_note("The back-test", result)
        return [result]
    if isinstance(result, Unavailable):
        st.info(f"No back-test: {literal(result.message)}", icon=":material/info:")
        return []
    _draw_back_test(result)
    return []


def _draw_back_test(result: PurchaseBackTest) -> None:
    if result.model_is_better:
        st.success(result.verdict, icon=":material/check_circle:")
    else:
        st.warning(result.verdict, icon=":material/warning:")
    st.caption(
        f"{result.customers:,} customers bought by {result.calibration_end:%d %b %Y}; their repeat purchases "
        f"(purchase days) in the {result.holdout_weeks:.1f} weeks to {result.holdout_end:%d %b %Y} are predicted "
        "by the BG/NBD model and by each customer's past rate (purchases so far ÷ weeks since their first, × the "
        "holdout's length). RMSE: the typical error per customer, in purchases; lower is better."
    )
    actual, model, naive, rmse = st.columns(4)
    actual.metric("Actual repeat purchases", f"{result.actual:,.0f}", border=True)
    model.metric(
        "Predicted by the model",
        f"{result.predicted:,.0f}",
        delta=f"{result.predicted / result.actual - 1:+.0%}" if result.actual else None,
        delta_color="off",
        delta_arrow="off",
        border=True,
        help="The BG/NBD's expected repeat purchases of these customers in the holdout; the change is its "
        "error against the actual total.",
    )
    naive.metric(
        "Predicted by past rates",
        f"{result.naive_predicted:,.0f}",
        delta=f"{result.naive_predicted / result.actual - 1:+.0%}" if result.actual else None,
        delta_color="off",
        delta_arrow="off",
        border=True,
        help="Each customer's past rate × the holdout's length, added up.",
    )
    rmse.metric(
        "RMSE per customer",
        f"{result.rmse:.2f}",
        delta=f"past rate {result.naive_rmse:.2f}",
        delta_color="off",
        delta_arrow="off",
        border=True,
        help="Root mean square error of each customer's predicted holdout purchases: the model's, and the past "
        "rate's beside it.",
    )
    weekly, groups = st.columns(2)
    weekly.altair_chart(weekly_back_test_chart(result.weekly), width="stretch")
    groups.altair_chart(group_back_test_chart(result.by_frequency), width="stretch")
    p = result.purchases
    spend = result.spend
    st.caption(
        f"BG/NBD (Fader, Hardie & Lee 2005), in weeks: purchase rate ~ Gamma(r {p.r:.3g}, α {p.alpha:.3g}), "
        f"dropout after each purchase ~ Beta(a {p.a:.3g}, b {p.b:.3g}). "
        + (
            f"Gamma-Gamma spend per purchase: p {spend.p:.3g}, q {spend.q:.3g}, v {spend.v:.3g}."
            if spend is not None
            else f"No spend model: {result.spend_note}"
        )
    )


def customer_value_section(
    fingerprint: str, tables: Tables, default_margin: float, currency: str | None = None
) -> list[Pending]:
    """The customers worth the most: expected purchases, P(alive), spend and CLV, with the inputs."""
    st.header("Customers' lifetime value", divider="gray")
    if isinstance(purchase_window(fingerprint, tables), str):
        st.caption("Needs a transaction log with customer ids, order dates and amounts.")
        return []
    with st.form("clv_value"):
        margin_column, discount_column, _ = st.columns([2, 2, 3], vertical_alignment="bottom")
        margin = margin_column.number_input(
            "Gross margin (%)",
            min_value=1.0,
            max_value=100.0,
            value=round(default_margin * 100, 1),
            step=1.0,
            key="clv_margin",
            help="The share of each purchase's value kept as margin.",
        )
        discount = discount_column.number_input(
            "Discount rate (% a year)",
            min_value=0.0,
            max_value=100.0,
            value=10.0,
            step=1.0,
            key="clv_discount",
            help="Money next year is worth this much less than today; applied month by month.",
        )
        st.form_submit_button("Apply", icon=":material/calculate:")
    fitted = later("clv_models", fingerprint, (), job(fit_lifetimes_of, tables))
    if isinstance(fitted, Pending):
        pending_note("The customers' lifetime value", fitted)
        return [fitted]
    if isinstance(fitted, Unavailable):
        st.info(f"No lifetime value: {literal(fitted.message)}", icon=":material/info:")
        return []
    try:
        values = customer_values_of(fingerprint, margin / 100, discount / 100, fitted)
    except InputError as error:
        show_input_error(error)
        return []
    method = f"BG/NBD + Gamma-Gamma, {MONTHS} months, margin {margin:g}%, discount {discount:g}%/yr"
    unit = currency or UNKNOWN_CURRENCY_SIGN
    customers, mean, total = st.columns(3)
    customers.metric("Customers", f"{len(values):,}", border=True, help="Everyone who bought at least once.")
    mean.metric(
        "Mean CLV",
        money_text(f"{values['clv'].mean():,.2f}", currency),
        border=True,
        help=f"{method}: the margin on each customer's expected purchases over the next {MONTHS} months, "
        "discounted, averaged over customers.",
    )
    total.metric(
        "Total CLV",
        money_text(f"{values['clv'].sum():,.0f}", currency),
        border=True,
        help=f"{method}, added up.",
    )
    st.caption(
        f"As of {fitted.data_end:%d %b %Y} ({method}). Expected purchases: in the next 52 weeks. Chance still "
        "active: the BG/NBD's probability that the customer has not dropped out. Expected spend: per purchase, "
        "the customer's own mean pulled toward everyone's (Gamma-Gamma)."
    )
    st.markdown(f"**The {min(TOP_CUSTOMERS, len(values))} customers worth the most**")
    top = values.head(TOP_CUSTOMERS).reset_index()
    st.dataframe(
        top,
        hide_index=True,
        width="stretch",
        height=36 * 11,
        column_config={
            "customer_id": st.column_config.TextColumn("Customer"),
            "past_purchases": st.column_config.NumberColumn("Purchase days", format="%d"),
            "expected_purchases": st.column_config.NumberColumn(
                "Purchases, next 52 wk",
                format="%.1f",
                help="Expected purchases in the next 52 weeks (BG/NBD).",
            ),
            "probability_alive": st.column_config.NumberColumn(
                "Still active",
                format="percent",
                help="The BG/NBD's probability that the customer has not dropped out.",
            ),
            "expected_spend": st.column_config.NumberColumn(
                f"Spend per purchase ({unit})",
                format="%.2f",
                help="Expected value of a purchase (Gamma-Gamma).",
            ),
            "clv": st.column_config.NumberColumn(
                f"CLV, {MONTHS} mo ({unit})", format="%.2f", help="Discounted margin over the next months."
            ),
        },
    )
    st.download_button(
        f"Download all {len(values):,} customers (CSV)",
        safe_csv_bytes(values.reset_index()),
        file_name="customer_lifetime_value.csv",
        mime="text/csv",
        icon=":material/download:",
        key="clv_download",
    )
    return []


def fit_lifetimes_of(tables: Tables) -> FittedLifetimes:
    """BG/NBD + Gamma-Gamma fitted on the workspace's transaction log: the ``clv_models`` result
    that this page and the Scorecard's CLV tile keep (a module-level function, so that it can be
    fitted in the server's worker process). DuckDB summarises the log over its files: the order
    lines are never read into pandas."""
    return fit_lifetimes_of_tables(tables)


@st.cache_data(max_entries=16, show_spinner=False)
def customer_values_of(
    fingerprint: str, margin: float, discount: float, _fitted: FittedLifetimes
) -> pd.DataFrame:
    return customer_values(_fitted, margin=margin, yearly_discount=discount, months=MONTHS)


def survival_section(fingerprint: str, tables: Tables, labels: Mapping[str, str]) -> list[Pending]:
    """Kaplan–Meier curves by a segment attribute, their medians and the log-rank test in words."""
    st.header("How long customers stay", divider="gray")
    options: list[str | None] = [None, *labels]
    remembered = st.session_state.get("clv_survival_by_kept")
    by = st.columns([2, 3])[0].selectbox(
        "Curves by",
        options,
        index=options.index(remembered) if remembered in options else 0,
        format_func=lambda a: "All customers" if a is None else labels[a],
        key="clv_survival_by",
    )
    st.session_state["clv_survival_by_kept"] = by
    report = later("survival", fingerprint, (by,), lambda: survival_report(tables, by))
    if isinstance(report, Pending):
        pending_note("The survival curves", report)
        return [report]
    if isinstance(report, Unavailable):
        st.info(f"No survival curves: {literal(report.message)}", icon=":material/info:")
        return []
    unit = report.unit.split(" (")[0]
    st.altair_chart(survival_chart(report.curves, unit), width="stretch")
    st.markdown(literal(logrank_words(report.logrank_p, len(report.curves))))
    st.dataframe(
        pd.DataFrame(
            {
                "Segment": [c.segment for c in report.curves],
                "Customers": [c.customers for c in report.curves],
                "Left": [c.churned for c in report.curves],
                f"Median lifetime ({unit})": [
                    "not reached" if c.median is None else f"{c.median:,.0f}" for c in report.curves
                ],
                "Still here at the last time": [
                    f"{c.survival[-1]:.1%} after {c.times[-1]:,.0f} ({c.ci_low[-1]:.1%}–{c.ci_high[-1]:.1%})"
                    for c in report.curves
                ],
            }
        ),
        hide_index=True,
        width="stretch",
    )
    st.caption(
        f"Times in {literal(report.unit)}. Kaplan–Meier counts each customer only while observed, so those who "
        "joined recently do not pull the curve down; the shaded band is the 95% interval. Median lifetime: the "
        "time by which half have left ('not reached' while more than half are still here)."
        + (
            f" {report.dropped:,} customer(s) without a usable duration were left out."
            if report.dropped
            else ""
        )
    )
    return []


def subscription_section(fingerprint: str, tables: Tables) -> list[Pending]:
    """The shifted beta-geometric: its parameters, projection and held-out check."""
    st.header("Subscription retention (shifted beta-geometric)", divider="gray")
    retention = later(
        "sbg",
        fingerprint,
        (),
        lambda: subscription_retention(life_table_from_survival(survival_from_tables(tables))),
    )
    if isinstance(retention, Pending):
        pending_note("The subscription model", retention)
        return [retention]
    if isinstance(retention, Unavailable):
        st.info(f"No subscription model: {literal(retention.message)}", icon=":material/info:")
        return []
    _draw_retention(retention)
    return []


def _draw_retention(retention: SubscriptionRetention) -> None:
    check = retention.held_out
    if check is None:
        st.info(f"No held-out check: {literal(retention.held_out_note or '')}", icon=":material/info:")
    elif check.sbg_error < check.constant_rate_error:
        st.success(check.verdict, icon=":material/check_circle:")
    else:
        st.warning(check.verdict, icon=":material/warning:")
    projection = retention.projection
    marks = [t for t in (12, 24, 36) if t in projection.index]
    columns = st.columns(len(marks) + 1)
    p = retention.params
    columns[0].metric(
        "First-month churn",
        f"{p.alpha / (p.alpha + p.beta):.1%}",
        border=True,
        help="α ÷ (α + β): the expected share of new customers who leave at their first monthly renewal.",
    )
    for column, t in zip(columns[1:], marks, strict=True):
        column.metric(
            f"After {t} months",
            f"{projection.loc[t, 'survival']:.0%}",
            border=True,
            help=f"The sBG's projected share of a starting cohort still here after {t} months; beyond the "
            "data it is a projection.",
        )
    if check is not None:
        st.altair_chart(
            retention_projection_chart(check.table, check.calibration_periods, retention.period_name),
            width="stretch",
        )
    st.caption(
        f"Fader & Hardie (2007): each customer leaves at each monthly renewal with their own probability, spread "
        f"as Beta(α {p.alpha:.3g}, β {p.beta:.3g}) across {retention.customers:,} customers, so retention rises with "
        "tenure as the likeliest leavers go first (when customers differ). The held-out check fits on the first months only and compares "
        "its projection of the later months with what happened; one constant retention rate is the simple "
        "alternative." + (f" {retention.alike_note}" if retention.alike_note else "")
    )

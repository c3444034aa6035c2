"""The workspace's tables as the KPIs read them: columns, segment attributes, derived tables.

Some tables are derived once per set of files and kept in memory by the backend, since no
setting changes them: one row per order; one row per customer and month (quarter, year, all
time) with orders; one row per customer of the customers table (see :func:`load_tables`).
"""

from __future__ import annotations

from collections.abc import Mapping, Sequence
from pathlib import Path

import ibis
import ibis.expr.types as ir
import pyarrow as pa

from bsc.columns import column_label, resolve_name, stored_columns
from bsc.engine import ASSIGNMENTS, Backend, default_backend, table_columns
from bsc.errors import InputError
from bsc.periods import GRANULARITIES, TRUNCATE_UNIT, Granularity
from bsc.schema import KINDS

# Table kind id -> canonical Parquet files of that kind.
Tables = Mapping[str, Sequence[Path | str]]
# Names of the acquisition channel: ``by`` either of them splits the marketing KPIs by channel.
CHANNEL_ALIASES = ("acquisition_channel", "channel")


def load_tables(tables: Tables, *, backend: Backend | None = None) -> None:
    """Read a workspace's tables into the backend's memory ahead of the first scorecard.

    Reads every kind and derives, once per set of files, the tables the KPI queries start from:
    one row per order, orders and revenue per customer and period (month, quarter, year, all
    time), one row per customer. Optional: :func:`bsc.kpis.compute_kpis` derives what it needs
    on first use.
    """
    backend = backend or default_backend()
    paths = {kind: list(files) for kind, files in tables.items() if kind in KINDS and files}
    for kind, files in paths.items():
        backend.read(kind, files)
    if "transactions" in paths:
        for unit in GRANULARITIES:
            customer_period_table(backend, paths["transactions"], unit)
    if "customers" in paths:
        backend.derive("customers", "customers", paths["customers"], one_row_per_customer)


def segment_attributes(tables: Tables) -> list[str]:
    """The attributes a scorecard can be split by, sorted.

    The segment (string) columns of the customers table and its acquisition channel; where
    there is no customers table, the segment columns of the fact tables. When only the
    marketing table has a channel, ``"channel"`` (it splits the marketing KPIs). Saved
    segmentations (``tables["assignments"]``) add their segment columns. Columns that restate
    churn (churn reason, customer status...: see :func:`outcome_columns`) are never offered:
    split by them, churn is 0% or 100% by construction.
    Reads file footers only.
    """
    columns = columns_by_kind(tables)
    attributes: set[str] = set(assigned_attributes(tables))
    if "customers" in columns:
        attributes |= segment_columns(columns["customers"], "customers")
        if "acquisition_channel" in columns["customers"]:
            attributes.add("acquisition_channel")
    else:
        for kind in ("transactions", "feedback", "support"):
            attributes |= segment_columns(columns.get(kind, {}), kind)
    if "channel" in columns.get("marketing", {}) and not attributes & set(CHANNEL_ALIASES):
        attributes.add("channel")
    return sorted(attributes - outcome_columns(tables))


def outcome_columns(tables: Tables) -> set[str]:
    """Canonical columns that restate churn (a churn reason, a status "Churned"...), as the
    tables' footers list them (see :mod:`bsc.columns`)."""
    return {
        name
        for kind, paths in tables.items()
        if kind in KINDS and paths
        for name in stored_columns(paths).outcomes
    }


def segment_labels(tables: Tables) -> dict[str, str]:
    """Each attribute of :func:`segment_attributes` -> its name for people: the header in the
    user's file (``Contract``, ``DeviceProtection``), else the name in words
    (``acquisition_channel`` -> ``Acquisition channel``). A saved segmentation's attribute reads
    as its name does (``value_segments`` -> ``Value segments``). Reads file footers only."""
    assigned = set(assigned_attributes(tables))
    headers = {name: header for name, header in _headers(tables).items() if name not in assigned}
    return {attribute: column_label(attribute, headers) for attribute in segment_attributes(tables)}


def _headers(tables: Tables) -> dict[str, str]:
    """Canonical column -> header in the user's file, over every kind; the customers table's
    header wins where kinds share a column name."""
    headers: dict[str, str] = {}
    for kind in ("marketing", "support", "feedback", "transactions", "customers"):
        if tables.get(kind):
            headers |= stored_columns(tables[kind]).headers
    return headers


def resolve_segment_attribute(tables: Tables, typed: str) -> str:
    """The segment attribute a user means by ``typed``: its name or its header in their file,
    in any case (``Contract``, ``contract`` and ``CONTRACT`` all give ``contract``).

    Raises
    ------
    InputError
        When ``typed`` names no segment attribute, or names a column that restates churn.
    """
    if typed.strip().casefold() in CHANNEL_ALIASES:
        return typed.strip().casefold()
    try:
        return resolve_name(typed, segment_labels(tables), "segment attribute")
    except InputError:
        outcome = _outcome_header(tables, typed)
        if outcome is None:
            raise
    raise InputError(
        f"{outcome!r} says who churned or why: split by it, churn would be 0% or 100% by construction, "
        "so it is not offered as a segment attribute."
    )


def _outcome_header(tables: Tables, typed: str) -> str | None:
    """The header of the outcome column ``typed`` names, or None when it names none."""
    headers = _headers(tables)
    outcomes = {name: column_label(name, headers) for name in outcome_columns(tables)}
    try:
        return outcomes[resolve_name(typed, outcomes, "column")]
    except InputError:
        return None


def columns_by_kind(tables: Tables) -> dict[str, dict[str, pa.DataType]]:
    return {kind: table_columns(paths) for kind, paths in tables.items() if kind in KINDS and paths}


def assigned_attributes(tables: Tables) -> list[str]:
    """Segment columns of the saved segmentations (every column but ``customer_id``)."""
    paths = list(tables.get(ASSIGNMENTS, []))
    if not paths:
        return []
    return [name for name, dtype in table_columns(paths).items() if name != "customer_id" and _is_text(dtype)]


def segment_columns(columns: Mapping[str, pa.DataType], kind: str) -> set[str]:
    """String columns that are not roles: segment attributes in canonical tables."""
    roles = set(KINDS[kind].role_ids)
    return {name for name, dtype in columns.items() if name not in roles and _is_text(dtype)}


def _is_text(dtype: pa.DataType) -> bool:
    if pa.types.is_dictionary(dtype):
        dtype = dtype.value_type
    return pa.types.is_string(dtype) or pa.types.is_large_string(dtype) or pa.types.is_string_view(dtype)


def order_table(backend: Backend, paths: Sequence[Path | str]) -> ir.Table:
    """The order table of a transaction log (see :func:`orders_from_lines`), kept by the backend."""
    return backend.derive("orders", "transactions", paths, orders_from_lines)


def customer_period_table(backend: Backend, paths: Sequence[Path | str], unit: Granularity) -> ir.Table:
    """Orders and revenue per customer and period with orders, kept by the backend.

    Columns ``customer_id``, ``period`` (its start; absent for ``"all"``), ``orders``, ``revenue``.
    Months come from the order table, longer periods add months up, so the scorecard's largest
    query starts from one row per customer and period rather than from single orders.
    """

    def per_customer_and_period(_: ir.Table) -> ir.Table:
        if unit == "month":
            orders = order_table(backend, paths)
            return orders.group_by("customer_id", period=orders.date.truncate("M")).aggregate(
                orders=orders.count(), revenue=orders.amount.sum()
            )
        months = customer_period_table(backend, paths, "month")
        keys = {} if unit == "all" else {"period": months.period.truncate(TRUNCATE_UNIT[unit])}
        return months.group_by("customer_id", **keys).aggregate(
            orders=months.orders.sum(), revenue=months.revenue.sum()
        )

    return backend.derive(f"customers_by_{unit}", "transactions", paths, per_customer_and_period)


def orders_from_lines(lines: ir.Table) -> ir.Table:
    """One row per order: ``customer_id``, ``date`` (of its first line) and ``amount`` (summed).

    An order is a distinct ``order_id`` of a customer; lines without an order id make one order
    per customer and day, as do all lines when there are no order ids. Lines without a customer
    id or a date are left out.
    """
    lines = lines.filter(lines.customer_id.notnull() & lines.date.notnull())
    amount = lines.amount if "amount" in lines.columns else ibis.null("float64")
    day = lines.date.truncate("D")
    if "order_id" in lines.columns:
        undated_order_day = ibis.ifelse(lines.order_id.isnull(), day, ibis.null("timestamp"))
        orders = lines.group_by("customer_id", "order_id", undated_order_day=undated_order_day)
        return orders.aggregate(date=lines.date.min(), amount=amount.sum()).select(
            "customer_id", "date", "amount"
        )
    return lines.group_by("customer_id", date=day).aggregate(amount=amount.sum())


def one_row_per_customer(customers: ir.Table) -> ir.Table:
    """The customers table with one row per customer id.

    Should a customer appear twice, their attributes are combined deterministically: the
    greatest segment value, member or churned if any row says so, the earliest signup date, the
    latest churn date.
    """
    customers = customers.filter(customers.customer_id.notnull())
    attributes: dict[str, ir.Value] = {
        column: customers[column].max()
        for column in customers.columns
        if column not in KINDS["customers"].role_ids and customers[column].type().is_string()
    }
    if "acquisition_channel" in customers.columns:
        attributes["acquisition_channel"] = customers.acquisition_channel.max()
    if "loyalty_member" in customers.columns:
        attributes["_member"] = customers.loyalty_member.any()
    if "signup_date" in customers.columns:
        attributes["_signup_date"] = customers.signup_date.min()
    if "churn_date" in customers.columns:
        attributes["_churn_date"] = customers.churn_date.max()
    if "churn" in customers.columns:
        attributes["_churned"] = customers.churn.any()
    return customers.group_by("customer_id").aggregate(**attributes)

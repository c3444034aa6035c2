"""The workspace's tables as the KPIs read them: columns, segment attributes, derived tables.

Some tables are derived once per set of files and kept in memory by the backend, since no
setting changes them: one row per order; one row per customer and month (quarter, year, all
time) with orders; one row per customer of the customers table (see :func:`load_tables`).
"""

from __future__ import annotations

import functools
from collections.abc import Mapping, Sequence
from pathlib import Path

import ibis
import ibis.expr.types as ir
import pyarrow as pa
import pyarrow.compute as pc
import pyarrow.parquet as pq

from bsc.columns import column_label, resolve_name, stored_columns
from bsc.engine import ASSIGNMENTS, Backend, default_backend, files_key, table_columns
from bsc.errors import InputError
from bsc.periods import TRUNCATE_UNIT, Granularity
from bsc.schema import KINDS

# Table kind id -> canonical Parquet files of that kind.
Tables = Mapping[str, Sequence[Path | str]]
# Names of the acquisition channel: ``by`` either of them splits the marketing KPIs by channel.
CHANNEL_ALIASES = ("acquisition_channel", "channel")


def load_tables(tables: Tables, *, backend: Backend | None = None) -> None:
    """Read a workspace's tables into the backend's memory ahead of the first scorecard.

    Reads every kind and derives, once per set of files, the tables the monthly scorecard
    starts from: one row per order, orders and revenue per customer and month, one row per
    customer. The quarterly, yearly and all-time tables are derived from the monthly one on
    their first use (each takes about as long as the monthly one: at 10M orders, loading them
    all would double the wait before the first, monthly, scorecard). Optional:
    :func:`bsc.kpis.compute_kpis` derives what it needs on first use.
    """
    backend = backend or default_backend()
    paths = {kind: list(files) for kind, files in tables.items() if kind in KINDS and files}
    for kind, files in paths.items():
        backend.read(kind, files)
    if "transactions" in paths:
        customer_period_table(backend, paths["transactions"], "month")
    if "customers" in paths:
        customer_table(backend, paths["customers"])


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
    """The order table of a transaction log (see :func:`orders_from_lines`), kept by the backend.

    When each line is an order (:func:`lines_are_orders`), the order table is the lines
    themselves (:func:`orders_from_order_lines`, the same rows), read from the files in place:
    grouping ten million lines by order to find each alone in its group took most of the load.
    """
    if lines_are_orders(paths):
        return backend.derive("orders", "transactions", paths, orders_from_order_lines, in_memory=False)
    return backend.derive("orders", "transactions", paths, orders_from_lines)


def customer_table(backend: Backend, paths: Sequence[Path | str]) -> ir.Table:
    """The customers table with one row per customer (:func:`one_row_per_customer`), kept by the
    backend; when the files list each customer once (:func:`ids_run_steadily`), the same rows
    are a selection of the loaded customers table (:func:`customers_listed_once`), not a copy."""
    if ids_run_steadily(paths, "customer_id"):
        return backend.derive("customers", "customers", paths, customers_listed_once, in_memory=False)
    return backend.derive("customers", "customers", paths, one_row_per_customer)


def lines_are_orders(paths: Sequence[Path | str]) -> bool:
    """Whether every line of the transaction files is an order of its own, told cheaply: every
    line has an order id and the ids run steadily (:func:`ids_run_steadily`)."""
    return ids_run_steadily(paths, "order_id")


def ids_run_steadily(paths: Sequence[Path | str], column: str) -> bool:
    """Whether ``column`` of the files holds an id on every row, each id greater than the one
    before (or each less), from the first row of the first file to the last of the last.

    Then no two rows share an id: exports listed by order number, by date with ids given in
    order, or by customer number are. Otherwise (ids repeated, missing, or listed in another
    order) False, and callers group the rows by id. Reads the one column with pyarrow, once per
    set of files (paths, sizes and modification times).
    """
    files = [Path(path) for path in paths]
    return _ids_run_steadily(files_key({column: files}), tuple(files), column)


@functools.lru_cache(maxsize=64)
def _ids_run_steadily(_key: str, files: tuple[Path, ...], column: str) -> bool:
    previous: pa.Scalar | None = None
    direction: str | None = None
    for path in files:
        schema = pq.read_schema(path)
        if column not in schema.names:
            return False
        kind = schema.field(column).type
        if not (_is_text(kind) or pa.types.is_integer(kind)):
            return False
        ids = pq.read_table(path, columns=[column])[column]
        if ids.null_count:
            return False
        if not len(ids):
            continue
        if previous is not None:
            if _is_text(previous.type) != _is_text(ids.type):
                return False
            ids = pa.chunked_array([pa.array([previous.as_py()], type=ids.type), *ids.chunks])
        if len(ids) >= 2:
            direction = _steady_direction(ids, direction)
            if direction is None:
                return False
        previous = ids[-1]
    return True


def _steady_direction(ids: pa.ChunkedArray, direction: str | None) -> str | None:
    """Way ("up" or "down") when every id is greater (less) than the one before, as far as
    ``direction`` (the way the ids ran so far, None at the start) allows; None otherwise."""
    earlier, later = ids[:-1], ids[1:]
    compare = {"up": pc.greater, "down": pc.less}
    for way in ("up", "down"):
        if direction in (None, way) and pc.all(compare[way](later, earlier)).as_py():
            return way
    return None


def orders_from_order_lines(lines: ir.Table) -> ir.Table:
    """:func:`orders_from_lines` of a log whose every line is an order (:func:`lines_are_orders`).

    Each order's group holds its one line, so its date and amount are the line's: the lines
    with a customer id and a date, as ``customer_id``, ``date``, ``amount``.
    """
    lines = lines.filter(lines.customer_id.notnull() & lines.date.notnull())
    amount = lines.amount if "amount" in lines.columns else ibis.null("float64")
    return lines.select("customer_id", "date", amount=amount)


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
    attributes = _customer_attributes(customers, combine=True)
    return customers.group_by("customer_id").aggregate(**attributes)


def customers_listed_once(customers: ir.Table) -> ir.Table:
    """:func:`one_row_per_customer` of a table listing each customer once: each customer's
    group holds one row, so its attributes are the row's (the same columns, without grouping)."""
    customers = customers.filter(customers.customer_id.notnull())
    return customers.select("customer_id", **_customer_attributes(customers, combine=False))


def _customer_attributes(customers: ir.Table, *, combine: bool) -> dict[str, ir.Value]:
    """The attributes of :func:`one_row_per_customer`: combined over a customer's rows, or
    (``combine`` false) taken from their one row."""

    def rows(value: ir.Value, reduce: str) -> ir.Value:
        return getattr(value, reduce)() if combine else value

    attributes: dict[str, ir.Value] = {
        column: rows(customers[column], "max")
        for column in customers.columns
        if column not in KINDS["customers"].role_ids and customers[column].type().is_string()
    }
    if "acquisition_channel" in customers.columns:
        attributes["acquisition_channel"] = rows(customers.acquisition_channel, "max")
    if "loyalty_member" in customers.columns:
        attributes["_member"] = rows(customers.loyalty_member, "any")
    if "signup_date" in customers.columns:
        attributes["_signup_date"] = rows(customers.signup_date, "min")
    if "churn_date" in customers.columns:
        attributes["_churn_date"] = rows(customers.churn_date, "max")
    if "churn" in customers.columns:
        attributes["_churned"] = rows(customers.churn, "any")
    return attributes

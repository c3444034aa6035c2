"""The per-workspace computation: a few Ibis queries, each returning a small frame.

:class:`Scorecard` is the workspace seen by the KPI functions. Each of its sources (orders,
customers and their lifetimes, activity spells, surveys, tickets, marketing) is one Ibis query
over the canonical tables, run on first use and shared by every KPI that needs it, so that the
same definitions run unchanged on DuckDB and on Spark (see :mod:`bsc.engine`).

What the data covers
--------------------
Each source marks the periods its data covers only in part (column ``complete``, see
:func:`bsc.kpis.frames.period_coverage`), from the first and last date of its own table
(:meth:`Scorecard.coverage`):

- orders, activity spells and new customers by first order: the transaction log's first and
  last order date (see :mod:`bsc.kpis.coverage` for what a complete period is);
- surveys: the feedback table's first and last answer date (undated answers: all time);
- tickets: the first and last ticket opening;
- marketing and market size: the first and last date of the marketing table, where a table
  whose dates are all first days of a month (quarter, year) holds whole periods: a row dated
  1 October stands for October, so the data runs to 31 October;
- customers (signups, churn dates): the first signup or churn date to the last date known
  (signup, churn date or order). Churn from churn dates is observed from the first order (or,
  without orders, the first churn date), so its periods are covered from there.
"""

from __future__ import annotations

import functools
from collections.abc import Mapping
from dataclasses import dataclass
from typing import Literal

import ibis
import ibis.expr.types as ir
import numpy as np
import pandas as pd

from bsc.engine import ASSIGNMENTS, Backend
from bsc.errors import InputError
from bsc.kpis.coverage import Bounds, whole_period_bounds, with_coverage, without_history
from bsc.kpis.frames import TOTAL, UNKNOWN_SEGMENT, complete_periods, with_totals
from bsc.kpis.lifetimes import churn_over_all_time, churn_per_period
from bsc.kpis.record import KpiParams
from bsc.kpis.tables import (
    CHANNEL_ALIASES,
    Tables,
    assigned_attributes,
    columns_by_kind,
    customer_period_table,
    customer_table,
    order_table,
    segment_attributes,
    segment_columns,
)
from bsc.periods import ALL_TIME, TRUNCATE_UNIT, Granularity, period_start, period_starts
from bsc.schema import KINDS


class Unavailable(Exception):
    """A KPI cannot be computed from this workspace; the message says why."""


@dataclass(frozen=True)
class Source:
    """Sums and counts of one source table per period and segment.

    ``frame`` has columns ``period`` (period start, or ``ALL_TIME``), ``segment`` (``TOTAL``
    on the all-customers rows) and the measures; every period between the first and the last
    is present for every segment.
    """

    frame: pd.DataFrame
    split: bool


class Scorecard:
    """The workspace seen by the KPI functions: tables, period, segment and the shared sources.

    Each source (orders, customers, surveys, tickets, marketing) is one Ibis query run on
    first use and shared by every KPI that needs it.
    """

    def __init__(
        self, tables: Tables, *, period: Granularity, by: str | None, params: KpiParams, backend: Backend
    ) -> None:
        self.paths = {kind: list(paths) for kind, paths in tables.items() if kind in KINDS and paths}
        self.assignments = list(tables.get(ASSIGNMENTS, []))
        self.columns = columns_by_kind(self.paths)
        self.roles = {
            kind: {role for role in KINDS[kind].role_ids if role in columns}
            for kind, columns in self.columns.items()
        }
        self.period = period
        self.params = params
        self.backend = backend
        self.notes: dict[str, str] = {}
        # Structured assumptions per KPI (margin, churn base, discounting...), for the CLI and pages.
        self.assumptions: dict[str, dict[str, object]] = {}
        self.by = by
        self._data_bounds: dict[tuple[str, str], tuple[pd.Timestamp, pd.Timestamp] | None] = {}
        self._churn: dict[str, pd.DataFrame] = {}
        self._customer_segment_column = self._resolve_segment(by)

    # -- tables, periods and segments --------------------------------------------------------

    def has(self, kind: str, *roles: str) -> bool:
        return set(roles) <= self.roles.get(kind, set())

    def table(self, kind: str) -> ir.Table:
        return self.backend.read(kind, self.paths[kind])

    def _resolve_segment(self, by: str | None) -> str | None:
        """The customers column behind ``by`` (None when it is not a customer attribute)."""
        if by is None:
            return None
        tables = {**self.paths, ASSIGNMENTS: self.assignments}
        if by not in segment_attributes(tables) and by not in CHANNEL_ALIASES:
            choices = segment_attributes(tables)
            listed = ", ".join(choices) if choices else "none in this workspace"
            raise InputError(f"'{by}' is not a segment attribute of these tables; choose one of: {listed}.")
        if by in assigned_attributes({ASSIGNMENTS: self.assignments}):
            return by
        customers = self.columns.get("customers", {})
        if by in customers and (by == "acquisition_channel" or by in segment_columns(customers, "customers")):
            return by
        if by in CHANNEL_ALIASES and "acquisition_channel" in customers:
            return "acquisition_channel"
        return None

    def own_segment_column(self, kind: str) -> str | None:
        """A column of ``kind`` itself that carries the segment, when customers do not."""
        if self.by is None or self._customer_segment_column is not None:
            return None
        columns = self.columns.get(kind, {})
        if kind == "marketing":
            return None
        if self.by in segment_columns(columns, kind):
            return self.by
        return None

    def period_key(self, column: ir.TimestampValue) -> ir.TimestampValue | None:
        """Start of the period of a date column, None for ``period="all"``."""
        if self.period == "all":
            return None
        return column.truncate(TRUNCATE_UNIT[self.period])

    def lifetime_period_key(self, column: ir.TimestampValue) -> ir.TimestampValue:
        """Period start used for lifetimes; yearly when the scorecard is over all time."""
        unit = "year" if self.period == "all" else self.period
        return column.truncate(TRUNCATE_UNIT[unit])

    @functools.cached_property
    def customer_attributes(self) -> ir.Table | None:
        """One row per customer: ``_segment`` (when split by a customer attribute), ``_member``,
        ``_signup_date``, ``_churn_date`` and ``_churned``, as far as the customers table has them.

        Internal columns start with "_", which no canonical column name does, so that joining
        them to a fact table never clashes with the fact's own columns.
        """
        assigned = self.assigned_segments
        if "customers" not in self.paths:
            return assigned
        customers = customer_table(self.backend, self.paths["customers"])
        if assigned is not None:
            customers = customers.left_join(assigned, "customer_id").drop("customer_id_right")
        elif self._customer_segment_column is not None:
            customers = customers.mutate(_segment=customers[self._customer_segment_column])
        wanted = ["_segment", "_member", "_signup_date", "_churn_date", "_churned"]
        return customers.select("customer_id", *[column for column in wanted if column in customers.columns])

    @functools.cached_property
    def assigned_segments(self) -> ir.Table | None:
        """``customer_id`` and ``_segment`` from the saved segmentation split by (None otherwise).

        Without a customers table these are the customer attributes; with one, they are joined
        onto it, so that the customers table still says who the customers are.
        """
        column = self._customer_segment_column
        if column is None or column not in assigned_attributes({ASSIGNMENTS: self.assignments}):
            return None
        saved = self.backend.read(ASSIGNMENTS, self.assignments)
        saved = saved.filter(saved.customer_id.notnull() & saved[column].notnull())
        return saved.group_by("customer_id").aggregate(_segment=saved[column].max())

    def segment_mode(self, kind: str) -> Literal["customer", "row"] | None:
        """How facts of ``kind`` get their segment.

        ``"customer"``: from the customers table through ``customer_id`` (each customer in one
        segment, so segment sums add up to the total); ``"row"``: from the fact's own column;
        None: the facts cannot be split.
        """
        if self._customer_segment_column is not None:
            if kind == "customers" and self.assigned_segments is not None:
                return "customer"
            return "customer" if "customer_id" in self.roles.get(kind, set()) else None
        return "row" if self.own_segment_column(kind) is not None else None

    def with_own_segment(self, table: ir.Table, kind: str) -> ir.Table:
        """Add ``_segment`` from the fact table's own column (``"row"`` mode)."""
        return table.mutate(_segment=table[self.own_segment_column(kind)].fill_null(UNKNOWN_SEGMENT))

    def join_customers(self, table: ir.Table, *columns: str) -> ir.Table:
        """Add customer attributes (``_segment``, ``_member``) through ``customer_id``.

        Facts of customers missing from the customers table get the segment "(unknown)" and
        count as non-members.
        """
        attributes = self.customer_attributes.select("customer_id", *columns)
        table = table.left_join(attributes, "customer_id").drop("customer_id_right")
        fills = {"_segment": UNKNOWN_SEGMENT, "_member": False}
        return table.mutate(**{column: table[column].fill_null(fills[column]) for column in columns})

    def segmented(self, table: ir.Table, kind: str) -> tuple[ir.Table, Literal["customer", "row"] | None]:
        """``table`` with a ``_segment`` column when it can be split, and the segment mode."""
        mode = self.segment_mode(kind)
        if mode == "customer":
            table = self.join_customers(table, "_segment")
        elif mode == "row":
            table = self.with_own_segment(table, kind)
        return table, mode

    def run(self, table: ir.Table, keys: Mapping[str, ir.Value | None], **measures: ir.Value) -> pd.DataFrame:
        """Group ``table`` by the non-None ``keys`` and execute; a None period key means all time."""
        groups = {name: key for name, key in keys.items() if key is not None}
        expression = table.group_by(**groups).aggregate(**measures) if groups else table.aggregate(**measures)
        frame = self.backend.execute(expression)
        if "period" in keys and keys["period"] is None:
            frame["period"] = ALL_TIME
        return frame

    @functools.cached_property
    def order_table(self) -> ir.Table:
        """One row per order (see :func:`bsc.kpis.tables.orders_from_lines`), derived once per loaded table."""
        return order_table(self.backend, self.paths["transactions"])

    @functools.cached_property
    def customer_period_table(self) -> ir.Table:
        """Orders and revenue per customer and period, derived once per loaded table."""
        return customer_period_table(self.backend, self.paths["transactions"], self.period)

    @property
    def dated_lines(self) -> ir.Table:
        """Transaction lines with a customer id and a date."""
        lines = self.table("transactions")
        lines = lines.filter(lines.customer_id.notnull() & lines.date.notnull())
        return lines if "amount" in lines.columns else lines.mutate(amount=ibis.null("float64"))

    def data_bounds(self, kind: str, column: str) -> tuple[pd.Timestamp, pd.Timestamp] | None:
        """The first and last date of a column (None when it has none)."""
        if (kind, column) not in self._data_bounds:
            table = self.table(kind)
            row = self.backend.execute(table.aggregate(first=table[column].min(), last=table[column].max()))
            first, last = row["first"].iloc[0], row["last"].iloc[0]
            self._data_bounds[kind, column] = (
                None if pd.isna(last) else (pd.Timestamp(first), pd.Timestamp(last))
            )
        return self._data_bounds[kind, column]

    def data_end(self, kind: str, column: str) -> pd.Timestamp | None:
        """The last date of a column (None when it has none)."""
        bounds = self.data_bounds(kind, column)
        return None if bounds is None else bounds[1]

    def coverage(self, kind: str) -> Bounds:
        """The first and last date the data of ``kind`` covers (see the module docstring).

        None when the table has no dates (its figures are over all time) or is absent.
        """
        if kind == "marketing":
            return self.marketing_coverage if self.has("marketing", "date") else None
        if kind == "customers":
            return self.customer_coverage
        column = {"transactions": "date", "feedback": "date", "support": "opened_at"}[kind]
        return self.data_bounds(kind, column) if self.has(kind, column) else None

    @functools.cached_property
    def customer_coverage(self) -> Bounds:
        """First signup or churn date to the last date known (signup, churn date or order)."""
        bounds = [
            self.data_bounds("customers", column)
            for column in ("signup_date", "churn_date")
            if self.has("customers", column)
        ]
        bounds = [bound for bound in bounds if bound is not None]
        if not bounds:
            return None
        orders = self.coverage("transactions")
        last = max([bound[1] for bound in bounds] + ([orders[1]] if orders else []))
        return min(bound[0] for bound in bounds), last

    @functools.cached_property
    def marketing_coverage(self) -> Bounds:
        """The marketing table's dates, a table of whole periods running to the end of its last one."""
        return whole_period_bounds(self.backend, self.table("marketing"), "date")

    def churn_coverage(self, method: str) -> Bounds:
        """The dates over which churn is observed (see :meth:`churn_periods`)."""
        orders = self.coverage("transactions")
        if method == "inactivity":
            return orders
        customers = self.customer_coverage
        if orders is not None and customers is not None:
            return orders[0], max(orders[1], customers[1])
        if customers is None or not self.has("customers", "churn_date"):
            return orders or customers
        churn_dates = self.data_bounds("customers", "churn_date")
        return (customers[0] if churn_dates is None else churn_dates[0]), customers[1]

    def history_reason(self, what: str) -> str:
        """Why a period at the start of a transaction log cannot know ``what``."""
        window = self.params.inactivity_days
        first = self.coverage("transactions")
        since = "" if first is None else f" (the log starts on {first[0]:%Y-%m-%d})"
        return (
            f"not enough history: {what} by {window} days without an order needs {window} days of "
            f"log before the period{since}"
        )

    # -- sources -----------------------------------------------------------------------------

    @functools.cached_property
    def orders(self) -> Source:
        """Per period and segment: active customers, orders, revenue, repeat buyers, members.

        One query from the customer-month table: customers in the period -> period and
        segment. With segments from a column of the order lines, a second branch sums the lines
        by segment.
        """
        mode = self.segment_mode("transactions")
        per_customer = self.customer_period_table
        if self.period == "all":
            # A constant period keeps one query shape for every period choice.
            per_customer = per_customer.mutate(period=ibis.literal(0))
        attributes = ["_segment"] if mode == "customer" else []
        if self.has("customers", "customer_id", "loyalty_member"):
            attributes.append("_member")
        if attributes:
            per_customer = self.join_customers(per_customer, *attributes)

        def period_sums(table: ir.Table, segment: ir.Value) -> ir.Table:
            return table.group_by(period=table.period, segment=segment).aggregate(
                active=table.count(),
                orders=table.orders.sum(),
                revenue=table.revenue.sum(),
                repeaters=(table.orders >= 2).sum(),
                members=table["_member"].sum() if "_member" in table.columns else ibis.literal(0),
            )

        expression = period_sums(
            per_customer, per_customer["_segment"] if mode == "customer" else ibis.literal(TOTAL)
        )
        if mode == "row":
            # Segments come from the order lines, and an order or a customer may span several;
            # the total above counts each once.
            lines = self.with_own_segment(self.dated_lines, "transactions")
            if self.has("transactions", "order_id"):
                order_key = lines.order_id.fill_null("day " + lines.date.truncate("D").cast("string"))
            else:
                order_key = lines.date.truncate("D")
            line_period = self.period_key(lines.date)
            line_period = line_period if line_period is not None else ibis.literal(0)
            # Same type as the total's period (a loaded table may carry a timestamp precision).
            lines = lines.mutate(period=line_period.cast(per_customer["period"].type()), order_key=order_key)
            keys = ["customer_id", "period", "_segment"]
            per_order = lines.group_by(*keys, "order_key").aggregate(revenue=lines.amount.sum())
            per_segment = per_order.group_by(*keys).aggregate(
                orders=per_order.count(), revenue=per_order.revenue.sum()
            )
            if "_member" in attributes:
                per_segment = self.join_customers(per_segment, "_member")
            expression = period_sums(per_segment, per_segment["_segment"]).union(expression)
        frame = self.backend.execute(expression)
        if self.period == "all":
            frame["period"] = ALL_TIME
        frame = complete_periods(
            frame, self.period, fill_zero=["active", "orders", "revenue", "repeaters", "members"]
        )
        if mode == "customer":
            frame = with_totals(frame)
        return Source(
            with_coverage(frame, self.period, self.coverage("transactions")), split=mode is not None
        )

    @functools.cached_property
    def customer_list(self) -> tuple[ir.Table, Literal["customer", "row"] | None]:
        """One row per known customer: segment, acquisition date, churn date and flag, membership.

        Customers are those of the customers table, acquired at their signup date. Without
        signup dates, the customers of the transactions join them, acquired at their first
        order. With a segment from a transaction column, a customer whose orders carry several
        values counts under the greatest one (so that each customer is counted once).
        """
        attributes = self.customer_attributes
        mode = self.segment_mode("customers") if attributes is not None else None
        if not self.has("customers", "signup_date") and self.has("transactions", "customer_id", "date"):
            lines = self.order_table
            measures: dict[str, ir.Value] = {"_first_order": lines.date.min()}
            if attributes is None and self.segment_mode("transactions") == "row":
                lines = self.with_own_segment(self.dated_lines, "transactions")
                measures = {"_first_order": lines.date.min(), "_segment": lines["_segment"].max()}
                mode = "row"
            first_orders = lines.group_by("customer_id").aggregate(**measures)
            if attributes is None:
                return first_orders.rename(_acquired="_first_order"), mode
            if "customers" not in self.paths:
                # Saved segments without a customers table: the buyers are still the customers.
                customers = first_orders.left_join(attributes, "customer_id").drop("customer_id_right")
                customers = customers.rename(_acquired="_first_order")
                return customers.mutate(_segment=customers["_segment"].fill_null(UNKNOWN_SEGMENT)), mode
            joined = attributes.outer_join(first_orders, "customer_id")
            customers = joined.mutate(
                customer_id=joined.customer_id.fill_null(joined.customer_id_right),
                _acquired=joined["_first_order"],
            ).drop("customer_id_right", "_first_order")
        elif attributes is None or "customers" not in self.paths:
            raise Unavailable("needs a customers table or a transaction log with customer ids")
        elif "_signup_date" in attributes.columns:
            customers = attributes.rename(_acquired="_signup_date")
        else:
            customers = attributes.mutate(_acquired=ibis.null("timestamp"))
        if mode == "customer":
            customers = customers.mutate(_segment=customers["_segment"].fill_null(UNKNOWN_SEGMENT))
        return customers, mode

    @functools.cached_property
    def lifetimes(self) -> Source:
        """Customers counted by (segment, acquisition period, churn period, churn flag, membership).

        Missing dates are NaT: acquired before the data / not churned.
        """
        customers, mode = self.customer_list
        keys: dict[str, ir.Value] = {
            "segment": customers["_segment"] if mode else ibis.literal(TOTAL),
            "start": self.lifetime_period_key(customers["_acquired"]),
            "end": self.lifetime_period_key(customers["_churn_date"])
            if "_churn_date" in customers.columns
            else ibis.null("timestamp"),
            "churned": customers["_churned"] if "_churned" in customers.columns else ibis.null("boolean"),
            "member": customers["_member"] if "_member" in customers.columns else ibis.null("boolean"),
        }
        frame = self.backend.execute(customers.group_by(**keys).aggregate(customers=customers.count()))
        frame["start"] = pd.to_datetime(frame["start"])
        frame["end"] = pd.to_datetime(frame["end"])
        if mode:
            frame = pd.concat([frame, frame.assign(segment=TOTAL)], ignore_index=True)
        return Source(frame, split=mode is not None)

    @functools.cached_property
    def spells(self) -> Source:
        """Activity spells of a transaction log, counted by (segment, start period, lapse period).

        A customer is active from an order until ``inactivity_days`` have passed without one.
        Consecutive orders at most that many days apart form one spell; a spell lapses
        ``inactivity_days`` after its last order, if that day is within the data (else it is
        still running, lapse NaT). ``first`` marks each customer's first spell.
        """
        window = self.params.inactivity_days
        last_day = self.data_end("transactions", "date")
        if last_day is None:
            return Source(pd.DataFrame(columns=["segment", "start", "end", "first", "spells"]), split=False)
        last_day = last_day.normalize()
        mode = self.segment_mode("transactions")
        lines = self.with_own_segment(self.dated_lines, "transactions") if mode == "row" else self.order_table
        # Distinct days first: ties in the ordering would make the two windows disagree.
        day_measures = {"_segment": lines["_segment"].max()} if mode == "row" else {}
        days = lines.group_by("customer_id", day=lines.date.truncate("D")).aggregate(**day_measures)
        by_customer = ibis.window(group_by=days.customer_id, order_by=days.day)
        previous = days.day.lag().over(by_customer)
        gap_too_long = days.day > previous + ibis.interval(days=window)
        days = days.mutate(new_spell=(previous.isnull() | gap_too_long).cast("int64"))
        so_far = ibis.cumulative_window(group_by=days.customer_id, order_by=days.day)
        days = days.mutate(spell=days.new_spell.sum().over(so_far))
        spell_measures = {"_segment": days["_segment"].max()} if mode == "row" else {}
        spells = days.group_by("customer_id", "spell").aggregate(
            start=days.day.min(), last=days.day.max(), **spell_measures
        )
        if mode == "customer":
            spells = self.join_customers(spells, "_segment")
        lapse = spells["last"] + ibis.interval(days=window)
        keys = {
            "segment": spells["_segment"] if mode else ibis.literal(TOTAL),
            "start": self.lifetime_period_key(spells.start),
            "end": ibis.ifelse(lapse <= last_day, self.lifetime_period_key(lapse), ibis.null("timestamp")),
            "first": spells.spell == 1,
        }
        frame = self.backend.execute(spells.group_by(**keys).aggregate(spells=spells.count()))
        frame["start"] = pd.to_datetime(frame["start"])
        frame["end"] = pd.to_datetime(frame["end"])
        if mode:
            frame = pd.concat([frame, frame.assign(segment=TOTAL)], ignore_index=True)
        return Source(frame, split=mode is not None)

    @functools.cached_property
    def surveys(self) -> Source:
        """Per period and segment: promoters, detractors, satisfied, sums and counts of scores.

        Scores outside their scale (NPS 0–10, CSAT 1–5, CES 1–7) are left out.
        """
        feedback = self.table("feedback")
        dated = self.has("feedback", "date")
        if dated and self.period != "all":
            feedback = feedback.filter(feedback.date.notnull())
        feedback, mode = self.segmented(feedback, "feedback")
        measures: dict[str, ir.Value] = {}
        scores = [role for role in ("nps", "csat", "ces", "rating") if self.has("feedback", role)]
        if self.has("feedback", "nps"):
            nps = feedback.nps
            valid = nps.between(0, 10)
            measures |= {
                "promoters": (valid & (nps >= 9)).sum(),
                "detractors": (valid & (nps <= 6)).sum(),
                "nps_n": valid.sum(),
            }
        if self.has("feedback", "csat"):
            valid = feedback.csat.between(1, 5)
            measures |= {"satisfied": (valid & (feedback.csat >= 4)).sum(), "csat_n": valid.sum()}
        if self.has("feedback", "ces"):
            ces = ibis.ifelse(feedback.ces.between(1, 7), feedback.ces, ibis.null("float64"))
            measures |= {"ces_sum": ces.sum(), "ces_squares": (ces * ces).sum(), "ces_n": ces.count()}
        if self.has("feedback", "rating"):
            rating = feedback.rating
            measures |= {
                "rating_sum": rating.sum(),
                "rating_squares": (rating * rating).sum(),
                "rating_n": rating.count(),
            }
        answered = ibis.or_(*[feedback[score].notnull() for score in scores])
        measures["responses"] = answered.sum()
        period = self.period_key(feedback.date) if dated else None
        frame = self.run(
            feedback,
            {"period": period, "segment": feedback["_segment"] if mode else None},
            **measures,
        )
        if not dated:
            frame["period"] = ALL_TIME
        if not mode:
            frame["segment"] = TOTAL
        unit = self.period if dated else "all"
        frame = complete_periods(frame, unit, fill_zero=list(measures))
        if mode:
            frame = with_totals(frame)
        return Source(with_coverage(frame, unit, self.coverage("feedback")), split=mode is not None)

    @functools.cached_property
    def tickets(self) -> Source:
        """Per period and segment: median, sum, sum of squares and count of response and resolution hours.

        Durations below zero (a response before the ticket was opened) are left out.
        """
        support = self.table("support")
        if self.period != "all":
            support = support.filter(support.opened_at.notnull())
        support, mode = self.segmented(support, "support")
        hours: dict[str, ir.Value] = {}
        if self.has("support", "response_minutes"):
            hours["first_response"] = support.response_minutes / 60.0
        if self.has("support", "first_response_at"):
            elapsed = _hours_between(support.opened_at, support.first_response_at)
            hours["first_response"] = hours["first_response"].fill_null(elapsed) if hours else elapsed
        if self.has("support", "resolved_at"):
            hours["resolution"] = _hours_between(support.opened_at, support.resolved_at)
        support = support.mutate(
            **{name: ibis.ifelse(value >= 0, value, ibis.null("float64")) for name, value in hours.items()}
        )
        measures: dict[str, ir.Value] = {}
        for name in hours:
            column = support[name]
            measures |= {
                f"{name}_median": column.median(),
                f"{name}_sum": column.sum(),
                f"{name}_squares": (column * column).sum(),
                f"{name}_n": column.count(),
            }
        period = self.period_key(support.opened_at)

        def grouped(segment: ir.Value) -> ir.Table:
            keys = {"segment": segment} | ({"period": period} if period is not None else {})
            return support.group_by(**keys).aggregate(**measures)

        expression = grouped(ibis.literal(TOTAL))
        if mode:
            expression = grouped(support["_segment"]).union(expression)
        frame = self.backend.execute(expression)
        if period is None:
            frame["period"] = ALL_TIME
        frame = complete_periods(frame, self.period, fill_zero=[f"{name}_n" for name in hours])
        return Source(with_coverage(frame, self.period, self.coverage("support")), split=mode is not None)

    @functools.cached_property
    def marketing(self) -> Source:
        """Per period and channel: spend, leads and conversions (market size separately)."""
        marketing = self.table("marketing")
        if self.period != "all":
            marketing = marketing.filter(marketing.date.notnull())
        split = self.by is not None and self.by in CHANNEL_ALIASES and self.has("marketing", "channel")
        measures = {
            role: marketing[role].sum()
            for role in ("spend", "leads", "conversions")
            if self.has("marketing", role)
        }
        if not measures:
            raise Unavailable("the marketing table has no spend, leads or conversions")
        segment = marketing.channel.fill_null(UNKNOWN_SEGMENT) if split else None
        frame = self.run(
            marketing, {"period": self.period_key(marketing.date), "segment": segment}, **measures
        )
        if not split:
            frame["segment"] = TOTAL
        frame = complete_periods(frame, self.period, fill_zero=list(measures))
        if split:
            frame = with_totals(frame)
        return Source(with_coverage(frame, self.period, self.coverage("marketing")), split=split)

    @functools.cached_property
    def market_size(self) -> pd.DataFrame:
        """Market size per period: per date the mean over rows (channels repeat it), then per
        period the sum over dates (revenue) or their mean (customers)."""
        marketing = self.table("marketing")
        marketing = marketing.filter(marketing.market_size.notnull() & marketing.date.notnull())
        per_date = marketing.group_by("date").aggregate(market_size=marketing.market_size.mean())
        combine = (
            per_date.market_size.sum
            if self.params.market_size_unit == "revenue"
            else per_date.market_size.mean
        )
        frame = self.run(per_date, {"period": self.period_key(per_date.date)}, market_size=combine())
        frame["segment"] = TOTAL
        frame = complete_periods(frame, self.period, fill_zero=[])
        return with_coverage(frame, self.period, self.coverage("marketing"))

    # -- derived tables shared by several KPIs -----------------------------------------------

    def churn_method(self, *, per_period: bool = False) -> str:
        """The churn method in use (see :class:`KpiParams`); raises Unavailable if none fits."""
        possible = {
            "churn_date": self.has("customers", "customer_id", "churn_date"),
            "churn_flag": self.has("customers", "customer_id", "churn"),
            "inactivity": self.has("transactions", "customer_id", "date"),
        }
        method = self.params.churn_method
        if per_period and method in ("auto", "churn_flag"):
            method = next((name for name in ("churn_date", "inactivity") if possible[name]), "none")
            if method == "none":
                raise Unavailable(
                    "needs churn per period: churn dates, or a transaction log with customer ids"
                )
        if method == "auto":
            method = next((name for name, ok in possible.items() if ok), "none")
            if method == "none":
                raise Unavailable("needs churn dates, a churn flag, or a transaction log with customer ids")
        if not possible[method]:
            raise Unavailable(f"the chosen churn method '{method}' needs data this workspace lacks")
        return method

    def churn(self, method: str) -> pd.DataFrame:
        """Per period and segment: customers active at the period's start and those who churned."""
        if method not in self._churn:
            self._churn[method] = self._compute_churn(method)
        return self._churn[method]

    def _compute_churn(self, method: str) -> pd.DataFrame:
        if method == "churn_flag":
            grid = self.lifetimes.frame
            known = grid[grid["churned"].notna()]
            frame = known.assign(churned=known["customers"].where(known["churned"].astype(bool), 0))
            frame = frame.groupby("segment", as_index=False)[["customers", "churned"]].sum()
            return frame.rename(columns={"customers": "at_start"}).assign(period=ALL_TIME)
        if method == "churn_date":
            grid = self.lifetimes.frame.rename(columns={"customers": "count"})
        else:
            grid = self.spells.frame.rename(columns={"spells": "count"})
        keys = ["segment", "start", "end"] + (["first"] if method == "inactivity" else [])
        grid = grid.groupby(keys, dropna=False, as_index=False)["count"].sum()
        if self.period == "all":
            return churn_over_all_time(grid, method)
        frame = churn_per_period(grid, self.period, self.churn_periods(grid, method))
        frame = with_coverage(frame, self.period, self.churn_coverage(method))
        if method == "inactivity":
            # Who is active at a period's start is known only from a whole window of log before it.
            first = self.coverage("transactions")
            blind = without_history(
                frame["period"], None if first is None else first[0], self.params.inactivity_days
            )
            frame["reason"] = np.where(blind, self.history_reason("churn"), None)
        return frame

    def churn_periods(self, grid: pd.DataFrame, method: str) -> pd.DatetimeIndex:
        """The periods in which churn is observed.

        For a transaction log, those of the log. From churn dates, from the first order (or,
        without transactions, the first churn date) to the last date known: earlier signups
        tell who was a customer, but not whether anyone left before the data begins.
        """
        orders = self.data_bounds("transactions", "date") if self.has("transactions", "date") else None
        lifetime_dates = pd.concat([grid["start"], grid["end"]]).dropna()
        churn_dates = grid["end"].dropna()
        first = last = None
        if method == "inactivity" or orders is not None:
            first, last = orders if orders is not None else (None, None)
        elif len(lifetime_dates):
            first = churn_dates.min() if len(churn_dates) else lifetime_dates.min()
        if method != "inactivity" and len(lifetime_dates):
            last = lifetime_dates.max() if last is None else max(last, lifetime_dates.max())
        if first is None or last is None:
            return pd.DatetimeIndex([])
        return period_starts(first, last, self.period)

    def new_customers(self) -> pd.DataFrame:
        """Per period and segment: customers acquired (signup, else first order) in the period.

        Acquired by first order, periods run to the last order, so that months without a new
        customer show 0.
        """
        grid = self.lifetimes.frame
        dated = grid[grid["start"].notna()]
        if self.period == "all":
            counted = dated.groupby("segment", as_index=False)["customers"].sum().assign(period=ALL_TIME)
        else:
            counted = dated.groupby(["start", "segment"], as_index=False)["customers"].sum()
            counted = counted.rename(columns={"start": "period"})
        until = None
        by_first_order = not self.has("customers", "signup_date")
        if self.period != "all" and by_first_order:
            last_order = self.data_end("transactions", "date")
            until = None if last_order is None else period_start(last_order, self.period)
        counted = counted.rename(columns={"customers": "new_customers"})
        frame = complete_periods(counted, self.period, ["new_customers"], until=until)
        if not by_first_order:
            return with_coverage(frame, self.period, self.coverage("customers"))
        orders = self.coverage("transactions")
        frame = with_coverage(frame, self.period, orders)
        if self.period != "all":
            # Early in a log, customers who bought before it began place their "first" order.
            blind = without_history(
                frame["period"], None if orders is None else orders[0], self.params.inactivity_days
            )
            frame["reason"] = np.where(
                blind, self.history_reason("telling new customers from returning ones"), None
            )
        return frame


def _hours_between(start: ir.TimestampValue, end: ir.TimestampValue) -> ir.FloatingValue:
    return (end.epoch_seconds() - start.epoch_seconds()).cast("float64") / 3600.0

"""Customers' spend in a window after a start date, summed by the engine from the order log.

Two customer links compare spend (:mod:`bsc.links.customer`): spend in the 90 days after a
CSAT answer, and spend in the first year after signing up. At 1M customers the order log has
10M lines; read into pandas and joined to the customers it took gigabytes while the Strategy map
computed. Here DuckDB (the engine of :func:`bsc.engine.default_backend`) reads the three columns
it needs from the Parquet files, joins them to the starts and sums per customer, and pandas only
receives one row per customer who spent.

The order lines counted are those with a customer id, a date and an amount (a line missing one
of them is left out, as everywhere in the links).
"""

from __future__ import annotations

from collections.abc import Mapping, Sequence
from dataclasses import dataclass
from pathlib import Path

import ibis
import ibis.expr.types as ir
import pandas as pd

from bsc.engine import Backend, default_backend, table_columns

__all__ = ["OrderLog", "order_log"]

Tables = Mapping[str, Sequence[Path | str]]

_COLUMNS = ("customer_id", "date", "amount")
# Amounts are summed in this type: 29 digits before the decimal point, 9 after.
_EXACT = "decimal(38, 9)"


@dataclass(frozen=True)
class OrderLog:
    """The workspace's order lines as the engine reads them, and the date of the last one.

    Attributes
    ----------
    lines
        The lines with a customer id, a date and an amount: those three columns only.
    end
        The date of the last of those lines (NaT when every line lacks one of them).
    backend
        Where ``lines`` is computed.
    """

    lines: ir.Table
    end: pd.Timestamp
    backend: Backend

    def spend_after(self, starts: pd.DataFrame, days: int) -> pd.Series:
        """Each row's customer's spend after its ``start``, up to and including ``start`` + ``days``.

        .. math:: \\text{spend}_i = \\sum \\{ a : \\text{start}_i < d \\le \\text{start}_i + \\text{days} \\}

        over the customer's order lines (date *d*, amount *a*); 0 for a customer without an order
        in the window or without any order. The sum is exact for amounts with at most 9 decimals
        (then rounded once to a double): it does not depend on the order of the lines.

        Parameters
        ----------
        starts
            Columns ``customer_id`` (text, one row per customer) and ``start`` (a date).

        Returns
        -------
        pandas.Series
            The spend of each row of ``starts``, on its index.
        """
        if starts.empty:
            return pd.Series(0.0, index=starts.index, dtype="float64")
        # The window's end is computed here, as a whole number of 24-hour days, so that the engine
        # compares plain timestamps (no calendar arithmetic of its own).
        windows = pd.DataFrame(
            {
                "customer_id": starts["customer_id"].astype(str).to_numpy(),
                "start": starts["start"].to_numpy(),
                "until": (starts["start"] + pd.Timedelta(days=days)).to_numpy(),
            }
        ).drop_duplicates("customer_id")
        window = ibis.memtable(windows)
        lines = self.lines
        joined = lines.join(window, lines.customer_id == window.customer_id)
        inside = joined.filter((joined.date > joined.start) & (joined.date <= joined.until))
        # Summed as decimals (exact to 1e-9 of the currency), so that two customers with the same
        # amounts in another order get the same total: summed as doubles they could differ in the
        # last bit, which splits a tie of the rank correlation (acquisition cost → CLV).
        exact = inside.amount.cast(_EXACT).sum().cast("float64")
        spent = self.backend.execute(inside.group_by("customer_id").aggregate(spend=exact))
        totals = pd.Series(spent["spend"].to_numpy(dtype="float64"), index=spent["customer_id"].astype(str))
        return starts["customer_id"].astype(str).map(totals).fillna(0.0).astype("float64")


def order_log(tables: Tables, backend: Backend | None = None) -> OrderLog | None:
    """The order log of ``tables``, or None when no transaction file records customer ids, dates and
    amounts, or the files have no lines at all."""
    files = list(tables.get("transactions", ()))
    if not files or not set(_COLUMNS) <= set(table_columns(files)):
        return None
    backend = backend or default_backend()
    table = backend.read("transactions", files)
    counts = backend.execute(
        table.aggregate(
            rows=table.count(),
            end=table.date.max(where=table.customer_id.notnull() & table.amount.notnull()),
        )
    ).iloc[0]
    if int(counts["rows"]) == 0:
        return None
    lines = table.select(*_COLUMNS).drop_null(list(_COLUMNS))
    return OrderLog(lines, pd.Timestamp(counts["end"]) if pd.notna(counts["end"]) else pd.NaT, backend)

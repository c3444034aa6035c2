"""The lifetime models' inputs computed by DuckDB over a workspace's stored transaction files.

The pandas functions of :mod:`bsc.clv.summary` and :mod:`bsc.clv.report` take the transaction
log as a frame. At ten million order lines that frame (customer ids as text, dates, amounts)
and its groupings take gigabytes, read again by each section of the Lifetime value page. The
functions here compute the same figures with a query over the canonical Parquet files, read in
place (:data:`bsc.engine.READ_IN_PLACE`); only the answer comes back to pandas, one row per
customer at most:

- :func:`purchase_span`: the first and last purchase day (the inputs of
  :func:`bsc.clv.report.calibration_window`);
- :func:`rfm_summary_of_tables`: the frame :func:`bsc.clv.rfm_summary` returns, equal to it
  value for value (the same customers, order, columns and types);
- :func:`holdout_purchases_by_week`: the calibration customers' purchase days per holdout week,
  the back-test's week-by-week actual counts.

The sums and means are compensated (DuckDB's ``fsum`` and ``favg``): spends agree with pandas'
within 1e-15 relative, and a mean repeat spend that is exactly 0 (returns cancelling the repeat
purchases) stays 0, where pandas' group mean can leave 1e-15.

The rules are those of the pandas functions: rows without a customer or a date are dropped,
dates count by their day (a time zone is dropped after reading the day in UTC, the session's
zone), purchases on the same day are one purchase of their summed amount (blank when every
amount of the day is blank), and a blank or NaN amount is left out of the mean spend.

The queries run on the app's DuckDB connection (:func:`bsc.engine.default_backend`), within its
memory limit and spill folder (:mod:`bsc.memory`); when the app computes on Spark, on a DuckDB
connection of this process with the same settings.
"""

from __future__ import annotations

import functools
from collections.abc import Mapping, Sequence
from pathlib import Path

import ibis
import ibis.expr.types as ir
import pandas as pd
import pyarrow.parquet as pq

from bsc.clv.summary import WEEK, as_day
from bsc.engine import Backend, default_backend, table_columns
from bsc.errors import InputError
from bsc.memory import duckdb_memory_limit, duckdb_temp_directory

__all__ = ["holdout_purchases_by_week", "purchase_span", "require_transactions", "rfm_summary_of_tables"]

Tables = Mapping[str, Sequence[Path | str]]

_COLUMNS = ("customer_id", "date", "amount")


def purchase_span(tables: Tables) -> tuple[pd.Timestamp, pd.Timestamp]:
    """The first and last purchase days of the log (every row with a date, as
    :func:`bsc.clv.report.calibration_window` reads them), by one min/max query.

    Raises
    ------
    InputError
        When no transaction table holds customer ids, dates and amounts, or no date is readable.
    """
    backend, log = _stored_log(tables)
    dated = log.filter(log["date"].notnull())
    span = dated.aggregate(first=dated["date"].min(), last=dated["date"].max())
    row = backend.execute(span).iloc[0]
    if pd.isna(row["first"]):
        raise InputError("The transactions hold no readable date.")
    return _day(row["first"]), _day(row["last"])


def rfm_summary_of_tables(
    tables: Tables,
    calibration_end: pd.Timestamp | str,
    holdout_end: pd.Timestamp | str | None = None,
    *,
    time_unit: float = WEEK,
) -> pd.DataFrame:
    """:func:`bsc.clv.rfm_summary` of the workspace's transaction files, grouped by DuckDB.

    Returns the same frame as ``rfm_summary(transactions_from_tables(tables), ...)``: indexed by
    ``customer_id`` in sorted order, ``frequency`` (int64), ``recency``, ``T``,
    ``monetary_value`` (and ``holdout_frequency``, ``holdout_length`` with a holdout end), in
    ``time_unit`` days.

    Raises
    ------
    InputError
        The errors of :func:`bsc.clv.summary.transactions_from_tables` and of
        :func:`bsc.clv.rfm_summary`, with the same messages.
    """
    backend, log = _stored_log(tables)
    calibration = as_day(calibration_end, "calibration end")
    holdout = None if holdout_end is None else as_day(holdout_end, "holdout end")
    if holdout is not None and holdout <= calibration:
        raise InputError(
            f"The holdout end ({holdout.date()}) must come after the calibration end ({calibration.date()})."
        )
    if time_unit <= 0:
        raise InputError("The time unit must be a positive number of days.")
    days = _purchase_days(_dated_lines(log))
    customers = days.filter(days["day"] <= calibration.to_pydatetime())
    # Each customer's first day, beside each of their days, so that the first is left out of the mean.
    customers = customers.mutate(first=customers["day"].min().over(group_by=customers["customer_id"]))
    per_customer = customers.group_by("customer_id").aggregate(
        first=customers["day"].min(),
        last=customers["day"].max(),
        days=customers["day"].count(),
        repeat_spend=_compensated_mean(customers["amount"], where=customers["day"] > customers["first"]),
    )
    if holdout is not None:
        later = days.filter(
            (days["day"] > calibration.to_pydatetime()) & (days["day"] <= holdout.to_pydatetime())
        )
        counts = later.group_by("customer_id").aggregate(holdout_days=later.count())
        joined = per_customer.left_join(counts, "customer_id")
        per_customer = joined.select(
            *(per_customer[column] for column in per_customer.columns),
            holdout_days=joined["holdout_days"].fill_null(0),
        )
    found = backend.execute(per_customer.order_by("customer_id"))
    if found.empty:
        raise InputError(f"No customer bought on or before the calibration end ({calibration.date()}).")
    first, last = _days(found["first"]), _days(found["last"])
    summary = pd.DataFrame(
        {
            "frequency": (found["days"] - 1).astype("int64").to_numpy(),
            "recency": ((last - first).dt.days / time_unit).to_numpy(),
            "T": ((calibration - first).dt.days / time_unit).to_numpy(),
            "monetary_value": found["repeat_spend"].astype("float64").fillna(0.0).to_numpy(),
        },
        index=pd.Index(found["customer_id"].astype(_id_dtype(tables)), name="customer_id"),
    )
    if holdout is not None:
        summary["holdout_frequency"] = found["holdout_days"].astype("int64").to_numpy()
        summary["holdout_length"] = (holdout - calibration).days / time_unit
    return summary


def holdout_purchases_by_week(
    tables: Tables, calibration_end: pd.Timestamp | str, holdout_end: pd.Timestamp | str, weeks: int
) -> pd.Series:
    """Purchase days per holdout week (1 … ``weeks``) of the customers who bought by the calibration end.

    Week *w* runs from the calibration end + 7(*w* − 1) + 1 days to + 7 *w* days; days after
    ``holdout_end`` are not counted. A week without purchases counts 0.
    """
    backend, log = _stored_log(tables)
    calibration = as_day(calibration_end, "calibration end").to_pydatetime()
    holdout = as_day(holdout_end, "holdout end").to_pydatetime()
    days = _purchase_days(_dated_lines(log))
    customers = days.filter(days["day"] <= calibration).select("customer_id").distinct()
    later = days.filter((days["day"] > calibration) & (days["day"] <= holdout))
    later = later.semi_join(customers, "customer_id")
    elapsed = later["day"].delta(ibis.timestamp(calibration), unit="day")
    week = ((elapsed - 1) // 7 + 1).name("week")
    counted = later.group_by(week).aggregate(purchases=later.count())
    found = backend.execute(counted)
    actual = pd.Series(found["purchases"].to_numpy(), index=found["week"].astype("int64").to_numpy())
    return actual.reindex(range(1, weeks + 1), fill_value=0)


def _dated_lines(log: ir.Table) -> ir.Table:
    """The lines with a customer and a date: ``customer_id``, ``day``, ``amount`` (NaN as blank)."""
    known = log.filter(log["customer_id"].notnull() & log["date"].notnull())
    amount = known["amount"]
    # pandas reads NaN as blank; DuckDB would carry it into the sums.
    amount = amount.isnan().ifelse(ibis.null("float64"), amount)
    return known.select(customer_id=known["customer_id"], day=_day_of(known["date"]), amount=amount)


def _purchase_days(lines: ir.Table) -> ir.Table:
    """One row per customer and purchase day of ``lines`` (:func:`_dated_lines`), with the day's
    summed amount (blank when all are blank)."""
    return lines.group_by(["customer_id", "day"]).aggregate(amount=_compensated_sum(lines["amount"]))


# DuckDB's plain sum and avg add in whatever order its threads meet the rows: repeat days of +x
# and −x can average 1e-15 instead of 0, which puts the customer among the positive spenders the
# Gamma-Gamma model is fitted on, and one spend of 1e-15 pulls that fit (at ten million orders four
# such customers moved its p from 1.528 to 1.516). The compensated forms add almost exactly: a zero stays zero.
@ibis.udf.agg.builtin(name="fsum")
def _compensated_sum(values: float) -> float:
    """DuckDB's ``fsum``: the sum with error compensation; blank when every value is blank."""


@ibis.udf.agg.builtin(name="favg")
def _compensated_mean(values: float) -> float:
    """DuckDB's ``favg``: the mean with error compensation, ignoring blanks."""


def _day_of(date: ir.TimestampValue) -> ir.TimestampValue:
    day = date.truncate("D")
    # A zoned timestamp is read in the session's zone (UTC) and kept as the naive day.
    return day.cast("timestamp") if date.type().timezone is not None else day


def require_transactions(tables: Tables) -> list[Path | str]:
    """The transaction files, when they hold customer ids, dates and amounts; read from the
    files' footers, no row is read.

    Raises
    ------
    InputError
        The error of :func:`bsc.clv.summary.transactions_from_tables` when the files lack a
        column or hold no row.
    """
    files = list(tables.get("transactions", []))
    # Only files holding one of the columns add rows and columns, as bsc.engine.read_columns reads them.
    holding = [path for path in files if any(column in table_columns([path]) for column in _COLUMNS)]
    stored = table_columns(holding) if holding else dict.fromkeys(_COLUMNS)
    missing = [column for column in _COLUMNS if column not in stored]
    rows = sum(pq.ParquetFile(path).metadata.num_rows for path in holding)
    if not rows or missing:
        raise InputError(
            "Lifetime value needs a transactions table with a customer id, an order date and an amount"
            + (f" (missing: {', '.join(missing)})." if missing else "; none was found.")
        )
    return files


def _stored_log(tables: Tables) -> tuple[Backend, ir.Table]:
    """The DuckDB backend and the transaction files as one table with ``customer_id``, ``date``,
    ``amount`` (the errors of :func:`require_transactions`)."""
    files = require_transactions(tables)
    backend = _duckdb_backend()
    log = backend.read("transactions", files)
    return backend, log.select(*_COLUMNS)


def _id_dtype(tables: Tables) -> object:
    """The dtype pandas reads the stored customer ids as (``string`` in canonical files), from the
    first file holding them: its schema as an empty table, so that no row is read."""
    for path in tables["transactions"]:
        schema = pq.read_schema(path)
        if "customer_id" in schema.names:
            return schema.empty_table().to_pandas()["customer_id"].dtype
    return object


@functools.cache
def _spark_side_duckdb() -> Backend:
    return Backend.duckdb(memory_limit=duckdb_memory_limit(), temp_directory=duckdb_temp_directory())


def _duckdb_backend() -> Backend:
    backend = default_backend()
    return backend if backend.name == "duckdb" else _spark_side_duckdb()


def _day(value: pd.Timestamp) -> pd.Timestamp:
    day = pd.Timestamp(value)
    return (day.tz_localize(None) if day.tzinfo is not None else day).normalize()


def _days(values: pd.Series) -> pd.Series:
    days = pd.to_datetime(values)
    return days.dt.tz_localize(None) if days.dt.tz is not None else days

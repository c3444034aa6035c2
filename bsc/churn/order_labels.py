"""Churn labels from a workspace's order log, computed by the engine over the stored files.

:func:`order_log_labels` gives the same frame as :func:`~bsc.churn.labels.cutoff_labels` and
:func:`~bsc.churn.labels.inactivity_churn_labels` of the whole log, but never reads the log
into pandas: the engine (DuckDB by default, see :mod:`bsc.engine`) keeps only the orders of
the days the label looks at and returns one row per customer active at the cutoff. At ten
million orders the pandas functions held every order's customer id and date at once.
"""

from __future__ import annotations

from collections.abc import Mapping, Sequence
from pathlib import Path

import ibis
import ibis.expr.types as ir
import numpy as np
import pandas as pd

from bsc.errors import InputError

__all__ = ["order_log_labels"]


def order_log_labels(
    tables: Mapping[str, Sequence[Path | str]],
    cutoff: pd.Timestamp | str,
    horizon_days: int,
    inactivity_days: int | None = None,
    *,
    backend=None,
) -> pd.DataFrame:
    """Churn labels of the customers active at ``cutoff``, from the workspace's order log.

    With :math:`c` the cutoff, :math:`h` = ``horizon_days`` and :math:`w` = ``inactivity_days``:

    - ``inactivity_days`` None, the lab's rule (as :func:`~bsc.churn.labels.cutoff_labels`):
      active = an order in :math:`[c - h, c)`, churned = no order in :math:`[c, c + h)`. Only
      the orders of :math:`[c - h, c + h)` are read.
    - otherwise the churn-rate KPI's inactivity rule (as
      :func:`~bsc.churn.labels.inactivity_churn_labels`): active = an order in
      :math:`[c - w, c)`, churned = some order day :math:`d` with :math:`d + w < c + h` has no
      order in :math:`(d, d + w]`. Only the orders of :math:`[c - w, c + h)` are read.

    Orders without a customer id or a date are left out, as the pandas functions' callers
    drop them.

    Parameters
    ----------
    tables
        Table kind -> canonical Parquet files (:meth:`bsc.store.Store.workspace_tables`).
    cutoff
        The first day after the feature window (its time of day is ignored).
    horizon_days, inactivity_days
        Whole numbers of days, at least 1.
    backend
        Where to compute; :func:`bsc.engine.default_backend` when None.

    Returns
    -------
    pandas.DataFrame
        ``customer_id`` (string) and ``churned`` (bool), one row per active customer, sorted
        by id: the frame of the pandas function on the whole log.

    Raises
    ------
    InputError
        When a window is below 1 day, or the workspace has no order log with customer ids and
        dates.
    """
    from bsc.engine import default_backend, table_columns

    windows = [("churn window", horizon_days)]
    if inactivity_days is not None:
        windows.append(("inactivity window", inactivity_days))
    for name, days in windows:
        if not isinstance(days, int | np.integer) or days < 1:
            raise InputError(f"The {name} must be a whole number of days ≥ 1, not {days}.")
    files = list(tables.get("transactions", []))
    missing = ["customer_id", "date"]
    if files:
        stored = table_columns(files)
        missing = [column for column in missing if column not in stored]
    if missing:
        raise InputError(f"The transaction log needs the column(s) {', '.join(missing)} to define churn.")
    backend = backend or default_backend()
    cutoff = pd.Timestamp(cutoff).normalize()
    end = cutoff + pd.Timedelta(days=int(horizon_days))
    lookback = pd.Timedelta(days=int(horizon_days if inactivity_days is None else inactivity_days))
    lines = backend.read("transactions", files)
    # The cutoff is midnight, so comparing times of day with the window's days is exact.
    orders = lines.filter(
        lines.customer_id.notnull(), lines.date.notnull(), lines.date >= cutoff - lookback, lines.date < end
    ).select("customer_id", "date")
    if inactivity_days is None:
        labels = _no_order_labels(orders, cutoff)
    else:
        labels = _lapse_labels(orders, cutoff, end, pd.Timedelta(days=int(inactivity_days)))
    frame = backend.execute(labels)
    out = pd.DataFrame(
        {
            "customer_id": frame["customer_id"].astype("string"),
            "churned": frame["churned"].astype(bool),
        }
    )
    return out.sort_values("customer_id", ignore_index=True)


def _no_order_labels(orders: ir.Table, cutoff: pd.Timestamp) -> ir.Table:
    """Customers with an order before the cutoff; churned when none of theirs falls from it on."""
    per_customer = orders.group_by("customer_id").aggregate(
        active=(orders.date < cutoff).any(), returned=(orders.date >= cutoff).any()
    )
    return per_customer.filter(per_customer.active).select("customer_id", churned=~per_customer.returned)


def _lapse_labels(
    orders: ir.Table, cutoff: pd.Timestamp, end: pd.Timestamp, window: pd.Timedelta
) -> ir.Table:
    """Customers with an order day before the cutoff; churned when an order day before
    ``end - window`` is followed by no order day within ``window`` (the KPI's churn date, the
    day plus the window, then falls before ``end``)."""
    days = orders.select("customer_id", day=orders.date.truncate("D")).distinct()
    gap = ibis.interval(days=window.days)
    following = days.day.lead().over(ibis.window(group_by=days.customer_id, order_by=days.day))
    flagged = days.mutate(lapse=(following.isnull() | (following > days.day + gap)) & (days.day + gap < end))
    per_customer = flagged.group_by("customer_id").aggregate(
        active=(flagged.day < cutoff).any(), churned=flagged.lapse.any()
    )
    return per_customer.filter(per_customer.active).select("customer_id", "churned")

"""The KPI registry and its computations: the customer perspective of the Balanced Scorecard.

Each KPI is one :class:`KpiDef` record in :data:`KPIS` (its formula as shown to users, the
roles it needs, unit, direction, parameters, how its values are written, the values it can take,
whether it is a total) plus a short function that turns a few small
per-period tables of sums and counts into values. Those tables are computed by Ibis
expressions over the workspace's canonical Parquet tables, a handful of queries in all (one
per source table, whatever the number of KPIs), so the same definitions run unchanged on
DuckDB (the default) and on Spark (see :mod:`bsc.engine`); only the final divisions and the
confidence intervals (:mod:`bsc.stats`) happen in pandas, on frames of a few hundred rows.

Some tables are derived once per set of files and kept in memory by the backend, since no
setting changes them: one row per order; one row per customer and month (quarter, year, all
time) with orders; one row per customer of the customers table (see :func:`load_tables`).

Modules
-------
- :mod:`bsc.kpis.record`: the record type :class:`KpiDef`, the components, :class:`KpiParams`.
- :mod:`bsc.kpis.satisfaction`, :mod:`~bsc.kpis.retention`, :mod:`~bsc.kpis.acquisition`,
  :mod:`~bsc.kpis.loyalty`, :mod:`~bsc.kpis.service`: each component's KPI records and functions.
- :mod:`bsc.kpis.registry`: :data:`KPIS`, the records of every component in scorecard order.
- :mod:`bsc.kpis.tables`: columns and segment attributes of the tables, the derived tables.
- :mod:`bsc.kpis.sources`: the Ibis queries per period and segment the KPI functions start from.
- :mod:`bsc.kpis.lifetimes`: churn from lifetimes and activity spells.
- :mod:`bsc.kpis.frames`: completing, joining and writing the per-period frames.
- :mod:`bsc.kpis.coverage`: which periods the data cover in full, and which they are too young to judge.
- :mod:`bsc.kpis.same_days`: the same days of the period before a partial last period.
- :mod:`bsc.kpis.compute`: :func:`compute_kpis`, :class:`KpiResult`, the cohort retention.

Conventions
-----------
- Periods are calendar months ("2024-01"), quarters ("2024-Q1"), years ("2024"), or "all".
  A table without dates (feedback without a date column, a churn flag) is reported under
  "all" whatever period is asked for. Every period between the first and last one with data
  is reported, empty periods included (counts 0, ratios NaN).
- Segments: ``by`` names a segment attribute (see :func:`segment_attributes`). A customer
  attribute reaches facts of other tables through ``customer_id``; where there is no customers
  table, a categorical column of the fact table itself serves. Rows whose customer has no
  value for the attribute (or is not in the customers table) form the segment "(unknown)".
  The all-customers rows (``segment`` NA) are always present. A KPI whose data cannot be linked
  to the attribute is computed for all customers only and listed in :attr:`KpiResult.not_split`.
  Marketing figures (CPA, conversion rate) split only by channel: ``by="acquisition_channel"``
  (or ``"channel"``) pairs the marketing ``channel`` with the customers' acquisition channel.
- An order is a distinct ``order_id``; without order ids, a distinct customer and day.
  Transaction lines without a customer id or date are left out.
- Percentages are on 0–100; numerator and denominator are the raw quantities behind a value
  (e.g. promoters − detractors and responses for the NPS).
"""

from bsc.kpis.compute import (
    PERIODS,
    KpiResult,
    cohort_retention,
    compute_kpis,
    date_range,
    latest_basis,
    whole_known,
    whole_periods,
)
from bsc.kpis.frames import UNKNOWN_SEGMENT
from bsc.kpis.record import COMPONENT_NAMES, COMPONENTS, KpiDef, KpiParams, format_number
from bsc.kpis.registry import KPIS
from bsc.kpis.tables import load_tables, segment_attributes

__all__ = [
    "COMPONENTS",
    "COMPONENT_NAMES",
    "KPIS",
    "PERIODS",
    "UNKNOWN_SEGMENT",
    "KpiDef",
    "KpiParams",
    "KpiResult",
    "cohort_retention",
    "compute_kpis",
    "date_range",
    "format_number",
    "latest_basis",
    "load_tables",
    "segment_attributes",
    "whole_known",
    "whole_periods",
]
